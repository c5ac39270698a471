//! Generates tiny synthetic MNIST-format files for tests and demos.
//!
//! Owns no real data: it makes learnable stand-in digits so that the loading,
//! batching and training code can be exercised without the real MNIST download.
//! Each class `k` is a bright disk of radius 3 centred near its own point of a
//! 28x28 grid ([`CLASS_CENTRES`], jittered by up to one pixel), drawn over faint
//! uniform noise; even a linear model separates the classes, so a small model's
//! loss falls quickly when trained on them. Everything is deterministic in the
//! seed, using integer arithmetic only, so files are identical on every machine.
//!
//! [`write_synthetic_mnist`] writes the four standard `.gz` files into a folder that
//! [`super::dataset::read_data_sets_with`] can then read, with the note of
//! [`super::generated`] that lets the training commands accept them as generated data.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

use super::dataset::{
    IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES, TEST_IMAGES_FILE, TEST_LABELS_FILE, TRAIN_IMAGES_FILE,
    TRAIN_LABELS_FILE,
};
use super::generated::record_generated;
use super::idx::{write_idx_images, write_idx_labels, Images};
use super::shuffle::NumpyRandomState;

/// Centre `(column, row)` of each class's disk.
pub const CLASS_CENTRES: [(usize, usize); NUM_CLASSES] = [
    (6, 6),
    (14, 5),
    (22, 6),
    (5, 14),
    (11, 14),
    (17, 14),
    (23, 14),
    (6, 22),
    (14, 23),
    (22, 22),
];
/// Squared radius of a class disk (radius about 3.2 pixels).
const DISK_RADIUS_SQUARED: usize = 10;
/// Background noise is uniform in `0..=BACKGROUND_MAX`.
const BACKGROUND_MAX: u64 = 40;
/// Disk pixels are uniform in `DISK_MIN..=255`.
const DISK_MIN: u8 = 150;
/// What [`write_synthetic_mnist`] records as the files' generator.
pub const GENERATOR: &str =
    "tflayers synthetic digits (src/mnist/fixtures.rs), test data, not MNIST";
/// Mixed into the seed of the test set so it differs from the training set.
const TEST_SEED_MIX: u32 = 0x9e37_79b9;

/// `count` synthetic 28x28 digits and their labels, deterministic in `seed`.
pub fn synthetic_digits(count: usize, seed: u32) -> (Images, Vec<u8>) {
    let mut rng = NumpyRandomState::new(seed);
    let mut pixels = Vec::with_capacity(count * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        // random_interval(max) <= max, so these conversions never truncate.
        let label = rng.random_interval(NUM_CLASSES as u64 - 1) as u8;
        let (centre_col, centre_row) = CLASS_CENTRES[usize::from(label)];
        let col = centre_col + rng.random_interval(2) as usize - 1;
        let row = centre_row + rng.random_interval(2) as usize - 1;
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let distance_squared = x.abs_diff(col).pow(2) + y.abs_diff(row).pow(2);
                let value = if distance_squared <= DISK_RADIUS_SQUARED {
                    DISK_MIN + rng.random_interval(u64::from(u8::MAX - DISK_MIN)) as u8
                } else {
                    rng.random_interval(BACKGROUND_MAX) as u8
                };
                pixels.push(value);
            }
        }
        labels.push(label);
    }
    let images = Images {
        count,
        rows: IMAGE_SIDE,
        cols: IMAGE_SIDE,
        pixels,
    };
    (images, labels)
}

fn write_gz(
    path: &Path,
    write: impl FnOnce(&mut GzEncoder<BufWriter<File>>) -> Result<()>,
) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut encoder = GzEncoder::new(BufWriter::new(file), Compression::fast());
    write(&mut encoder).with_context(|| format!("cannot write {}", path.display()))?;
    encoder
        .finish()
        .and_then(|mut writer| writer.flush())
        .with_context(|| format!("cannot finish writing {}", path.display()))
}

/// Writes `images` as a gzip-compressed IDX image file at `path`.
pub fn write_gz_idx_images(path: &Path, images: &Images) -> Result<()> {
    write_gz(path, |writer| write_idx_images(writer, images))
}

/// Writes `labels` as a gzip-compressed IDX label file at `path`.
pub fn write_gz_idx_labels(path: &Path, labels: &[u8]) -> Result<()> {
    write_gz(path, |writer| write_idx_labels(writer, labels))
}

/// Writes the four standard MNIST `.gz` files into `dir` (which must exist), holding
/// `train_n` training and `test_n` test synthetic digits, and records them as generated
/// ([`record_generated`]) so the training commands accept them as what they are. The
/// training set is `synthetic_digits(train_n, seed)`, the test set
/// `synthetic_digits(test_n, seed ^ 0x9e3779b9)`.
pub fn write_synthetic_mnist(dir: &Path, train_n: usize, test_n: usize, seed: u32) -> Result<()> {
    let (train_images, train_labels) = synthetic_digits(train_n, seed);
    let (test_images, test_labels) = synthetic_digits(test_n, seed ^ TEST_SEED_MIX);
    write_gz_idx_images(&dir.join(TRAIN_IMAGES_FILE), &train_images)?;
    write_gz_idx_labels(&dir.join(TRAIN_LABELS_FILE), &train_labels)?;
    write_gz_idx_images(&dir.join(TEST_IMAGES_FILE), &test_images)?;
    write_gz_idx_labels(&dir.join(TEST_LABELS_FILE), &test_labels)?;
    record_generated(
        dir,
        &[
            TRAIN_IMAGES_FILE,
            TRAIN_LABELS_FILE,
            TEST_IMAGES_FILE,
            TEST_LABELS_FILE,
        ],
        GENERATOR,
    )
}

#[cfg(test)]
mod tests {
    use super::super::dataset::{read_data_sets_with, DataSet};
    use super::*;

    #[test]
    fn digits_are_deterministic_and_seed_dependent() {
        let (images, labels) = synthetic_digits(20, 1);
        assert_eq!(synthetic_digits(20, 1), (images.clone(), labels.clone()));
        assert_ne!(synthetic_digits(20, 2).0, images);
        assert_eq!((images.count, images.rows, images.cols), (20, 28, 28));
        assert_eq!(images.pixels.len(), 20 * 784);
        assert!(labels.iter().all(|&label| label < 10));
    }

    #[test]
    fn all_classes_appear() {
        let (_, labels) = synthetic_digits(200, 5);
        for class in 0..10u8 {
            assert!(labels.contains(&class), "class {class} missing");
        }
    }

    #[test]
    fn disk_is_bright_and_background_faint() {
        let (images, labels) = synthetic_digits(30, 8);
        for (image, &label) in images.pixels.chunks_exact(IMAGE_PIXELS).zip(&labels) {
            let (col, row) = CLASS_CENTRES[usize::from(label)];
            // The nominal centre is inside the disk whatever the jitter.
            assert!(image[row * IMAGE_SIDE + col] >= DISK_MIN);
            // A corner is always background.
            assert!(image[0] <= BACKGROUND_MAX as u8);
        }
    }

    #[test]
    fn written_files_read_back_identically() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_mnist(dir.path(), 30, 12, 7).unwrap();
        let sets = read_data_sets_with(dir.path(), 10).unwrap();
        let (train_images, train_labels) = synthetic_digits(30, 7);
        let (test_images, test_labels) = synthetic_digits(12, 7 ^ TEST_SEED_MIX);
        let validation =
            DataSet::from_bytes(&train_images.pixels[..10 * 784], &train_labels[..10], "v")
                .unwrap();
        let train = DataSet::from_bytes(&train_images.pixels[10 * 784..], &train_labels[10..], "t")
            .unwrap();
        let test = DataSet::from_bytes(&test_images.pixels, &test_labels, "x").unwrap();
        assert_eq!(sets.validation, validation);
        assert_eq!(sets.train, train);
        assert_eq!(sets.test, test);
        assert_ne!(sets.train.labels(), sets.test.labels());
    }

    #[test]
    fn classes_are_learnable_by_nearest_centroid() {
        let (train, train_labels) = synthetic_digits(500, 3);
        let (test, test_labels) = synthetic_digits(200, 4);
        let mut sums = vec![[0f64; IMAGE_PIXELS]; NUM_CLASSES];
        let mut counts = [0usize; NUM_CLASSES];
        for (image, &label) in train.pixels.chunks_exact(IMAGE_PIXELS).zip(&train_labels) {
            counts[usize::from(label)] += 1;
            for (sum, &pixel) in sums[usize::from(label)].iter_mut().zip(image) {
                *sum += f64::from(pixel);
            }
        }
        let centroids: Vec<Vec<f64>> = sums
            .iter()
            .zip(counts)
            .map(|(sum, count)| sum.iter().map(|s| s / count as f64).collect())
            .collect();
        let correct = test
            .pixels
            .chunks_exact(IMAGE_PIXELS)
            .zip(&test_labels)
            .filter(|(image, &label)| {
                let distance = |centroid: &Vec<f64>| -> f64 {
                    centroid
                        .iter()
                        .zip(image.iter())
                        .map(|(c, &p)| (c - f64::from(p)).powi(2))
                        .sum()
                };
                let best = (0..NUM_CLASSES)
                    .min_by(|&a, &b| distance(&centroids[a]).total_cmp(&distance(&centroids[b])))
                    .unwrap();
                best == usize::from(label)
            })
            .count();
        assert!(
            correct >= 190,
            "nearest centroid got only {correct}/200 right"
        );
    }

    #[test]
    fn writing_into_a_missing_folder_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = format!(
            "{:#}",
            write_synthetic_mnist(&missing, 1, 1, 0).unwrap_err()
        );
        assert!(err.contains("cannot create"), "{err}");
        assert!(err.contains(TRAIN_IMAGES_FILE), "{err}");
    }
}
