//! The data commands as a user runs them: `data info` (counts, histograms, checksum status,
//! Fashion-MNIST's class names), `data show`, their help pages, unpublished files (loaded
//! without stamps, trained on with a warning naming both checksums), and a folder left exactly
//! as it was by each (every file, hidden ones included, compared before and after).

mod common;

use std::fs;

use predicates::prelude::*;

use tflayers::mnist::dataset::TRAIN_LABELS_FILE;
use tflayers::mnist::fixtures::synthetic_digits;
use tflayers::mnist::verify::STAMP_FILE;

/// Synthetic training and test images in these tests' folders ([`common::small_mnist`]).
const TRAIN: usize = common::SMALL_TRAIN;
const TEST: usize = common::SMALL_TEST;

#[test]
fn info_reports_counts_histogram_and_checksum_status() {
    let dir = common::small_mnist();
    let before = common::snapshot(dir.path());
    let output = common::tflayers()
        .args(["data", "info", "--validation-size", "5", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("MNIST in {}\n", dir.path().display())),
        "{stdout}"
    );
    // Synthetic files are not the published ones, and the report says so per file.
    assert!(
        stdout.contains(
            "train-images-idx3-ubyte.gz  MISMATCH: expected SHA-256 \
             ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db (47040016 bytes)"
        ),
        "{stdout}"
    );
    for (split, count) in [("train", "25"), ("validation", "5"), ("test", "10")] {
        let row = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{split} ")))
            .unwrap_or_else(|| panic!("no {split} row in {stdout}"));
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(words[..6], [split, count, count, "x", "28", "x"], "{row}");
    }
    let (_, labels) = synthetic_digits(TRAIN, 3);
    let sevens = labels[5..].iter().filter(|&&l| l == 7).count();
    let row = stdout.lines().find(|l| l.starts_with("7 ")).unwrap();
    assert_eq!(
        row.split_whitespace().nth(2),
        Some(sevens.to_string().as_str()),
        "{row}"
    );
    // Nothing verified, so no stamps were written: the folder is unchanged.
    assert_eq!(common::snapshot(dir.path()), before);
}

#[test]
fn fashion_reports_name_the_classes() {
    let dir = common::small_mnist();
    common::tflayers()
        .args([
            "data",
            "info",
            "--dataset",
            "fashion-mnist",
            "--validation-size",
            "5",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Fashion-MNIST in "))
        .stdout(predicate::str::contains("T-shirt/top"))
        .stdout(predicate::str::contains("Ankle boot"))
        // Fashion-MNIST's own published checksum is the expected one.
        .stdout(predicate::str::contains(
            "expected SHA-256 c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ));
}

#[test]
fn info_on_a_missing_folder_says_how_to_get_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    common::tflayers()
        .args(["data", "info", "--dataset", "fashion-mnist", "--data-dir"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "error: {} does not exist: `tflayers download --dataset fashion-mnist --data-dir {}`",
            missing.display(),
            missing.display()
        )));
    assert!(!missing.exists());
}

#[test]
fn show_draws_a_png_grid() {
    let dir = common::small_mnist();
    let out = tempfile::tempdir().unwrap();
    let png = out.path().join("digits.png");
    common::tflayers()
        .args([
            "data",
            "show",
            "--split",
            "test",
            "--index",
            "2..8",
            "--columns",
            "3",
        ])
        .args(["--validation-size", "5", "--data-dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(&png)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "wrote {} (184x148 pixels): 6 test images 2..8 of MNIST with their labels",
            png.display()
        )));
    let format = image::ImageReader::open(&png)
        .unwrap()
        .with_guessed_format()
        .unwrap()
        .format();
    assert_eq!(format, Some(image::ImageFormat::Png));
    assert_eq!(image::image_dimensions(&png).unwrap(), (184, 148));
    assert_eq!(
        fs::read_dir(out.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn show_rejects_bad_ranges_and_folders() {
    let dir = common::small_mnist();
    let out = tempfile::tempdir().unwrap();
    let png = out.path().join("d.png");
    common::tflayers()
        .args([
            "data",
            "show",
            "--index",
            "5..20",
            "--validation-size",
            "5",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(&png)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--index 5..20 is past the end of the test split, which holds 10 images",
        ));
    for bad in ["7..3", "x", "0..5000"] {
        common::tflayers()
            .args(["data", "show", "--index", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--index"));
    }
    common::tflayers()
        .args([
            "data",
            "show",
            "--validation-size",
            "5",
            "--index",
            "0",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg("--out")
        .arg(out.path().join("missing/d.png"))
        .assert()
        .success();
    // A missing folder is created, as for every output path.
    assert!(out.path().join("missing/d.png").is_file());
}

#[test]
fn every_data_subcommand_has_help() {
    for args in [
        vec!["download", "--help"],
        vec!["data", "info", "--help"],
        vec!["data", "show", "--help"],
        vec!["data", "bench", "--help"],
    ] {
        common::tflayers()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("--data-dir"));
    }
    common::tflayers()
        .args(["train", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--dataset"))
        .stdout(predicate::str::contains("--offline"))
        .stdout(predicate::str::contains("--mirror"));
    common::tflayers()
        .args(["download", "--mirror", "ftp://x/"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an http:// or https:// URL"));
}

#[test]
fn loading_unpublished_files_works_and_writes_no_stamps() {
    use tflayers::mnist::catalog::DatasetKind;
    use tflayers::mnist::download::DownloadConfig;
    use tflayers::mnist::load::DataSource;
    // Synthetic files never match the published checksums: loading works, stamps stay off.
    let dir = common::small_mnist();
    let source = DataSource {
        dataset: DatasetKind::Mnist,
        dir: dir.path().to_path_buf(),
        validation_size: 5,
        offline: true,
        download: DownloadConfig {
            mirrors: Vec::new(),
            connect_timeout: std::time::Duration::from_secs(1),
            read_timeout: std::time::Duration::from_secs(1),
            retries: 0,
            ..DownloadConfig::for_dataset(DatasetKind::Mnist)
        },
        allow_unpublished: false,
    };
    // Generated files load without the flag (their note vouches for them).
    let data = tflayers::mnist::load::load_data(&source).unwrap();
    assert_eq!(data.test.len(), TEST);
    assert!(!dir.path().join(STAMP_FILE).exists());
}

#[test]
fn training_on_unpublished_files_warns_with_both_checksums() {
    let dir = common::small_mnist();
    // Without the generator's note the files are simply not the published ones.
    fs::remove_file(dir.path().join(tflayers::mnist::generated::GENERATED_FILE)).unwrap();
    let before = common::snapshot(dir.path());
    let output = assert_cmd::Command::from_std(common::train_on("dense", 1, 5, dir.path()))
        .args([
            "--offline",
            "--allow-unpublished-data",
            "--validation-size",
            "5",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: 4 of the 4 files in {} are not the published MNIST files; training \
             on them because of --allow-unpublished-data",
            dir.path().display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "t10k-labels-idx1-ubyte.gz: checksum mismatch: expected the published SHA-256 \
             ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 of 10008"
        ),
        "{stderr}"
    );
    // stdout keeps only the article's lines: the step's and the test accuracy's, no other.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("Step 0, "), "{stdout}");
    assert!(lines[1].starts_with("Test accuracy: "), "{stdout}");
    assert_eq!(common::snapshot(dir.path()), before);
}

#[test]
fn info_shows_the_checksums_even_when_loading_fails() {
    let dir = common::small_mnist();
    fs::write(dir.path().join(TRAIN_LABELS_FILE), b"<html>").unwrap();
    common::tflayers()
        .args(["data", "info", "--validation-size", "5", "--data-dir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "train-labels-idx1-ubyte.gz  UNREADABLE: {}/train-labels-idx1-ubyte.gz is not a gzip file",
            dir.path().display()
        )))
        .stdout(predicate::str::contains("label  class").not());
}
