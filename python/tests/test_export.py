"""The exporter writes SavedModels whose names match the committed manifest."""

import json

import numpy as np
import pytest
import tensorflow as tf

import export
import graphs
import manifest as manifest_lib

tf.compat.v1.disable_eager_execution()


@pytest.fixture(scope="module")
def manifest():
    return manifest_lib.load()


def test_manifest_lists_the_articles_models_in_order(manifest):
    article = [m["name"] for m in manifest["models"] if "source" not in m]
    assert article == list(graphs.MODELS)
    # Then the worked example of a model of one's own, with where it comes from.
    own = [m for m in manifest["models"] if "source" in m]
    assert [m["name"] for m in own] == ["conv2_bn"]
    assert own[0]["source"] == "python/examples/batchnorm.py:conv2_bn"
    assert list(graphs.MODELS) == ["dense", "hidden", "conv1", "conv2", "dropout"]
    assert manifest["inputs"]["images"]["op"] == "x_input"
    assert manifest["inputs"]["labels"]["op"] == "y_labels"
    assert manifest["inputs"]["should_drop"]["op"] == "should_drop"


@pytest.mark.parametrize("name", list(graphs.MODELS))
def test_every_graph_has_the_manifest_names_and_parameter_count(manifest, name):
    graph, _ = export.build_graph(name, manifest, seed=0)
    count = export.check_graph(graph, name, manifest)
    assert count == manifest_lib.model(manifest, name)["parameters"]


def test_a_manifest_name_missing_from_the_graph_fails_the_export(manifest):
    broken = json.loads(json.dumps(manifest))
    graph, _ = export.build_graph("dense", broken, seed=0)
    broken["ops"]["accuracy"] = "no_such_op"
    with pytest.raises(SystemExit, match="no_such_op"):
        export.check_graph(graph, "dense", broken)


def test_a_wrong_parameter_count_fails_the_export(manifest):
    broken = json.loads(json.dumps(manifest))
    broken["models"][0]["parameters"] = 1
    graph, _ = export.build_graph("dense", broken, seed=0)
    with pytest.raises(SystemExit, match="7850 trainable parameters"):
        export.check_graph(graph, "dense", broken)


def _load_and_train(model_dir, manifest, steps):
    """Loads an exported model in a fresh session and trains it on one fixed batch."""
    rng = np.random.RandomState(0)
    images = rng.rand(20, 784).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[np.arange(20) % 10]
    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, manifest["tags"], str(model_dir))
        name = manifest_lib.tensor_name
        feed = {
            name(manifest["inputs"]["images"]["op"]): images,
            name(manifest["inputs"]["labels"]["op"]): labels,
        }
        losses = []
        for _ in range(steps):
            losses.append(sess.run(name(manifest["ops"]["loss"]), feed))
            sess.run(manifest["ops"]["train_step"], feed)
        return losses


def test_export_is_reproducible_and_trainable(manifest, tmp_path):
    export.export("dense", manifest, tmp_path / "a", seed=0)
    export.export("dense", manifest, tmp_path / "b", seed=0)
    losses_a = _load_and_train(tmp_path / "a" / "dense", manifest, steps=30)
    losses_b = _load_and_train(tmp_path / "b" / "dense", manifest, steps=30)
    assert losses_a == losses_b, "two exports with the same seed must be identical"
    assert losses_a[-1] < losses_a[0] * 0.9, losses_a


def test_a_different_seed_gives_different_initial_weights(manifest, tmp_path):
    export.export("dense", manifest, tmp_path / "a", seed=0)
    export.export("dense", manifest, tmp_path / "b", seed=1)
    first_a = _load_and_train(tmp_path / "a" / "dense", manifest, steps=1)
    first_b = _load_and_train(tmp_path / "b" / "dense", manifest, steps=1)
    assert first_a != first_b


def test_reexport_replaces_the_model_and_leaves_no_temporary_folders(manifest, tmp_path):
    export.export("dense", manifest, tmp_path, seed=0)
    export.export("dense", manifest, tmp_path, seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense"]
    assert (tmp_path / "dense" / "saved_model.pb").is_file()
