"""Converts a SavedModel's serving signature into a TensorFlow Lite model.

    python python/export_tflite.py MODEL_DIR OUT.tflite

MODEL_DIR is a folder written by `tflayers train --save` (or an exported, untrained
`models/<name>/`). The converter takes the `serving_default` signature (images in;
probabilities, class and logits out), so the `.tflite` file carries the same signature:
`tf.lite.Interpreter(...).get_signature_runner("serving_default")(images=...)`.
`python/signature_eval.py MODEL_DIR DATA_DIR --tflite OUT.tflite` measures it on the test set.

The file is written through a temporary name in the same folder, so an interrupted or failed
conversion leaves no half-written model where a good one was.
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
import signature_eval  # noqa: E402
from files import write_atomically  # noqa: E402


def convert(model_dir, manifest):
    """The TFLite flatbuffer of `model_dir`'s serving signature, as bytes."""
    signature_eval.check_signature(model_dir, manifest)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(model_dir),
        signature_keys=[manifest["serving"]["signature"]],
        tags=set(manifest["tags"]),
    )
    return converter.convert()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="a SavedModel folder (tflayers train --save)")
    parser.add_argument("out", type=Path, help="the .tflite file to write")
    parser.add_argument("--manifest", type=Path, default=manifest_lib.MANIFEST_PATH)
    args = parser.parse_args(argv)
    if args.out.suffix != ".tflite":
        raise SystemExit(f"error: {args.out}: the output file must end in .tflite")
    if not args.out.parent.is_dir():
        args.out.parent.mkdir(parents=True)
    manifest = manifest_lib.load(args.manifest)
    data = convert(args.model_dir, manifest)
    write_atomically(args.out, data)
    print(f"wrote {args.out} ({len(data):,} bytes) from {args.model_dir}")


if __name__ == "__main__":
    main()
