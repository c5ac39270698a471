"""The manifest's per-model session thread counts, as python/train.py applies them."""

import argparse

import manifest as manifest_lib
import train


def _args(model, intra=None, inter=None):
    return argparse.Namespace(model=model, intra_op_threads=intra, inter_op_threads=inter)


def test_dense_runs_single_threaded_and_the_others_with_one_inter_op_thread():
    manifest = manifest_lib.load()
    config = train.session_config(_args("dense"), manifest)
    assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (1, 1)
    for name in ["hidden", "conv1", "conv2", "dropout"]:
        config = train.session_config(_args(name), manifest)
        assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (0, 1)


def test_flags_override_the_defaults_one_by_one():
    manifest = manifest_lib.load()
    config = train.session_config(_args("dense", intra=2), manifest)
    assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (2, 1)
    config = train.session_config(_args("conv2", inter=3), manifest)
    assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (0, 3)
    config = train.session_config(_args("conv2", intra=2), manifest)
    assert (config.intra_op_parallelism_threads, config.inter_op_parallelism_threads) == (2, 1)
    assert manifest_lib.session_defaults({}, "dense") == {}
