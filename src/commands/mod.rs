//! One module per subcommand: each turns validated CLI settings into a run and prints it.

pub mod compare;
pub mod devices;
pub mod plot;
pub mod reproduce;
pub mod run_outputs;
pub mod train;

pub mod evaluate;
pub mod persist;
pub mod predict;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use crate::cli::{LoopArgs, PathArgs};
use crate::manifest::{Manifest, MANIFEST_FILE};
use crate::mnist::dataset::{read_data_sets_with, DataSets};

/// `--models-dir`, else `./models` when it has a manifest, else the project's `models/`.
pub fn models_dir(paths: &PathArgs) -> PathBuf {
    if let Some(dir) = &paths.models_dir {
        return dir.clone();
    }
    let local = Path::new("models");
    if local.join(MANIFEST_FILE).is_file() {
        local.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }
}

/// Reads the manifest named by the path flags.
pub fn load_manifest(paths: &PathArgs) -> Result<Manifest> {
    Manifest::load(&models_dir(paths))
}

/// Reads MNIST from `--data-dir`, saying on stderr what was loaded and how long it took.
pub fn load_data(paths: &PathArgs) -> Result<DataSets> {
    let start = Instant::now();
    let data = read_data_sets_with(&paths.data_dir, paths.validation_size as usize)?;
    eprintln!(
        "Loaded MNIST from {}: {} train, {} validation, {} test images ({:.2} s)",
        paths.data_dir.display(),
        data.train.len(),
        data.validation.len(),
        data.test.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(data)
}

/// The article evaluates the test set in one run; say so on stderr when `--eval-batch-size`
/// splits it.
pub fn announce_eval_chunks(common: &LoopArgs) {
    if let Some(chunk) = common.eval_batch_size {
        eprintln!(
            "Evaluating the test set in chunks of {chunk} images (--eval-batch-size), \
             not in one run as the article does"
        );
    }
}
