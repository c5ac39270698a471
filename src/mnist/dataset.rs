//! MNIST data sets with TensorFlow 1.x `read_data_sets` semantics: the in-memory training,
//! validation and test sets.
//!
//! * [`read_data_sets`] reads the four standard gzip-compressed IDX files from a
//!   folder (decoding them in parallel), checks they hold matching 28x28 images and
//!   labels, and splits validation = the first 5000 training examples, train = the
//!   remaining 55000, test = the 10000 `t10k` examples.
//! * A [`DataSet`] holds `n` images as `f32` `[n, 784]` row-major, scaled exactly as
//!   TF 1.x did (`images.astype(float32)` then `numpy.multiply(images, 1.0 / 255.0)`,
//!   a float32 product with the float32-rounded constant), the digit labels `[n]` and
//!   their one-hot encoding `[n, 10]` as `f32`.
//!
//! The batch order over a set is [`super::batcher`]'s. Pinned against NumPy by
//! `tests/vectors/pixels.json` (see `python/make_vectors.py`).

use std::fmt::Display;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use flate2::read::GzDecoder;

use super::convert::pixels_to_f32;
use super::idx::{parse_images, parse_labels, Images, MAX_LABEL};
use super::verify::{check_gzip_signature, Digest, HashingReader};

/// Pixels in one MNIST image (28 x 28).
pub const IMAGE_PIXELS: usize = 784;
/// Rows (and columns) of an MNIST image.
pub const IMAGE_SIDE: usize = 28;
/// Number of digit classes.
pub const NUM_CLASSES: usize = 10;
/// Training examples TF 1.x set aside as the validation set.
pub const VALIDATION_SIZE: usize = 5000;
/// Standard file name of the training images.
pub const TRAIN_IMAGES_FILE: &str = "train-images-idx3-ubyte.gz";
/// Standard file name of the training labels.
pub const TRAIN_LABELS_FILE: &str = "train-labels-idx1-ubyte.gz";
/// Standard file name of the test images.
pub const TEST_IMAGES_FILE: &str = "t10k-images-idx3-ubyte.gz";
/// Standard file name of the test labels.
pub const TEST_LABELS_FILE: &str = "t10k-labels-idx1-ubyte.gz";
/// The scale TF 1.x applied to pixel bytes: the float64 `1.0 / 255.0` rounded to
/// float32, as NumPy does when multiplying a float32 array by a Python float.
pub const PIXEL_SCALE: f32 = (1.0f64 / 255.0) as f32;

/// A pixel byte as TF 1.x fed it: `f32(byte) * f32(1/255)`, rounded once in float32.
pub fn pixel_to_f32(byte: u8) -> f32 {
    f32::from(byte) * PIXEL_SCALE
}

/// One set of examples: images `[n, 784]`, labels `[n]`, one-hot labels `[n, 10]`.
///
/// A set never changes once built, so its [`DataSet::id`] (unique in the process, kept by
/// clones) names its contents: a model may keep the tensors it built from a set and feed
/// them again (see `Engine::evaluate_split`).
#[derive(Debug, Clone)]
pub struct DataSet {
    images: Vec<f32>,
    labels: Vec<u8>,
    one_hot: Vec<f32>,
    id: u64,
}

/// Equal examples; the id is not compared (two loads of one file are equal sets).
impl PartialEq for DataSet {
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels && self.images == other.images
    }
}

/// The next [`DataSet::id`].
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl DataSet {
    /// Builds a data set from raw pixel bytes (`labels.len() * 784` of them, row-major)
    /// and digit labels; `name` says which set it is in error messages.
    pub fn from_bytes(pixels: &[u8], labels: &[u8], name: &str) -> Result<Self> {
        ensure!(
            Some(pixels.len()) == labels.len().checked_mul(IMAGE_PIXELS),
            "{name}: {} labels need {} pixel bytes ({IMAGE_PIXELS} per image) but {} were \
             given",
            labels.len(),
            labels.len().saturating_mul(IMAGE_PIXELS),
            pixels.len()
        );
        if let Some(index) = labels.iter().position(|&label| label > MAX_LABEL) {
            bail!(
                "{name}: label {} at index {index} is not a digit 0..={MAX_LABEL}",
                labels[index]
            );
        }
        let images = pixels_to_f32(pixels);
        let mut one_hot = vec![0.0f32; labels.len() * NUM_CLASSES];
        for (row, &label) in one_hot.chunks_exact_mut(NUM_CLASSES).zip(labels) {
            row[usize::from(label)] = 1.0;
        }
        Ok(Self {
            images,
            labels: labels.to_vec(),
            one_hot,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// This set's number, unique among the sets built in this process (clones share it).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All images, `[len(), 784]` row-major, values in `[0, 1]`.
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// All digit labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All one-hot labels, `[len(), 10]` row-major.
    pub fn one_hot(&self) -> &[f32] {
        &self.one_hot
    }

    /// Image `index` (784 values). Panics if `index >= len()`, like slice indexing.
    pub fn image(&self, index: usize) -> &[f32] {
        &self.images[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// One-hot label `index` (10 values). Panics if `index >= len()`.
    pub fn one_hot_row(&self, index: usize) -> &[f32] {
        &self.one_hot[index * NUM_CLASSES..(index + 1) * NUM_CLASSES]
    }

    /// The images `[rows.len(), 784]` and one-hot labels `[rows.len(), 10]` of examples
    /// `rows`. Panics if `rows.end > len()`, like slice indexing.
    pub fn rows(&self, rows: std::ops::Range<usize>) -> (&[f32], &[f32]) {
        (
            &self.images[rows.start * IMAGE_PIXELS..rows.end * IMAGE_PIXELS],
            &self.one_hot[rows.start * NUM_CLASSES..rows.end * NUM_CLASSES],
        )
    }
}

/// The three MNIST sets, as TF 1.x `read_data_sets` returned them.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSets {
    /// Training examples after the validation ones (55000 for MNIST).
    pub train: DataSet,
    /// The first `validation_size` training examples (5000 for MNIST).
    pub validation: DataSet,
    /// The test examples (10000 for MNIST).
    pub test: DataSet,
}

/// Checks that an image file and a label file describe the same 28x28 examples.
fn check_pair(
    (images, labels): (&Images, &[u8]),
    (images_name, labels_name): (impl Display, impl Display),
) -> Result<()> {
    ensure!(
        images.rows == IMAGE_SIDE && images.cols == IMAGE_SIDE,
        "{images_name}: images are {}x{}, expected {IMAGE_SIDE}x{IMAGE_SIDE} MNIST digits",
        images.rows,
        images.cols
    );
    ensure!(
        images.count == labels.len(),
        "{images_name} holds {} images but {labels_name} holds {} labels; they must match: \
         use the image and label files of the same release",
        images.count,
        labels.len()
    );
    ensure!(
        images.pixels.len() == images.count * IMAGE_PIXELS,
        "{images_name}: {} images need {} pixel bytes but {} were given",
        images.count,
        images.count * IMAGE_PIXELS,
        images.pixels.len()
    );
    Ok(())
}

impl DataSets {
    /// Builds the three sets from decoded IDX contents: validation = the first
    /// `validation_size` training examples, train = the rest, test as given.
    pub fn from_parts(
        train_images: &Images,
        train_labels: &[u8],
        test_images: &Images,
        test_labels: &[u8],
        validation_size: usize,
    ) -> Result<Self> {
        let (train, test) = ((train_images, train_labels), (test_images, test_labels));
        check_pair(train, ("training images", "training labels"))?;
        check_pair(test, ("test images", "test labels"))?;
        Self::split(train, test, validation_size)
    }

    /// [`DataSets::from_parts`] on images and labels already checked to match.
    fn split(
        (train_images, train_labels): (&Images, &[u8]),
        (test_images, test_labels): (&Images, &[u8]),
        validation_size: usize,
    ) -> Result<Self> {
        ensure!(
            train_labels.len() > validation_size,
            "the training set has {} examples, but {validation_size} are set aside for \
             validation and at least one must remain for training: use more training \
             data or a smaller validation size",
            train_labels.len()
        );
        let cut = validation_size * IMAGE_PIXELS;
        let (validation_pixels, train_pixels) = train_images.pixels.split_at(cut);
        let (validation_labels, rest_labels) = train_labels.split_at(validation_size);
        // The three conversions are independent; run them side by side.
        std::thread::scope(|scope| {
            let train =
                scope.spawn(|| DataSet::from_bytes(train_pixels, rest_labels, "training set"));
            let validation =
                DataSet::from_bytes(validation_pixels, validation_labels, "validation set");
            let test = DataSet::from_bytes(&test_images.pixels, test_labels, "test set");
            let train = train
                .join()
                .map_err(|_| anyhow!("the thread converting the training set panicked"))?;
            Ok(Self {
                train: train?,
                validation: validation?,
                test: test?,
            })
        })
    }
}

/// Reads MNIST from `dir` like TF 1.x `read_data_sets(dir)`: 5000 validation examples.
pub fn read_data_sets(dir: &Path) -> Result<DataSets> {
    read_data_sets_with(dir, VALIDATION_SIZE)
}

/// Opens `path` for decoding, explaining what to do when it is missing or not gzip.
fn open_gz(path: &Path) -> Result<GzDecoder<BufReader<File>>> {
    let file = File::open(path).map_err(|err| {
        let dir = path.parent().unwrap_or(Path::new("."));
        if err.kind() == std::io::ErrorKind::NotFound {
            anyhow!(
                "{} does not exist: put the four standard MNIST files ({TRAIN_IMAGES_FILE}, \
                 {TRAIN_LABELS_FILE}, {TEST_IMAGES_FILE}, {TEST_LABELS_FILE}) in {}, or \
                 point --data-dir / TFLAYERS_DATA_DIR at the folder that holds them",
                path.display(),
                dir.display()
            )
        } else {
            anyhow!(err).context(format!("cannot open {}", path.display()))
        }
    })?;
    // Explain a file that is not gzip (an uncompressed IDX file, an HTML error page) instead
    // of reporting a decoder error.
    check_gzip_signature(path)?;
    Ok(GzDecoder::new(BufReader::with_capacity(1 << 16, file)))
}

/// Decodes `path` with `parse`, hashing the decompressed bytes on the way when `hash`.
fn decode<T>(
    path: &Path,
    hash: bool,
    parse: impl FnOnce(&mut dyn Read, &str) -> Result<T>,
) -> Result<(T, Option<Digest>)> {
    let name = path.display().to_string();
    let mut reader = open_gz(path)?;
    if !hash {
        return Ok((parse(&mut reader, &name)?, None));
    }
    let mut hashing = HashingReader::new(reader);
    let value = parse(&mut hashing, &name)?;
    Ok((value, Some(hashing.finish())))
}

/// [`read_data_sets`] with a chosen number of validation examples (taken from the
/// start of the training files); the training files must hold more than that.
pub fn read_data_sets_with(dir: &Path, validation_size: usize) -> Result<DataSets> {
    read_data_sets_hashing(dir, validation_size, [false; 4]).map(|(sets, _)| sets)
}

/// [`read_data_sets_with`] that also returns the size and SHA-256 of the decompressed
/// content of the files whose `hash` flag is set, computed while decoding them (no second
/// pass). Order: train images, train labels, test images, test labels.
pub fn read_data_sets_hashing(
    dir: &Path,
    validation_size: usize,
    hash: [bool; 4],
) -> Result<(DataSets, [Option<Digest>; 4])> {
    let paths = [
        TRAIN_IMAGES_FILE,
        TRAIN_LABELS_FILE,
        TEST_IMAGES_FILE,
        TEST_LABELS_FILE,
    ]
    .map(|file| dir.join(file));
    let name = |at: usize| paths[at].display();
    let images = |at: usize| decode(&paths[at], hash[at], |r, n| parse_images(r, n));
    let labels = |at: usize| decode(&paths[at], hash[at], |r, n| parse_labels(r, n));
    // The image files are nearly all of the work: decode the two side by side.
    let (train_images, test_images) = std::thread::scope(|scope| {
        let test = scope.spawn(|| images(2));
        let train = images(0);
        let test = test
            .join()
            .map_err(|_| anyhow!("the thread decoding {} panicked", name(2)))?;
        anyhow::Ok((train, test))
    })?;
    let (train_images, train_labels) = (train_images?, labels(1)?);
    let (test_images, test_labels) = (test_images?, labels(3)?);
    let digests = [train_images.1, train_labels.1, test_images.1, test_labels.1];
    let train = (&train_images.0, train_labels.0.as_slice());
    let test = (&test_images.0, test_labels.0.as_slice());
    check_pair(train, (name(0), name(1)))?;
    check_pair(test, (name(2), name(3)))?;
    let sets = DataSets::split(train, test, validation_size)
        .with_context(|| format!("cannot split the MNIST data in {}", dir.display()))?;
    Ok((sets, digests))
}

#[cfg(test)]
mod tests;
