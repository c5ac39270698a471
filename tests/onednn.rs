//! oneDNN chosen per run: a real `tflayers` process runs with the setting the manifest's table
//! gives for its model on this CPU (starting itself again when TensorFlow loaded with the
//! other one), records it in the metrics header, and a user's `TF_ENABLE_ONEDNN_OPTS` wins.

mod common;

use std::path::Path;

use tflayers::host::Machine;
use tflayers::onednn::{choose, Run, DEFAULT_MARK, VARIABLE};

/// Enough steps of `conv2` that oneDNN's gain pays for a restart, by the manifest's table
/// measured on an AVX2 CPU (63 ms a step).
const STEPS: u64 = 10;

/// `tflayers train --model MODEL` for [`STEPS`] steps on the tiny data, with oneDNN's variable set to
/// `value` (or unset); returns the metrics header and stderr.
fn train(model: &str, value: Option<&str>, dir: &Path) -> (serde_json::Value, String) {
    let data = common::tiny_mnist();
    let metrics = dir.join(format!("{model}-{}.jsonl", value.unwrap_or("auto")));
    let mut cmd = common::train(model, STEPS, 10, data.path());
    cmd.env_remove(VARIABLE).env_remove(DEFAULT_MARK);
    if let Some(value) = value {
        cmd.env(VARIABLE, value);
    }
    let output = cmd
        .args(["--log-every", "1", "--quiet"])
        .arg("--metrics")
        .arg(&metrics)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let header = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    (header, stderr)
}

#[test]
fn each_model_runs_with_the_setting_the_table_gives_on_this_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = common::manifest();
    // This test process loaded TensorFlow without the variable: what it reports is
    // TensorFlow's default on this CPU.
    assert!(
        std::env::var_os(VARIABLE).is_none(),
        "unset {VARIABLE} to run this test: with it set, TensorFlow's default cannot be seen"
    );
    let tensorflow_default = tflayers::tf::env::onednn_enabled().unwrap();
    let isa = Machine::describe().isa;
    for model in ["hidden", "conv2"] {
        let models = [model.to_string()];
        let run = Run {
            models: &models,
            steps: Some(STEPS),
        };
        let expected = choose(&manifest.onednn, run, &isa, tensorflow_default, None);
        let (header, stderr) = train(model, None, dir.path());
        assert_eq!(
            header["onednn"],
            serde_json::json!(expected.enabled),
            "{model}: expected {expected} on {isa:?}; stderr: {stderr}"
        );
        // libtensorflow prints its notice at load time when oneDNN is on: at the first start
        // when TensorFlow's default is on, at the second when the program started itself
        // again to turn it on. Never twice: the program starts at most twice, once with each
        // setting.
        let notices = usize::from(tensorflow_default || expected.enabled);
        assert_eq!(
            stderr.matches("oneDNN custom operations are on").count(),
            notices,
            "{model}: expected {expected}, TensorFlow's default {tensorflow_default}: {stderr}"
        );
    }
}

#[test]
fn the_users_variable_wins_either_way() {
    let dir = tempfile::tempdir().unwrap();
    for (value, enabled) in [("0", false), ("1", true)] {
        let (header, _) = train("conv2", Some(value), dir.path());
        assert_eq!(header["onednn"], serde_json::json!(enabled), "{value}");
    }
}

#[test]
fn devices_says_whether_onednn_is_on_and_why() {
    for (value, line) in [
        ("1", "oneDNN on (TF_ENABLE_ONEDNN_OPTS set by the user)"),
        ("0", "oneDNN off (TF_ENABLE_ONEDNN_OPTS set by the user)"),
    ] {
        let output = common::tflayers()
            .env(VARIABLE, value)
            .env_remove(DEFAULT_MARK)
            .arg("devices")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success());
        assert!(stdout.lines().any(|l| l == line), "{stdout}");
        assert!(stdout.contains("\nCPU: "), "{stdout}");
        assert!(stdout.contains("\nInstruction sets: "), "{stdout}");
    }
    // Without the variable, TensorFlow's own default is what devices reports.
    let output = common::tflayers()
        .env_remove(VARIABLE)
        .env_remove(DEFAULT_MARK)
        .arg("devices")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("(TensorFlow's default on this CPU)"),
        "{stdout}"
    );
}
