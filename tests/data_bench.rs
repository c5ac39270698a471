//! `data bench`: Rust's and Python's (NumPy) loaders timed in turns, with a stand-in Python
//! that fails or disagrees, and with the project's venv Python on a tiny data set.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

/// A stand-in for Python that prints `line` whatever it is asked.
fn fake_python(dir: &Path, line: &str, status: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-python");
    fs::write(
        &path,
        format!("#!/bin/sh\necho '{line}'\necho 'complaint' >&2\nexit {status}\n"),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `data bench` on the synthetic folder (5 validation images) against the interpreter `python`.
fn data_bench(data: &Path, repeat: u32, python: &Path) -> Command {
    let mut cmd = common::tflayers();
    cmd.args(["data", "bench", "--repeat", &repeat.to_string()])
        .args(["--validation-size", "5", "--data-dir"])
        .arg(data)
        .arg("--python")
        .arg(python);
    cmd
}

#[test]
fn bench_alternates_both_loaders_and_reports_the_ratio() {
    let dir = common::small_mnist();
    let tools = tempfile::tempdir().unwrap();
    let python = fake_python(
        tools.path(),
        r#"{"seconds": 0.5, "train": 25, "validation": 5, "test": 10}"#,
        0,
    );
    let output = data_bench(dir.path(), 3, &python).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("Python   500.0 ms").count(), 3, "{stdout}");
    assert!(stdout.contains("transparent huge pages:"), "{stdout}");
    let python_row = stdout.lines().find(|l| l.starts_with("Python ")).unwrap();
    assert_eq!(
        python_row.split_whitespace().collect::<Vec<_>>(),
        ["Python", "500.0", "500.0", "500.0", "3"]
    );
    assert!(
        stdout.contains("Rust/Python ratio of the medians: "),
        "{stdout}"
    );
}

#[test]
fn bench_reports_a_failing_or_disagreeing_python() {
    let dir = common::small_mnist();
    let tools = tempfile::tempdir().unwrap();
    let failing = fake_python(tools.path(), "{}", 3);
    data_bench(dir.path(), 1, &failing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "failed (exit status: 3): complaint",
        ));
    let disagreeing = fake_python(
        tools.path(),
        r#"{"seconds": 0.5, "train": 24, "validation": 6, "test": 10}"#,
        0,
    );
    data_bench(dir.path(), 1, &disagreeing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the Python loader produced a (24, 6, 10) split but the Rust loader (25, 5, 10)",
        ));
}

#[test]
fn bench_runs_the_real_python_loader() {
    // The project's venv Python (made by `make setup`, which `make test` needs anyway) and
    // python/bench_load.py, end to end on a tiny data set.
    let dir = common::small_mnist();
    common::tflayers()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TFLAYERS_PYTHON")
        .args([
            "data",
            "bench",
            "--repeat",
            "2",
            "--validation-size",
            "5",
            "--data-dir",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("round  2: Rust"))
        .stdout(predicate::str::contains(
            "Rust/Python ratio of the medians: ",
        ));
}
