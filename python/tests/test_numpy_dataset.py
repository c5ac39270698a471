"""Tests of python/numpy_dataset.py against the shared vectors in tests/vectors/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest

import make_vectors
import numpy_dataset

VECTORS_DIR = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def load(name: str) -> dict:
    return json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))


def test_next_batch_matches_tensorflow_vectors():
    cases = load("next_batch.json")["cases"]
    assert len(cases) >= 8
    for case in cases:
        n = case["n"]
        data = numpy_dataset.DataSet(numpy.arange(n), numpy.arange(n) % 10, case["seed"])
        recorded = {batch["call"]: batch for batch in case["batches"]}
        for call in range(case["calls"]):
            images, labels = data.next_batch(case["batch_size"])
            numpy.testing.assert_array_equal(images % 10, labels)
            if call in recorded:
                batch = recorded[call]
                assert images.tolist() == batch["indices"], (case["n"], call)
                assert data.epochs_completed == batch["epochs_completed"]
                assert data.index_in_epoch == batch["index_in_epoch"]


def test_first_batch_is_the_first_permutation():
    for case in load("shuffle.json")["permutations"]:
        n, prefix = case["n"], case["prefix_len"]
        if n == 0:
            continue
        data = numpy_dataset.DataSet(numpy.arange(n), numpy.arange(n), case["seed"])
        images, _ = data.next_batch(min(n, max(prefix, 1)))
        assert images[:prefix].tolist() == case["first_permutation"]


def test_pixel_scaling_matches_vectors_bit_for_bit():
    bits = load("pixels.json")["f32_bits"]
    images = numpy.arange(256, dtype=numpy.uint8).reshape(1, 16, 16)
    scaled = numpy_dataset.images_to_float(images)
    assert scaled.dtype == numpy.float32
    assert scaled.shape == (1, 256)
    assert scaled.reshape(256).view(numpy.uint32).tolist() == bits


def test_one_hot():
    one_hot = numpy_dataset.dense_to_one_hot(numpy.array([3, 0, 9], dtype=numpy.uint8))
    assert one_hot.dtype == numpy.float32
    assert one_hot.tolist() == [
        [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ]


def test_batch_size_is_checked():
    data = numpy_dataset.DataSet(numpy.arange(5), numpy.arange(5))
    for size in (0, 6):
        with pytest.raises(ValueError, match="not possible with 5 examples"):
            data.next_batch(size)


def test_read_data_sets_splits_validation_first(tmp_path, write_mnist):
    train_images, train_labels, test_images, test_labels = write_mnist(tmp_path, 12, 4)
    sets = numpy_dataset.read_data_sets(tmp_path, validation_size=5, seed=1)
    assert sets.train.num_examples == 7
    assert sets.validation.num_examples == 5
    assert sets.test.num_examples == 4
    assert sets.train.images.shape == (7, 784)
    assert sets.train.images.dtype == numpy.float32
    assert sets.validation.labels.argmax(axis=1).tolist() == train_labels[:5].tolist()
    assert sets.train.labels.argmax(axis=1).tolist() == train_labels[5:].tolist()
    expected = numpy.multiply(train_images[5].reshape(1, 784).astype(numpy.float32), 1.0 / 255.0)
    numpy.testing.assert_array_equal(sets.train.images[:1], expected)
    numpy.testing.assert_array_equal(
        numpy.rint(sets.train.images * 255.0), train_images[5:].reshape(7, 784)
    )
    assert sets.test.labels.argmax(axis=1).tolist() == test_labels.tolist()


def test_read_data_sets_errors(tmp_path, write_mnist, write_idx):
    write_mnist(tmp_path, 6, 2)
    with pytest.raises(ValueError, match="must leave training examples"):
        numpy_dataset.read_data_sets(tmp_path, validation_size=6)
    (tmp_path / numpy_dataset.TEST_LABELS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="put the four standard MNIST files"):
        numpy_dataset.read_data_sets(tmp_path, validation_size=1)
    write_idx(tmp_path / numpy_dataset.TEST_LABELS_FILE, 0x803, numpy.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="expected IDX magic number 0x00000801"):
        numpy_dataset.read_data_sets(tmp_path, validation_size=1)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("shuffle.json", make_vectors.shuffle_vectors),
        ("next_batch.json", make_vectors.next_batch_vectors),
        ("pixels.json", make_vectors.pixel_vectors),
        ("format_g.json", make_vectors.format_g_vectors),
    ],
)
def test_committed_vectors_are_current(name, make):
    committed = load(name)
    fresh = json.loads(json.dumps(make()))
    committed.pop("numpy_version")
    fresh.pop("numpy_version")
    assert fresh == committed, f"tests/vectors/{name} is stale: rerun make_vectors.py"
