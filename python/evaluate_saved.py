"""Loads a trained SavedModel written by `tflayers train --save` and prints its test accuracy.

    python python/evaluate_saved.py MODEL_DIR DATA_DIR [--validation-size N]

It uses only TensorFlow's own TF1 loader (`tf.compat.v1.saved_model.loader.load`) and the
manifest's op names, so it shows that the folder is a SavedModel any TF1 program can use. It
prints `Test accuracy: %g` exactly as the article (and `tflayers train`) does, from the graph's
`accuracy` op over the whole test set in one run.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest as manifest_lib  # noqa: E402
import numpy_dataset  # noqa: E402

tf.compat.v1.disable_eager_execution()


def test_accuracy(model_dir, data_dir, validation_size):
    """The test accuracy of the SavedModel in `model_dir`, as a numpy float32."""
    manifest = manifest_lib.load()
    data = numpy_dataset.read_data_sets(data_dir, validation_size=validation_size)
    name = manifest_lib.tensor_name
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        tf.compat.v1.saved_model.loader.load(sess, manifest["tags"], str(model_dir))
        feed = {
            name(manifest["inputs"]["images"]["op"]): data.test.images,
            name(manifest["inputs"]["labels"]["op"]): data.test.labels,
        }
        return sess.run(name(manifest["ops"]["accuracy"]), feed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--validation-size", type=int, default=numpy_dataset.VALIDATION_SIZE)
    args = parser.parse_args(argv)
    print("Test accuracy: %g" % test_accuracy(args.model_dir, args.data_dir, args.validation_size))


if __name__ == "__main__":
    main()
