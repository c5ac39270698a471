//! Data files that are not the published ones: every training command refuses them before
//! any work, naming each file with both digests and the two ways out; `--allow-unpublished-data`
//! trains on them, says so and records it; files this program generated pass as generated
//! test data; `data info` keeps reporting.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tflayers::mnist::fixtures::{synthetic_digits, write_gz_idx_labels};
use tflayers::mnist::generated::GENERATED_FILE;
use tflayers::mnist::TRAIN_LABELS_FILE;

/// A tiny data folder whose training labels were replaced after generation: the generator's
/// note no longer vouches for them, and they are not the published file either.
fn altered_mnist() -> tempfile::TempDir {
    let dir = common::tiny_mnist();
    let (_, labels) = synthetic_digits(common::TINY_TRAIN, 99);
    write_gz_idx_labels(&dir.path().join(TRAIN_LABELS_FILE), &labels).unwrap();
    dir
}

/// The refusal: exit 1 before any training, the file named with the published digest and
/// the one found, and both ways out.
fn assert_refused(cmd: &mut Command, data: &Path) {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let file = data.join(TRAIN_LABELS_FILE);
    for needle in [
        format!(
            "1 of the 4 files in {} are not the published MNIST files",
            data.display()
        ),
        format!(
            "{}: checksum mismatch: expected the published SHA-256 \
             65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 of 60008 \
             decompressed bytes, found ",
            file.display()
        ),
        format!(
            "`tflayers download --dataset mnist --data-dir {}`",
            data.display()
        ),
        "keeping these copies as *.bad".to_string(),
        "--allow-unpublished-data".to_string(),
    ] {
        assert!(stderr.contains(&needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stdout.contains("Step 0"), "{stdout}");
    assert!(!stderr.contains("Loaded MNIST"), "{stderr}");
}

#[test]
fn train_refuses_unpublished_files_and_changes_nothing() {
    let data = altered_mnist();
    let before: Vec<_> = fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("m.jsonl");
    assert_refused(
        common::train_dense_briefly(data.path())
            .arg("--metrics")
            .arg(&metrics),
        data.path(),
    );
    assert!(!metrics.exists());
    let after: Vec<_> = fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn every_training_command_refuses_them() {
    let data = altered_mnist();
    let model_dir = common::models_dir().join("dense");
    let mut evaluate = common::tflayers();
    evaluate.args(["evaluate", "--model-dir"]).arg(&model_dir);
    let mut reproduce = common::tflayers();
    reproduce.args(["reproduce", "--steps", "1", "--batch-size", "10"]);
    let mut compare = common::tflayers();
    compare.args([
        "compare",
        "--model",
        "dense",
        "--steps",
        "1",
        "--batch-size",
        "10",
    ]);
    let mut bench = common::tflayers();
    bench.args([
        "bench",
        "--models",
        "dense",
        "--steps",
        "1",
        "--batch-size",
        "10",
        "--repeat",
        "1",
    ]);
    for mut cmd in [evaluate, reproduce, compare, bench] {
        assert_refused(common::tiny_data_flags(&mut cmd, data.path()), data.path());
    }
}

#[test]
fn the_flag_trains_says_so_and_records_it() {
    let data = altered_mnist();
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("m.jsonl");
    let output = common::train_dense_briefly(data.path())
        .arg("--allow-unpublished-data")
        .arg("--metrics")
        .arg(&metrics)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "warning: 1 of the 4 files in {} are not the published MNIST files; training on \
             them because of --allow-unpublished-data"
                .replace("{}", &data.path().display().to_string())
                .as_str()
        ),
        "{stderr}"
    );
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    let text = fs::read_to_string(&metrics).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        header["unpublished_data"],
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, \
         t10k-labels-idx1-ubyte.gz (--allow-unpublished-data)"
    );
}

#[test]
fn generated_files_pass_as_generated_and_are_recorded() {
    let data = common::tiny_mnist();
    assert!(data.path().join(GENERATED_FILE).is_file());
    let out = tempfile::tempdir().unwrap();
    let metrics = out.path().join("m.csv");
    let output = common::train_dense_briefly(data.path())
        .arg("--metrics")
        .arg(&metrics)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("are generated test data, not MNIST"),
        "{stderr}"
    );
    let text = fs::read_to_string(&metrics).unwrap();
    assert!(
        text.lines().next().unwrap().contains(",unpublished_data,"),
        "{text}"
    );
    assert!(
        text.contains(
            "\"train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
             t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (generated test data)\""
        ),
        "{text}"
    );
    // Without the note, the same files are refused.
    fs::remove_file(data.path().join(GENERATED_FILE)).unwrap();
    common::train_dense_briefly(data.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("4 of the 4 files in"));
}

#[test]
fn data_info_still_reports_without_refusing() {
    let data = altered_mnist();
    common::tflayers()
        .args(["data", "info", "--validation-size", "5", "--data-dir"])
        .arg(data.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "train-labels-idx1-ubyte.gz  MISMATCH",
        ));
}
