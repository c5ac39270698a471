"""Models of one's own (`export.py --add`), the serving signature, and the manifest's layout."""

import json
import textwrap

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

import export
import manifest as manifest_lib
import signature_eval

tf.compat.v1.disable_eager_execution()

TINY = """
import tensorflow as tf

def tiny(x_input, should_drop):
    \"\"\"A 16-unit hidden layer\"\"\"
    hidden = tf.compat.v1.layers.dense(x_input, 16, activation=tf.nn.relu)
    return tf.compat.v1.layers.dense(hidden, 10)
"""
# 784*16 + 16 + 16*10 + 10
TINY_PARAMETERS = 12730


@pytest.fixture
def workspace(tmp_path):
    """A copy of the committed manifest in a models folder of its own, and a source folder."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "manifest.json").write_text(manifest_lib.MANIFEST_PATH.read_text("utf-8"))
    return tmp_path


def write_source(workspace, body, name="mine.py"):
    path = workspace / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def add(workspace, source, *extra):
    models = workspace / "models"
    export.main(
        ["--manifest", str(models / "manifest.json"), "--out", str(models), "--add", source]
        + list(extra)
    )


def entries(workspace):
    return json.loads((workspace / "models" / "manifest.json").read_text("utf-8"))["models"]


def test_the_committed_manifest_is_laid_out_as_the_exporter_writes_it():
    text = manifest_lib.MANIFEST_PATH.read_text("utf-8")
    assert manifest_lib.dumps(json.loads(text)) == text


def test_every_export_carries_the_serving_signature(tmp_path):
    manifest = manifest_lib.load()
    export.export("dropout", manifest, tmp_path, seed=0)
    model = saved_model_pb2.SavedModel()
    model.ParseFromString((tmp_path / "dropout" / "saved_model.pb").read_bytes())
    (meta,) = model.meta_graphs
    signature = meta.signature_def["serving_default"]
    assert signature.method_name == "tensorflow/serving/predict"
    assert {k: v.name for k, v in signature.inputs.items()} == {"images": "x_input:0"}
    assert {k: v.name for k, v in signature.outputs.items()} == {
        "probabilities": "probabilities:0",
        "classes": "classes:0",
        "logits": "logits:0",
    }
    images = signature.inputs["images"]
    assert images.dtype == tf.float32.as_datatype_enum
    assert [d.size for d in images.tensor_shape.dim] == [-1, 784]
    assert signature.outputs["classes"].dtype == tf.int64.as_datatype_enum


def test_a_model_of_ones_own_is_exported_and_recorded(workspace, capsys):
    source = write_source(workspace, TINY)
    add(workspace, f"{source}:tiny")
    (entry,) = [e for e in entries(workspace) if e["name"] == "tiny"]
    assert entry["parameters"] == TINY_PARAMETERS
    assert entry["source"] == f"{source.resolve().as_posix()}:tiny"
    assert entry["description"] == "A 16-unit hidden layer"
    assert entry["article_accuracy"] is None and entry["expected_accuracy"] is None
    assert (workspace / "models" / "tiny" / "saved_model.pb").is_file()
    assert "tflayers train --model tiny" in capsys.readouterr().out
    # The same source again replaces its entry (an edited function); the order is kept.
    add(workspace, f"{source}:tiny", "--description", "edited")
    assert [e["description"] for e in entries(workspace) if e["name"] == "tiny"] == ["edited"]
    # Removing it drops the entry and the folder.
    export.main(
        [
            "--manifest",
            str(workspace / "models" / "manifest.json"),
            "--out",
            str(workspace / "models"),
            "--remove",
            "tiny",
        ]
    )
    assert "tiny" not in [e["name"] for e in entries(workspace)]
    assert not (workspace / "models" / "tiny").exists()


REFUSED = {
    "one of the article's models": (TINY, "tiny", ["--name", "conv2"]),
    "a model name is 1-32": (TINY, "tiny", ["--name", "Big-Model"]),
    "not all": (TINY, "tiny", ["--name", "all"]),
    "takes (x_input); a model function takes": (
        "def one(x_input):\n    return x_input\n",
        "one",
        [],
    ),
    "defines no function 'missing'; its functions: tiny": (TINY, "missing", []),
    "importing": ("import no_such_module_here\n", "f", []),
    "raised ZeroDivisionError while building its graph": (
        "def broken(x_input, should_drop):\n    return 1 / 0\n",
        "broken",
        [],
    ),
    "returned int": ("def number(x_input, should_drop):\n    return 3\n", "number", []),
    "the contract needs [None, 10]": (
        "import tensorflow as tf\n"
        "def wide(x_input, should_drop):\n"
        "    return tf.compat.v1.layers.dense(x_input, 12)\n",
        "wide",
        [],
    ),
    "the batch dimension must stay None": (
        "import tensorflow as tf\n"
        "def fixed(x_input, should_drop):\n"
        "    return tf.compat.v1.layers.dense(tf.reshape(x_input, [100, 784]), 10)\n",
        "fixed",
        [],
    ),
    "returned float64 logits": (
        "import tensorflow as tf\n"
        "def double(x_input, should_drop):\n"
        "    out = tf.compat.v1.layers.dense(x_input, 10)\n"
        "    return tf.cast(out, tf.float64)\n",
        "double",
        [],
    ),
    "creates the placeholder 'temperature'": (
        "import tensorflow as tf\n"
        "def needs(x_input, should_drop):\n"
        "    t = tf.compat.v1.placeholder(tf.float32, [], name='temperature')\n"
        "    return tf.compat.v1.layers.dense(x_input, 10) / t\n",
        "needs",
        [],
    ),
    "creates an op named 'accuracy'": (
        "import tensorflow as tf\n"
        "def named(x_input, should_drop):\n"
        "    out = tf.compat.v1.layers.dense(x_input, 10)\n"
        "    return tf.identity(out, name='accuracy')\n",
        "named",
        [],
    ),
    "do not depend on x_input": (
        "import tensorflow as tf\n"
        "def blind(x_input, should_drop):\n"
        "    other = tf.compat.v1.placeholder_with_default(tf.zeros([1, 784]), [None, 784])\n"
        "    return tf.compat.v1.layers.dense(other, 10)\n",
        "blind",
        [],
    ),
    "creates no trainable variables": (
        "import tensorflow as tf\n"
        "def fixed_weights(x_input, should_drop):\n"
        "    return tf.matmul(x_input, tf.ones([784, 10]))\n",
        "fixed_weights",
        [],
    ),
}


@pytest.mark.parametrize("expected", list(REFUSED))
def test_what_the_contract_cannot_take_is_refused_at_export(workspace, expected):
    body, function, extra = REFUSED[expected]
    source = write_source(workspace, body)
    before = (workspace / "models" / "manifest.json").read_bytes()
    with pytest.raises(SystemExit) as refused:
        add(workspace, f"{source}:{function}", *extra)
    message = str(refused.value)
    assert message.startswith("error: "), message
    assert expected in message, message
    assert (workspace / "models" / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (workspace / "models").iterdir()) == ["manifest.json"]


def test_a_name_taken_by_another_source_is_refused(workspace):
    first = write_source(workspace, TINY, "first.py")
    second = write_source(workspace, TINY, "second.py")
    add(workspace, f"{first}:tiny")
    with pytest.raises(SystemExit, match="already names the model from .*first.py:tiny"):
        add(workspace, f"{second}:tiny")


def test_the_articles_models_cannot_be_removed(workspace):
    models = workspace / "models"
    with pytest.raises(SystemExit, match="cannot be removed"):
        export.main(
            ["--manifest", str(models / "manifest.json"), "--out", str(models), "--remove", "dense"]
        )


def test_a_model_saved_without_the_signature_is_refused_with_what_to_do(tmp_path):
    model = saved_model_pb2.SavedModel()
    model.meta_graphs.add().meta_info_def.tags.append("serve")
    (tmp_path / "saved_model.pb").write_bytes(model.SerializeToString())
    with pytest.raises(SystemExit, match="has no 'serving_default' signature.*make models"):
        signature_eval.check_signature(tmp_path, manifest_lib.load())
    (tmp_path / "saved_model.pb").write_bytes(b"not a protobuf")
    with pytest.raises(SystemExit, match="is not a SavedModel"):
        signature_eval.check_signature(tmp_path, manifest_lib.load())
