//! MNIST data sets with TensorFlow 1.x `read_data_sets` / `DataSet.next_batch` semantics.
//!
//! Owns the in-memory training, validation and test sets and the batch order:
//!
//! * [`read_data_sets`] reads the four standard gzip-compressed IDX files from a
//!   folder (decoding them in parallel), checks they hold matching 28x28 images and
//!   labels, and splits validation = the first 5000 training examples, train = the
//!   remaining 55000, test = the 10000 `t10k` examples.
//! * A [`DataSet`] holds `n` images as `f32` `[n, 784]` row-major, scaled exactly as
//!   TF 1.x did (`images.astype(float32)` then `numpy.multiply(images, 1.0 / 255.0)`,
//!   a float32 product with the float32-rounded constant), the digit labels `[n]` and
//!   their one-hot encoding `[n, 10]` as `f32`.
//! * A [`Batcher`] reproduces `DataSet.next_batch(batch_size, shuffle=True)` driven by
//!   its own [`NumpyRandomState`], writing batches straight into caller buffers, and
//!   can save and restore its position as a [`BatchState`].
//!
//! Pinned against NumPy and TF 1.x by `tests/vectors/pixels.json` and
//! `tests/vectors/next_batch.json` (see `python/make_vectors.py`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure, Context, Result};
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

use super::convert::pixels_to_f32;
use super::idx::{parse_images, parse_labels, Images, GZIP_MAGIC, MAX_LABEL};
use super::shuffle::NumpyRandomState;
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
#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    images: Vec<f32>,
    labels: Vec<u8>,
    one_hot: Vec<f32>,
}

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
        })
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
fn check_pair(images: &Images, labels: &[u8], images_name: &str, labels_name: &str) -> Result<()> {
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
        check_pair(
            train_images,
            train_labels,
            "training images",
            "training labels",
        )?;
        check_pair(test_images, test_labels, "test images", "test labels")?;
        Self::split(
            train_images,
            train_labels,
            test_images,
            test_labels,
            validation_size,
        )
    }

    fn split(
        train_images: &Images,
        train_labels: &[u8],
        test_images: &Images,
        test_labels: &[u8],
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
    let mut reader = BufReader::with_capacity(1 << 16, file);
    // Look at the first bytes without consuming them, to explain a file that is not gzip
    // (an uncompressed IDX file, an HTML error page) instead of reporting a decoder error.
    let start = reader
        .fill_buf()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if start.len() < 2 || start[..2] != GZIP_MAGIC {
        check_gzip_signature(path)?;
    }
    Ok(GzDecoder::new(reader))
}

/// Decodes `path` with `parse`, hashing the decompressed bytes on the way when `hash`.
fn decode<T>(
    path: &Path,
    hash: bool,
    parse: impl FnOnce(&mut dyn Read, &str) -> Result<T>,
) -> Result<(T, Option<Digest>)> {
    let name = path.display().to_string();
    let mut reader = open_gz(path)?;
    if hash {
        let mut hashing = HashingReader::new(reader);
        let value = parse(&mut hashing, &name)?;
        Ok((value, Some(hashing.finish())))
    } else {
        Ok((parse(&mut reader, &name)?, None))
    }
}

fn decode_images(path: &Path, hash: bool) -> Result<(Images, Option<Digest>)> {
    decode(path, hash, |reader, name| parse_images(reader, name))
}

fn decode_labels(path: &Path, hash: bool) -> Result<(Vec<u8>, Option<Digest>)> {
    decode(path, hash, |reader, name| parse_labels(reader, name))
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
    let path = |file: &str| -> PathBuf { dir.join(file) };
    let (train_images_path, train_labels_path) = (path(TRAIN_IMAGES_FILE), path(TRAIN_LABELS_FILE));
    let (test_images_path, test_labels_path) = (path(TEST_IMAGES_FILE), path(TEST_LABELS_FILE));
    let joined = |name: &Path| anyhow!("the thread decoding {} panicked", name.display());
    let (train_images, train_labels, test_images, test_labels) = std::thread::scope(|scope| {
        let train_images = scope.spawn(|| decode_images(&train_images_path, hash[0]));
        let test_images = scope.spawn(|| decode_images(&test_images_path, hash[2]));
        let test_labels = scope.spawn(|| decode_labels(&test_labels_path, hash[3]));
        let train_labels = decode_labels(&train_labels_path, hash[1]);
        let train_images = train_images
            .join()
            .map_err(|_| joined(&train_images_path))?;
        let test_images = test_images.join().map_err(|_| joined(&test_images_path))?;
        let test_labels = test_labels.join().map_err(|_| joined(&test_labels_path))?;
        anyhow::Ok((train_images?, train_labels?, test_images?, test_labels?))
    })?;
    let digests = [train_images.1, train_labels.1, test_images.1, test_labels.1];
    let (train_images, train_labels) = (train_images.0, train_labels.0);
    let (test_images, test_labels) = (test_images.0, test_labels.0);
    let name = |path: &Path| path.display().to_string();
    check_pair(
        &train_images,
        &train_labels,
        &name(&train_images_path),
        &name(&train_labels_path),
    )?;
    check_pair(
        &test_images,
        &test_labels,
        &name(&test_images_path),
        &name(&test_labels_path),
    )?;
    let sets = DataSets::split(
        &train_images,
        &train_labels,
        &test_images,
        &test_labels,
        validation_size,
    )
    .with_context(|| format!("cannot split the MNIST data in {}", dir.display()))?;
    Ok((sets, digests))
}

/// The saved position of a [`Batcher`]: enough to continue the exact batch sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchState {
    /// Seed of the batcher's `numpy.random.RandomState`.
    pub seed: u32,
    /// 32-bit random outputs consumed so far.
    pub draws: u64,
    /// Current epoch's order: position `i` holds the index of an original example.
    pub order: Vec<u32>,
    /// Examples of the current epoch already handed out.
    pub index_in_epoch: u64,
    /// Completed passes over the data.
    pub epochs_completed: u64,
}

/// TF 1.x `DataSet.next_batch(batch_size, shuffle=True)` over `n` examples.
///
/// The first call shuffles `arange(n)`; a batch that runs past the end of the epoch
/// takes the rest of it, reshuffles and completes from the start of the new order. TF
/// permuted the arrays themselves (`images = images[perm]`), which composes the
/// permutations; `order` holds that composition, and shuffling it in place with the
/// same generator is the same composition (see [`NumpyRandomState::shuffle`]).
#[derive(Debug, Clone)]
pub struct Batcher {
    rng: NumpyRandomState,
    order: Vec<u32>,
    index_in_epoch: usize,
    epochs_completed: u64,
}

impl Batcher {
    /// A batcher over `n` examples whose shuffles use `numpy.random.RandomState(seed)`.
    pub fn new(n: usize, seed: u32) -> Result<Self> {
        let count = u32::try_from(n).with_context(|| {
            format!(
                "cannot batch {n} examples: at most {} are supported",
                u32::MAX
            )
        })?;
        ensure!(
            count > 0,
            "cannot batch an empty data set: it has no examples"
        );
        Ok(Self {
            rng: NumpyRandomState::new(seed),
            order: (0..count).collect(),
            index_in_epoch: 0,
            epochs_completed: 0,
        })
    }

    /// Number of examples batched over.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Always false: a batcher has at least one example.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Completed passes over the data (TF's `epochs_completed`).
    pub fn epochs_completed(&self) -> u64 {
        self.epochs_completed
    }

    /// Examples of the current epoch already handed out (TF's `_index_in_epoch`).
    pub fn index_in_epoch(&self) -> usize {
        self.index_in_epoch
    }

    fn check_batch_size(&self, batch_size: usize) -> Result<()> {
        ensure!(
            (1..=self.order.len()).contains(&batch_size),
            "batch size {batch_size} is not possible with {} examples: use a batch size \
             between 1 and the number of examples",
            self.order.len()
        );
        Ok(())
    }

    /// Advances by one batch, calling `take(slot, example)` for each batch slot.
    /// `batch_size` must be in `1..=len()`.
    fn advance(&mut self, batch_size: usize, mut take: impl FnMut(usize, usize)) {
        let n = self.order.len();
        let start = self.index_in_epoch;
        if self.epochs_completed == 0 && start == 0 {
            self.rng.shuffle(&mut self.order);
        }
        if start + batch_size > n {
            self.epochs_completed += 1;
            let rest = n - start;
            for (slot, &example) in self.order[start..].iter().enumerate() {
                take(slot, example as usize);
            }
            self.rng.shuffle(&mut self.order);
            let end = batch_size - rest;
            for (slot, &example) in self.order[..end].iter().enumerate() {
                take(rest + slot, example as usize);
            }
            self.index_in_epoch = end;
        } else {
            let end = start + batch_size;
            for (slot, &example) in self.order[start..end].iter().enumerate() {
                take(slot, example as usize);
            }
            self.index_in_epoch = end;
        }
    }

    /// Fills `indices` (one per batch slot) with the examples of the next batch.
    pub fn next_batch_indices_into(&mut self, indices: &mut [u32]) -> Result<()> {
        self.check_batch_size(indices.len())?;
        self.advance(indices.len(), |slot, example| {
            indices[slot] = example as u32
        });
        Ok(())
    }

    /// Writes the next batch of `data` into `images` (`batch * 784` values) and
    /// one-hot `labels` (`batch * 10` values); the batch size follows from the buffers.
    pub fn next_batch_into(
        &mut self,
        data: &DataSet,
        images: &mut [f32],
        labels: &mut [f32],
    ) -> Result<()> {
        ensure!(
            data.len() == self.order.len(),
            "this batcher was made for {} examples but the data set has {}",
            self.order.len(),
            data.len()
        );
        let batch_size = images.len() / IMAGE_PIXELS;
        ensure!(
            images.len().is_multiple_of(IMAGE_PIXELS) && labels.len() == batch_size * NUM_CLASSES,
            "batch buffers do not fit together: images hold {} values and labels {}, but a \
             batch of b examples needs b * {IMAGE_PIXELS} image values and b * {NUM_CLASSES} \
             label values",
            images.len(),
            labels.len()
        );
        self.check_batch_size(batch_size)?;
        self.advance(batch_size, |slot, example| {
            images[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS]
                .copy_from_slice(data.image(example));
            labels[slot * NUM_CLASSES..(slot + 1) * NUM_CLASSES]
                .copy_from_slice(data.one_hot_row(example));
        });
        Ok(())
    }

    /// The position to save in a checkpoint.
    pub fn state(&self) -> BatchState {
        BatchState {
            seed: self.rng.seed(),
            draws: self.rng.draws(),
            order: self.order.clone(),
            index_in_epoch: self.index_in_epoch as u64,
            epochs_completed: self.epochs_completed,
        }
    }

    /// Restores a batcher over `n` examples from a saved [`BatchState`].
    ///
    /// The state is verified by replaying it: the seed, shuffled `1 + epochs_completed`
    /// times (once if no batch was taken yet: then none), must give exactly the saved
    /// order and number of draws. Replay costs one pass over the order per epoch.
    pub fn from_state(state: BatchState, n: usize) -> Result<Self> {
        let mut batcher = Self::new(n, state.seed)?;
        ensure!(
            state.order.len() == n,
            "the saved batch order covers {} examples but the data set has {n}: the \
             checkpoint belongs to a different data set",
            state.order.len()
        );
        let index_in_epoch = usize::try_from(state.index_in_epoch)
            .ok()
            .filter(|&index| index <= n)
            .with_context(|| {
                format!(
                    "the saved batch position {} is past the end of the {n} examples: the \
                     checkpoint is damaged",
                    state.index_in_epoch
                )
            })?;
        let started = state.epochs_completed > 0 || index_in_epoch > 0;
        if started {
            // A shuffle of n >= 2 examples draws at least n - 1 times, so comparing with
            // the saved draws bounds the replay even for a damaged epoch count.
            let mut shuffles = 0u64;
            while shuffles <= state.epochs_completed && batcher.rng.draws() <= state.draws {
                batcher.rng.shuffle(&mut batcher.order);
                shuffles += 1;
                if n == 1 {
                    break;
                }
            }
        }
        ensure!(
            batcher.rng.draws() == state.draws && batcher.order == state.order,
            "the saved batch state is inconsistent: replaying seed {} for {} epochs does not \
             give the saved order and {} random draws: the checkpoint is damaged or was \
             written for other data",
            state.seed,
            state.epochs_completed,
            state.draws
        );
        batcher.index_in_epoch = index_in_epoch;
        batcher.epochs_completed = state.epochs_completed;
        Ok(batcher)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        synthetic_digits, write_gz_idx_images, write_gz_idx_labels, write_synthetic_mnist,
    };
    use super::*;

    #[derive(Deserialize)]
    struct PixelVectors {
        generated_by: String,
        f32_bits: Vec<u32>,
    }

    #[derive(Deserialize)]
    struct BatchVectors {
        generated_by: String,
        cases: Vec<BatchCase>,
    }

    #[derive(Deserialize)]
    struct BatchCase {
        n: usize,
        batch_size: usize,
        seed: u32,
        calls: usize,
        batches: Vec<RecordedBatch>,
    }

    #[derive(Deserialize)]
    struct RecordedBatch {
        call: usize,
        indices: Vec<u32>,
        epochs_completed: u64,
        index_in_epoch: usize,
    }

    fn batch_vectors() -> BatchVectors {
        serde_json::from_str(include_str!("../../tests/vectors/next_batch.json")).unwrap()
    }

    /// A data set whose image `i` is all `i % 256` and whose label is `i % 10`.
    fn indexed_data(n: usize) -> DataSet {
        let pixels: Vec<u8> = (0..n)
            .flat_map(|i| [(i % 256) as u8; IMAGE_PIXELS])
            .collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        DataSet::from_bytes(&pixels, &labels, "indexed").unwrap()
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
            serde_json::from_str(include_str!("../../tests/vectors/pixels.json")).unwrap();
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
    fn next_batch_matches_tensorflow() {
        let vectors = batch_vectors();
        assert!(vectors.generated_by.contains("make_vectors.py"));
        assert!(vectors.cases.len() >= 8);
        for case in vectors.cases {
            let mut batcher = Batcher::new(case.n, case.seed).unwrap();
            let mut recorded = case.batches.iter().peekable();
            let mut indices = vec![0u32; case.batch_size];
            for call in 0..case.calls {
                batcher.next_batch_indices_into(&mut indices).unwrap();
                if let Some(batch) = recorded.next_if(|batch| batch.call == call) {
                    let context = format!(
                        "n {} batch {} seed {} call {call}",
                        case.n, case.batch_size, case.seed
                    );
                    assert_eq!(indices, batch.indices, "{context}");
                    assert_eq!(
                        batcher.epochs_completed(),
                        batch.epochs_completed,
                        "{context}"
                    );
                    assert_eq!(batcher.index_in_epoch(), batch.index_in_epoch, "{context}");
                }
            }
            assert!(
                recorded.next().is_none(),
                "unreplayed batches for n {}",
                case.n
            );
        }
    }

    #[test]
    fn batches_cross_epochs_without_losing_examples() {
        // n = 10, batch = 3: every epoch hands out each example exactly once, even
        // though batches straddle the epoch boundaries.
        let mut batcher = Batcher::new(10, 0).unwrap();
        let mut seen = Vec::new();
        let mut indices = [0u32; 3];
        for _ in 0..10 {
            batcher.next_batch_indices_into(&mut indices).unwrap();
            seen.extend_from_slice(&indices);
        }
        for epoch in seen.chunks_exact(10) {
            let mut sorted = epoch.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
        }
        // As in TF, an epoch counts as completed only when a batch runs past its end:
        // the third epoch ended exactly with the last batch, so the next call counts it.
        assert_eq!(
            (batcher.epochs_completed(), batcher.index_in_epoch()),
            (2, 10)
        );
        batcher.next_batch_indices_into(&mut indices).unwrap();
        assert_eq!(
            (batcher.epochs_completed(), batcher.index_in_epoch()),
            (3, 3)
        );
    }

    #[test]
    fn next_batch_into_copies_the_chosen_rows() {
        let data = indexed_data(300);
        let mut batcher = Batcher::new(300, 17).unwrap();
        let mut reference = Batcher::new(300, 17).unwrap();
        let batch = 64;
        let mut images = vec![f32::NAN; batch * IMAGE_PIXELS];
        let mut labels = vec![f32::NAN; batch * NUM_CLASSES];
        let mut indices = vec![0u32; batch];
        for _ in 0..12 {
            batcher
                .next_batch_into(&data, &mut images, &mut labels)
                .unwrap();
            reference.next_batch_indices_into(&mut indices).unwrap();
            for (slot, &index) in indices.iter().enumerate() {
                let index = index as usize;
                assert_eq!(
                    &images[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS],
                    data.image(index)
                );
                assert_eq!(
                    &labels[slot * NUM_CLASSES..(slot + 1) * NUM_CLASSES],
                    data.one_hot_row(index)
                );
                assert_eq!(
                    images[slot * IMAGE_PIXELS],
                    pixel_to_f32((index % 256) as u8)
                );
            }
        }
        assert!(batcher.epochs_completed() >= 2);
    }

    #[test]
    fn next_batch_into_rejects_bad_buffers() {
        let data = indexed_data(5);
        let mut batcher = Batcher::new(5, 0).unwrap();
        let err =
            error(batcher.next_batch_into(&data, &mut [0.0; 2 * IMAGE_PIXELS], &mut [0.0; 30]));
        assert!(
            err.contains("images hold 1568 values and labels 30"),
            "{err}"
        );
        let err = error(batcher.next_batch_into(&data, &mut [0.0; 100], &mut [0.0; 0]));
        assert!(err.contains("batch buffers do not fit together"), "{err}");
        let err =
            error(batcher.next_batch_into(&data, &mut [0.0; 6 * IMAGE_PIXELS], &mut [0.0; 60]));
        assert!(
            err.contains("batch size 6 is not possible with 5 examples"),
            "{err}"
        );
        let err = error(batcher.next_batch_into(&data, &mut [], &mut []));
        assert!(err.contains("batch size 0 is not possible"), "{err}");
        let err = error(batcher.next_batch_into(
            &indexed_data(6),
            &mut [0.0; IMAGE_PIXELS],
            &mut [0.0; 10],
        ));
        assert!(
            err.contains("made for 5 examples but the data set has 6"),
            "{err}"
        );
        // Nothing above consumed randomness or moved the position.
        assert_eq!(batcher.state(), Batcher::new(5, 0).unwrap().state());
    }

    #[test]
    fn batcher_rejects_empty_data() {
        assert!(error(Batcher::new(0, 0)).contains("cannot batch an empty data set"));
    }

    #[test]
    fn state_round_trip_continues_identically() {
        for (n, batch, calls_before) in [
            (10, 3, 0),
            (10, 3, 1),
            (10, 3, 7),
            (7, 7, 3),
            (1, 1, 4),
            (1000, 128, 40),
        ] {
            let mut original = Batcher::new(n, 2017).unwrap();
            let mut indices = vec![0u32; batch];
            for _ in 0..calls_before {
                original.next_batch_indices_into(&mut indices).unwrap();
            }
            let json = serde_json::to_string(&original.state()).unwrap();
            let state: BatchState = serde_json::from_str(&json).unwrap();
            let mut restored = Batcher::from_state(state, n).unwrap();
            assert_eq!(restored.state(), original.state());
            let mut restored_indices = vec![0u32; batch];
            for _ in 0..25 {
                original.next_batch_indices_into(&mut indices).unwrap();
                restored
                    .next_batch_indices_into(&mut restored_indices)
                    .unwrap();
                assert_eq!(
                    restored_indices, indices,
                    "n {n} batch {batch} after {calls_before}"
                );
            }
            assert_eq!(restored.epochs_completed(), original.epochs_completed());
        }
    }

    fn started_state() -> BatchState {
        let mut batcher = Batcher::new(10, 5).unwrap();
        let mut indices = [0u32; 4];
        for _ in 0..4 {
            batcher.next_batch_indices_into(&mut indices).unwrap();
        }
        batcher.state()
    }

    #[test]
    fn damaged_states_are_rejected() {
        let state = started_state();
        assert_eq!((state.epochs_completed, state.index_in_epoch), (1, 6));
        assert!(Batcher::from_state(state.clone(), 10).is_ok());

        let err = error(Batcher::from_state(state.clone(), 11));
        assert!(
            err.contains("covers 10 examples but the data set has 11"),
            "{err}"
        );

        let mut past_end = state.clone();
        past_end.index_in_epoch = 11;
        let err = error(Batcher::from_state(past_end, 10));
        assert!(
            err.contains("position 11 is past the end of the 10 examples"),
            "{err}"
        );

        let mut swapped = state.clone();
        swapped.order.swap(0, 1);
        let err = error(Batcher::from_state(swapped, 10));
        assert!(
            err.contains("the saved batch state is inconsistent"),
            "{err}"
        );

        for draws in [state.draws - 1, state.draws + 1, 0, u64::MAX] {
            let mut wrong = state.clone();
            wrong.draws = draws;
            assert!(Batcher::from_state(wrong, 10).is_err(), "draws {draws}");
        }

        let mut epochs = state.clone();
        epochs.epochs_completed = 2;
        assert!(Batcher::from_state(epochs, 10).is_err());
        let mut huge = state.clone();
        huge.epochs_completed = u64::MAX;
        assert!(Batcher::from_state(huge, 10).is_err());

        let mut seed = state;
        seed.seed += 1;
        assert!(Batcher::from_state(seed, 10).is_err());

        let mut fresh = Batcher::new(10, 5).unwrap().state();
        fresh.draws = 3;
        assert!(Batcher::from_state(fresh, 10).is_err());
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
        let err = error(DataSets::from_parts(
            &images(4, 27),
            &labels,
            &images(4, 28),
            &labels,
            1,
        ));
        assert!(
            err.contains("training images: images are 27x27, expected 28x28"),
            "{err}"
        );
        let err = error(DataSets::from_parts(
            &images(4, 28),
            &labels,
            &images(3, 28),
            &labels,
            1,
        ));
        assert!(
            err.contains("test images holds 3 images but test labels holds 4 labels"),
            "{err}"
        );
        let err = error(DataSets::from_parts(
            &images(4, 28),
            &labels,
            &images(4, 28),
            &labels,
            4,
        ));
        assert!(
            err.contains("the training set has 4 examples, but 4 are set aside"),
            "{err}"
        );
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
        super::super::idx::write_idx_labels(&mut bad, &[1, 2]).unwrap();
        bad.push(0);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &bad).unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let err = error(read_data_sets_with(dir.path(), 1));
        assert!(err.contains("1 unexpected trailing bytes"), "{err}");
    }
}
