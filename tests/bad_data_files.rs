//! Every kind of bad data file, through `data info` and `train`: each error names the file,
//! says what was expected and what to do, exits with status 1 without a panic, and leaves the
//! data folder exactly as it was (every file, hidden ones included, compared before and
//! after).

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

use tflayers::mnist::dataset::{
    TEST_IMAGES_FILE, TEST_LABELS_FILE, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,
};
use tflayers::mnist::fixtures::{synthetic_digits, write_gz_idx_images, write_gz_idx_labels};
use tflayers::mnist::idx::{write_idx_images, write_idx_labels, Images};

/// Synthetic training and test images in these tests' folders ([`common::small_mnist`]).
const TRAIN: usize = common::SMALL_TRAIN;
const TEST: usize = common::SMALL_TEST;

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
    let dir = common::small_mnist();
    damage(dir.path());
    for args in runs {
        assert_command_rejects(dir.path(), args, expected);
    }
}

fn assert_command_rejects(dir: &Path, args: &[&str], expected: &[&str]) {
    let before = common::snapshot(dir);
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
    assert_eq!(common::snapshot(dir), before, "{args:?} changed the folder");
}
#[test]
fn a_missing_file() {
    let dir = common::small_mnist();
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
