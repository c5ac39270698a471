//! `tflayers compare` as a user runs it: the Rust side in the binary, the Python side through
//! the project's venv, on a tiny generated dataset. The five models must come out identical,
//! and a deliberately perturbed Python side must be caught.
//!
//! The last test is `#[ignore]`d: `make test-real` runs it on the real MNIST files.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// `compare` on the tiny dataset with small batches.
fn compare(data: &Path, args: &[&str]) -> Command {
    let mut cmd = common::tflayers();
    cmd.arg("compare")
        .args(["--batch-size", "20", "--validation-size"])
        .arg(common::TINY_VALIDATION.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(common::models_dir())
        .args(args);
    cmd
}

#[test]
fn all_five_models_are_identical_in_rust_and_python() {
    let data = common::tiny_mnist();
    let report = tempfile::tempdir().unwrap();
    // 60 steps per model, 300 in all; every 10th step is logged and compared.
    let output = compare(
        data.path(),
        &["--all", "--steps", "60", "--log-every", "10", "--report"],
    )
    .arg(report.path())
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for name in ["dense", "hidden", "conv1", "conv2", "dropout"] {
        let summary = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no summary row for {name}: {stdout}"));
        assert!(summary.contains("identical"), "{summary}");
        assert!(report.path().join(format!("compare-{name}.png")).is_file());
    }
    assert_eq!(
        stdout
            .matches("verdict: identical: 6 logged steps (accuracy and loss)")
            .count(),
        5,
        "{stdout}"
    );
    // Each comparison's title says which oneDNN setting both sides ran with.
    let titles: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": Rust and Python, 60 steps"))
        .collect();
    assert_eq!(titles.len(), 5, "{stdout}");
    for title in titles {
        assert!(
            title.contains("; both sides oneDNN on (")
                || title.contains("; both sides oneDNN off ("),
            "{title}"
        );
    }
    // Both sides' article lines were echoed while they ran.
    assert_eq!(stderr.matches("python | Test accuracy: ").count(), 5);
    assert_eq!(stderr.matches("rust   | Test accuracy: ").count(), 5);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.path().join("compare.json")).unwrap())
            .unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["comparisons"].as_array().unwrap().len(), 5);
    assert!(json["comparisons"][0]["settings"]["onednn"]["enabled"].is_boolean());
    let markdown = std::fs::read_to_string(report.path().join("compare.md")).unwrap();
    assert!(markdown.contains("![dropout: Rust and Python](compare-dropout.png)"));
}

#[test]
fn thread_counts_and_chunked_evaluation_reach_both_sides() {
    let data = common::tiny_mnist();
    compare(
        data.path(),
        &[
            "--model",
            "conv1",
            "--steps",
            "4",
            "--log-every",
            "1",
            "--eval-batch-size",
            "64",
            "--intra-op-threads",
            "1",
            "--inter-op-threads",
            "1",
        ],
    )
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "verdict: identical: 4 logged steps (accuracy and loss)",
    ));
}

#[test]
fn a_different_seed_on_the_python_side_is_caught() {
    let data = common::tiny_mnist();
    let report = tempfile::tempdir().unwrap();
    compare(
        data.path(),
        &[
            "--model",
            "hidden",
            "--steps",
            "4",
            "--log-every",
            "2",
            "--python-seed",
            "1",
            "--report",
        ],
    )
    .arg(report.path())
    .assert()
    .code(1)
    .stdout(predicate::str::contains("verdict: diverged at step 0: "))
    .stdout(predicate::str::contains("(python seed 1)"))
    .stderr(predicate::str::contains(
        "error: Rust and Python disagree beyond --tolerance 0:\n  hidden: diverged at step 0: ",
    ));
    // The report is still written, and says so.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.path().join("compare.json")).unwrap())
            .unwrap();
    assert_eq!(json["passed"], false);
    assert_eq!(
        json["comparisons"][0]["verdict"]["verdict"], "diverged",
        "{json}"
    );
    assert_eq!(json["comparisons"][0]["verdict"]["first"]["step"], 0);
}

#[test]
fn a_tolerance_does_not_hide_a_real_divergence() {
    let data = common::tiny_mnist();
    compare(
        data.path(),
        &[
            "--model",
            "dense",
            "--steps",
            "2",
            "--log-every",
            "1",
            "--python-seed",
            "3",
            "--tolerance",
            "1e-6",
        ],
    )
    .assert()
    .code(1)
    .stderr(predicate::str::contains("dense: diverged at step 0"))
    .stderr(predicate::str::contains("(tolerance 1e-06)"));
}

#[test]
fn model_or_all_is_required_and_flags_are_checked() {
    common::tflayers()
        .args(["compare", "--steps", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--model"));
    common::tflayers()
        .args(["compare", "--model", "dense", "--all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--all"));
    common::tflayers()
        .args(["compare", "--model", "dense", "--tolerance", "-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--tolerance"));
    common::tflayers()
        .args(["compare", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--python"))
        .stdout(predicate::str::contains("--report"))
        .stdout(predicate::str::contains("--python-seed").not());
}

#[test]
fn a_python_that_cannot_start_is_named() {
    let data = common::tiny_mnist();
    compare(data.path(), &["--model", "dense", "--steps", "1"])
        .args(["--python", "/nonexistent/python3"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "cannot start /nonexistent/python3",
        ))
        .stderr(predicate::str::contains("TFLAYERS_PYTHON"));
}

#[test]
fn a_failing_python_side_shows_its_error() {
    // A stand-in interpreter that fails the way a crashing script does: its stderr is shown.
    let data = common::tiny_mnist();
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("python");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\necho 'Traceback: something broke on the Python side' >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    compare(data.path(), &["--model", "dense", "--steps", "1"])
        .arg("--python")
        .arg(&wrapper)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("failed with exit status: 3"))
        .stderr(predicate::str::contains(
            "something broke on the Python side",
        ));
}

#[test]
#[ignore = "needs the real MNIST files: make test-real REAL_MNIST=DIR"]
fn dropout_is_identical_on_real_mnist_for_300_steps() {
    let dir = std::env::var_os("TFLAYERS_REAL_MNIST")
        .expect("set TFLAYERS_REAL_MNIST to the folder of the four MNIST .gz files");
    let output = common::tflayers()
        .args([
            "compare",
            "--model",
            "dropout",
            "--steps",
            "300",
            "--data-dir",
        ])
        .arg(&dir)
        .arg("--models-dir")
        .arg(common::models_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("verdict: identical: 3 logged steps"),
        "{stdout}"
    );
    println!(
        "ran on real data: compare --model dropout --steps 300 on MNIST from {}: identical",
        Path::new(&dir).display()
    );
}
