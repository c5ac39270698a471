//! Helpers shared by the integration tests: the binary, the project's exported models and tiny
//! datasets.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tflayers::manifest::{Manifest, PROJECT_MODELS_DIR, SAVED_MODEL_FILE};
use tflayers::mnist::fixtures::write_synthetic_mnist;

/// Synthetic training and test images in the tiny datasets.
pub const TINY_TRAIN: usize = 600;
pub const TINY_TEST: usize = 200;
/// Validation images held out of the tiny training set (`--validation-size`).
pub const TINY_VALIDATION: usize = 100;

/// The `tflayers` binary with none of the program's own environment variables set, so that a
/// developer's settings (data folder, models folder, mirrors, offline mode, Python) cannot
/// change what a test runs.
pub fn tflayers() -> Command {
    let mut cmd = Command::cargo_bin("tflayers").unwrap();
    for var in [
        "TFLAYERS_DATA_DIR",
        "TFLAYERS_MODELS_DIR",
        "TFLAYERS_MIRRORS",
        "TFLAYERS_OFFLINE",
        "TFLAYERS_PYTHON",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The project's `models/` folder. The models must have been exported (`make models`, which
/// `make test` runs first); a missing export fails the test with that command.
pub fn models_dir() -> PathBuf {
    let dir = PathBuf::from(PROJECT_MODELS_DIR);
    let manifest = Manifest::load(&dir).expect("committed manifest loads");
    for name in manifest.names() {
        assert!(
            dir.join(name).join(SAVED_MODEL_FILE).is_file(),
            "models/{name}/{SAVED_MODEL_FILE} is missing: run `make models` before `cargo test`"
        );
    }
    dir
}

pub fn manifest() -> Manifest {
    Manifest::load(&models_dir()).expect("committed manifest loads")
}

/// A temporary folder holding a tiny synthetic MNIST (the four standard .gz files).
pub fn tiny_mnist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_synthetic_mnist(dir.path(), TINY_TRAIN, TINY_TEST, 7).expect("synthetic MNIST");
    dir
}

/// Points `cmd` at the tiny dataset in `data` (its validation split, no download) and at the
/// project's exported models.
pub fn tiny_data_flags<'c>(cmd: &'c mut Command, data: &Path) -> &'c mut Command {
    cmd.arg("--offline")
        .arg("--validation-size")
        .arg(TINY_VALIDATION.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(models_dir())
}

/// `tflayers train` of `dense` for two steps of 10 images on the tiny dataset in `data`.
pub fn train_dense_briefly(data: &Path) -> Command {
    let mut cmd = tflayers();
    cmd.args(["train", "--model", "dense", "--steps", "2"])
        .args(["--batch-size", "10"]);
    tiny_data_flags(&mut cmd, data);
    cmd
}
