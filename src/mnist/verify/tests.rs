//! Digests of the decompressed content, gzip signatures, stamps and moving bad copies aside.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::*;
use crate::mnist::catalog::MNIST_FILES;

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
