//! Integrity of the data files: SHA-256 of the decompressed bytes, and stamps that remember it.
//!
//! Owns the answer to "is this file the published one?". A file verifies when the SHA-256
//! of its *decompressed* bytes equals the value pinned in [`super::catalog`], so any
//! faithful `.gz` wrapper (the mirrors', Debian's, one you made with `gzip`) is accepted.
//! Hashing 55 MB on every run would be wasted work, so a verified file gets a stamp in
//! [`STAMP_FILE`] (a small JSON file in the data folder) recording its size, its
//! modification time and the verified hash; while size and mtime are unchanged the file
//! counts as verified without being read. A stamp is only a cache: a missing, stale or
//! unreadable stamp just means the file is hashed again, and a folder where stamps cannot
//! be written (a read-only system folder) works, only without the shortcut.
//!
//! A file that fails verification is never deleted: [`move_aside`] renames it so the user
//! can inspect it.

use std::collections::BTreeMap;
use std::fs::{self, File, Metadata};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::catalog::FileSpec;
use super::idx::GZIP_MAGIC;
use crate::fsx::write_json;

/// Name of the stamp file kept in a data folder.
pub const STAMP_FILE: &str = ".tflayers-verified.json";
/// Version of the stamp file layout; other versions are ignored (the files are re-hashed).
const STAMP_VERSION: u32 = 1;

/// Size and SHA-256 of a file's decompressed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Number of decompressed bytes.
    pub size: u64,
}

impl Digest {
    /// Whether this is the published content of `spec`.
    pub fn matches(&self, spec: &FileSpec) -> bool {
        self.size == spec.size && self.sha256 == spec.sha256
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A reader that hashes everything read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`; nothing has been hashed yet.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// The digest of the bytes read so far.
    pub fn finish(self) -> Digest {
        Digest {
            sha256: hex(&self.hasher.finalize()),
            size: self.size,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.size += read as u64;
        Ok(read)
    }
}

/// Checks that `path` starts like a gzip file, explaining what it is otherwise.
pub fn check_gzip_signature(path: &Path) -> Result<()> {
    let mut start = Vec::with_capacity(4);
    File::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .take(4)
        .read_to_end(&mut start)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if start.starts_with(&GZIP_MAGIC) {
        return Ok(());
    }
    let what = match start.as_slice() {
        [] => "it is empty".to_string(),
        [0, 0, 8, 1] | [0, 0, 8, 3] => {
            "it is an uncompressed IDX file; compress it with `gzip` (the program reads the \
             .gz files as the mirrors publish them)"
                .to_string()
        }
        bytes => {
            let bytes: Vec<String> = bytes.iter().map(|b| hex(&[*b])).collect();
            format!(
                "it starts with {} instead of the gzip signature 1f 8b",
                bytes.join(" ")
            )
        }
    };
    bail!(
        "{} is not a gzip file: {what}; replace it with the original .gz file (`tflayers \
         download` fetches it)",
        path.display()
    )
}

/// Decompresses the gzip file at `path` and returns the size and SHA-256 of its content.
pub fn digest_gz_file(path: &Path) -> Result<Digest> {
    check_gzip_signature(path)?;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = HashingReader::new(GzDecoder::new(BufReader::with_capacity(1 << 16, file)));
    io::copy(&mut reader, &mut io::sink()).with_context(|| {
        format!(
            "{}: the gzip data is damaged; the file is incomplete or corrupt: download it \
             again",
            path.display()
        )
    })?;
    Ok(reader.finish())
}

/// How a file in a data folder compares with its published checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// The file is not there.
    Missing,
    /// The content is the published one; `stamped` when a stamp said so without hashing.
    Verified { stamped: bool },
    /// The content differs from the published one.
    Mismatch { actual: Digest },
    /// The file could not be decompressed (not gzip, damaged): the reason.
    Unreadable(String),
}

impl FileStatus {
    /// Whether the file holds the published content.
    pub fn is_verified(&self) -> bool {
        matches!(self, FileStatus::Verified { .. })
    }
}

/// One stamp: the file's size and mtime when its content was verified, and the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Size of the (compressed) file on disk.
    pub file_size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime_secs: u64,
    /// Sub-second part of the modification time.
    pub mtime_nanos: u32,
    /// SHA-256 of the decompressed bytes that was verified.
    pub sha256: String,
}

impl Stamp {
    fn of(meta: &Metadata, sha256: &str) -> Option<Self> {
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Self {
            file_size: meta.len(),
            mtime_secs: mtime.as_secs(),
            mtime_nanos: mtime.subsec_nanos(),
            sha256: sha256.to_string(),
        })
    }
}

/// The stamps of one data folder, as [`STAMP_FILE`] holds them.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Stamps {
    #[serde(skip)]
    dir: PathBuf,
    version: u32,
    files: BTreeMap<String, Stamp>,
    #[serde(skip)]
    changed: bool,
}

impl Stamps {
    /// Reads the stamps of `dir`; a missing or unreadable stamp file gives no stamps.
    pub fn load(dir: &Path) -> Self {
        let mut stamps = fs::read(dir.join(STAMP_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .filter(|stamps| stamps.version == STAMP_VERSION)
            .unwrap_or_default();
        stamps.version = STAMP_VERSION;
        stamps.dir = dir.to_path_buf();
        stamps
    }

    /// Whether a stamp says the file of `spec`, now described by `meta`, was verified.
    pub fn is_verified(&self, spec: &FileSpec, meta: &Metadata) -> bool {
        let now = Stamp::of(meta, spec.sha256);
        now.is_some() && self.files.get(spec.name) == now.as_ref()
    }

    /// Records that the file of `spec` (described by `meta`) holds the published content.
    pub fn record(&mut self, spec: &FileSpec, meta: &Metadata) {
        if let Some(stamp) = Stamp::of(meta, spec.sha256) {
            let name = spec.name.to_string();
            self.changed |= self.files.insert(name, stamp.clone()) != Some(stamp);
        }
    }

    /// Drops the stamp of `name` (the file was replaced or moved).
    pub fn forget(&mut self, name: &str) {
        self.changed |= self.files.remove(name).is_some();
    }

    /// Writes the stamps back if they changed ([`write_json`]). A
    /// folder without write permission is left alone even when the process could write
    /// anyway (as root): its owner marked it read-only.
    pub fn save(&mut self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let path = self.dir.join(STAMP_FILE);
        if is_read_only(&self.dir) {
            bail!("cannot write {}: the folder is read-only", path.display());
        }
        write_json(&path, self)?;
        self.changed = false;
        Ok(())
    }

    /// [`Stamps::save`], ignoring failures: stamps only save time, and a read-only data
    /// folder is legitimate.
    pub fn save_if_possible(&mut self) {
        let _ = self.save();
    }
}

/// Whether `dir`'s permissions forbid writing (no write bit set), whoever we are.
pub fn is_read_only(dir: &Path) -> bool {
    fs::metadata(dir).is_ok_and(|meta| meta.permissions().readonly())
}

/// The status of the file of `spec` in `dir`, hashing it unless a stamp vouches for it.
/// A newly verified file is recorded in `stamps` (the caller saves them).
pub fn check_file(dir: &Path, spec: &FileSpec, stamps: &mut Stamps) -> Result<FileStatus> {
    let path = dir.join(spec.name);
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(FileStatus::Missing),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    if !meta.is_file() {
        bail!(
            "{} is not a regular file; it must be the .gz file itself",
            path.display()
        );
    }
    if stamps.is_verified(spec, &meta) {
        return Ok(FileStatus::Verified { stamped: true });
    }
    match digest_gz_file(&path) {
        Ok(actual) if actual.matches(spec) => {
            stamps.record(spec, &meta);
            Ok(FileStatus::Verified { stamped: false })
        }
        Ok(actual) => {
            stamps.forget(spec.name);
            Ok(FileStatus::Mismatch { actual })
        }
        Err(err) => {
            stamps.forget(spec.name);
            Ok(FileStatus::Unreadable(format!("{err:#}")))
        }
    }
}

/// The mismatch message: which file, what was expected, what was found.
pub fn mismatch_message(path: &Path, spec: &FileSpec, actual: &Digest) -> String {
    format!(
        "{}: checksum mismatch: expected the published SHA-256 {} of {} decompressed bytes, \
         found {} of {} bytes",
        path.display(),
        spec.sha256,
        spec.size,
        actual.sha256,
        actual.size
    )
}

/// Renames `path` to `path.bad` (or `path.bad.1`, `.2`, ... if taken) and returns the new
/// name: a file that failed verification is kept for inspection, never deleted.
pub fn move_aside(path: &Path) -> Result<PathBuf> {
    let aside = (0..1000u32)
        .map(|attempt| {
            let mut name = path.as_os_str().to_os_string();
            name.push(if attempt == 0 {
                ".bad".to_string()
            } else {
                format!(".bad.{attempt}")
            });
            PathBuf::from(name)
        })
        .find(|aside| fs::symlink_metadata(aside).is_err())
        .with_context(|| {
            format!(
                "cannot move {} aside: {}.bad through .bad.999 all exist; remove some",
                path.display(),
                path.display()
            )
        })?;
    fs::rename(path, &aside).with_context(|| {
        format!(
            "cannot move {} aside to {}",
            path.display(),
            aside.display()
        )
    })?;
    Ok(aside)
}

#[cfg(test)]
mod tests;
