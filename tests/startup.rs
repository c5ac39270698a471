//! Start-up: without `TF_CPP_MIN_LOG_LEVEL`, TensorFlow's INFO logs are hidden in place, so the
//! program starts once (libtensorflow's load-time notice appears once, not once per start) and
//! its stdout still carries only the article's lines.

mod common;

use assert_cmd::Command;

#[test]
fn info_logs_are_hidden_without_starting_twice() {
    let data = common::tiny_mnist();
    let output = Command::cargo_bin("tflayers")
        .unwrap()
        .env_remove("TF_CPP_MIN_LOG_LEVEL")
        .env_remove("TFLAYERS_DATA_DIR")
        .env_remove("TFLAYERS_MODELS_DIR")
        .args(["train", "--model", "dense", "--steps", "1", "--quiet"])
        .args(["--batch-size", "10", "--validation-size", "0", "--data-dir"])
        .arg(data.path())
        .arg("--models-dir")
        .arg(common::models_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("Step 0, training batch accuracy "),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    // The SavedModel loader logs at INFO level; none of it shows.
    assert!(!stderr.contains("Reading SavedModel"), "{stderr}");
    assert!(!stderr.contains("SavedModel load for tags"), "{stderr}");
    // The notice oneDNN prints while libtensorflow loads: once per process start.
    assert!(
        stderr.matches("oneDNN custom operations are on").count() <= 1,
        "{stderr}"
    );
}
