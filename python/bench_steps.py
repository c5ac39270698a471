"""The Python side of `tflayers bench`: the article's loop on a SavedModel, timed on request.

    python python/bench_steps.py --model dense [--batch-size 100] [--seed 0] [--log-every 100]
        [--learning-rate 1e-4] [--data-dir data/mnist] [--validation-size 5000]
        [--models-dir models] [--eval-batch-size N] [--intra-op-threads N]
        [--inter-op-threads N]

It loads MNIST and the model once, prints one JSON line `{"event": "ready", ...}` on stdout,
then answers commands, one JSON object per line on stdin, each with one JSON line on stdout:

* `{"op": "train", "steps": N}`: N more steps of the article's loop, exactly as
  `python/train.py` runs them (the step counter and the batch order continue across commands;
  every `--log-every`-th step fetches accuracy and loss before training). The reply holds the
  loop's seconds and the logged steps, so the caller can check that it computed what the Rust
  side did.
* `{"op": "evaluate"}`: the test set, in one run or in `--eval-batch-size` chunks, timed.
* `{"op": "breakdown", "calls": N}`: where a step's time goes, each part timed alone over N
  calls: taking a batch, a session call that runs nothing (its fixed cost), the same call
  feeding a training step's four inputs (the feeding), the training call on a fixed batch, and
  a logged step's fetch of accuracy and loss. It trains the model, so it comes last.

Every reply carries `peak_rss_bytes`, this process's peak resident memory so far. The driver
keeps the process idle between commands, so its clock only runs while it works. The session
gets the same ConfigProto as `python/train.py` (only the thread counts given) and the Rust side.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest as manifest_lib  # noqa: E402
import numpy_dataset  # noqa: E402
import train as reference  # noqa: E402

tf.compat.v1.disable_eager_execution()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="The Python side of tflayers bench: the article's loop, timed on request."
    )
    parser.add_argument("--model", required=True, help="dense, hidden, conv1, conv2 or dropout")
    parser.add_argument("--batch-size", type=reference.positive_int, default=100)
    parser.add_argument("--seed", type=reference.non_negative_int, default=0)
    parser.add_argument("--learning-rate", type=reference.positive_float, default=1e-4)
    parser.add_argument("--log-every", type=reference.positive_int, default=100)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("TFLAYERS_DATA_DIR", "data/mnist"))
    )
    parser.add_argument(
        "--validation-size",
        type=reference.non_negative_int,
        default=numpy_dataset.VALIDATION_SIZE,
    )
    parser.add_argument("--models-dir", type=Path, default=manifest_lib.MANIFEST_PATH.parent)
    parser.add_argument("--eval-batch-size", type=reference.positive_int, default=None)
    parser.add_argument("--intra-op-threads", type=reference.positive_int, default=None)
    parser.add_argument("--inter-op-threads", type=reference.positive_int, default=None)
    return parser.parse_args(argv)


def peak_rss_bytes():
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Worker:
    """One loaded model and data set, and the position in the article's loop."""

    def __init__(self, args):
        name = manifest_lib.tensor_name
        manifest = manifest_lib.load(args.models_dir / "manifest.json")
        manifest_lib.model(manifest, args.model)
        model_dir = args.models_dir / args.model
        if not (model_dir / "saved_model.pb").is_file():
            raise ValueError(f"{model_dir / 'saved_model.pb'} not found; run `make models`")
        self.args = args
        start = time.perf_counter()
        self.mnist = numpy_dataset.read_data_sets(
            args.data_dir, validation_size=args.validation_size, seed=args.seed
        )
        self.data_secs = time.perf_counter() - start
        if args.batch_size > self.mnist.train.num_examples:
            raise ValueError(
                f"--batch-size {args.batch_size} is larger than the "
                f"{self.mnist.train.num_examples} training images"
            )
        start = time.perf_counter()
        self.sess = tf.compat.v1.Session(
            graph=tf.Graph(), config=reference.session_config(args, manifest)
        )
        tf.compat.v1.saved_model.loader.load(self.sess, manifest["tags"], str(model_dir))
        graph = self.sess.graph
        inputs, ops = manifest["inputs"], manifest["ops"]
        self.x_input = graph.get_tensor_by_name(name(inputs["images"]["op"]))
        self.y_labels = graph.get_tensor_by_name(name(inputs["labels"]["op"]))
        self.should_drop = graph.get_tensor_by_name(name(inputs["should_drop"]["op"]))
        self.learning_rate = graph.get_tensor_by_name(name(inputs["learning_rate"]["op"]))
        self.train_step = graph.get_operation_by_name(ops["train_step"])
        self.accuracy = graph.get_tensor_by_name(name(ops["accuracy"]))
        self.loss = graph.get_tensor_by_name(name(ops["loss"]))
        # The cheapest op there is: a constant (the saver's file name), run as a target.
        self.trivial = graph.get_operation_by_name(ops["saver_filename"])
        self.model_secs = time.perf_counter() - start
        self.learning_rate_value = numpy.float32(args.learning_rate)
        self.step = 0

    def ready(self):
        return {
            "event": "ready",
            "tensorflow_version": tf.__version__,
            "data_secs": self.data_secs,
            "model_secs": self.model_secs,
            "train": self.mnist.train.num_examples,
            "validation": self.mnist.validation.num_examples,
            "test": self.mnist.test.num_examples,
        }

    def train(self, steps):
        """`steps` more steps of python/train.py's loop, the article's prints left out."""
        args, mnist, sess = self.args, self.mnist, self.sess
        x_input, y_labels, accuracy, loss = self.x_input, self.y_labels, self.accuracy, self.loss
        should_drop, learning_rate = self.should_drop, self.learning_rate
        train_step, learning_rate_value = self.train_step, self.learning_rate_value
        logs = []
        start = time.perf_counter()
        for i in range(self.step, self.step + steps):
            batch = mnist.train.next_batch(args.batch_size)
            if i % args.log_every == 0:
                train_accuracy, train_loss = sess.run(
                    [accuracy, loss], feed_dict={x_input: batch[0], y_labels: batch[1]}
                )
                logs.append(
                    [i, reference.json_float(train_accuracy), reference.json_float(train_loss)]
                )
            train_step.run(
                feed_dict={
                    x_input: batch[0],
                    y_labels: batch[1],
                    should_drop: True,
                    learning_rate: learning_rate_value,
                },
                session=sess,
            )
        secs = time.perf_counter() - start
        self.step += steps
        return {"event": "trained", "steps": steps, "secs": secs, "logs": logs}

    def evaluate(self):
        start = time.perf_counter()
        accuracy, loss, correct, total = reference.evaluate(
            self.sess,
            self.accuracy,
            self.loss,
            self.x_input,
            self.y_labels,
            self.mnist.test.images,
            self.mnist.test.labels,
            self.args.eval_batch_size,
        )
        return {
            "event": "evaluated",
            "secs": time.perf_counter() - start,
            "accuracy": reference.json_float(accuracy),
            "loss": reference.json_float(loss),
            "correct": correct,
            "total": total,
        }

    def breakdown(self, calls):
        """Seconds per call of each part of a step, each part timed alone over `calls` calls."""
        sess, mnist, size = self.sess, self.mnist, self.args.batch_size
        images, labels = mnist.train.next_batch(size)
        train_feeds = {
            self.x_input: images,
            self.y_labels: labels,
            self.should_drop: True,
            self.learning_rate: self.learning_rate_value,
        }
        metric_feeds = {self.x_input: images, self.y_labels: labels}
        fetches = [self.accuracy, self.loss]

        def timed(call):
            call()  # the first call of a new signature builds its executor: not timed
            start = time.perf_counter()
            for _ in range(calls):
                call()
            return (time.perf_counter() - start) / calls

        return {
            "event": "breakdown",
            "calls": calls,
            "batch_secs": timed(lambda: mnist.train.next_batch(size)),
            "empty_call_secs": timed(lambda: sess.run(self.trivial)),
            "feed_call_secs": timed(lambda: sess.run(self.trivial, feed_dict=train_feeds)),
            "train_call_secs": timed(lambda: sess.run(self.train_step, feed_dict=train_feeds)),
            "metrics_call_secs": timed(lambda: sess.run(fetches, feed_dict=metric_feeds)),
        }

    def handle(self, command):
        op = command.get("op")
        if op == "train":
            return self.train(int(command["steps"]))
        if op == "evaluate":
            return self.evaluate()
        if op == "breakdown":
            return self.breakdown(int(command["calls"]))
        raise ValueError(f"unknown command {command!r}: expected op train, evaluate or breakdown")


def reply(record):
    record["peak_rss_bytes"] = peak_rss_bytes()
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def main(argv=None):
    args = parse_args(argv)
    try:
        worker = Worker(args)
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    reply(worker.ready())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            record = worker.handle(json.loads(line))
        except (KeyError, ValueError) as err:
            raise SystemExit(f"error: {err}") from None
        reply(record)
    worker.sess.close()


if __name__ == "__main__":
    main()
