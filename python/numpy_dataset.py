"""MNIST loading and batching with TensorFlow 1.x semantics, in plain NumPy.

TensorFlow 2 no longer ships ``tensorflow.examples.tutorials.mnist``, whose
``read_data_sets`` and ``DataSet.next_batch`` the article's training script used.
This module is a minimal stand-in with the same results, used by the Python
reference trainer; the Rust crate (``src/mnist``) implements the same algorithm, and
both are pinned against ``tests/vectors/*.json`` (made by ``make_vectors.py``).

Data: the four standard gzip-compressed IDX files
(``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) in one folder; nothing
is downloaded. Images become float32 ``[n, 784]`` scaled to ``[0, 1]`` exactly as
TF 1.x did, labels float32 one-hot ``[n, 10]``; the first ``validation_size``
training examples form the validation set.

One difference from TF 1.x: every ``DataSet`` shuffles with its own
``numpy.random.RandomState(seed)`` instead of the global NumPy generator, which
gives the same batches as TF after ``numpy.random.seed(seed)`` without sharing state.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import NamedTuple

import numpy

IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10
VALIDATION_SIZE = 5000
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
TRAIN_IMAGES_FILE = "train-images-idx3-ubyte.gz"
TRAIN_LABELS_FILE = "train-labels-idx1-ubyte.gz"
TEST_IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
TEST_LABELS_FILE = "t10k-labels-idx1-ubyte.gz"

_BIG_ENDIAN_U32 = numpy.dtype(">u4")


def _read_idx(path: Path, magic: int, dimensions: int) -> numpy.ndarray:
    """Decompress ``path`` and return its IDX body as a uint8 array of its shape."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: put the four standard MNIST files "
            f"({TRAIN_IMAGES_FILE}, {TRAIN_LABELS_FILE}, {TEST_IMAGES_FILE}, "
            f"{TEST_LABELS_FILE}) in {path.parent}"
        )
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    header_len = 4 * (1 + dimensions)
    if len(data) < header_len:
        raise ValueError(f"{path}: truncated header: expected {header_len} bytes, got {len(data)}")
    header = numpy.frombuffer(data, dtype=_BIG_ENDIAN_U32, count=1 + dimensions)
    if int(header[0]) != magic:
        raise ValueError(
            f"{path}: expected IDX magic number 0x{magic:08x}, found 0x{int(header[0]):08x}"
        )
    shape = tuple(int(size) for size in header[1:])
    expected = int(numpy.prod(shape))
    if len(data) - header_len != expected:
        raise ValueError(
            f"{path}: the header announces {expected} data bytes, "
            f"the file holds {len(data) - header_len}"
        )
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header_len).reshape(shape)


def images_to_float(images: numpy.ndarray) -> numpy.ndarray:
    """``[n, rows, cols]`` uint8 to ``[n, rows * cols]`` float32 the TF 1.x way."""
    images = images.reshape(images.shape[0], -1)
    images = images.astype(numpy.float32)
    return numpy.multiply(images, 1.0 / 255.0)


def dense_to_one_hot(labels: numpy.ndarray) -> numpy.ndarray:
    """Digit labels ``[n]`` to float32 one-hot rows ``[n, 10]``."""
    one_hot = numpy.zeros((labels.shape[0], NUM_CLASSES), dtype=numpy.float32)
    one_hot[numpy.arange(labels.shape[0]), labels] = 1.0
    return one_hot


class DataSet:
    """TF 1.x ``mnist.DataSet``: holds examples and hands out shuffled batches.

    ``images`` and ``labels`` may be arrays of any trailing shape with the same
    first dimension; they are reordered together, as TF 1.x did.
    """

    def __init__(self, images: numpy.ndarray, labels: numpy.ndarray, seed: int = 0):
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"images.shape {images.shape} and labels.shape {labels.shape} "
                "disagree on the number of examples"
            )
        self._images = images
        self._labels = labels
        self._num_examples = images.shape[0]
        self._random = numpy.random.RandomState(seed)
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self) -> numpy.ndarray:
        return self._images

    @property
    def labels(self) -> numpy.ndarray:
        return self._labels

    @property
    def num_examples(self) -> int:
        return self._num_examples

    @property
    def epochs_completed(self) -> int:
        return self._epochs_completed

    @property
    def index_in_epoch(self) -> int:
        return self._index_in_epoch

    def _reorder(self) -> None:
        permutation = numpy.arange(self._num_examples)
        self._random.shuffle(permutation)
        self._images = self._images[permutation]
        self._labels = self._labels[permutation]

    def next_batch(self, batch_size: int) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The next ``batch_size`` examples, reshuffling at every epoch end."""
        if not 1 <= batch_size <= self._num_examples:
            raise ValueError(
                f"batch size {batch_size} is not possible with " f"{self._num_examples} examples"
            )
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0:
            self._reorder()
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest = self._num_examples - start
            images_rest = self._images[start:]
            labels_rest = self._labels[start:]
            self._reorder()
            self._index_in_epoch = batch_size - rest
            end = self._index_in_epoch
            return (
                numpy.concatenate((images_rest, self._images[:end]), axis=0),
                numpy.concatenate((labels_rest, self._labels[:end]), axis=0),
            )
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return self._images[start:end], self._labels[start:end]


class DataSets(NamedTuple):
    train: DataSet
    validation: DataSet
    test: DataSet


def _load_pair(images_path: Path, labels_path: Path) -> tuple[numpy.ndarray, ...]:
    images = _read_idx(images_path, IMAGES_MAGIC, 3)
    labels = _read_idx(labels_path, LABELS_MAGIC, 1)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(
            f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, "
            f"expected {IMAGE_SIDE}x{IMAGE_SIDE}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} "
            f"holds {labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise ValueError(f"{labels_path}: labels must be digits 0..9")
    return images, labels


def read_data_sets(
    train_dir: str | Path, validation_size: int = VALIDATION_SIZE, seed: int = 0
) -> DataSets:
    """Read the four MNIST files like TF 1.x ``read_data_sets(dir, one_hot=True)``.

    Every returned ``DataSet`` shuffles with its own ``RandomState(seed)``.
    """
    folder = Path(train_dir)
    train_images, train_labels = _load_pair(folder / TRAIN_IMAGES_FILE, folder / TRAIN_LABELS_FILE)
    test_images, test_labels = _load_pair(folder / TEST_IMAGES_FILE, folder / TEST_LABELS_FILE)
    if not 0 <= validation_size < train_images.shape[0]:
        raise ValueError(
            f"validation size {validation_size} must leave training examples: "
            f"the training files hold {train_images.shape[0]}"
        )

    def make(images: numpy.ndarray, labels: numpy.ndarray) -> DataSet:
        return DataSet(images_to_float(images), dense_to_one_hot(labels), seed=seed)

    return DataSets(
        train=make(train_images[validation_size:], train_labels[validation_size:]),
        validation=make(train_images[:validation_size], train_labels[:validation_size]),
        test=make(test_images, test_labels),
    )
