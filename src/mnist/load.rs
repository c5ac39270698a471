//! Loading a data set the way every training command does: download what is missing (unless
//! offline), decode the four files, check them against the published checksums (hashing only
//! files without a valid stamp), and say on stderr what was loaded and how long it took.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::mnist::catalog::DatasetKind;
use crate::mnist::dataset::{read_data_sets_hashing, DataSets};
use crate::mnist::download::{ensure_present, DownloadConfig};
use crate::mnist::verify::{mismatch_message, Stamps};

/// Where a command reads its data from, and how missing files are fetched.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub dataset: DatasetKind,
    pub dir: PathBuf,
    /// Training images held out for validation.
    pub validation_size: usize,
    /// Never download: fail, saying what to do, when files are missing.
    pub offline: bool,
    pub download: DownloadConfig,
}

/// Reads the data set from `--data-dir`, saying on stderr what was loaded and how long it
/// took. Missing files are downloaded first unless `--offline`. Files without a valid stamp
/// are hashed while they are decoded; a mismatch with the published checksums is reported
/// as a warning (the folder may hold data of the user's own), never silently.
pub fn load_data(source: &DataSource) -> Result<DataSets> {
    let kind = source.dataset;
    let dir = &source.dir;
    ensure_present(kind, dir, &source.download, source.offline)?;
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
    let (data, digests) = read_data_sets_hashing(dir, source.validation_size, hash)?;
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
    if !mismatches.is_empty() {
        eprintln!(
            "warning: {} of the 4 files in {} are not the published {} files (training on \
             them anyway); `tflayers download --dataset {} --data-dir {}` replaces them, \
             keeping these copies as *.bad",
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
    Ok(data)
}

/// The article evaluates the test set in one run; say so on stderr when `--eval-batch-size`
/// splits it.
pub fn announce_eval_chunks(eval_batch_size: Option<usize>) {
    if let Some(chunk) = eval_batch_size {
        eprintln!(
            "Evaluating the test set in chunks of {chunk} images (--eval-batch-size), \
             not in one run as the article does"
        );
    }
}
