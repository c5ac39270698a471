//! Helpers shared by the integration tests: the binary (always without the program's own
//! environment variables), the project's exported models and venv Python, tiny datasets, the
//! `train` command on them, snapshots of folders, and (in `process`) children watched with
//! bounded waits.

#![allow(dead_code)]

pub mod ports;
pub mod process;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tflayers::manifest::{Manifest, PROJECT_MODELS_DIR, SAVED_MODEL_FILE};
use tflayers::mnist::fixtures::write_synthetic_mnist;

/// Synthetic training and test images in the tiny datasets.
pub const TINY_TRAIN: usize = 600;
pub const TINY_TEST: usize = 200;
/// Validation images held out of the tiny training set (`--validation-size`).
pub const TINY_VALIDATION: usize = 100;

/// The program's own environment variables. No test inherits them, so that a developer's
/// settings (data folder, models folder, mirrors, offline mode, Python) or the mark of a
/// restarted run (oneDNN's default) cannot change what a test runs; a test that means one
/// sets it on the command.
pub const PROGRAM_VARS: [&str; 6] = [
    "TFLAYERS_DATA_DIR",
    "TFLAYERS_MODELS_DIR",
    "TFLAYERS_MIRRORS",
    "TFLAYERS_OFFLINE",
    "TFLAYERS_PYTHON",
    tflayers::onednn::DEFAULT_MARK,
];

/// Removes [`PROGRAM_VARS`] from the environment `cmd` will run with.
pub fn without_program_vars(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in PROGRAM_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// `program` (the `tflayers` binary or a copy of it) without [`PROGRAM_VARS`], as a
/// `std::process::Command` for tests that spawn it and watch it run.
pub fn program(path: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(path);
    without_program_vars(&mut cmd);
    cmd
}

/// The `tflayers` binary without [`PROGRAM_VARS`], to spawn.
pub fn tflayers_process() -> std::process::Command {
    program(Path::new(env!("CARGO_BIN_EXE_tflayers")))
}

/// The `tflayers` binary without [`PROGRAM_VARS`], for `assert_cmd`'s assertions.
pub fn tflayers() -> assert_cmd::Command {
    assert_cmd::Command::from_std(tflayers_process())
}

/// The project's checkout.
pub fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The project's venv Python (`make setup` creates it; `make test` runs it first); a missing
/// venv fails the test with that command.
pub fn python() -> PathBuf {
    let python = project().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make setup` before `cargo test`",
        python.display()
    );
    python
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

/// Synthetic training and test images in the small datasets of the data tests.
pub const SMALL_TRAIN: usize = 30;
pub const SMALL_TEST: usize = 10;

/// A temporary folder holding a small synthetic MNIST ([`SMALL_TRAIN`] and [`SMALL_TEST`]
/// images), for the data commands, which need no training-sized split.
pub fn small_mnist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_synthetic_mnist(dir.path(), SMALL_TRAIN, SMALL_TEST, 3).expect("synthetic MNIST");
    dir
}

/// Points `cmd` at the tiny dataset in `data` (its validation split, no download) and at the
/// project's exported models.
pub fn tiny_data_flags<'c>(
    cmd: &'c mut assert_cmd::Command,
    data: &Path,
) -> &'c mut assert_cmd::Command {
    tiny_data_flags_in(cmd, data, &models_dir())
}

/// [`tiny_data_flags`] with the models folder `models` instead of the project's.
pub fn tiny_data_flags_in<'c>(
    cmd: &'c mut assert_cmd::Command,
    data: &Path,
    models: &Path,
) -> &'c mut assert_cmd::Command {
    cmd.arg("--offline")
        .arg("--validation-size")
        .arg(TINY_VALIDATION.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(models)
}

/// `tflayers train --model MODEL --steps STEPS --batch-size BATCH` on the dataset in `data`
/// with the project's models; callers add the rest. The one builder of a training command
/// (to spawn: [`process::Running::start`] takes it; for assertions:
/// `assert_cmd::Command::from_std`).
pub fn train_on(model: &str, steps: u64, batch: u64, data: &Path) -> std::process::Command {
    let mut cmd = tflayers_process();
    cmd.args(["train", "--model", model, "--steps", &steps.to_string()])
        .args(["--batch-size", &batch.to_string()])
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(models_dir());
    cmd
}

/// [`train_on`] with the tiny datasets' validation split (`--validation-size`
/// [`TINY_VALIDATION`]).
pub fn train_command(model: &str, steps: u64, batch: u64, data: &Path) -> std::process::Command {
    let mut cmd = train_on(model, steps, batch, data);
    cmd.args(["--validation-size", &TINY_VALIDATION.to_string()]);
    cmd
}

/// [`train_command`] for `assert_cmd`'s assertions.
pub fn train(model: &str, steps: u64, batch: u64, data: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(train_command(model, steps, batch, data))
}

/// `tflayers train` of `dense` for two steps of 10 images on the tiny dataset in `data`.
pub fn train_dense_briefly(data: &Path) -> assert_cmd::Command {
    let mut cmd = tflayers();
    cmd.args(["train", "--model", "dense", "--steps", "2"])
        .args(["--batch-size", "10"]);
    tiny_data_flags(&mut cmd, data);
    cmd
}

/// Every file under `dir`, recursively and hidden ones included, by its path relative to
/// `dir`, with its bytes: to show that a failed run changed nothing. A missing folder has none.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The scalars of an event folder, read by TensorBoard's own Python reader
/// (`python/tensorboard_scalars.py`, with the venv's Python), as JSON: run -> tag -> points.
pub fn tensorboard_scalars(dir: &Path) -> serde_json::Value {
    let output = std::process::Command::new(python())
        .arg(project().join("python/tensorboard_scalars.py"))
        .arg(dir)
        .env("TF_CPP_MIN_LOG_LEVEL", "2")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The article's lines of a `train` run's stdout, checked to be nothing else.
pub fn article_lines(stdout: &[u8]) -> Vec<String> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (steps, last) = lines.split_at(lines.len() - 1);
    for line in steps {
        assert!(
            line.starts_with("Step ") && line.contains(", training batch accuracy "),
            "not an article line: {line:?}\n{text}"
        );
    }
    assert!(last[0].starts_with("Test accuracy: "), "{text}");
    lines
}

/// Fails unless `path` is a PNG of `size` with some ink (more than 1% and less than half of
/// its pixels not white) and more than 100 pixels of each of `colours`.
pub fn assert_png(path: &Path, size: (u32, u32), colours: &[[u8; 3]]) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
        .to_rgb8();
    assert_eq!(image.dimensions(), size, "{}", path.display());
    let not_white = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    let total = (size.0 * size.1) as usize;
    assert!(
        not_white * 100 > total && not_white * 2 < total,
        "{}: {not_white} of {total} pixels are not white",
        path.display()
    );
    for colour in colours {
        let n = image.pixels().filter(|p| &p.0 == colour).count();
        assert!(n > 100, "{}: only {n} pixels of {colour:?}", path.display());
    }
}

/// A process's output as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The stdout of a process that must have succeeded; otherwise the test fails showing both
/// streams.
pub fn succeeded(output: std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}
