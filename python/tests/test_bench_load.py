"""The benchmark's NumPy loader must produce exactly what numpy_dataset (TF 1.x) produces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

import bench_load
import numpy_dataset

SCRIPT = Path(__file__).resolve().parents[1] / "bench_load.py"


def test_same_arrays_as_read_data_sets(tmp_path, write_mnist):
    write_mnist(tmp_path, 40, 7)
    fast = bench_load.load(tmp_path, 15)
    reference = numpy_dataset.read_data_sets(tmp_path, validation_size=15)
    for name in ("train", "validation", "test"):
        images, labels, one_hot = fast[name]
        expected = getattr(reference, name)
        assert images.dtype == numpy.float32 and one_hot.dtype == numpy.float32
        assert images.flags["C_CONTIGUOUS"]
        numpy.testing.assert_array_equal(
            images.view(numpy.uint32), expected.images.view(numpy.uint32)
        )
        numpy.testing.assert_array_equal(one_hot, expected.labels)
        numpy.testing.assert_array_equal(one_hot.argmax(axis=1), labels)


def test_bad_files_are_rejected(tmp_path, write_mnist, write_idx):
    write_mnist(tmp_path, 4, 2)
    write_idx(tmp_path / numpy_dataset.TEST_LABELS_FILE, 0x801, numpy.array([3, 10]))
    with pytest.raises(ValueError, match="labels must be digits"):
        bench_load.load(tmp_path, 1)


def test_script_prints_one_json_line_per_timed_load(tmp_path, write_mnist):
    write_mnist(tmp_path, 12, 3)
    output = subprocess.run(
        [sys.executable, str(SCRIPT), "--data-dir", str(tmp_path), "--validation-size", "2"]
        + ["--repeat", "2"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 2
    assert all(line["seconds"] > 0 for line in lines)
    assert (lines[0]["train"], lines[0]["validation"], lines[0]["test"]) == (10, 2, 3)
