"""Cluster files, `serve.py`'s command line and `export.py --cluster`'s device pinning.

No server is started here: `tests/remote.rs` runs servers on 127.0.0.1.
"""

import json

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

import cluster as cluster_lib
import export
import manifest as manifest_lib
import serve

tf.compat.v1.disable_eager_execution()

TWO_WORKERS = {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]}


def test_cluster_files_in_both_usual_forms_are_read(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(TWO_WORKERS))
    tf_config = tmp_path / "tf_config.json"
    tf_config.write_text(
        json.dumps({"cluster": TWO_WORKERS, "task": {"type": "worker", "index": 1}})
    )
    assert cluster_lib.load(plain) == TWO_WORKERS
    assert cluster_lib.load(tf_config) == TWO_WORKERS
    assert cluster_lib.parse({"worker": {"1": "b:2", "0": "a:1"}}) == {"worker": ["a:1", "b:2"]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "must map job names"),
        ({"worker": []}, "needs a list"),
        ({"worker": ["host"]}, "expected host:port"),
        ({"worker": ["host:0"]}, "from 1 to 65535"),
        ({"worker": ["host:70000"]}, "from 1 to 65535"),
        ({"bad job": ["host:1"]}, "not a valid job name"),
        ({"worker": {"0": "a:1", "2": "b:2"}}, "0..n-1"),
    ],
)
def test_bad_cluster_specs_say_what_is_wrong(spec, message):
    with pytest.raises(SystemExit, match=message):
        cluster_lib.parse(spec)


def test_unreadable_cluster_files_are_named(tmp_path):
    with pytest.raises(SystemExit, match="cannot read the cluster file"):
        cluster_lib.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(SystemExit, match="broken.json is not valid JSON"):
        cluster_lib.load(broken)


def test_placement_prefers_a_ps_job_for_variables():
    assert cluster_lib.placement(TWO_WORKERS) == ("worker", 2, "/job:worker/task:0")
    with_ps = dict(TWO_WORKERS, ps=["127.0.0.1:3333"])
    assert cluster_lib.placement(with_ps) == ("ps", 1, "/job:worker/task:0")
    with pytest.raises(SystemExit, match="needs a 'worker' job"):
        cluster_lib.placement({"ps": ["a:1"]})


def test_serve_command_line_is_checked_before_tensorflow_starts(tmp_path):
    spec = tmp_path / "cluster.json"
    spec.write_text(json.dumps(TWO_WORKERS))
    args = serve.parse_args(["--port", "2222"])
    assert serve.server_spec(args) == ({"worker": ["127.0.0.1:2222"]}, "worker", 0)
    args = serve.parse_args(["--cluster", str(spec), "--task", "1"])
    assert serve.server_spec(args) == (TWO_WORKERS, "worker", 1)
    for argv, message in [
        ([], "give --port"),
        (["--port", "1", "--task", "1"], "need --cluster"),
        (["--cluster", str(spec), "--task", "2"], "tasks 0..1, not task 2"),
        (["--cluster", str(spec), "--job", "ps"], "no job 'ps'"),
        (["--cluster", str(spec), "--port", "9"], "disagrees"),
    ]:
        with pytest.raises(SystemExit, match=message):
            serve.server_spec(serve.parse_args(argv))
    with pytest.raises(SystemExit):
        serve.parse_args(["--port", "65536"])


def test_without_a_cluster_the_graph_names_no_job():
    manifest = manifest_lib.load()
    graph, _ = export.build_graph("conv2", manifest, seed=0)
    assert not [op.name for op in graph.get_operations() if "/job:" in op.device]


def test_a_cluster_pins_variables_round_robin_and_compute_to_worker_0():
    manifest = manifest_lib.load()
    pinned, _ = export.build_graph("conv2", manifest, seed=0, cluster=TWO_WORKERS)
    variables = [op for op in pinned.get_operations() if op.type == "VarHandleOp"]
    tasks = {op.device.split("/task:")[1][0] for op in variables}
    assert tasks == {"0", "1"}, "the variables should be spread over both workers"
    matmul = pinned.get_operation_by_name("dense/MatMul")
    assert matmul.device.startswith("/job:worker/task:0")


def test_export_cluster_writes_pinned_graphs_with_the_default_variables(tmp_path):
    manifest = manifest_lib.load()
    export.export("conv2", manifest, tmp_path / "plain", seed=0)
    export.export("conv2", manifest, tmp_path / "pinned", seed=0, cluster=TWO_WORKERS)

    def saved(folder):
        model = saved_model_pb2.SavedModel()
        model.ParseFromString((folder / "conv2" / "saved_model.pb").read_bytes())
        return {node.name: node.device for node in model.meta_graphs[0].graph_def.node}

    plain, pinned = saved(tmp_path / "plain"), saved(tmp_path / "pinned")
    assert not [d for d in plain.values() if "/job:" in d]
    weights = [n for n in pinned if n.endswith(("/kernel", "/bias"))]
    tasks = {pinned[n][len("/job:worker/task:")] for n in weights}
    assert tasks == {"0", "1"}, pinned
    assert pinned["dense/MatMul"].startswith("/job:worker/task:0")
    for name in ("variables.data-00000-of-00001", "variables.index"):
        a = (tmp_path / "plain" / "conv2" / "variables" / name).read_bytes()
        b = (tmp_path / "pinned" / "conv2" / "variables" / name).read_bytes()
        assert a == b, f"{name} differs: the pinned export must start from the same weights"


def test_export_cluster_refuses_the_shared_models_folder(tmp_path):
    spec = tmp_path / "cluster.json"
    spec.write_text(json.dumps(TWO_WORKERS))
    with pytest.raises(SystemExit, match="another folder"):
        export.main(["--cluster", str(spec), "--model", "dense"])
