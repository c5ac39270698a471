//! Downloading the data files from public mirrors, verified, without ever damaging the cache.
//!
//! Owns the network side of the data layer. For each of a data set's four files it tries the
//! mirrors in order (a bounded number of rounds, with a pause between rounds), over HTTPS
//! with `reqwest` (rustls), with a connect timeout and a read timeout (the longest silence
//! tolerated while waiting for the response or its next bytes). The body is written to a
//! temporary name in the data folder, its decompressed bytes are checked against the
//! published SHA-256 ([`super::verify`]), and only then is it renamed into place, so an
//! interrupted or corrupt download never replaces anything. A present file that fails
//! verification is moved aside (renamed `*.bad`), never deleted, once its replacement has
//! arrived. Progress goes to stderr: a progress bar with bytes, rate and ETA on a terminal,
//! plain lines otherwise.
//!
//! This file holds the configuration and the per-file decisions; the transfers themselves
//! (mirrors, retries, timeouts, verification, progress) are in `fetch`.
//!
//! The mirrors can be replaced (`--mirror`, or the environment variable
//! [`super::catalog::MIRRORS_ENV`]); the tests use that to point at a local server.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::catalog::{DatasetKind, FileSpec};
use super::folder::{check_data_dir, refuse_file};
use super::verify::{check_file, is_read_only, mismatch_message, FileStatus, Stamps};
use fetch::{build_client, fetch};

mod fetch;

/// Default longest wait for a TCP/TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default longest silence while waiting for the response or the next bytes of the body.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of extra rounds over all mirrors after the first one fails.
pub const DEFAULT_RETRIES: u32 = 2;
/// Pause before the first extra round; it grows linearly with each round.
pub const DEFAULT_RETRY_PAUSE: Duration = Duration::from_secs(2);

/// How progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A progress bar when stderr is a terminal, plain lines otherwise.
    Auto,
    /// Plain lines only.
    Lines,
}

/// Where and how to download.
#[derive(Debug, Clone)]
pub struct DownloadConfig {
    /// Base URLs tried in order; each file's URL is the base followed by the file name.
    pub mirrors: Vec<String>,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for the response or the next bytes of the body.
    pub read_timeout: Duration,
    /// Extra rounds over all mirrors after the first round fails.
    pub retries: u32,
    /// Pause before the first extra round (twice as long before the second, and so on).
    pub retry_pause: Duration,
    /// Progress display.
    pub progress: ProgressMode,
}

impl DownloadConfig {
    /// The built-in mirrors of `kind` and the default timeouts.
    pub fn for_dataset(kind: DatasetKind) -> Self {
        Self {
            mirrors: kind.mirrors().iter().map(|m| m.to_string()).collect(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            retries: DEFAULT_RETRIES,
            retry_pause: DEFAULT_RETRY_PAUSE,
            progress: ProgressMode::Auto,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already present with the published content; `stamped` when a stamp vouched for it.
    AlreadyVerified { stamped: bool },
    /// Downloaded and verified.
    Downloaded {
        /// Where it came from.
        url: String,
        /// Bytes received (the compressed size).
        bytes: u64,
        /// Seconds the transfer took.
        seconds: f64,
        /// Where a previous, unverifiable copy was moved.
        moved_aside: Option<PathBuf>,
    },
}

/// One file's result.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOutcome {
    /// The file name.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// Makes sure `dir` exists and accepts new files, before any network traffic.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    refuse_file(dir)?;
    fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create the data folder {}; create it yourself or choose another --data-dir",
            dir.display()
        )
    })?;
    // Permission bits first: a folder marked read-only stays untouched even for root.
    if is_read_only(dir) {
        bail!(
            "cannot write to the data folder {}: it is read-only (no write permission); make \
             it writable or choose another --data-dir",
            dir.display()
        );
    }
    // An unnamed temporary file, gone when dropped.
    tempfile::tempfile_in(dir).with_context(|| {
        format!(
            "cannot write to the data folder {}; make it writable or choose another \
             --data-dir",
            dir.display()
        )
    })?;
    Ok(())
}

/// Downloads every file of `kind` that `dir` does not already hold with the published
/// content; returns what happened to each of the four files.
pub fn download(
    kind: DatasetKind,
    dir: &Path,
    config: &DownloadConfig,
) -> Result<Vec<FileOutcome>> {
    download_files(kind, dir, config, kind.files())
}

/// Downloads those of `files` that `dir` does not already hold with the published content.
pub fn download_files(
    kind: DatasetKind,
    dir: &Path,
    config: &DownloadConfig,
    files: &[FileSpec],
) -> Result<Vec<FileOutcome>> {
    let existed = dir.exists();
    let result = download_into(kind, dir, config, files);
    if result.is_err() && !existed {
        // Leave no trace of a failed first download: remove the folder made for it (only
        // if still empty; remove_dir refuses otherwise).
        let _ = fs::remove_dir(dir);
    }
    result
}

fn download_into(
    kind: DatasetKind,
    dir: &Path,
    config: &DownloadConfig,
    files: &[FileSpec],
) -> Result<Vec<FileOutcome>> {
    prepare_dir(dir)?;
    let mut stamps = Stamps::load(dir);
    let mut outcomes = Vec::with_capacity(files.len());
    // First what is already there, so that the network is only used when needed.
    let mut wanted: Vec<(&FileSpec, bool)> = Vec::new();
    for spec in files {
        let problem = match check_file(dir, spec, &mut stamps)? {
            FileStatus::Verified { stamped } => {
                let outcome = Outcome::AlreadyVerified { stamped };
                outcomes.push(FileOutcome {
                    name: spec.name,
                    outcome,
                });
                continue;
            }
            FileStatus::Missing => {
                wanted.push((spec, false));
                continue;
            }
            FileStatus::Mismatch { actual } => {
                mismatch_message(&dir.join(spec.name), spec, &actual)
            }
            FileStatus::Unreadable(reason) => reason,
        };
        eprintln!("{problem}; downloading the published file (this copy will be moved aside)");
        wanted.push((spec, true));
    }
    if wanted.is_empty() {
        stamps.save_if_possible();
        return Ok(outcomes);
    }
    // Stamps are saved only as files arrive: a download that fails changes nothing.
    let client = build_client(config)?;
    for (spec, replace) in wanted {
        let outcome = fetch(&client, (kind, dir, config), spec, replace)?;
        if let Ok(meta) = fs::metadata(dir.join(spec.name)) {
            stamps.record(spec, &meta);
            stamps.save_if_possible();
        }
        outcomes.push(FileOutcome {
            name: spec.name,
            outcome,
        });
    }
    stamps.save_if_possible();
    outcomes.sort_by_key(|done| files.iter().position(|spec| spec.name == done.name));
    Ok(outcomes)
}

/// Makes sure the four files of `kind` are in `dir`, downloading missing ones unless
/// `offline`. Present files are left alone (their content is checked by the loader).
pub fn ensure_present(
    kind: DatasetKind,
    dir: &Path,
    config: &DownloadConfig,
    offline: bool,
) -> Result<()> {
    check_data_dir(kind, dir)?;
    let missing: Vec<FileSpec> = kind
        .files()
        .iter()
        .filter(|spec| !dir.join(spec.name).exists())
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|spec| spec.name).collect();
    if offline {
        bail!(
            "{} lacks {} of {}, and --offline forbids downloading: run `tflayers download \
             --dataset {} --data-dir {}` on a machine with network access, or copy the \
             files there by hand (from {}), or drop --offline",
            dir.display(),
            names.join(", "),
            kind.title(),
            kind.id(),
            dir.display(),
            config.mirrors.join(" or ")
        );
    }
    eprintln!(
        "{} lacks {}: downloading {} into it",
        super::load::absolute(dir).display(),
        names.join(", "),
        kind.title()
    );
    download_files(kind, dir, config, &missing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_dir_rejects_a_file_and_creates_folders() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = format!("{:#}", prepare_dir(&file).unwrap_err());
        assert!(err.contains("is a file, not a folder"), "{err}");
        let err = format!("{:#}", prepare_dir(&file.join("sub")).unwrap_err());
        assert!(err.contains("cannot create the data folder"), "{err}");
        let nested = dir.path().join("a/b");
        prepare_dir(&nested).unwrap();
        assert!(nested.is_dir());
        assert_eq!(fs::read_dir(&nested).unwrap().count(), 0);
    }

    #[test]
    fn offline_names_the_missing_files_and_the_remedy() {
        let dir = tempfile::tempdir().unwrap();
        let config = DownloadConfig::for_dataset(DatasetKind::FashionMnist);
        let err = format!(
            "{:#}",
            ensure_present(DatasetKind::FashionMnist, dir.path(), &config, true).unwrap_err()
        );
        assert!(err.contains("t10k-labels-idx1-ubyte.gz"), "{err}");
        assert!(err.contains("--offline forbids downloading"), "{err}");
        assert!(
            err.contains("tflayers download --dataset fashion-mnist"),
            "{err}"
        );
        assert!(err.contains("copy the files there by hand"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
