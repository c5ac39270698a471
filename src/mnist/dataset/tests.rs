//! Pixel scaling, data set layout, the validation split and the errors of reading files.

use serde::Deserialize;

use super::*;
use crate::mnist::fixtures::{
    synthetic_digits, write_gz_idx_images, write_gz_idx_labels, write_synthetic_mnist,
};

#[derive(Deserialize)]
struct PixelVectors {
    generated_by: String,
    f32_bits: Vec<u32>,
}

fn images(count: usize, side: usize) -> Images {
    Images {
        count,
        rows: side,
        cols: side,
        pixels: (0..count * side * side).map(|i| (i % 251) as u8).collect(),
    }
}

fn error<T: std::fmt::Debug>(result: Result<T>) -> String {
    format!("{:#}", result.unwrap_err())
}

#[test]
fn pixel_conversion_is_bit_identical_to_numpy() {
    let vectors: PixelVectors =
        serde_json::from_str(include_str!("../../../tests/vectors/pixels.json")).unwrap();
    assert!(vectors.generated_by.contains("make_vectors.py"));
    assert_eq!(vectors.f32_bits.len(), 256);
    for (byte, &bits) in (0..=255u8).zip(&vectors.f32_bits) {
        assert_eq!(pixel_to_f32(byte).to_bits(), bits, "byte {byte}");
    }
    // The same scaling done in float64 and rounded once would differ for some bytes,
    // so the vectors really do pin the float32 product.
    let differing = (0..=255u8)
        .filter(|&byte| {
            ((f64::from(byte) / 255.0) as f32).to_bits() != vectors.f32_bits[usize::from(byte)]
        })
        .count();
    assert!(differing > 0);
    assert_eq!(pixel_to_f32(255), 1.0);
}

#[test]
fn data_set_layout_and_one_hot() {
    let data = DataSet::from_bytes(&[255; 3 * IMAGE_PIXELS], &[3, 0, 9], "three").unwrap();
    assert_eq!((data.len(), data.is_empty()), (3, false));
    assert_eq!(data.images().len(), 3 * IMAGE_PIXELS);
    assert_eq!(data.image(2), &[1.0; IMAGE_PIXELS][..]);
    assert_eq!(data.labels(), &[3, 0, 9]);
    assert_eq!(data.one_hot().len(), 30);
    let mut expected = [0.0f32; NUM_CLASSES];
    expected[9] = 1.0;
    assert_eq!(data.one_hot_row(2), &expected[..]);
    expected = [0.0; NUM_CLASSES];
    expected[3] = 1.0;
    assert_eq!(data.one_hot_row(0), &expected[..]);
}

#[test]
fn data_set_rejects_bad_input() {
    let err = error(DataSet::from_bytes(&[0; 100], &[1], "tiny"));
    assert!(err.contains("tiny: 1 labels need 784 pixel bytes"), "{err}");
    assert!(err.contains("but 100 were given"), "{err}");
    let err = error(DataSet::from_bytes(&[0; IMAGE_PIXELS], &[10], "bad"));
    assert!(
        err.contains("bad: label 10 at index 0 is not a digit 0..=9"),
        "{err}"
    );
}

#[test]
fn from_parts_splits_validation_first() {
    let train = images(12, 28);
    let train_labels: Vec<u8> = (0..12).map(|i| i % 10).collect();
    let test = images(3, 28);
    let sets = DataSets::from_parts(&train, &train_labels, &test, &[7, 8, 9], 5).unwrap();
    assert_eq!(
        (sets.train.len(), sets.validation.len(), sets.test.len()),
        (7, 5, 3)
    );
    assert_eq!(sets.validation.labels(), &[0, 1, 2, 3, 4]);
    assert_eq!(sets.train.labels(), &[5, 6, 7, 8, 9, 0, 1]);
    assert_eq!(
        sets.train.image(0)[0],
        pixel_to_f32(train.pixels[5 * IMAGE_PIXELS])
    );
    assert_eq!(sets.test.labels(), &[7, 8, 9]);
    let none = DataSets::from_parts(&train, &train_labels, &test, &[7, 8, 9], 0).unwrap();
    assert_eq!((none.train.len(), none.validation.len()), (12, 0));
}

#[test]
fn from_parts_rejects_bad_shapes() {
    let labels = [1u8; 4];
    for (train, test, validation_size, expected) in [
        (
            images(4, 27),
            images(4, 28),
            1,
            "training images: images are 27x27, expected 28x28",
        ),
        (
            images(4, 28),
            images(3, 28),
            1,
            "test images holds 3 images but test labels holds 4 labels",
        ),
        (
            images(4, 28),
            images(4, 28),
            4,
            "the training set has 4 examples, but 4 are set aside",
        ),
    ] {
        let err = error(DataSets::from_parts(
            &train,
            &labels,
            &test,
            &labels,
            validation_size,
        ));
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn reads_synthetic_files() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 40, 9, 1).unwrap();
    let sets = read_data_sets_with(dir.path(), 15).unwrap();
    assert_eq!(
        (sets.train.len(), sets.validation.len(), sets.test.len()),
        (25, 15, 9)
    );
    let (_, labels) = synthetic_digits(40, 1);
    assert_eq!(sets.validation.labels(), &labels[..15]);
    assert_eq!(sets.train.labels(), &labels[15..]);
    // The standard validation size needs more than 5000 training examples.
    let err = error(read_data_sets(dir.path()));
    assert!(err.contains("cannot split the MNIST data in"), "{err}");
    assert!(
        err.contains("the training set has 40 examples, but 5000 are set aside"),
        "{err}"
    );
}

#[test]
fn missing_file_names_the_path_and_the_remedy() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 3, 2, 1).unwrap();
    std::fs::remove_file(dir.path().join(TEST_LABELS_FILE)).unwrap();
    let err = error(read_data_sets_with(dir.path(), 1));
    let path = dir.path().join(TEST_LABELS_FILE);
    assert!(
        err.contains(&format!("{} does not exist", path.display())),
        "{err}"
    );
    assert!(err.contains("put the four standard MNIST files"), "{err}");
    assert!(err.contains(TRAIN_IMAGES_FILE), "{err}");
    assert!(err.contains("--data-dir / TFLAYERS_DATA_DIR"), "{err}");
}

#[test]
fn mismatched_counts_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 6, 2, 1).unwrap();
    write_gz_idx_labels(&dir.path().join(TRAIN_LABELS_FILE), &[1, 2, 3, 4, 5]).unwrap();
    let err = error(read_data_sets_with(dir.path(), 1));
    assert!(
        err.contains("train-images-idx3-ubyte.gz holds 6 images but"),
        "{err}"
    );
    assert!(
        err.contains("train-labels-idx1-ubyte.gz holds 5 labels"),
        "{err}"
    );
}

#[test]
fn wrong_image_size_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 6, 2, 1).unwrap();
    write_gz_idx_images(&dir.path().join(TEST_IMAGES_FILE), &images(2, 32)).unwrap();
    let err = error(read_data_sets_with(dir.path(), 1));
    assert!(
        err.contains("t10k-images-idx3-ubyte.gz: images are 32x32, expected 28x28"),
        "{err}"
    );
}

#[test]
fn uncompressed_or_corrupt_files_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 6, 2, 1).unwrap();
    let path = dir.path().join(TRAIN_LABELS_FILE);
    std::fs::write(&path, b"not gzip at all").unwrap();
    let err = error(read_data_sets_with(dir.path(), 1));
    assert!(
        err.contains(&format!(
            "{} is not a gzip file: it starts with 6e 6f 74 20 instead of the gzip \
             signature 1f 8b",
            path.display()
        )),
        "{err}"
    );

    // A gzip stream whose content is damaged IDX data reports the IDX problem.
    let mut bad = Vec::new();
    crate::mnist::idx::write_idx_labels(&mut bad, &[1, 2]).unwrap();
    bad.push(0);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &bad).unwrap();
    std::fs::write(&path, encoder.finish().unwrap()).unwrap();
    let err = error(read_data_sets_with(dir.path(), 1));
    assert!(err.contains("1 unexpected trailing bytes"), "{err}");
}
