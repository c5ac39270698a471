//! One module per subcommand: each turns validated CLI settings into a run and prints it.

pub mod compare;
pub mod data;
pub mod devices;
pub mod download;
pub mod plot;
pub mod reproduce;
pub mod train;

pub mod evaluate;
pub mod predict;

pub mod bench;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use crate::cli::{LoopArgs, PathArgs};
use crate::manifest::{Manifest, MANIFEST_FILE};
use crate::mnist::catalog::DatasetKind;
use crate::mnist::dataset::{read_data_sets_hashing, DataSets};
use crate::mnist::download::ensure_present;
use crate::mnist::verify::{mismatch_message, Stamps};

/// `--models-dir`, else `./models` when it has a manifest, else the project's `models/`.
pub fn models_dir(paths: &PathArgs) -> PathBuf {
    resolve_models_dir(paths.models_dir.as_deref())
}

/// `explicit` when given, else `./models` when it has a manifest, else the project's `models/`.
pub fn resolve_models_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
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

/// Reads the data set from `--data-dir`, saying on stderr what was loaded and how long it
/// took. Missing files are downloaded first unless `--offline`. Files without a valid stamp
/// are hashed while they are decoded; a mismatch with the published checksums is reported
/// as a warning (the folder may hold data of the user's own), never silently.
pub fn load_data(paths: &PathArgs) -> Result<DataSets> {
    let kind = paths.dataset.kind();
    let dir = &paths.data_dir;
    ensure_present(kind, dir, &paths.net.download_config(kind), paths.offline)?;
    let start = Instant::now();
    let mut stamps = Stamps::load(dir);
    let metadata = kind
        .files()
        .map(|spec| std::fs::metadata(dir.join(spec.name)).ok());
    let hash = std::array::from_fn(|at| {
        metadata[at]
            .as_ref()
            .is_none_or(|meta| !stamps.is_verified(&kind.files()[at], meta))
    });
    let (data, digests) = read_data_sets_hashing(dir, paths.validation_size as usize, hash)?;
    let seconds = start.elapsed().as_secs_f64();
    let mut mismatches = Vec::new();
    for ((spec, digest), meta) in kind.files().iter().zip(&digests).zip(&metadata) {
        match (digest, meta) {
            (Some(digest), Some(meta)) if digest.matches(spec) => stamps.record(spec, meta),
            (Some(digest), _) if !digest.matches(spec) => {
                mismatches.push(mismatch_message(&dir.join(spec.name), spec, digest))
            }
            _ => {}
        }
    }
    stamps.save_if_possible();
    eprintln!(
        "Loaded {} from {}: {} train, {} validation, {} test images ({:.2} s)",
        kind.title(),
        dir.display(),
        data.train.len(),
        data.validation.len(),
        data.test.len(),
        seconds
    );
    warn_about_mismatches(kind, dir, &mismatches);
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

fn warn_about_mismatches(kind: DatasetKind, dir: &Path, mismatches: &[String]) {
    if mismatches.is_empty() {
        return;
    }
    eprintln!(
        "warning: {} of the 4 files in {} are not the published {} files (training on them \
         anyway); `tflayers download --dataset {} --data-dir {}` replaces them, keeping \
         these copies as *.bad",
        mismatches.len(),
        dir.display(),
        kind.title(),
        kind.id(),
        dir.display()
    );
    for mismatch in mismatches {
        eprintln!("  {mismatch}");
    }
}
