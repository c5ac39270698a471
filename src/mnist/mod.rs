//! MNIST input pipeline: the data the article's model trains and is evaluated on.
//!
//! Owns everything between the four standard gzip-compressed IDX files on disk and
//! the `f32` batches fed to TensorFlow, reproducing the TensorFlow 1.x tutorial
//! helpers (`read_data_sets`, `DataSet.next_batch`) bit for bit:
//!
//! * [`idx`] decodes and encodes the IDX container from any reader or writer;
//! * [`shuffle`] re-implements NumPy's legacy `RandomState` shuffle;
//! * [`dataset`] loads the train (55000) / validation (5000) / test (10000) sets as
//!   `[n, 784]` images scaled to `[0, 1]` and `[n, 10]` one-hot labels;
//! * [`batcher`] hands them out in batches in TF 1.x order;
//! * [`fixtures`] writes small synthetic MNIST-format files for tests and demos;
//! * [`folder`] checks the data folder a command was given before anything is read;
//! * [`generated`] is the note that marks such files as generated, not published;
//! * [`catalog`] knows MNIST and Fashion-MNIST: files, published checksums, mirrors,
//!   class names;
//! * [`verify`] checks the SHA-256 of the decompressed files and keeps stamps;
//! * [`download`] fetches missing files from the mirrors, verified, atomically;
//! * [`convert`] makes the large `f32` buffers fast to fill.
//!
//! [`read_data_sets`] itself never downloads: callers ([`download::ensure_present`])
//! fetch missing files first.

pub mod batcher;
pub mod catalog;
pub mod convert;
pub mod dataset;
pub mod download;
pub mod fixtures;
pub mod folder;
pub mod generated;
pub mod idx;
pub mod load;
pub mod shuffle;
pub mod verify;

pub use batcher::{BatchState, Batcher};
pub use dataset::{
    pixel_to_f32, read_data_sets, read_data_sets_with, DataSet, DataSets, IMAGE_PIXELS, IMAGE_SIDE,
    NUM_CLASSES, TEST_IMAGES_FILE, TEST_LABELS_FILE, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,
    VALIDATION_SIZE,
};
pub use idx::Images;
pub use shuffle::NumpyRandomState;
