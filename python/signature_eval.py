"""Measures a SavedModel through its serving signature with TensorFlow 2's own API.

    python python/signature_eval.py MODEL_DIR DATA_DIR [--tflite FILE] [--classes OUT]
        [--validation-size N]

Unlike `evaluate_saved.py` (TF1 loader, the graph's `accuracy` op), this uses nothing of the
training contract: `tf.saved_model.load(MODEL_DIR).signatures["serving_default"]`, or with
`--tflite` the TensorFlow Lite interpreter's runner of the same signature, predicts the class
of each test image, and the accuracy is counted from those classes. It prints
`Test accuracy: %g` as `tflayers evaluate` does; `--classes OUT` also writes the predicted
class of each test image, one per line, in the test set's order.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifest as manifest_lib  # noqa: E402
import numpy_dataset  # noqa: E402
from files import write_atomically  # noqa: E402

# Images per signature call; the classes do not depend on it.
BATCH = 1000


def check_signature(model_dir, manifest):
    """Refuses a folder that is no SavedModel or lacks the serving signature, saying why."""
    path = Path(model_dir) / "saved_model.pb"
    if not path.is_file():
        raise SystemExit(f"error: {path} not found; name a folder written by tflayers train --save")
    model = saved_model_pb2.SavedModel()
    try:
        model.ParseFromString(path.read_bytes())
    except Exception as error:  # noqa: BLE001 - protobuf's DecodeError has no stable home
        raise SystemExit(f"error: {path} is not a SavedModel: {error}") from None
    key = manifest["serving"]["signature"]
    if not any(key in meta.signature_def for meta in model.meta_graphs):
        raise SystemExit(
            f"error: {path} has no {key!r} signature: it was exported or saved before models "
            f"carried one; run `make models`, then train and save it again"
        )


def classes_in_batches(run, images, manifest):
    """The predicted class of each image: `run(**{input key: batch})` on [`BATCH`] images at a
    time, returning the signature's outputs."""
    (image_key,) = manifest["serving"]["inputs"]
    classes = []
    for start in range(0, len(images), BATCH):
        outputs = run(**{image_key: images[start : start + BATCH]})
        classes.append(np.asarray(outputs["classes"]))
    return np.concatenate(classes)


def saved_model_classes(model_dir, images, manifest):
    """The predicted class of each image, through the SavedModel's signature (TF2 API)."""
    signature = tf.saved_model.load(str(model_dir)).signatures[manifest["serving"]["signature"]]
    return classes_in_batches(signature, images, manifest)


def tflite_classes(path, images, manifest):
    """The predicted class of each image, through the TFLite interpreter's signature runner."""
    with warnings.catch_warnings():
        # TensorFlow 2.21 warns that tf.lite.Interpreter moves to the ai_edge_litert package.
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner(manifest["serving"]["signature"])
    return classes_in_batches(runner, images, manifest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--tflite", type=Path, help="measure this .tflite file instead")
    parser.add_argument("--classes", type=Path, help="also write each image's class here")
    parser.add_argument("--manifest", type=Path, default=manifest_lib.MANIFEST_PATH)
    parser.add_argument("--validation-size", type=int, default=numpy_dataset.VALIDATION_SIZE)
    args = parser.parse_args(argv)
    manifest = manifest_lib.load(args.manifest)
    test = numpy_dataset.read_data_sets(args.data_dir, validation_size=args.validation_size).test
    if args.tflite is None:
        check_signature(args.model_dir, manifest)
        classes = saved_model_classes(args.model_dir, test.images, manifest)
    else:
        if not args.tflite.is_file():
            raise SystemExit(f"error: --tflite {args.tflite} does not exist")
        classes = tflite_classes(args.tflite, test.images, manifest)
    labels = np.argmax(test.labels, axis=1)
    if args.classes is not None:
        write_atomically(args.classes, "".join(f"{c}\n" for c in classes))
    print("Test accuracy: %g" % np.mean(classes == labels, dtype=np.float32))


if __name__ == "__main__":
    main()
