"""Prints the scalars of TensorBoard event files as JSON, read with TensorBoard's own reader.

    python python/tensorboard_scalars.py DIR

DIR is a run folder (holding `events.out.tfevents.*` files) or a folder of run folders, as
`tflayers train --tensorboard DIR` writes it (`DIR/<model>/`). The output maps each run to its
tags, and each tag to its plugin and its `[step, value]` pairs in step order:

    {"dense": {"train/batch_accuracy": {"plugin": "scalars", "points": [[0, 0.04], ...]}}}

The tests use it to check the events that the Rust binary writes through the summary ops of
the exported graphs; it is also a quick way to look at a run without starting TensorBoard.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

EVENTS_GLOB = "events.out.tfevents.*"


def run_folders(root):
    """The folders under `root` (itself included) that hold event files, by relative name."""
    folders = sorted({p.parent for p in Path(root).rglob(EVENTS_GLOB)})
    return {str(f.relative_to(root)) if f != Path(root) else ".": f for f in folders}


def scalars(folder):
    """{tag: {"plugin": name, "points": [[step, value], ...]}} of one run folder."""
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    out = {}
    for tag in sorted(accumulator.Tags()["tensors"]):
        events = sorted(accumulator.Tensors(tag), key=lambda e: e.step)
        out[tag] = {
            "plugin": accumulator.SummaryMetadata(tag).plugin_data.plugin_name,
            "points": [[e.step, float(tensor_util.make_ndarray(e.tensor_proto))] for e in events],
        }
    return out


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python python/tensorboard_scalars.py DIR")
    root = Path(args[0])
    if not root.is_dir():
        raise SystemExit(f"error: {root} is not a folder")
    runs = run_folders(root)
    if not runs:
        raise SystemExit(f"error: no {EVENTS_GLOB} files under {root}")
    print(json.dumps({name: scalars(folder) for name, folder in runs.items()}))


if __name__ == "__main__":
    main()
