"""Generate the test vectors in tests/vectors/ that pin NumPy and C facts for Rust.

The Rust crate reproduces four behaviours of the Python/TensorFlow 1.x stack that
the article's training script relied on. Each is recorded here from the reference
implementation itself, so the Rust unit tests (and python/tests) can compare
against it without Python at test time:

* shuffle.json    - legacy ``numpy.random.RandomState(seed)``: the first raw MT19937
                    outputs and ``permutation(n)`` for several seeds and sizes.
* next_batch.json - TensorFlow 1.x ``mnist.DataSet.next_batch(batch_size)`` with
                    shuffling, replayed with images = arange(n) so every batch is
                    the list of example indices it picked.
* pixels.json     - float32 bit patterns of TF 1.x's pixel scaling
                    ``numpy.multiply(images.astype(float32), 1.0 / 255.0)``.
* format_g.json   - ``'%g' % float(numpy.float32(x))`` (C printf ``%g``) strings.

Run from the repository root:

    python python/make_vectors.py [--out tests/vectors]

The output is deterministic; re-running it must leave the files unchanged.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
from pathlib import Path

import numpy

COMMAND = "python python/make_vectors.py"


def _header(description: str) -> dict:
    return {
        "generated_by": COMMAND,
        "numpy_version": numpy.__version__,
        "description": description,
    }


def shuffle_vectors() -> dict:
    """Raw MT19937 outputs and permutations of the legacy RandomState."""
    raw = []
    for seed in (0, 1, 42, 5489, 4294967295):
        state = numpy.random.RandomState(seed)
        values = state._bit_generator.random_raw(8)
        raw.append({"seed": seed, "first_u32": [int(v) for v in values]})

    cases = []
    sizes = [
        (0, 55000, 20),
        (0, 10, None),
        (1, 10, None),
        (42, 10, None),
        (4294967295, 10, None),
        (0, 1, None),
        (7, 1, None),
        (0, 2, None),
        (1, 2, None),
        (3, 3, None),
        (123, 100, None),
        (2017, 1000, None),
        (4294967295, 60000, 20),
    ]
    for seed, n, keep in sizes:
        state = numpy.random.RandomState(seed)
        first = state.permutation(n)
        second = state.permutation(n)
        if keep is not None:
            first, second = first[:keep], second[:keep]
        cases.append(
            {
                "seed": seed,
                "n": n,
                "prefix_len": len(first),
                "first_permutation": [int(v) for v in first],
                "second_permutation": [int(v) for v in second],
            }
        )
    return {
        **_header(
            "numpy.random.RandomState(seed): first raw uint32 outputs, and two "
            "successive permutation(n) calls (truncated to prefix_len entries)"
        ),
        "raw": raw,
        "permutations": cases,
    }


class _TfDataSet:
    """TensorFlow 1.x mnist.DataSet.next_batch, transcribed with the global RNG.

    Kept independent of python/numpy_dataset.py on purpose: this is the reference,
    that module is the implementation under test.
    """

    def __init__(self, images, labels):
        self._images = images
        self._labels = labels
        self._num_examples = images.shape[0]
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    def next_batch(self, batch_size, shuffle=True):
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = numpy.arange(self._num_examples)
            numpy.random.shuffle(perm0)
            self._images = self.images[perm0]
            self._labels = self.labels[perm0]
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest_num_examples = self._num_examples - start
            images_rest_part = self._images[start : self._num_examples]
            labels_rest_part = self._labels[start : self._num_examples]
            if shuffle:
                perm = numpy.arange(self._num_examples)
                numpy.random.shuffle(perm)
                self._images = self.images[perm]
                self._labels = self.labels[perm]
            start = 0
            self._index_in_epoch = batch_size - rest_num_examples
            end = self._index_in_epoch
            images_new_part = self._images[start:end]
            labels_new_part = self._labels[start:end]
            return (
                numpy.concatenate((images_rest_part, images_new_part), axis=0),
                numpy.concatenate((labels_rest_part, labels_new_part), axis=0),
            )
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return self._images[start:end], self._labels[start:end]


def next_batch_vectors() -> dict:
    """Index sequences of TF 1.x next_batch, seeded like numpy.random.seed(seed)."""
    specs = [
        # (n, batch_size, seed, calls, recorded call indices or None for all)
        (10, 3, 0, 12, None),
        (10, 3, 42, 12, None),
        (7, 7, 0, 5, None),
        (5, 4, 1, 8, None),
        (5, 5, 4294967295, 4, None),
        (10, 1, 3, 25, None),
        (1, 1, 0, 3, None),
        (2, 1, 0, 6, None),
        (100, 32, 2017, 10, None),
        (55000, 128, 0, 862, [0, 1, 428, 429, 430, 858, 859, 860, 861]),
        (55000, 100, 0, 552, [0, 549, 550, 551]),
    ]
    cases = []
    for n, batch_size, seed, calls, recorded in specs:
        numpy.random.seed(seed)
        data = _TfDataSet(numpy.arange(n), numpy.arange(n) % 10)
        batches = []
        for call in range(calls):
            images, labels = data.next_batch(batch_size)
            if not numpy.array_equal(images % 10, labels):
                raise AssertionError("images and labels were permuted differently")
            if recorded is None or call in recorded:
                batches.append(
                    {
                        "call": call,
                        "indices": [int(v) for v in images],
                        "epochs_completed": data._epochs_completed,
                        "index_in_epoch": data._index_in_epoch,
                    }
                )
        cases.append(
            {
                "n": n,
                "batch_size": batch_size,
                "seed": seed,
                "calls": calls,
                "batches": batches,
            }
        )
    return {
        **_header(
            "TensorFlow 1.x mnist.DataSet.next_batch(batch_size) (shuffle=True) after "
            "numpy.random.seed(seed), with images = arange(n): 'indices' are the "
            "example indices of each batch; epochs_completed / index_in_epoch are "
            "the state after that call; 'call' counts from 0"
        ),
        "cases": cases,
    }


def pixel_vectors() -> dict:
    """float32 bits of TF 1.x's conversion of every byte value."""
    images = numpy.arange(256, dtype=numpy.uint8).reshape(1, 256)
    images = images.astype(numpy.float32)
    images = numpy.multiply(images, 1.0 / 255.0)
    if images.dtype != numpy.float32:
        raise AssertionError(f"expected float32, numpy produced {images.dtype}")
    bits = images.reshape(256).view(numpy.uint32)
    return {
        **_header(
            "images.astype(numpy.float32) then numpy.multiply(images, 1.0 / 255.0) "
            "for byte values 0..=255; 'f32_bits' are the IEEE-754 bit patterns"
        ),
        "f32_bits": [int(v) for v in bits],
    }


def _f64_bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def format_g_vectors() -> dict:
    """C printf %g of float32 values widened to float64, as Python prints them."""
    rng = numpy.random.RandomState(20170704)
    fixed = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        0.84,
        0.9766,
        0.97659999,
        0.9,
        0.99,
        0.999999,
        0.9999995,
        0.99999994,
        1e-5,
        1e-4,
        0.0001,
        0.00012345678,
        9.99999e-5,
        0.1,
        0.1 + 0.2,
        1.5,
        2.5,
        10.0,
        100.0,
        99999.9,
        100000.0,
        999999.0,
        999999.5,
        1000000.0,
        123456.0,
        1234567.0,
        1234565.0,
        1234575.0,
        12345650.0,
        1e16,
        1e-16,
        1e38,
        3.4028234663852886e38,
        1.17549435e-38,
        1e-45,
        -0.84,
        -123456.0,
        -1e-5,
        math.pi,
        math.e,
        2.0**-20,
        2.0**24,
        float("inf"),
        float("-inf"),
        float("nan"),
    ]
    randoms = list(rng.uniform(0.0, 1.0, size=200))
    randoms += list(rng.uniform(0.9, 1.0, size=50))
    randoms += list(10.0 ** rng.uniform(-8.0, 12.0, size=100))
    randoms += list(-(10.0 ** rng.uniform(-6.0, 8.0, size=20)))
    # A few float64 values that no float32 can hold, printed without narrowing.
    float64_only = [
        0.1 + 0.2,
        123456.5,
        123457.5,
        0.000123456500000001,
        9.9999950000000001e-5,
        1e300,
        -1e-300,
        5e-324,
        2.0**-1074 * 3,
        1.7976931348623157e308,
    ]
    widened_values = [float(numpy.float32(value)) for value in fixed + randoms]
    entries = []
    for widened in widened_values + float64_only:
        entries.append(
            {
                "f64_bits": _f64_bits(widened),
                "repr": repr(widened),
                "expected": "%g" % widened,
            }
        )
    return {
        **_header(
            "'%g' % float(numpy.float32(x)) for accuracy-like and edge values, then "
            "'%g' % x for a few float64-only values: 'f64_bits' is the float64 bit "
            "pattern of the printed value, 'expected' the C printf %g text"
        ),
        "cases": entries,
    }


def _dump(content: dict) -> str:
    """JSON with one top-level key per line and one list element per line."""
    lines = []
    for key, value in content.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n  ".join(json.dumps(item) for item in value)
            text = f"[\n  {items}\n ]"
        else:
            text = json.dumps(value)
        lines.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "tests" / "vectors",
        help="output folder (default: tests/vectors in the repository)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "shuffle.json": shuffle_vectors(),
        "next_batch.json": next_batch_vectors(),
        "pixels.json": pixel_vectors(),
        "format_g.json": format_g_vectors(),
    }
    for name, content in outputs.items():
        path = args.out / name
        path.write_text(_dump(content), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
