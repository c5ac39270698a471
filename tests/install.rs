//! The binary as `cargo install --path .` (or `make install`) leaves it: copied out of
//! `target/` and run from another folder, with no `LD_LIBRARY_PATH` and none of the program's
//! variables, it still finds libtensorflow (its rpath), the exported models (the project's
//! models folder, recorded at build time) and `TFLAYERS_MODELS_DIR` when set.

mod common;

use std::path::Path;
use std::process::Command;

fn installed_copy(into: &Path) -> std::path::PathBuf {
    let bin = into.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let copy = bin.join("tflayers");
    std::fs::copy(env!("CARGO_BIN_EXE_tflayers"), &copy).unwrap();
    copy
}

fn run_elsewhere(bin: &Path, cwd: &Path) -> Command {
    let mut cmd = common::program(bin);
    cmd.current_dir(cwd).env_remove("LD_LIBRARY_PATH");
    cmd
}

#[test]
fn an_installed_copy_runs_from_another_folder() {
    let prefix = tempfile::tempdir().unwrap();
    let bin = installed_copy(prefix.path());
    let elsewhere = tempfile::tempdir().unwrap();
    let models = common::models_dir();

    // The manifest is found without flags: --model's help lists its models.
    let help = run_elsewhere(&bin, elsewhere.path())
        .args(["train", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "{help:?}");
    assert!(
        text.contains("- dense:") && text.contains("- conv2:"),
        "{text}"
    );

    // libtensorflow loads and a model runs: predict on the untrained export.
    let image = elsewhere.path().join("digit.png");
    image::GrayImage::from_fn(28, 28, |x, _| image::Luma([if x == 14 { 255 } else { 0 }]))
        .save(&image)
        .unwrap();
    let predicted = run_elsewhere(&bin, elsewhere.path())
        .args(["predict", "--model-dir"])
        .arg(models.join("dense"))
        .arg("digit.png")
        .output()
        .unwrap();
    assert!(
        predicted.status.success(),
        "{}",
        String::from_utf8_lossy(&predicted.stderr)
    );
    assert!(String::from_utf8_lossy(&predicted.stdout).starts_with("digit.png: "));

    // TFLAYERS_MODELS_DIR points it at another models folder.
    let empty = elsewhere.path().join("no-models");
    std::fs::create_dir(&empty).unwrap();
    let refused = run_elsewhere(&bin, elsewhere.path())
        .env("TFLAYERS_MODELS_DIR", &empty)
        .args(["predict", "--model-dir"])
        .arg(models.join("dense"))
        .arg("digit.png")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no-models"), "{stderr}");
}
