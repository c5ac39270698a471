"""The TensorBoard summary ops of the exported graphs: names, tags, events, and no effect on
training."""

import json

import numpy as np
import pytest
import tensorflow as tf

import export
import manifest as manifest_lib
import tensorboard_scalars

tf.compat.v1.disable_eager_execution()


@pytest.fixture(scope="module")
def manifest():
    return manifest_lib.load()


def _batch():
    rng = np.random.RandomState(0)
    images = rng.rand(20, 784).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[np.arange(20) % 10]
    return images, labels


def _train(model_dir, manifest, steps, dropout):
    """Trains an exported model on one fixed batch; returns the losses, before each step."""
    images, labels = _batch()
    name = manifest_lib.tensor_name
    inputs = manifest["inputs"]
    feed = {name(inputs["images"]["op"]): images, name(inputs["labels"]["op"]): labels}
    train_feed = dict(feed)
    train_feed[name(inputs["should_drop"]["op"])] = dropout
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        tf.compat.v1.saved_model.loader.load(sess, manifest["tags"], str(model_dir))
        losses = []
        for _ in range(steps):
            losses.append(sess.run(name(manifest["ops"]["loss"]), feed))
            sess.run(manifest["ops"]["train_step"], train_feed)
        return losses


def test_summary_ops_write_the_manifest_tags_at_the_fed_steps(manifest, tmp_path):
    export.export("dense", manifest, tmp_path / "models", seed=0)
    names = manifest["summaries"]
    name = manifest_lib.tensor_name
    logdir = tmp_path / "events" / "dense"
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        tf.compat.v1.saved_model.loader.load(sess, manifest["tags"], str(tmp_path / "models/dense"))
        sess.run(names["init"], {name(names["logdir"]): str(logdir)})
        for step, accuracy, loss in [(0, 0.125, 2.5), (10, 0.5, 1.25)]:
            feed = {
                name(names["step"]): step,
                name(names["accuracy"]): accuracy,
                name(names["loss"]): loss,
            }
            sess.run(names["write_train"], feed)
        test = {name(names["step"]): 20, name(names["accuracy"]): 0.75, name(names["loss"]): 0.5}
        sess.run(names["write_test"], test)
        sess.run(names["flush"])
    runs = tensorboard_scalars.run_folders(tmp_path / "events")
    assert list(runs) == ["dense"]
    scalars = tensorboard_scalars.scalars(runs["dense"])
    tags = names["tags"]
    assert scalars == {
        tags["train_accuracy"]: {"plugin": "scalars", "points": [[0, 0.125], [10, 0.5]]},
        tags["train_loss"]: {"plugin": "scalars", "points": [[0, 2.5], [10, 1.25]]},
        tags["test_accuracy"]: {"plugin": "scalars", "points": [[20, 0.75]]},
        tags["test_loss"]: {"plugin": "scalars", "points": [[20, 0.5]]},
    }


def test_the_summary_ops_do_not_change_training(manifest, tmp_path, monkeypatch):
    # Dropout trains with its mask on: the mask's and the initialisers' seeds are fixed while
    # the graph is built, and the summary ops must leave them (and everything else) alone.
    export.export("dropout", manifest, tmp_path / "with", seed=0)
    monkeypatch.setattr(export, "build_summaries", lambda names: None)
    # The check would (rightly) refuse a graph without them.
    monkeypatch.setattr(export, "check_graph", lambda graph, name, manifest, check_count=True: 0)
    export.export("dropout", manifest, tmp_path / "without", seed=0)
    with_summaries = _train(tmp_path / "with" / "dropout", manifest, steps=4, dropout=True)
    without = _train(tmp_path / "without" / "dropout", manifest, steps=4, dropout=True)
    assert with_summaries == without
    assert with_summaries[-1] < with_summaries[0]


def test_a_graph_without_the_summary_ops_fails_the_export_check(manifest, monkeypatch):
    monkeypatch.setattr(export, "build_summaries", lambda names: None)
    graph, _ = export.build_graph("dense", manifest, seed=0)
    with pytest.raises(SystemExit, match="summaries/init"):
        export.check_graph(graph, "dense", manifest)


def test_the_manifest_must_name_every_summary_op(tmp_path):
    broken = manifest_lib.load()
    del broken["summaries"]["flush"]
    del broken["summaries"]["tags"]["test_loss"]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match=r"summaries\.flush.*summaries\.tags\.test_loss"):
        manifest_lib.load(path)
