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
use std::fmt::Write as _;
use std::fs::{self, File, Metadata};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::catalog::FileSpec;
use super::idx::GZIP_MAGIC;

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
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
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
    let mut start = [0u8; 4];
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut got = 0;
    while got < start.len() {
        let read = file
            .read(&mut start[got..])
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            break;
        }
        got += read;
    }
    if got >= 2 && start[..2] == GZIP_MAGIC {
        return Ok(());
    }
    let what = match &start[..got] {
        [] => "it is empty".to_string(),
        [0, 0, 8, 1] | [0, 0, 8, 3] => {
            "it is an uncompressed IDX file; compress it with `gzip` (the program reads the \
             .gz files as the mirrors publish them)"
                .to_string()
        }
        bytes => format!(
            "it starts with {} instead of the gzip signature 1f 8b",
            bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
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

#[derive(Debug, Default, Serialize, Deserialize)]
struct StampFile {
    version: u32,
    files: BTreeMap<String, Stamp>,
}

/// The stamps of one data folder.
#[derive(Debug)]
pub struct Stamps {
    dir: PathBuf,
    files: BTreeMap<String, Stamp>,
    changed: bool,
}

impl Stamps {
    /// Reads the stamps of `dir`; a missing or unreadable stamp file gives no stamps.
    pub fn load(dir: &Path) -> Self {
        let files = fs::read(dir.join(STAMP_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<StampFile>(&bytes).ok())
            .filter(|stamps| stamps.version == STAMP_VERSION)
            .map(|stamps| stamps.files)
            .unwrap_or_default();
        Self {
            dir: dir.to_path_buf(),
            files,
            changed: false,
        }
    }

    /// Whether a stamp says the file of `spec`, now described by `meta`, was verified.
    pub fn is_verified(&self, spec: &FileSpec, meta: &Metadata) -> bool {
        match (self.files.get(spec.name), Stamp::of(meta, spec.sha256)) {
            (Some(stamp), Some(now)) => *stamp == now,
            _ => false,
        }
    }

    /// Records that the file of `spec` (described by `meta`) holds the published content.
    pub fn record(&mut self, spec: &FileSpec, meta: &Metadata) {
        if let Some(stamp) = Stamp::of(meta, spec.sha256) {
            if self.files.get(spec.name) != Some(&stamp) {
                self.files.insert(spec.name.to_string(), stamp);
                self.changed = true;
            }
        }
    }

    /// Drops the stamp of `name` (the file was replaced or moved).
    pub fn forget(&mut self, name: &str) {
        if self.files.remove(name).is_some() {
            self.changed = true;
        }
    }

    /// Writes the stamps back if they changed (to a temporary name, then renamed). A
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
        let stamps = StampFile {
            version: STAMP_VERSION,
            files: self.files.clone(),
        };
        let json = serde_json::to_vec_pretty(&stamps).context("cannot encode the stamps")?;
        let temp = self
            .dir
            .join(format!("{STAMP_FILE}.tmp-{}", std::process::id()));
        let written = File::create(&temp)
            .and_then(|mut file| file.write_all(&json).and_then(|()| file.sync_all()))
            .and_then(|()| fs::rename(&temp, &path));
        if let Err(err) = written {
            let _ = fs::remove_file(&temp);
            return Err(err).with_context(|| format!("cannot write {}", path.display()));
        }
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
    let base = path.as_os_str().to_os_string();
    for attempt in 0..1000u32 {
        let mut name = base.clone();
        if attempt == 0 {
            name.push(".bad");
        } else {
            name.push(format!(".bad.{attempt}"));
        }
        let aside = PathBuf::from(name);
        if fs::symlink_metadata(&aside).is_ok() {
            continue;
        }
        fs::rename(path, &aside).with_context(|| {
            format!(
                "cannot move {} aside to {}",
                path.display(),
                aside.display()
            )
        })?;
        return Ok(aside);
    }
    bail!(
        "cannot move {} aside: {}.bad through .bad.999 all exist; remove some",
        path.display(),
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::catalog::MNIST_FILES;
    use flate2::write::GzEncoder;
    use flate2::Compression;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn sha(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    /// A spec whose published content is `content`.
    fn spec_for(content: &[u8]) -> FileSpec {
        let sha256: &'static str = Box::leak(sha(content).into_boxed_str());
        FileSpec {
            sha256,
            size: content.len() as u64,
            ..MNIST_FILES[1]
        }
    }

    #[test]
    fn hex_and_known_digest() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
        assert_eq!(
            sha(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut reader = HashingReader::new(&b"abc"[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(reader.finish().sha256, sha(b"abc"));
    }

    #[test]
    fn digest_is_of_the_decompressed_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"some idx bytes".repeat(100);
        let path = dir.path().join("x.gz");
        fs::write(&path, gz(&content)).unwrap();
        let digest = digest_gz_file(&path).unwrap();
        assert_eq!(digest.sha256, sha(&content));
        assert_eq!(digest.size, content.len() as u64);
        // Another compression level: other .gz bytes, the same digest.
        let mut best = GzEncoder::new(Vec::new(), Compression::best());
        best.write_all(&content).unwrap();
        fs::write(&path, best.finish().unwrap()).unwrap();
        assert_eq!(digest_gz_file(&path).unwrap(), digest);
    }

    #[test]
    fn non_gzip_files_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        for (bytes, expected) in [
            (&b""[..], "it is empty"),
            (&[0, 0, 8, 3, 0, 0][..], "uncompressed IDX file"),
            (
                &b"<html>"[..],
                "starts with 3c 68 74 6d instead of the gzip signature",
            ),
        ] {
            fs::write(&path, bytes).unwrap();
            let err = format!("{:#}", digest_gz_file(&path).unwrap_err());
            assert!(err.contains("is not a gzip file"), "{err}");
            assert!(err.contains(expected), "{err}");
        }
        let mut damaged = gz(&[7; 5000]);
        let len = damaged.len();
        damaged.truncate(len - 12);
        fs::write(&path, damaged).unwrap();
        let err = format!("{:#}", digest_gz_file(&path).unwrap_err());
        assert!(err.contains("the gzip data is damaged"), "{err}");
    }

    #[test]
    fn check_file_hashes_once_then_trusts_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"labels".to_vec();
        let spec = spec_for(&content);
        let path = dir.path().join(spec.name);
        let mut stamps = Stamps::load(dir.path());
        assert_eq!(
            check_file(dir.path(), &spec, &mut stamps).unwrap(),
            FileStatus::Missing
        );
        fs::write(&path, gz(&content)).unwrap();
        assert_eq!(
            check_file(dir.path(), &spec, &mut stamps).unwrap(),
            FileStatus::Verified { stamped: false }
        );
        stamps.save().unwrap();
        let mut reloaded = Stamps::load(dir.path());
        assert_eq!(
            check_file(dir.path(), &spec, &mut reloaded).unwrap(),
            FileStatus::Verified { stamped: true }
        );

        // Replacing the file changes size/mtime: the stamp no longer applies.
        fs::write(&path, gz(b"other content")).unwrap();
        let status = check_file(dir.path(), &spec, &mut reloaded).unwrap();
        let FileStatus::Mismatch { actual } = status else {
            panic!("expected a mismatch, got {status:?}")
        };
        assert_eq!(actual.sha256, sha(b"other content"));
        let message = mismatch_message(&path, &spec, &actual);
        assert!(message.contains(spec.sha256) && message.contains(&actual.sha256));
        fs::write(&path, b"plain").unwrap();
        assert!(matches!(
            check_file(dir.path(), &spec, &mut reloaded).unwrap(),
            FileStatus::Unreadable(reason) if reason.contains("not a gzip file")
        ));
    }

    #[test]
    fn garbage_stamp_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STAMP_FILE), b"{not json").unwrap();
        let content = b"x".to_vec();
        let spec = spec_for(&content);
        fs::write(dir.path().join(spec.name), gz(&content)).unwrap();
        let mut stamps = Stamps::load(dir.path());
        assert_eq!(
            check_file(dir.path(), &spec, &mut stamps).unwrap(),
            FileStatus::Verified { stamped: false }
        );
        stamps.save().unwrap();
        assert!(Stamps::load(dir.path()).files.contains_key(spec.name));
    }

    #[test]
    fn read_only_folders_get_no_stamps() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let content = b"x".to_vec();
        let spec = spec_for(&content);
        fs::write(dir.path().join(spec.name), gz(&content)).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let mut stamps = Stamps::load(dir.path());
        assert!(check_file(dir.path(), &spec, &mut stamps)
            .unwrap()
            .is_verified());
        let err = format!("{:#}", stamps.save().unwrap_err());
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.contains("the folder is read-only"), "{err}");
        assert!(!dir.path().join(STAMP_FILE).exists());
    }

    #[test]
    fn move_aside_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.gz");
        fs::write(&path, b"one").unwrap();
        let first = move_aside(&path).unwrap();
        assert_eq!(first, dir.path().join("f.gz.bad"));
        fs::write(&path, b"two").unwrap();
        let second = move_aside(&path).unwrap();
        assert_eq!(second, dir.path().join("f.gz.bad.1"));
        assert_eq!(fs::read(first).unwrap(), b"one");
        assert_eq!(fs::read(second).unwrap(), b"two");
        assert!(!path.exists());
    }
}
