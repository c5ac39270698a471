"""The article's training loop in Python, on the SavedModel the Rust side trains.

    python python/train.py --model dropout [--steps 1000] [--batch-size 100] [--seed 0]
        [--learning-rate 1e-4] [--data-dir data/mnist] [--metrics FILE]

This is the reference for `tflayers compare`: the loop of "Building deep learning neural
networks using TensorFlow layers" kept as close to the article as TensorFlow 2.21 allows. The
graph is not rebuilt here: it is loaded from `models/<model>/` (written by `export.py`) with
`tf.compat.v1.saved_model.loader.load`, and its placeholders and ops are found by the names in
`models/manifest.json`. The batches come from `numpy_dataset`, which follows TF 1.x's
`next_batch` with `numpy.random.RandomState(seed)`, as the Rust side does.

Every run request mirrors the Rust one, so that both sides execute the same pruned graph:

* a logged step fetches `accuracy` and `loss` together, with dropout off (the article fetched
  only the accuracy; fetching the loss in the same run does not change it);
* a training step feeds the batch, `should_drop: True` and the learning rate;
* the test set is evaluated in one run (or in `--eval-batch-size` chunks, recombined as the
  Rust side does), fetching accuracy and loss.

stdout carries only the article's lines; `--metrics FILE` writes the JSON Lines schema shared
with `tflayers train --metrics`.
"""

import time

START = time.perf_counter()

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest as manifest_lib  # noqa: E402
import numpy_dataset  # noqa: E402

tf.compat.v1.disable_eager_execution()
warnings.filterwarnings("ignore", message=".*is deprecated.*")

SCHEMA = 1


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def positive_float(text):
    value = float(text)
    if not (numpy.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="The article's training loop in Python, on models/<model>/.",
    )
    parser.add_argument("--model", required=True, help="dense, hidden, conv1, conv2 or dropout")
    parser.add_argument("--steps", type=positive_int, default=1000, help="training steps")
    parser.add_argument("--batch-size", type=positive_int, default=100, help="images per batch")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the batch order's RandomState"
    )
    parser.add_argument("--learning-rate", type=positive_float, default=1e-4, help="Adam's rate")
    parser.add_argument(
        "--log-every", type=positive_int, default=100, help="print every this many steps"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TFLAYERS_DATA_DIR", "data/mnist")),
        help="folder of the four MNIST .gz files",
    )
    parser.add_argument(
        "--validation-size",
        type=non_negative_int,
        default=numpy_dataset.VALIDATION_SIZE,
        help="training images held out for validation",
    )
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="folder of manifest.json and the SavedModels (default: the project's models/)",
    )
    parser.add_argument(
        "--eval-batch-size",
        type=positive_int,
        default=None,
        help="evaluate the test set in chunks of this many images",
    )
    parser.add_argument("--intra-op-threads", type=positive_int, default=None)
    parser.add_argument("--inter-op-threads", type=positive_int, default=None)
    parser.add_argument("--metrics", type=Path, default=None, help="write JSON Lines metrics")
    args = parser.parse_args(argv)
    if args.seed >= 2**32:
        parser.error(f"argument --seed: must be below 2**32, got {args.seed}")
    if args.models_dir is None:
        env = os.environ.get("TFLAYERS_MODELS_DIR")
        args.models_dir = Path(env) if env else manifest_lib.MANIFEST_PATH.parent
    return args


def session_config(args, manifest=None):
    """The same ConfigProto the Rust side builds: only the thread counts that were given, or
    else the manifest's `session_defaults` for the model.

    With None, TensorFlow 2 would build the config from its eager context (device counts and
    empty GPU options on a CPU host, which change nothing measurable); passing it explicitly
    keeps the two sides' session settings the same by construction.
    """
    defaults = manifest_lib.session_defaults(manifest, args.model) if manifest else {}
    intra = args.intra_op_threads or defaults.get("intra_op_threads")
    inter = args.inter_op_threads or defaults.get("inter_op_threads")
    config = tf.compat.v1.ConfigProto()
    if intra is not None:
        config.intra_op_parallelism_threads = intra
    if inter is not None:
        config.inter_op_parallelism_threads = inter
    return config


def json_float(value):
    """A float32 TensorFlow value as the shortest decimal of the float32 widened to float64."""
    return float(numpy.float32(value))


class Metrics:
    """Writes the shared JSON Lines schema to a temporary name, renamed when complete."""

    def __init__(self, path):
        self.path = path
        self.tmp = None
        self.file = None
        if path is not None:
            self.tmp = path.with_name(f".{path.name}.tmp")
            self.file = open(self.tmp, "w", encoding="utf-8")

    def write(self, record):
        if self.file is not None:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()

    def commit(self):
        if self.file is not None:
            self.file.close()
            os.replace(self.tmp, self.path)
            self.file = None

    def abandon(self):
        if self.file is not None:
            self.file.close()
            self.tmp.unlink(missing_ok=True)
            self.file = None


def evaluate(sess, accuracy, loss, x_input, y_labels, images, labels, chunk):
    """Accuracy, loss, correct and total of a whole split, as the Rust `train::evaluate`.

    In one run when `chunk` is None (the article's way); otherwise in chunks, the accuracy
    recomputed from the summed counts as a float32 division and the loss as the mean weighted
    by chunk size, exactly as the Rust side recombines them.
    """
    n = images.shape[0]
    if chunk is None or chunk >= n:
        acc, lss = sess.run([accuracy, loss], feed_dict={x_input: images, y_labels: labels})
        return acc, lss, int(round(float(acc) * n)), n
    correct, loss_sum = 0, 0.0
    for start in range(0, n, chunk):
        end = min(start + chunk, n)
        acc, lss = sess.run(
            [accuracy, loss], feed_dict={x_input: images[start:end], y_labels: labels[start:end]}
        )
        correct += int(round(float(acc) * (end - start)))
        loss_sum += float(lss) * (end - start)
    return numpy.float32(correct) / numpy.float32(n), numpy.float32(loss_sum / n), correct, n


def main(argv=None):
    args = parse_args(argv)
    try:
        manifest = manifest_lib.load(args.models_dir / "manifest.json")
        manifest_lib.model(manifest, args.model)
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}; point --models-dir at the project's models") from None
    model_dir = args.models_dir / args.model
    if not (model_dir / "saved_model.pb").is_file():
        raise SystemExit(f"error: {model_dir / 'saved_model.pb'} not found; run `make models`")
    try:
        metrics = Metrics(args.metrics)
    except OSError as err:
        raise SystemExit(f"error: cannot write --metrics {args.metrics}: {err}") from None
    try:
        run(args, manifest, model_dir, metrics)
    except (OSError, ValueError) as err:
        # Unreadable or malformed data files: say which, leave no half-written metrics file.
        metrics.abandon()
        raise SystemExit(f"error: {err}") from None
    except BaseException:
        metrics.abandon()
        raise
    metrics.commit()


def run(args, manifest, model_dir, metrics):
    name = manifest_lib.tensor_name
    inputs, ops = manifest["inputs"], manifest["ops"]
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")

    load_start = time.perf_counter()
    mnist = numpy_dataset.read_data_sets(
        args.data_dir, validation_size=args.validation_size, seed=args.seed
    )
    print(
        f"Loaded MNIST from {args.data_dir}: {mnist.train.num_examples} train, "
        f"{mnist.validation.num_examples} validation, {mnist.test.num_examples} test images "
        f"({time.perf_counter() - load_start:.2f} s)",
        file=sys.stderr,
    )
    if args.batch_size > mnist.train.num_examples:
        raise SystemExit(
            f"error: --batch-size {args.batch_size} is larger than the "
            f"{mnist.train.num_examples} training images"
        )
    learning_rate_value = numpy.float32(args.learning_rate)

    metrics.write(
        {
            "record": "header",
            "schema": SCHEMA,
            "program": "python",
            "model": args.model,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "learning_rate": args.learning_rate,
            "seed": args.seed,
            "log_every": args.log_every,
            "data_dir": str(args.data_dir),
            "tensorflow_version": tf.__version__,
            "intra_op_threads": args.intra_op_threads,
            "inter_op_threads": args.inter_op_threads,
            "host": socket.gethostname(),
            "started_at": started_at.replace("+00:00", "Z"),
        }
    )

    with tf.compat.v1.Session(graph=tf.Graph(), config=session_config(args, manifest)) as sess:
        tf.compat.v1.saved_model.loader.load(sess, manifest["tags"], str(model_dir))
        graph = sess.graph
        x_input = graph.get_tensor_by_name(name(inputs["images"]["op"]))
        y_labels = graph.get_tensor_by_name(name(inputs["labels"]["op"]))
        should_drop = graph.get_tensor_by_name(name(inputs["should_drop"]["op"]))
        learning_rate = graph.get_tensor_by_name(name(inputs["learning_rate"]["op"]))
        train_step = graph.get_operation_by_name(ops["train_step"])
        accuracy = graph.get_tensor_by_name(name(ops["accuracy"]))
        loss = graph.get_tensor_by_name(name(ops["loss"]))

        # The article's loop.
        loop_start = time.perf_counter()
        last_step, last_elapsed = 0, 0.0
        for i in range(args.steps):
            batch = mnist.train.next_batch(args.batch_size)
            if i % args.log_every == 0:
                train_accuracy, train_loss = sess.run(
                    [accuracy, loss], feed_dict={x_input: batch[0], y_labels: batch[1]}
                )
                print("Step %d, training batch accuracy %g" % (i, train_accuracy), flush=True)
                elapsed = time.perf_counter() - loop_start
                images = (i - last_step) * args.batch_size
                metrics.write(
                    {
                        "record": "step",
                        "step": i,
                        "batch_accuracy": json_float(train_accuracy),
                        "loss": json_float(train_loss),
                        "elapsed_secs": elapsed,
                        "images_per_sec": (
                            images / (elapsed - last_elapsed) if elapsed > last_elapsed else 0.0
                        ),
                    }
                )
                last_step, last_elapsed = i, elapsed
            train_step.run(
                feed_dict={
                    x_input: batch[0],
                    y_labels: batch[1],
                    should_drop: True,
                    learning_rate: learning_rate_value,
                }
            )
        train_secs = time.perf_counter() - loop_start

        eval_start = time.perf_counter()
        test_accuracy, test_loss, test_correct, test_total = evaluate(
            sess,
            accuracy,
            loss,
            x_input,
            y_labels,
            mnist.test.images,
            mnist.test.labels,
            args.eval_batch_size,
        )
        eval_secs = time.perf_counter() - eval_start
        print("Test accuracy: %g" % test_accuracy, flush=True)

        validation = {"accuracy": None, "correct": None, "total": None}
        # Only the metrics file reports it, as on the Rust side: a plain run (the article's, and
        # the reference `tflayers bench --reproduce` times) does not evaluate it.
        if args.metrics is not None and mnist.validation.num_examples:
            acc, _, correct, total = evaluate(
                sess,
                accuracy,
                loss,
                x_input,
                y_labels,
                mnist.validation.images,
                mnist.validation.labels,
                args.eval_batch_size,
            )
            validation = {"accuracy": json_float(acc), "correct": correct, "total": total}

    metrics.write(
        {
            "record": "final",
            "steps": args.steps,
            "test_accuracy": json_float(test_accuracy),
            "test_correct": test_correct,
            "test_total": test_total,
            "test_loss": json_float(test_loss),
            "validation_accuracy": validation["accuracy"],
            "validation_correct": validation["correct"],
            "validation_total": validation["total"],
            "train_secs": train_secs,
            "eval_secs": eval_secs,
            "total_secs": time.perf_counter() - START,
            "ms_per_step": train_secs * 1000.0 / args.steps,
        }
    )


if __name__ == "__main__":
    main()
