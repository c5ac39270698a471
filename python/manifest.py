"""Reads and checks `models/manifest.json`, the names both languages agree on.

The manifest is committed and is the single source of truth for placeholder and op names,
shapes, each model's parameter count and the accuracy it should reach. The exporter checks the
graphs it builds against it; the Rust binary reads the same file.
"""

import json
from pathlib import Path

from files import write_atomically

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "models" / "manifest.json"

REQUIRED_INPUTS = ("images", "labels", "should_drop", "learning_rate")
REQUIRED_OPS = (
    "train_step",
    "accuracy",
    "loss",
    "logits",
    "probabilities",
    "classes",
    "init",
    "saver_filename",
    "saver_save",
    "saver_restore",
)
# TensorBoard: the op names under "summaries" (its "tags" are the scalar tags they write).
SUMMARY_OPS = (
    "logdir",
    "step",
    "accuracy",
    "loss",
    "init",
    "write_train",
    "write_test",
    "flush",
)
SUMMARY_TAGS = ("train_accuracy", "train_loss", "test_accuracy", "test_loss")


def load(path=MANIFEST_PATH):
    """Returns the manifest as a dict, after checking that every required key is there."""
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    missing = [k for k in REQUIRED_INPUTS if k not in manifest["inputs"]]
    missing += [k for k in REQUIRED_OPS if k not in manifest["ops"]]
    summaries = manifest.get("summaries", {})
    missing += [f"summaries.{k}" for k in (*SUMMARY_OPS, "logdir_default") if k not in summaries]
    missing += [f"summaries.tags.{k}" for k in SUMMARY_TAGS if k not in summaries.get("tags", {})]
    serving = manifest.get("serving", {})
    missing += [f"serving.{k}" for k in ("signature", "inputs", "outputs") if k not in serving]
    if missing:
        raise ValueError(f"{path}: missing entries {missing}")
    names = [m["name"] for m in manifest["models"]]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: duplicate model names in {names}")
    return manifest


def contract_op_names(manifest):
    """Every op name of the training contract: the placeholders, the ops and the summary ops."""
    names = [entry["op"] for entry in manifest["inputs"].values()]
    names += list(manifest["ops"].values())
    names += [manifest["summaries"][k] for k in SUMMARY_OPS]
    return names


def tensor_name(op_name):
    """The name of an op's first output, as TF1 graph code wants it."""
    return op_name if ":" in op_name else f"{op_name}:0"


def session_defaults(manifest, name):
    """The session thread counts `name` uses when none are given (`session_defaults`), as a
    dict with `intra_op_threads` and/or `inter_op_threads`; empty for TensorFlow's choice."""
    return dict(manifest.get("session_defaults", {}).get(name, {}))


def find(manifest, name):
    """The manifest entry of one model, or None."""
    return next((entry for entry in manifest["models"] if entry["name"] == name), None)


def model(manifest, name):
    """The manifest entry of one model, or a ValueError naming the known ones."""
    entry = find(manifest, name)
    if entry is not None:
        return entry
    known = ", ".join(m["name"] for m in manifest["models"])
    raise ValueError(f"unknown model {name!r}; the manifest knows {known}")


# The manifest's layout: a list or object goes on one line when it holds no object (lists of
# plain values allowed) and fits in this many columns; otherwise one member per line.
LINE_WIDTH = 100


def dumps(manifest):
    """The manifest as the committed file lays it out, so that a rewrite (`export.py --add`)
    changes only the lines it must."""
    return _dump(manifest, indent=0, prefix_width=0) + "\n"


def _is_flat(value):
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return True
    return all(not isinstance(v, dict) for v in items) and all(
        not isinstance(v, list) or all(not isinstance(x, dict | list) for x in v) for v in items
    )


def _dump(value, indent, prefix_width):
    if not isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    one_line = json.dumps(value, ensure_ascii=False)
    if not value or (_is_flat(value) and indent + prefix_width + len(one_line) <= LINE_WIDTH):
        return one_line
    inner = indent + 2
    pad = " " * inner
    if isinstance(value, dict):
        members = []
        for key, member in value.items():
            prefix = f"{json.dumps(key, ensure_ascii=False)}: "
            members.append(pad + prefix + _dump(member, inner, len(prefix)))
        open_, close = "{", "}"
    else:
        members = [pad + _dump(member, inner, 0) for member in value]
        open_, close = "[", "]"
    return open_ + "\n" + ",\n".join(members) + "\n" + " " * indent + close


def write(manifest, path=MANIFEST_PATH):
    """Writes the manifest through a temporary file in its folder, so that a failed write
    leaves the old file whole."""
    write_atomically(path, dumps(manifest))
