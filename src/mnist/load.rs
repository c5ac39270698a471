//! Loading a data set the way every training command does: download what is missing (unless
//! offline), decode the four files, check them against the published checksums (hashing only
//! files without a valid stamp), and say on stderr what was loaded, from which absolute path,
//! and how long it took.
//!
//! Files that are not the published ones are refused ([`judge`]) unless the user
//! chose them (`--allow-unpublished-data`) or this program generated them
//! ([`super::generated`]); either way the run says so on stderr and records it
//! ([`DataOrigin::note`]) in the metrics header.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Result};

use crate::mnist::catalog::{DatasetKind, FileSpec};
use crate::mnist::dataset::{read_data_sets_hashing, DataSets};
use crate::mnist::download::{ensure_present, DownloadConfig};
use crate::mnist::generated::Generated;
use crate::mnist::verify::{check_file, mismatch_message, Digest, FileStatus, Stamps};

/// The flag that lets a training command use files that are not the published ones.
pub const ALLOW_UNPUBLISHED_FLAG: &str = "--allow-unpublished-data";

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
    /// Train on files whose checksums differ from the published ones
    /// (`--allow-unpublished-data`) instead of refusing them.
    pub allow_unpublished: bool,
}

impl DataSource {
    /// The flags a child `tflayers` process needs to read the same data the same way
    /// (the folder itself travels with the run's own child flags).
    pub fn child_flags(&self) -> Vec<OsString> {
        let mut flags = Vec::new();
        if self.dataset != DatasetKind::default() {
            flags.extend(["--dataset".into(), self.dataset.id().into()]);
        }
        if self.allow_unpublished {
            flags.push(ALLOW_UNPUBLISHED_FLAG.into());
        }
        flags
    }
}

/// Where the data came from, as far as the checksums tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOrigin {
    /// All four files are the published ones.
    Published,
    /// Some files are not: `generated` when this program's fixtures wrote every one of them,
    /// else the user allowed them.
    Unpublished { files: Vec<String>, generated: bool },
}

impl DataOrigin {
    /// What the metrics header and the reproduce report record: `None` for the published
    /// files, else which files differ and why they were used.
    pub fn note(&self) -> Option<String> {
        match self {
            DataOrigin::Published => None,
            DataOrigin::Unpublished { files, generated } => Some(format!(
                "{} ({})",
                files.join(", "),
                if *generated {
                    "generated test data"
                } else {
                    "--allow-unpublished-data"
                }
            )),
        }
    }
}

/// Decides what to do with files whose digests are known: `digests[i]` is the digest of
/// `kind.files()[i]` when it was hashed (`None`: a stamp vouched for it). Published files
/// pass; generated ones pass with a note; others pass only with `allow`, else the error
/// names each file with both digests and the two ways out.
pub fn judge(
    kind: DatasetKind,
    dir: &Path,
    digests: &[Option<Digest>; 4],
    allow: bool,
) -> Result<DataOrigin> {
    let generated = Generated::load(dir);
    let mut files = Vec::new();
    let mut by_generator = 0;
    let mut messages = Vec::new();
    for (spec, digest) in kind.files().iter().zip(digests) {
        let Some(digest) = digest.as_ref().filter(|digest| !digest.matches(spec)) else {
            continue;
        };
        files.push(spec.name.to_string());
        if generated.vouches_for(spec.name, &digest.sha256) {
            by_generator += 1;
        } else {
            messages.push(mismatch_message(&dir.join(spec.name), spec, digest));
        }
    }
    if files.is_empty() {
        return Ok(DataOrigin::Published);
    }
    let all_generated = messages.is_empty();
    let others = files.len() - by_generator;
    if all_generated {
        eprintln!(
            "note: {} in {} are generated test data, not {} (recorded in the metrics header)",
            files.join(", "),
            dir.display(),
            kind.title()
        );
    } else if allow {
        eprintln!(
            "warning: {others} of the 4 files in {} are not the published {} files; training \
             on them because of {ALLOW_UNPUBLISHED_FLAG} (recorded in the metrics header)",
            dir.display(),
            kind.title()
        );
        for message in &messages {
            eprintln!("  {message}");
        }
    } else {
        bail!(
            "{others} of the 4 files in {} are not the published {} files:\n  {}\n`tflayers \
             download --dataset {} --data-dir {}` replaces them (keeping these copies as \
             *.bad); to train on IDX files of your own, pass {ALLOW_UNPUBLISHED_FLAG}",
            dir.display(),
            kind.title(),
            messages.join("\n  "),
            kind.id(),
            dir.display()
        );
    }
    Ok(DataOrigin::Unpublished {
        files,
        generated: all_generated,
    })
}

/// Checks the four files of `source` against the published checksums without decoding
/// them (for commands that hand the files to another reader): hashes the files without a
/// valid stamp and [`judge`]s them. Missing files are downloaded first unless offline.
pub fn verify_data(source: &DataSource) -> Result<DataOrigin> {
    let (kind, dir) = (source.dataset, &source.dir);
    ensure_present(kind, dir, &source.download, source.offline)?;
    let mut stamps = Stamps::load(dir);
    let mut digests: [Option<Digest>; 4] = Default::default();
    for (spec, digest) in kind.files().iter().zip(&mut digests) {
        match check_file(dir, spec, &mut stamps)? {
            FileStatus::Verified { .. } => {}
            FileStatus::Mismatch { actual } => *digest = Some(actual),
            FileStatus::Missing => bail!("{} is missing", dir.join(spec.name).display()),
            FileStatus::Unreadable(reason) => bail!("{reason}"),
        }
    }
    stamps.save_if_possible();
    judge(kind, dir, &digests, source.allow_unpublished)
}

/// Reads the data set from `--data-dir` ([`load`]), keeping only the data.
pub fn load_data(source: &DataSource) -> Result<DataSets> {
    Ok(load(source)?.0)
}

/// Reads the data set from `--data-dir`, saying on stderr what was loaded and how long it
/// took. Missing files are downloaded first unless `--offline`. Files without a valid stamp
/// are hashed while they are decoded; files that are not the published ones are refused
/// unless allowed or generated ([`judge`]), before any training.
pub fn load(source: &DataSource) -> Result<(DataSets, DataOrigin)> {
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
    let specs: &[FileSpec; 4] = kind.files();
    for ((spec, digest), meta) in specs.iter().zip(&digests).zip(&metadata) {
        if let (Some(digest), Some(meta)) = (digest, meta) {
            if digest.matches(spec) {
                stamps.record(spec, meta);
            }
        }
    }
    stamps.save_if_possible();
    let origin = judge(kind, dir, &digests, source.allow_unpublished)?;
    eprintln!(
        "Loaded {} from {}: {} train, {} validation, {} test images ({:.2} s)",
        kind.title(),
        absolute(dir).display(),
        data.train.len(),
        data.validation.len(),
        data.test.len(),
        seconds
    );
    Ok((data, origin))
}

/// `path` made absolute against the current folder (without resolving links), so notes say
/// which folder a relative default such as `data/mnist` meant.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
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
