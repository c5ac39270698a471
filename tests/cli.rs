//! The binary as a user runs it: flags are validated before TensorFlow starts, errors name the
//! file or flag, and `train` prints only the article's lines on stdout.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;

fn tflayers() -> Command {
    let mut cmd = common::tflayers();
    // Missing files would otherwise be downloaded: no test touches the internet.
    cmd.env("TFLAYERS_OFFLINE", "1");
    cmd
}

#[test]
fn version_names_the_crate_and_tensorflow() {
    tflayers().arg("--version").assert().success().stdout(
        predicate::str::is_match(r"^tflayers \d+\.\d+\.\d+ \(TensorFlow 2\.21\.0\)\n$").unwrap(),
    );
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["train", "reproduce"] {
        tflayers()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--data-dir"));
    }
}

#[test]
fn invalid_flags_are_rejected_naming_the_flag() {
    for (flag, value) in [
        ("--steps", "0"),
        ("--batch-size", "0"),
        ("--learning-rate", "-1"),
        ("--model", "lenet"),
    ] {
        let mut args = vec!["train"];
        if flag != "--model" {
            args.extend(["--model", "dense"]);
        }
        args.extend([flag, value]);
        tflayers()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag));
    }
}

#[test]
fn an_unknown_model_is_refused_listing_the_manifests_models() {
    tflayers()
        .args(["train", "--model", "lenet", "--models-dir"])
        .arg(common::models_dir())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'lenet' for '--model'"))
        .stderr(predicate::str::contains(
            "known models: dense, hidden, conv1, conv2, dropout",
        ));
}

#[test]
fn a_missing_data_file_is_named_with_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    tflayers()
        .args(["train", "--model", "dense", "--steps", "1", "--data-dir"])
        .arg(empty.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("train-images-idx3-ubyte.gz"))
        .stderr(predicate::str::contains("error:"));
}

#[test]
fn train_prints_only_the_articles_lines_on_stdout() {
    let data = common::tiny_mnist();
    let output = common::train("dense", 30, 20, data.path())
        .env("TFLAYERS_OFFLINE", "1")
        .args(["--log-every", "10"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let step = regex_like(r"Step (0|10|20), training batch accuracy [0-9.e+-]+");
    for (line, n) in lines[..3].iter().zip(["0", "10", "20"]) {
        assert!(step.eval(line), "{line}");
        assert!(line.starts_with(&format!("Step {n},")), "{line}");
    }
    assert!(
        regex_like(r"^Test accuracy: [0-9.e+-]+$").eval(lines[3]),
        "{}",
        lines[3]
    );
}

fn regex_like(pattern: &str) -> impl Predicate<str> {
    predicate::str::is_match(pattern).unwrap()
}

#[test]
fn reproduce_trains_the_five_models_in_order_and_prints_a_table() {
    let data = common::tiny_mnist();
    let output = tflayers()
        .args([
            "reproduce",
            "--steps",
            "3",
            "--log-every",
            "2",
            "--batch-size",
            "10",
        ])
        .args(["--validation-size", "100", "--data-dir"])
        .arg(data.path())
        .arg("--models-dir")
        .arg(common::models_dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let headings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("== ")).collect();
    let names: Vec<&str> = headings
        .iter()
        .map(|h| h[3..].split(':').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["dense", "hidden", "conv1", "conv2", "dropout"],
        "{stdout}"
    );
    assert_eq!(stdout.matches("Test accuracy: ").count(), 5);
    let mut table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("model"))
        .collect();
    // The table ends with the oneDNN setting that produced it.
    let onednn = table.pop().unwrap_or_default();
    assert!(
        onednn.starts_with("oneDNN on (") || onednn.starts_with("oneDNN off ("),
        "{stdout}"
    );
    assert_eq!(table.len(), 6, "{stdout}");
    assert!(table[0].contains("test accuracy") && table[0].contains("article"));
    // The article column: the two figures the article states, a dash for the others.
    let article = ["-", "0.94", "0.97", "-", "-"];
    for ((row, name), figure) in table[1..].iter().zip(names).zip(article) {
        assert!(row.starts_with(name), "{row}");
        assert!(row.split_whitespace().nth(1) == Some("3"), "{row}");
        assert_eq!(row.split_whitespace().nth(3), Some(figure), "{row}");
    }
}
