"""The Python side of the loading benchmark (`tflayers data bench`).

Loads the four MNIST files the way a NumPy user would, as fast as reasonable NumPy code
goes: ``gzip.decompress`` of each file, ``numpy.frombuffer`` over the IDX body, a header
check, ``astype(float32)`` and an in-place multiply by ``1/255`` (the same float32 values
as TF 1.x's ``numpy.multiply(images, 1.0 / 255.0)``), one-hot labels, and the split into
train / validation / test, each one contiguous array. It first loads once untimed (the
Rust side has warmed its process the same way), then times ``--repeat`` loads and prints
one JSON line per load: ``{"seconds": ..., "train": n, "validation": n, "test": n}``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy

IMAGE_PIXELS = 784
NUM_CLASSES = 10
_ONE_HOT = numpy.eye(NUM_CLASSES, dtype=numpy.float32)
_HEADER = numpy.dtype(">u4")


def _idx(path: Path, magic: int, dimensions: int) -> numpy.ndarray:
    data = gzip.decompress(path.read_bytes())
    header_len = 4 * (1 + dimensions)
    header = numpy.frombuffer(data, dtype=_HEADER, count=1 + dimensions)
    shape = tuple(int(size) for size in header[1:])
    if int(header[0]) != magic or len(data) != header_len + int(numpy.prod(shape)):
        raise ValueError(f"{path}: not a well-formed IDX file")
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header_len).reshape(shape[0], -1)


def _images(path: Path) -> numpy.ndarray:
    pixels = _idx(path, 0x00000803, 3)
    if pixels.shape[1] != IMAGE_PIXELS:
        raise ValueError(f"{path}: images are not 28x28")
    images = pixels.astype(numpy.float32)
    numpy.multiply(images, 1.0 / 255.0, out=images)
    return images


def _labels(path: Path) -> numpy.ndarray:
    labels = _idx(path, 0x00000801, 1).reshape(-1)
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise ValueError(f"{path}: labels must be digits 0..9")
    return labels


def load(folder: Path, validation_size: int) -> dict[str, tuple[numpy.ndarray, ...]]:
    """The three splits as (float32 images [n, 784], uint8 labels, float32 one-hot [n, 10])."""
    train_images = _images(folder / "train-images-idx3-ubyte.gz")
    train_labels = _labels(folder / "train-labels-idx1-ubyte.gz")
    test_images = _images(folder / "t10k-images-idx3-ubyte.gz")
    test_labels = _labels(folder / "t10k-labels-idx1-ubyte.gz")
    if len(train_images) != len(train_labels) or len(test_images) != len(test_labels):
        raise ValueError(f"{folder}: image and label counts differ")
    if not 0 <= validation_size < len(train_labels):
        raise ValueError(f"validation size {validation_size} leaves no training examples")

    def split(images: numpy.ndarray, labels: numpy.ndarray) -> tuple[numpy.ndarray, ...]:
        return images, labels, _ONE_HOT[labels]

    # Slices of the converted training array are contiguous views: no copy needed.
    return {
        "train": split(train_images[validation_size:], train_labels[validation_size:]),
        "validation": split(train_images[:validation_size], train_labels[:validation_size]),
        "test": split(test_images, test_labels),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--validation-size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    load(args.data_dir, args.validation_size)
    for _ in range(args.repeat):
        start = time.perf_counter()
        sets = load(args.data_dir, args.validation_size)
        seconds = time.perf_counter() - start
        sizes = {name: len(arrays[0]) for name, arrays in sets.items()}
        print(json.dumps({"seconds": seconds, **sizes}), flush=True)
        del sets


if __name__ == "__main__":
    main()
