"""python/bench_steps.py, the Python side of `tflayers bench`, on a tiny generated MNIST."""

import io
import json

import pytest

import bench_steps
import train

SETTINGS = ["--batch-size", "7", "--log-every", "2", "--validation-size", "10"]


def _serve(tiny_mnist, monkeypatch, capsys, commands):
    """Runs the worker on `commands` (dicts) and returns its replies."""
    stdin = "".join(json.dumps(c) + "\n" for c in commands)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    bench_steps.main(["--model", "dense", "--data-dir", str(tiny_mnist), *SETTINGS])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_portions_of_the_loop_equal_one_run_of_train_py(tiny_mnist, tmp_path, monkeypatch, capsys):
    replies = _serve(
        tiny_mnist,
        monkeypatch,
        capsys,
        [{"op": "train", "steps": 3}, {"op": "train", "steps": 3}, {"op": "evaluate"}],
    )
    ready, first, second, evaluated = replies
    assert ready["event"] == "ready"
    assert (ready["train"], ready["validation"], ready["test"]) == (50, 10, 23)
    assert ready["tensorflow_version"] == train.tf.__version__
    assert [first["event"], second["event"], evaluated["event"]] == ["trained"] * 2 + ["evaluated"]
    assert all(r["peak_rss_bytes"] > 1_000_000 for r in replies)
    assert first["secs"] > 0 and evaluated["secs"] > 0

    metrics = tmp_path / "m.jsonl"
    train.main(
        ["--model", "dense", "--steps", "6", "--data-dir", str(tiny_mnist), *SETTINGS]
        + ["--metrics", str(metrics)]
    )
    capsys.readouterr()
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    expected = [[r["step"], r["batch_accuracy"], r["loss"]] for r in records[1:-1]]
    assert first["logs"] + second["logs"] == expected
    assert [s for s, _, _ in expected] == [0, 2, 4]
    final = records[-1]
    assert (evaluated["accuracy"], evaluated["loss"]) == (
        final["test_accuracy"],
        final["test_loss"],
    )
    assert (evaluated["correct"], evaluated["total"]) == (final["test_correct"], 23)


def test_breakdown_times_every_part(tiny_mnist, monkeypatch, capsys):
    _, breakdown = _serve(tiny_mnist, monkeypatch, capsys, [{"op": "breakdown", "calls": 3}])
    assert breakdown["event"] == "breakdown" and breakdown["calls"] == 3
    for key in ["batch", "empty_call", "feed_call", "train_call", "metrics_call"]:
        assert breakdown[f"{key}_secs"] > 0


def test_an_unknown_command_and_missing_files_are_errors(tiny_mnist, tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit, match="unknown command"):
        _serve(tiny_mnist, monkeypatch, capsys, [{"op": "fly"}])
    with pytest.raises(SystemExit, match="train-images-idx3-ubyte.gz does not exist"):
        bench_steps.main(["--model", "dense", "--data-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="unknown model 'lenet'"):
        bench_steps.main(["--model", "lenet", "--data-dir", str(tiny_mnist)])
