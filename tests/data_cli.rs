//! The data commands as a user runs them, and every kind of bad data file: each error names
//! the file, says what was expected and what to do, exits with status 1 without a panic, and
//! leaves the data folder exactly as it was (every file, hidden ones included, compared
//! before and after).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flate2::write::GzEncoder;
use flate2::Compression;
use predicates::prelude::*;

use tflayers::mnist::dataset::{
    TEST_IMAGES_FILE, TEST_LABELS_FILE, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,
};
use tflayers::mnist::fixtures::{synthetic_digits, write_gz_idx_images, write_gz_idx_labels};
use tflayers::mnist::idx::{write_idx_images, write_idx_labels, Images};
use tflayers::mnist::verify::STAMP_FILE;

/// Synthetic training and test images in these tests' folders.
const TRAIN: usize = 30;
const TEST: usize = 10;

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        files.insert(path.clone(), fs::read(&path).unwrap());
    }
    files
}

fn synthetic() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    tflayers::mnist::fixtures::write_synthetic_mnist(dir.path(), TRAIN, TEST, 3).unwrap();
    dir
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn idx_images(images: &Images) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_idx_images(&mut bytes, images).unwrap();
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_idx_labels(&mut bytes, labels).unwrap();
    bytes
}

/// Runs `data info` (and, when `train_too`, `train --offline`) on `dir` after `damage`, and
/// checks that each fails with every text of `expected` in its error and that the folder did
/// not change.
fn assert_rejected(damage: impl FnOnce(&Path), expected: &[&str], train_too: bool) {
    let mut runs: Vec<&[&str]> = vec![&["data", "info"]];
    if train_too {
        runs.push(&["train", "--model", "dense", "--steps", "1", "--offline"]);
    }
    let dir = synthetic();
    damage(dir.path());
    for args in runs {
        assert_command_rejects(dir.path(), args, expected);
    }
}

fn assert_command_rejects(dir: &Path, args: &[&str], expected: &[&str]) {
    let before = snapshot(dir);
    let mut cmd = common::tflayers();
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .args(["--validation-size", "5"]);
    if args[0] == "train" {
        cmd.arg("--models-dir").arg(common::models_dir());
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.contains("error: "), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for text in expected {
        let text = text.replace("{dir}", &dir.display().to_string());
        assert!(
            stderr.contains(&text),
            "{args:?}: expected {text:?} in {stderr}"
        );
    }
    assert_eq!(snapshot(dir), before, "{args:?} changed the folder");
}

#[test]
fn a_missing_file() {
    let dir = synthetic();
    fs::remove_file(dir.path().join(TEST_LABELS_FILE)).unwrap();
    assert_command_rejects(
        dir.path(),
        &["data", "info"],
        &[
            "{dir}/t10k-labels-idx1-ubyte.gz does not exist",
            "put the four standard MNIST files",
        ],
    );
    assert_command_rejects(
        dir.path(),
        &["train", "--model", "dense", "--steps", "1", "--offline"],
        &[
            "{dir} lacks t10k-labels-idx1-ubyte.gz of MNIST, and --offline forbids downloading",
            "tflayers download --dataset mnist --data-dir {dir}",
        ],
    );
}

#[test]
fn a_file_that_is_not_gzip() {
    assert_rejected(
        |dir| {
            let (images, _) = synthetic_digits(TEST, 1);
            fs::write(dir.join(TEST_IMAGES_FILE), idx_images(&images)).unwrap();
        },
        &[
            "{dir}/t10k-images-idx3-ubyte.gz is not a gzip file: it is an uncompressed IDX file",
            "compress it with `gzip`",
        ],
        true,
    );
    assert_rejected(
        |dir| fs::write(dir.join(TRAIN_LABELS_FILE), b"<html>Not Found</html>").unwrap(),
        &[
            "{dir}/train-labels-idx1-ubyte.gz is not a gzip file: it starts with 3c 68 74 6d \
             instead of the gzip signature 1f 8b",
            "replace it with the original .gz file (`tflayers download` fetches it)",
        ],
        false,
    );
}

#[test]
fn gzip_that_is_not_idx() {
    assert_rejected(
        |dir| fs::write(dir.join(TRAIN_IMAGES_FILE), gz(b"hello, this is not IDX")).unwrap(),
        &[
            "{dir}/train-images-idx3-ubyte.gz: not an IDX image file: expected magic number \
             0x00000803 but found 0x68656c6c",
            "check that this is the MNIST image file",
        ],
        true,
    );
}

#[test]
fn a_truncated_header() {
    assert_rejected(
        |dir| {
            let (images, _) = synthetic_digits(TEST, 1);
            let bytes = idx_images(&images);
            fs::write(dir.join(TEST_IMAGES_FILE), gz(&bytes[..10])).unwrap();
        },
        &[
            "{dir}/t10k-images-idx3-ubyte.gz: truncated header: expected 16 header bytes but \
             the data ends after 10",
            "download it again",
        ],
        false,
    );
}

#[test]
fn a_truncated_body() {
    assert_rejected(
        |dir| {
            let (images, _) = synthetic_digits(TEST, 1);
            let bytes = idx_images(&images);
            fs::write(dir.join(TEST_IMAGES_FILE), gz(&bytes[..bytes.len() - 100])).unwrap();
        },
        &[
            "{dir}/t10k-images-idx3-ubyte.gz: truncated: the header announces 7840 bytes of \
             pixels (10 images of 28x28) but only 7740 bytes follow",
            "download it again",
        ],
        true,
    );
}

#[test]
fn a_truncated_gzip_stream() {
    assert_rejected(
        |dir| {
            let path = dir.join(TRAIN_IMAGES_FILE);
            let bytes = fs::read(&path).unwrap();
            fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        },
        &["{dir}/train-images-idx3-ubyte.gz", "download it again"],
        false,
    );
}

#[test]
fn trailing_bytes() {
    assert_rejected(
        |dir| {
            let mut bytes = idx_labels(&[1; TEST]);
            bytes.extend_from_slice(&[0, 0, 0]);
            fs::write(dir.join(TEST_LABELS_FILE), gz(&bytes)).unwrap();
        },
        &[
            "{dir}/t10k-labels-idx1-ubyte.gz: 3 unexpected trailing bytes after the 10 bytes \
             of labels",
            "download it again",
        ],
        false,
    );
}

#[test]
fn image_and_label_counts_differ() {
    assert_rejected(
        |dir| write_gz_idx_labels(&dir.join(TRAIN_LABELS_FILE), &[1; TRAIN - 1]).unwrap(),
        &[
            "{dir}/train-images-idx3-ubyte.gz holds 30 images but \
             {dir}/train-labels-idx1-ubyte.gz holds 29 labels",
            "use the image and label files of the same release",
        ],
        true,
    );
}

#[test]
fn images_that_are_not_28_by_28() {
    assert_rejected(
        |dir| {
            let images = Images {
                count: TEST,
                rows: 32,
                cols: 32,
                pixels: vec![0; TEST * 32 * 32],
            };
            write_gz_idx_images(&dir.join(TEST_IMAGES_FILE), &images).unwrap();
        },
        &["{dir}/t10k-images-idx3-ubyte.gz: images are 32x32, expected 28x28 MNIST digits"],
        false,
    );
}

#[test]
fn a_label_above_nine() {
    assert_rejected(
        |dir| {
            let mut labels = vec![3u8; TEST];
            labels[4] = 10;
            write_gz_idx_labels(&dir.join(TEST_LABELS_FILE), &labels).unwrap();
        },
        &[
            "{dir}/t10k-labels-idx1-ubyte.gz: label 10 at index 4 is not a digit 0..=9",
            "not an MNIST label file",
        ],
        true,
    );
}

#[test]
fn info_reports_counts_histogram_and_checksum_status() {
    let dir = synthetic();
    let before = snapshot(dir.path());
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
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn fashion_reports_name_the_classes() {
    let dir = synthetic();
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
    let dir = synthetic();
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
    let dir = synthetic();
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
    let dir = synthetic();
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
    let dir = synthetic();
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
    let dir = synthetic();
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
    let dir = synthetic();
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

#[test]
fn training_on_unpublished_files_warns_with_both_checksums() {
    let dir = synthetic();
    // Without the generator's note the files are simply not the published ones.
    fs::remove_file(dir.path().join(tflayers::mnist::generated::GENERATED_FILE)).unwrap();
    let before = snapshot(dir.path());
    let output = common::tflayers()
        .args([
            "train",
            "--model",
            "dense",
            "--steps",
            "1",
            "--batch-size",
            "5",
            "--offline",
            "--allow-unpublished-data",
        ])
        .args(["--validation-size", "5", "--data-dir"])
        .arg(dir.path())
        .arg("--models-dir")
        .arg(common::models_dir())
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
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn info_shows_the_checksums_even_when_loading_fails() {
    let dir = synthetic();
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
