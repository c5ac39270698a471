"""Makes `python/` importable and TensorFlow quiet and in TF1 graph mode for every test, and
holds the generated-MNIST fixtures the tests share: `write_idx` (one gzipped IDX file),
`write_mnist` (the four files of random pixels and labels) and `tiny_mnist` (a folder of them)."""

import gzip
import os
import struct
import sys
from pathlib import Path

import numpy
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy_dataset  # noqa: E402

IMAGES_MAGIC = 0x803
LABELS_MAGIC = 0x801


def _write_idx(path: Path, magic: int, array: numpy.ndarray) -> None:
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(numpy.uint8).tobytes())


def _write_mnist(
    folder: Path, train_n: int, test_n: int, seed: int = 3
) -> tuple[numpy.ndarray, ...]:
    """The four MNIST files in `folder`, random pixels and labels drawn from `seed`; returns
    (train images, train labels, test images, test labels) as uint8 arrays."""
    rng = numpy.random.RandomState(seed)
    arrays = []
    for images_file, labels_file, n in [
        (numpy_dataset.TRAIN_IMAGES_FILE, numpy_dataset.TRAIN_LABELS_FILE, train_n),
        (numpy_dataset.TEST_IMAGES_FILE, numpy_dataset.TEST_LABELS_FILE, test_n),
    ]:
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(numpy.uint8)
        labels = rng.randint(0, 10, size=n).astype(numpy.uint8)
        _write_idx(folder / images_file, IMAGES_MAGIC, images)
        _write_idx(folder / labels_file, LABELS_MAGIC, labels)
        arrays += [images, labels]
    return tuple(arrays)


@pytest.fixture
def write_idx():
    """write_idx(path, magic, array): one gzipped IDX file (uint8 data)."""
    return _write_idx


@pytest.fixture
def write_mnist():
    """write_mnist(folder, train_n, test_n, seed=3): the four files of random images."""
    return _write_mnist


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """60 training (10 of them validation) and 23 test images of random pixels."""
    folder = tmp_path_factory.mktemp("mnist")
    _write_mnist(folder, 60, 23, seed=5)
    return folder
