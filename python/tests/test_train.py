"""python/train.py, the article's loop in Python, on a tiny generated MNIST."""

import json

import numpy
import pytest

import train

HEADER_KEYS = [
    "record",
    "schema",
    "program",
    "model",
    "steps",
    "batch_size",
    "learning_rate",
    "seed",
    "log_every",
    "data_dir",
    "tensorflow_version",
    "intra_op_threads",
    "inter_op_threads",
    "host",
    "started_at",
]
STEP_KEYS = ["record", "step", "batch_accuracy", "loss", "elapsed_secs", "images_per_sec"]
FINAL_KEYS = [
    "record",
    "steps",
    "test_accuracy",
    "test_correct",
    "test_total",
    "test_loss",
    "validation_accuracy",
    "validation_correct",
    "validation_total",
    "train_secs",
    "eval_secs",
    "total_secs",
    "ms_per_step",
]


def _run(tiny_mnist, tmp_path, *extra, name="m.jsonl"):
    metrics = tmp_path / name
    argv = ["--model", "dense", "--steps", "6", "--log-every", "2", "--batch-size", "7"]
    argv += ["--validation-size", "10", "--data-dir", str(tiny_mnist), "--metrics", str(metrics)]
    train.main(argv + list(extra))
    return [json.loads(line) for line in metrics.read_text().splitlines()]


def test_prints_the_articles_lines_and_writes_the_schema(tiny_mnist, tmp_path, capsys):
    records = _run(tiny_mnist, tmp_path)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[:3]] == ["Step 0", "Step 2", "Step 4"]
    assert all(" training batch accuracy " in line for line in lines[:3])
    assert lines[3].startswith("Test accuracy: ")
    assert len(lines) == 4

    header, steps, final = records[0], records[1:-1], records[-1]
    assert list(header) == HEADER_KEYS
    assert header["record"] == "header" and header["program"] == "python"
    assert (header["model"], header["steps"], header["batch_size"]) == ("dense", 6, 7)
    assert header["learning_rate"] == 1e-4 and header["started_at"].endswith("Z")
    assert [list(s) for s in steps] == [STEP_KEYS] * 3
    assert [s["step"] for s in steps] == [0, 2, 4]
    assert steps[0]["images_per_sec"] == 0.0 and steps[1]["images_per_sec"] > 0
    assert list(final) == FINAL_KEYS
    assert (final["test_total"], final["validation_total"]) == (23, 10)
    assert final["test_correct"] == round(final["test_accuracy"] * 23)
    # Values are float32 results widened to float64, and the printed lines show them.
    for value in [s["batch_accuracy"] for s in steps] + [s["loss"] for s in steps]:
        assert float(numpy.float32(value)) == value
    assert lines[0] == "Step 0, training batch accuracy %g" % steps[0]["batch_accuracy"]
    assert lines[3] == "Test accuracy: %g" % numpy.float32(final["test_accuracy"])


def test_two_runs_are_identical_and_chunked_evaluation_agrees(tiny_mnist, tmp_path):
    def values(records):
        steps = [(r["batch_accuracy"], r["loss"]) for r in records[1:-1]]
        final = records[-1]
        return steps, final["test_accuracy"], final["test_correct"], final["test_loss"]

    first = values(_run(tiny_mnist, tmp_path, name="a.jsonl"))
    assert values(_run(tiny_mnist, tmp_path, name="b.jsonl")) == first
    chunked = values(_run(tiny_mnist, tmp_path, "--eval-batch-size", "5", name="c.jsonl"))
    assert chunked[:3] == first[:3]
    assert chunked[3] == pytest.approx(first[3], rel=1e-5)


def test_a_different_seed_changes_the_batches(tiny_mnist, tmp_path):
    a = _run(tiny_mnist, tmp_path, name="a.jsonl")
    b = _run(tiny_mnist, tmp_path, "--seed", "1", name="b.jsonl")
    assert [r["loss"] for r in a[1:-1]] != [r["loss"] for r in b[1:-1]]


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--steps", "0"), ("--batch-size", "0"), ("--learning-rate", "-1"), ("--seed", "-1")],
)
def test_invalid_flags_are_rejected_naming_the_flag(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--model", "dense", flag, value])
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err


def test_errors_name_the_problem_and_leave_no_metrics_file(tiny_mnist, tmp_path):
    with pytest.raises(SystemExit, match="unknown model 'lenet'"):
        train.main(["--model", "lenet"])
    metrics = tmp_path / "m.jsonl"
    with pytest.raises(SystemExit, match="train-images-idx3-ubyte.gz does not exist"):
        train.main(["--model", "dense", "--data-dir", str(tmp_path), "--metrics", str(metrics)])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SystemExit, match="larger than the 50 training images"):
        _run(tiny_mnist, tmp_path, "--batch-size", "51")
    assert list(tmp_path.iterdir()) == []
