"""Reads and checks `models/manifest.json`, the names both languages agree on.

The manifest is committed and is the single source of truth for placeholder and op names,
shapes, each model's parameter count and the accuracy it should reach. The exporter checks the
graphs it builds against it; the Rust binary reads the same file.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "models" / "manifest.json"

REQUIRED_INPUTS = ("images", "labels", "should_drop", "learning_rate")
REQUIRED_OPS = (
    "train_step",
    "accuracy",
    "loss",
    "logits",
    "probabilities",
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
    if missing:
        raise ValueError(f"{path}: missing entries {missing}")
    names = [m["name"] for m in manifest["models"]]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: duplicate model names in {names}")
    return manifest


def tensor_name(op_name):
    """The name of an op's first output, as TF1 graph code wants it."""
    return op_name if ":" in op_name else f"{op_name}:0"


def model(manifest, name):
    """The manifest entry of one model, or a ValueError naming the known ones."""
    for entry in manifest["models"]:
        if entry["name"] == name:
            return entry
    known = ", ".join(m["name"] for m in manifest["models"])
    raise ValueError(f"unknown model {name!r}; the manifest knows {known}")
