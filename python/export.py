"""Exports the article's five graphs as TF1 SavedModels for the Rust trainer.

    python python/export.py --out models [--seed 0] [--model NAME ...]

For each model this builds the article's graph around the layer code in `graphs.py`: the
placeholders, `tf.compat.v1.losses.softmax_cross_entropy`, `AdamOptimizer(...).minimize(loss)`,
the `tf.equal(tf.argmax ...)` accuracy, a softmax, the variable initialiser and a TF1 `Saver`.
Every placeholder and op gets the name recorded in `models/manifest.json`, and the export
fails if any manifest name is missing from the graph or a parameter count differs.

A fixed graph-level seed (`tf.compat.v1.set_random_seed`) gives the initialisers and dropout
fixed op seeds, so two exports are identical and Rust and Python runs of one SavedModel agree
bit for bit. Each model is written to a temporary folder and renamed into place only when
complete, so an interrupted export never leaves a half-written model where a good one was.

`--cluster FILE` (a TensorFlow cluster file, see `cluster.py`) pins the graph to that cluster:
variables round-robin over the tasks of its `ps` job (or of its `worker` job when it has no
`ps`), everything else on `/job:worker/task:0`. Such a graph only runs with
`tflayers --target` on a server of that cluster, so it must go to its own `--out` folder,
which also gets a copy of the manifest (`tflayers --models-dir`). Without `--cluster` the graph
carries no device names.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import warnings  # noqa: E402

import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as cluster_lib  # noqa: E402
import graphs  # noqa: E402
import manifest as manifest_lib  # noqa: E402
import user_models  # noqa: E402
from files import write_atomically  # noqa: E402

tf.compat.v1.disable_eager_execution()
# tf.compat.v1.layers warns that it is deprecated on every call; the article uses it on purpose.
warnings.filterwarnings("ignore", message=".*is deprecated.*")


def device_scope(cluster):
    """No device names without a cluster; with one, `cluster.placement`'s pinning."""
    if cluster is None:
        return contextlib.nullcontext()
    variables_job, variable_tasks, compute_device = cluster_lib.placement(cluster)
    return tf.compat.v1.device(
        tf.compat.v1.train.replica_device_setter(
            ps_tasks=variable_tasks,
            ps_device=f"/job:{variables_job}",
            worker_device=compute_device,
        )
    )


def build_graph(name, manifest, seed, cluster=None, model_fn=None):
    """Builds one model's training graph with the manifest's names; returns (graph, saver).

    `model_fn` is the layer code (placeholders in, logits out): the article's function of that
    name in `graphs.py` unless given. `cluster` (a dict from `cluster.load`) pins variables and
    compute to its jobs.
    """
    if model_fn is None:
        model_fn = graphs.MODELS[name]
    inputs, ops = manifest["inputs"], manifest["ops"]
    graph = tf.Graph()
    with graph.as_default(), device_scope(cluster):
        # The graph seed fixes the op seeds of dropout and of TF's own initialisers; tf-keras's
        # layers draw their initialisers' stateless seeds from Python's `random` while the
        # graph is built, so that is seeded too.
        tf.compat.v1.set_random_seed(seed)
        random.seed(seed)
        x_input = tf.compat.v1.placeholder(tf.float32, [None, 784], name=inputs["images"]["op"])
        y_labels = tf.compat.v1.placeholder(tf.float32, [None, 10], name=inputs["labels"]["op"])
        should_drop = tf.compat.v1.placeholder_with_default(
            False, [], name=inputs["should_drop"]["op"]
        )
        learning_rate = tf.compat.v1.placeholder_with_default(
            tf.constant(inputs["learning_rate"]["default"], tf.float32),
            [],
            name=inputs["learning_rate"]["op"],
        )

        output = model_fn(x_input, should_drop)
        logits = tf.identity(output, name=ops["logits"])
        tf.nn.softmax(logits, name=ops["probabilities"])

        loss = tf.compat.v1.losses.softmax_cross_entropy(onehot_labels=y_labels, logits=logits)
        tf.identity(loss, name=ops["loss"])
        # Layers with state outside the gradients (batch normalisation's moving averages) put
        # their update ops in UPDATE_OPS; the article's five have none, so for them this
        # context adds nothing and their graphs stay as they were.
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            tf.compat.v1.train.AdamOptimizer(learning_rate).minimize(loss, name=ops["train_step"])
        correct_prediction = tf.equal(tf.argmax(logits, 1), tf.argmax(y_labels, 1))
        tf.reduce_mean(tf.cast(correct_prediction, tf.float32), name=ops["accuracy"])

        tf.compat.v1.variables_initializer(tf.compat.v1.global_variables(), name=ops["init"])
        saver = tf.compat.v1.train.Saver(name="save")
        # Last, so that every op above (and so every op seed) is the same with or without them.
        build_summaries(manifest["summaries"])
        tf.argmax(logits, 1, name=ops["classes"])
    return graph, saver


def serving_signature(graph, manifest):
    """The `serving_default` SignatureDef: the manifest's `serving` inputs and outputs.

    It is what TensorFlow's own tools look for (`saved_model_cli run`, `tf.saved_model.load`,
    the TFLite converter, TensorFlow Serving): images in, probabilities, class and logits out.
    Training stays on the op names of the manifest; the signature only names the prediction.
    """
    serving = manifest["serving"]

    def tensors(keys, table):
        return {
            key: graph.get_tensor_by_name(manifest_lib.tensor_name(table[role]))
            for key, role in keys.items()
        }

    ops = manifest["ops"]
    inputs = {role: entry["op"] for role, entry in manifest["inputs"].items()}
    return tf.compat.v1.saved_model.signature_def_utils.predict_signature_def(
        inputs=tensors(serving["inputs"], inputs), outputs=tensors(serving["outputs"], ops)
    )


def build_summaries(names):
    """Adds TF2 summary ops that write TensorBoard scalars; nothing above depends on them.

    The values come in through placeholders (the accuracy and loss the caller has just
    fetched), so the training and evaluation runs stay exactly as they were: a caller that
    wants events runs `init` once with `logdir` fed, then `write_train` or `write_test` with
    `step`, `accuracy` and `loss` fed, then `flush`.
    """
    tags = names["tags"]
    logdir = tf.compat.v1.placeholder_with_default(
        names["logdir_default"], [], name=names["logdir"]
    )
    step = tf.compat.v1.placeholder(tf.int64, [], name=names["step"])
    accuracy = tf.compat.v1.placeholder(tf.float32, [], name=names["accuracy"])
    loss = tf.compat.v1.placeholder(tf.float32, [], name=names["loss"])
    writer = tf.summary.create_file_writer(logdir, name="summary_writer")
    tf.group(writer.init(), name=names["init"])
    # The scalars sit outside any name scope, so their tags are exactly the manifest's.
    with writer.as_default(step=step):
        train = [
            tf.summary.scalar(tags["train_accuracy"], accuracy),
            tf.summary.scalar(tags["train_loss"], loss),
        ]
        test = [
            tf.summary.scalar(tags["test_accuracy"], accuracy),
            tf.summary.scalar(tags["test_loss"], loss),
        ]
    tf.group(*train, name=names["write_train"])
    tf.group(*test, name=names["write_test"])
    tf.group(writer.flush(), name=names["flush"])


def check_graph(graph, name, manifest, check_count=True):
    """Fails with every manifest name that the graph lacks, and on a wrong parameter count
    (unless `check_count` is false: a model being added has no count in the manifest yet)."""
    missing = []
    for op_name in manifest_lib.contract_op_names(manifest):
        try:
            graph.get_operation_by_name(op_name)
        except KeyError:
            missing.append(op_name)
    if missing:
        raise SystemExit(
            f"error: model {name!r}: ops named in models/manifest.json are missing from the "
            f"graph: {', '.join(missing)}"
        )
    with graph.as_default():
        trainable = tf.compat.v1.trainable_variables()
    count = sum(int(v.shape.num_elements()) for v in trainable)
    if not check_count:
        return count
    entry = manifest_lib.model(manifest, name)
    expected = entry["parameters"]
    if count != expected:
        hint = ""
        if "source" in entry:
            hint = f"; its function changed since it was added: run --add {entry['source']} again"
        raise SystemExit(
            f"error: model {name!r} has {count} trainable parameters, "
            f"models/manifest.json says {expected}{hint}"
        )
    return count


def unpinned_copy(graph, saver):
    """The same graph (ops, names, seeds, saver) without device names; returns (graph, saver).

    A graph pinned to a cluster's jobs cannot run in a local session (no soft placement covers
    a job this process lacks), so its variables are initialised and saved from this copy, and
    `pin_saved_model` writes the device names back into the saved graph.
    """
    meta_graph = tf.compat.v1.train.export_meta_graph(
        graph=graph, saver_def=saver.as_saver_def(), clear_devices=True
    )
    copy = tf.Graph()
    with copy.as_default():
        copy_saver = tf.compat.v1.train.import_meta_graph(meta_graph)
    return copy, copy_saver


def pin_saved_model(path, devices):
    """Gives every op of the SavedModel at `path` its device in `devices` (name -> device)."""
    model = saved_model_pb2.SavedModel()
    model.ParseFromString(path.read_bytes())
    for meta_graph in model.meta_graphs:
        for node in meta_graph.graph_def.node:
            if node.name not in devices:
                raise SystemExit(f"error: {path}: op {node.name!r} is not in the pinned graph")
            node.device = devices[node.name]
    path.write_bytes(model.SerializeToString())


def export(name, manifest, out_dir, seed, cluster=None, model_fn=None, check_count=True):
    """Writes models/<name>/ atomically: build, check, save to a temp dir, rename.

    `model_fn` is the layer code of a model of one's own (`user_models.checked`); without it,
    the article's function of that name.
    """
    try:
        graph, saver = build_graph(name, manifest, seed, cluster, model_fn)
    except ValueError as error:
        if model_fn is None:
            raise
        raise SystemExit(
            f"error: the training contract cannot be built on model {name!r}: {error}"
        ) from None
    count = check_graph(graph, name, manifest, check_count)
    devices = None
    if cluster is not None:
        devices = {op.name: op.device for op in graph.get_operations()}
        graph, saver = unpinned_copy(graph, saver)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    tmp_parent = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out_dir))
    try:
        staging = tmp_parent / name
        builder = tf.compat.v1.saved_model.Builder(str(staging))
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(graph.get_operation_by_name(manifest["ops"]["init"]))
            builder.add_meta_graph_and_variables(
                sess,
                manifest["tags"],
                signature_def_map={
                    manifest["serving"]["signature"]: serving_signature(graph, manifest)
                },
                saver=saver,
                strip_default_attrs=False,
            )
            builder.save()
        if devices is not None:
            pin_saved_model(staging / "saved_model.pb", devices)
        old = out_dir / f".{name}.old"
        if old.exists():
            shutil.rmtree(old)
        if final.exists():
            final.rename(old)
        staging.rename(final)
        if old.exists():
            shutil.rmtree(old)
    finally:
        shutil.rmtree(tmp_parent, ignore_errors=True)
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=manifest_lib.ROOT / "models")
    parser.add_argument("--manifest", type=Path, default=manifest_lib.MANIFEST_PATH)
    parser.add_argument("--seed", type=int, default=None, help="graph-level seed")
    parser.add_argument("--model", action="append", help="a model of the manifest; default: all")
    parser.add_argument(
        "--cluster", type=Path, help="pin the graphs to this TensorFlow cluster (JSON file)"
    )
    parser.add_argument(
        "--add",
        metavar="FILE.py:FUNCTION",
        help="export a model function of your own and add it to the manifest",
    )
    parser.add_argument("--name", help="with --add: the model's name (default: the function's)")
    parser.add_argument(
        "--description", help="with --add: one line for help and reports (default: docstring)"
    )
    parser.add_argument(
        "--remove", metavar="NAME", help="remove a model of your own: its entry and its folder"
    )
    args = parser.parse_args(argv)
    manifest = manifest_lib.load(args.manifest)
    seed = manifest["default_seed"] if args.seed is None else args.seed
    article = [m["name"] for m in manifest["models"] if "source" not in m]
    if article != list(graphs.MODELS):
        raise SystemExit(
            f"error: models/manifest.json lists the article's models {article}, "
            f"python/graphs.py defines {list(graphs.MODELS)}; make them agree"
        )
    if args.add is not None or args.remove is not None:
        if args.cluster is not None or args.model:
            raise SystemExit(
                "error: --add and --remove change the manifest; run them without --cluster "
                "and --model, then export with those"
            )
        if args.add is not None:
            add(args, manifest, seed)
        else:
            remove(args, manifest)
        return
    cluster = None
    if args.cluster is not None:
        cluster = cluster_lib.load(args.cluster)
        cluster_lib.placement(cluster)  # fails early when the cluster has no worker job
        if args.out.resolve() == args.manifest.resolve().parent:
            raise SystemExit(
                f"error: --cluster graphs only run on that cluster; write them to another "
                f"folder than {args.out} with --out DIR, and pass it to tflayers --models-dir"
            )
    known = [m["name"] for m in manifest["models"]]
    for name in args.model or known:
        if name not in known:
            raise SystemExit(f"error: --model {name!r}: the manifest knows {', '.join(known)}")
        count = export(name, manifest, args.out, seed, cluster, layer_code(manifest, name))
        print(f"exported {name:8} {count:>9,} parameters -> {args.out / name}")
    if cluster is not None:
        variables_job, tasks, compute = cluster_lib.placement(cluster)
        write_atomically(
            args.out / manifest_lib.MANIFEST_PATH.name, args.manifest.read_text("utf-8")
        )
        write_atomically(args.out / "cluster.json", json.dumps(cluster, indent=2) + "\n")
        print(
            f"pinned to {args.cluster}: variables on /job:{variables_job} tasks 0..{tasks - 1}, "
            f"compute on {compute}; run with tflayers --models-dir {args.out} --target "
            f"grpc://{cluster[cluster_lib.COMPUTE_JOB][0]}"
        )


def layer_code(manifest, name):
    """None for an article model (its function in `graphs.py`); the checked function of its
    source file for a model of one's own."""
    entry = manifest_lib.model(manifest, name)
    if "source" not in entry:
        return None
    path, function = user_models.source_path(entry["source"])
    if not path.is_file():
        raise SystemExit(
            f"error: model {name!r} comes from {entry['source']}, and {path} does not exist; "
            f"restore it, or remove the model with python/export.py --remove {name}"
        )
    return user_models.checked(user_models.load_function(path, function), entry["source"], manifest)


def add(args, manifest, seed):
    """`--add FILE.py:FUNCTION`: checks, exports and records a model of one's own."""
    path, function = user_models.parse_source(args.add)
    source = user_models.source_text(path, function)
    name = args.name or function
    user_models.check_name(name, manifest, source)
    function_object = user_models.load_function(path, function)
    checked = user_models.checked(function_object, source, manifest)
    count = export(name, manifest, args.out, seed, model_fn=checked, check_count=False)
    old = manifest_lib.find(manifest, name)
    description = args.description or user_models.description_of(function_object, source)
    entry = user_models.entry(name, source, description, count, old)
    if old is None:
        manifest["models"].append(entry)
    else:
        manifest["models"][manifest["models"].index(old)] = entry
    manifest_lib.write(manifest, args.manifest)
    print(f"exported {name:8} {count:>9,} parameters -> {args.out / name}")
    print(
        f"{'replaced' if old else 'added'} {name!r} in {args.manifest}; train it with "
        f"tflayers train --model {name}"
    )


def remove(args, manifest):
    """`--remove NAME`: drops a model of one's own from the manifest and deletes its folder."""
    name = args.remove
    entry = manifest_lib.find(manifest, name)
    if entry is None:
        known = [m["name"] for m in manifest["models"] if "source" in m]
        raise SystemExit(
            f"error: --remove {name!r}: no such model; models of your own: "
            f"{', '.join(known) or 'none'}"
        )
    if "source" not in entry:
        raise SystemExit(f"error: --remove {name!r}: the article's models cannot be removed")
    manifest["models"].remove(entry)
    manifest_lib.write(manifest, args.manifest)
    shutil.rmtree(args.out / name, ignore_errors=True)
    print(f"removed {name!r} from {args.manifest} and {args.out / name}")


if __name__ == "__main__":
    main()
