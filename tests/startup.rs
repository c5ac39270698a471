//! Start-up: without `TF_CPP_MIN_LOG_LEVEL`, TensorFlow's INFO logs are hidden in place, so the
//! program starts once (libtensorflow's load-time notice appears once, not once per start) and
//! its stdout still carries only the article's lines.

mod common;

use tflayers::onednn::{DEFAULT_MARK, VARIABLE};

#[test]
fn info_logs_are_hidden_without_starting_twice() {
    // What TensorFlow chooses on this CPU without the variable: this test process loaded it so.
    assert!(
        std::env::var_os(VARIABLE).is_none(),
        "unset {VARIABLE} to run this test: with it set, TensorFlow's default cannot be seen"
    );
    let tensorflow_default = tflayers::tf::env::onednn_enabled().unwrap();
    let data = common::tiny_mnist();
    let output = assert_cmd::Command::from_std(common::train_on("dense", 1, 10, data.path()))
        .env_remove("TF_CPP_MIN_LOG_LEVEL")
        .env_remove(VARIABLE)
        .env_remove(DEFAULT_MARK)
        .args(["--quiet", "--validation-size", "0"])
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
    // The notice libtensorflow prints as it loads with oneDNN on: once if TensorFlow's default
    // here is on, never if it is off (one step of `dense` keeps TensorFlow's default, so a
    // second start would show as a second notice, or as one where none belongs).
    assert_eq!(
        stderr.matches("oneDNN custom operations are on").count(),
        usize::from(tensorflow_default),
        "TensorFlow's default oneDNN setting here: {tensorflow_default}; {stderr}"
    );
}
