//! Downloading against a local HTTP server on 127.0.0.1 (never the internet): success and
//! stamps, a corrupted body, a 404, a stalled connection, a retry, the fallback to the second
//! mirror, no network at all, and a bad file already in the cache.
//!
//! The library-level tests use file specs whose checksums are those of tiny synthetic files,
//! so that a download can succeed; the CLI tests use the real published checksums, which the
//! synthetic bodies cannot match (exactly what a corrupted mirror looks like).

mod common;
mod http_server;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use http_server::{Reply, Server};
use tflayers::mnist::catalog::{DatasetKind, FileSpec, MNIST_FILES};
use tflayers::mnist::dataset::read_data_sets_with;
use tflayers::mnist::download::{download_files, DownloadConfig, Outcome, ProgressMode};
use tflayers::mnist::fixtures::write_synthetic_mnist;
use tflayers::mnist::verify::{digest_gz_file, STAMP_FILE};

/// Every file under `dir` (recursively, hidden ones included) with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Four synthetic .gz files, their bytes and specs whose checksums they match.
struct Source {
    _dir: tempfile::TempDir,
    bodies: Vec<(&'static str, Vec<u8>)>,
    specs: Vec<FileSpec>,
}

fn source(seed: u32) -> Source {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), 30, 10, seed).unwrap();
    let mut bodies = Vec::new();
    let mut specs = Vec::new();
    for spec in &MNIST_FILES {
        let path = dir.path().join(spec.name);
        let digest = digest_gz_file(&path).unwrap();
        bodies.push((spec.name, fs::read(&path).unwrap()));
        specs.push(FileSpec {
            sha256: Box::leak(digest.sha256.into_boxed_str()),
            size: digest.size,
            ..*spec
        });
    }
    Source {
        _dir: dir,
        bodies,
        specs,
    }
}

fn routes(prefix: &str, bodies: &[(&'static str, Vec<u8>)]) -> Vec<(String, Vec<Reply>)> {
    bodies
        .iter()
        .map(|(name, body)| (format!("/{prefix}/{name}"), vec![Reply::Body(body.clone())]))
        .collect()
}

fn config(mirrors: Vec<String>) -> DownloadConfig {
    DownloadConfig {
        mirrors,
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(1),
        retries: 0,
        retry_pause: Duration::from_millis(10),
        progress: ProgressMode::Lines,
    }
}

fn error_text(err: anyhow::Error) -> String {
    format!("{err:#}")
}

#[test]
fn downloads_verifies_and_then_trusts_the_stamps() {
    let src = source(1);
    let server = Server::start(routes("a", &src.bodies));
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("mnist");
    let config = config(vec![server.mirror("a")]);
    let outcomes = download_files(DatasetKind::Mnist, &dir, &config, &src.specs).unwrap();
    assert_eq!(outcomes.len(), 4);
    for (done, (name, body)) in outcomes.iter().zip(&src.bodies) {
        assert_eq!(done.name, *name);
        let Outcome::Downloaded {
            url,
            bytes,
            moved_aside,
            ..
        } = &done.outcome
        else {
            panic!("{name}: {:?}", done.outcome)
        };
        assert_eq!(url, &format!("{}{name}", server.mirror("a")));
        assert_eq!(*bytes, body.len() as u64);
        assert_eq!(moved_aside, &None);
        assert_eq!(&fs::read(dir.join(name)).unwrap(), body);
    }
    // Only the four files and the stamps: no temporary files left behind.
    let mut names: Vec<String> = snapshot(&dir)
        .keys()
        .map(|p| p.display().to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = src.bodies.iter().map(|(n, _)| n.to_string()).collect();
    expected.push(STAMP_FILE.to_string());
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(read_data_sets_with(&dir, 10).unwrap().test.len(), 10);

    // A second run trusts the stamps and does not touch the network.
    let hits = server.hits().len();
    let again = download_files(DatasetKind::Mnist, &dir, &config, &src.specs).unwrap();
    assert_eq!(again.len(), src.specs.len());
    assert!(again
        .iter()
        .all(|done| done.outcome == Outcome::AlreadyVerified { stamped: true }));
    assert_eq!(server.hits().len(), hits);
}

#[test]
fn falls_back_to_the_second_mirror() {
    let src = source(2);
    // Mirror "a" serves nothing (404), mirror "b" everything.
    let server = Server::start(routes("b", &src.bodies));
    let cache = tempfile::tempdir().unwrap();
    let config = config(vec![server.mirror("a"), server.mirror("b")]);
    let outcomes =
        download_files(DatasetKind::Mnist, cache.path(), &config, &src.specs[..1]).unwrap();
    let Outcome::Downloaded { url, .. } = &outcomes[0].outcome else {
        panic!("{:?}", outcomes[0])
    };
    assert!(url.contains("/b/"), "{url}");
    assert_eq!(
        server.hits(),
        [
            "/a/train-images-idx3-ubyte.gz",
            "/b/train-images-idx3-ubyte.gz"
        ]
    );
}

#[test]
fn a_corrupted_body_is_rejected_and_nothing_is_written() {
    let src = source(3);
    let other = source(4);
    let spec = src.specs[1];
    let server = Server::start(vec![(
        format!("/a/{}", spec.name),
        // Valid gzip, other content: what a damaged or substituted file looks like.
        vec![Reply::Body(other.bodies[1].1.clone())],
    )]);
    let cache = tempfile::tempdir().unwrap();
    fs::write(cache.path().join("notes.txt"), b"keep me").unwrap();
    let before = snapshot(cache.path());
    let err = error_text(
        download_files(
            DatasetKind::Mnist,
            cache.path(),
            &config(vec![server.mirror("a")]),
            &[spec],
        )
        .unwrap_err(),
    );
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(
        err.contains(&format!("expected the published SHA-256 {}", spec.sha256)),
        "{err}"
    );
    let found = digest_gz_file(&other._dir.path().join(spec.name)).unwrap();
    assert!(err.contains(&format!("found {}", found.sha256)), "{err}");
    assert!(
        err.contains(&format!("{}{}", server.mirror("a"), spec.name)),
        "{err}"
    );
    assert_eq!(snapshot(cache.path()), before);
}

#[test]
fn a_body_that_is_not_gzip_is_rejected() {
    let src = source(5);
    let spec = src.specs[3];
    let server = Server::start(vec![(
        format!("/a/{}", spec.name),
        vec![Reply::Body(b"<html>moved</html>".to_vec())],
    )]);
    let cache = tempfile::tempdir().unwrap();
    let err = error_text(
        download_files(
            DatasetKind::Mnist,
            cache.path(),
            &config(vec![server.mirror("a")]),
            &[spec],
        )
        .unwrap_err(),
    );
    assert!(err.contains("is not a gzip file"), "{err}");
    assert!(err.contains("3c 68 74 6d"), "{err}");
    assert!(snapshot(cache.path()).is_empty());
}

#[test]
fn http_404_names_the_url() {
    let src = source(6);
    let server = Server::start(Vec::new());
    let cache = tempfile::tempdir().unwrap();
    let err = error_text(
        download_files(
            DatasetKind::Mnist,
            cache.path(),
            &config(vec![server.mirror("a")]),
            &src.specs[..1],
        )
        .unwrap_err(),
    );
    assert!(
        err.contains(&format!(
            "{}train-images-idx3-ubyte.gz: HTTP 404 Not Found",
            server.mirror("a")
        )),
        "{err}"
    );
    assert!(err.contains("to supply the files by hand"), "{err}");
    assert!(snapshot(cache.path()).is_empty());
}

#[test]
fn a_stalled_transfer_hits_the_read_timeout() {
    let src = source(7);
    let spec = src.specs[0];
    let body = src.bodies[0].1.clone();
    let server = Server::start(vec![
        (
            format!("/a/{}", spec.name),
            vec![Reply::Stall { body, sent: 100 }],
        ),
        (format!("/b/{}", spec.name), vec![Reply::Silent]),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let err = error_text(
        download_files(
            DatasetKind::Mnist,
            cache.path(),
            &config(vec![server.mirror("a"), server.mirror("b")]),
            &[spec],
        )
        .unwrap_err(),
    );
    let elapsed = start.elapsed();
    assert!(
        err.contains(
            "the transfer stalled: nothing arrived for 1 s (the read timeout) after 100 bytes"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}{}", server.mirror("a"), spec.name)),
        "{err}"
    );
    assert!(
        err.contains("no response within the 1 s read timeout"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}{}", server.mirror("b"), spec.name)),
        "{err}"
    );
    // Two one-second timeouts, not the default 30 s ones.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert!(snapshot(cache.path()).is_empty());
}

#[test]
fn a_failed_round_is_retried() {
    let src = source(8);
    let spec = src.specs[1];
    let server = Server::start(vec![(
        format!("/a/{}", spec.name),
        vec![Reply::Status(503), Reply::Body(src.bodies[1].1.clone())],
    )]);
    let cache = tempfile::tempdir().unwrap();
    let mut config = config(vec![server.mirror("a")]);
    config.retries = 1;
    download_files(DatasetKind::Mnist, cache.path(), &config, &[spec]).unwrap();
    assert_eq!(server.hits().len(), 2);
    assert_eq!(
        fs::read(cache.path().join(spec.name)).unwrap(),
        src.bodies[1].1
    );
}

#[test]
fn no_network_says_how_to_supply_the_files() {
    let src = source(9);
    // A port held and never listened on: connections are refused, as without a network.
    let refusing = common::ports::refusing_port();
    let port = refusing.port;
    let cache = tempfile::tempdir().unwrap();
    let mirror = format!("http://127.0.0.1:{port}/mnist/");
    let target = cache.path().join("new");
    let err = error_text(
        download_files(
            DatasetKind::Mnist,
            &target,
            &config(vec![mirror.clone()]),
            &src.specs[..1],
        )
        .unwrap_err(),
    );
    assert!(
        err.contains(&format!(
            "{mirror}train-images-idx3-ubyte.gz: cannot connect"
        )),
        "{err}"
    );
    assert!(
        err.contains("no mirror could be reached: is this machine offline?"),
        "{err}"
    );
    assert!(
        err.contains("to supply the files by hand, fetch train-images-idx3-ubyte.gz"),
        "{err}"
    );
    assert!(err.contains(&target.display().to_string()), "{err}");
    // The folder made for the download is gone again.
    assert!(!target.exists());
}

#[test]
fn a_bad_cached_file_is_moved_aside_once_its_replacement_verified() {
    let src = source(10);
    let spec = src.specs[2];
    let cache = tempfile::tempdir().unwrap();
    let path = cache.path().join(spec.name);
    let stale = source(11).bodies[2].1.clone();
    fs::write(&path, &stale).unwrap();

    // First the mirror fails: the bad file stays exactly where it was.
    let failing = Server::start(Vec::new());
    let before = snapshot(cache.path());
    assert!(download_files(
        DatasetKind::Mnist,
        cache.path(),
        &config(vec![failing.mirror("a")]),
        &[spec]
    )
    .is_err());
    assert_eq!(snapshot(cache.path()), before);

    // Then it works: the published file is in place, the bad one kept as .bad.
    let server = Server::start(routes("a", &src.bodies));
    let outcomes = download_files(
        DatasetKind::Mnist,
        cache.path(),
        &config(vec![server.mirror("a")]),
        &[spec],
    )
    .unwrap();
    let aside = cache.path().join(format!("{}.bad", spec.name));
    let Outcome::Downloaded { moved_aside, .. } = &outcomes[0].outcome else {
        panic!("{:?}", outcomes[0])
    };
    assert_eq!(moved_aside.as_deref(), Some(aside.as_path()));
    assert_eq!(fs::read(&aside).unwrap(), stale);
    assert_eq!(fs::read(&path).unwrap(), src.bodies[2].1);
}

// The binary, as a user runs it. The published checksums are the real ones, which the
// synthetic bodies served here cannot match.

#[test]
fn cli_download_rejects_a_corrupted_mirror_and_leaves_the_folder_alone() {
    let src = source(12);
    let server = Server::start(routes("a", &src.bodies));
    let cache = tempfile::tempdir().unwrap();
    let before = snapshot(cache.path());
    common::tflayers()
        .args([
            "download",
            "--retries",
            "0",
            "--read-timeout",
            "2",
            "--data-dir",
        ])
        .arg(cache.path())
        .arg("--mirror")
        .arg(server.mirror("a"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: cannot download train-images-idx3-ubyte.gz of MNIST",
        ))
        .stderr(predicate::str::contains(
            "checksum mismatch: expected the published SHA-256 \
             ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db of 47040016 \
             decompressed bytes, found",
        ))
        .stderr(predicate::str::contains(format!(
            "{}train-images-idx3-ubyte.gz",
            server.mirror("a")
        )))
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(snapshot(cache.path()), before);
}

#[test]
fn cli_download_reports_404_and_timeouts_with_the_url() {
    let server = Server::start(vec![(
        "/slow/train-images-idx3-ubyte.gz".to_string(),
        vec![Reply::Silent],
    )]);
    let cache = tempfile::tempdir().unwrap();
    let before = snapshot(cache.path());
    common::tflayers()
        .args([
            "download",
            "--retries",
            "0",
            "--read-timeout",
            "1",
            "--data-dir",
        ])
        .arg(cache.path())
        .arg("--mirror")
        .arg(format!(
            "{},{}",
            server.mirror("gone"),
            server.mirror("slow")
        ))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{}train-images-idx3-ubyte.gz: HTTP 404 Not Found",
            server.mirror("gone")
        )))
        .stderr(predicate::str::contains(format!(
            "{}train-images-idx3-ubyte.gz: no response within the 1 s read timeout",
            server.mirror("slow")
        )));
    assert_eq!(snapshot(cache.path()), before);
}

#[test]
fn cli_download_without_network_explains_the_manual_route() {
    let refusing = common::ports::refusing_port();
    let port = refusing.port;
    let cache = tempfile::tempdir().unwrap();
    common::tflayers()
        .args([
            "download",
            "--dataset",
            "fashion-mnist",
            "--retries",
            "0",
            "--data-dir",
        ])
        .arg(cache.path())
        .env("TFLAYERS_MIRRORS", format!("http://127.0.0.1:{port}/"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "cannot download train-images-idx3-ubyte.gz of Fashion-MNIST",
        ))
        .stderr(predicate::str::contains("is this machine offline?"))
        .stderr(predicate::str::contains("to supply the files by hand"));
    assert!(snapshot(cache.path()).is_empty());
}

#[test]
fn cli_download_into_a_read_only_folder_fails_before_the_network() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(Vec::new());
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("ro");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("keep.txt"), b"x").unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let before = snapshot(&dir);
    let assert = common::tflayers()
        .args(["download", "--data-dir"])
        .arg(&dir)
        .arg("--mirror")
        .arg(server.mirror("a"))
        .assert();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    assert.code(1).stderr(predicate::str::contains(format!(
        "error: cannot write to the data folder {}: it is read-only",
        dir.display()
    )));
    assert_eq!(snapshot(&dir), before);
    assert!(
        server.hits().is_empty(),
        "no request before the folder check"
    );
}

#[test]
fn train_downloads_missing_files_unless_offline() {
    let src = source(13);
    let server = Server::start(routes("a", &src.bodies));
    let cache = tempfile::tempdir().unwrap();
    let base = || {
        let mut cmd = common::tflayers();
        cmd.args([
            "train",
            "--model",
            "dense",
            "--steps",
            "1",
            "--retries",
            "0",
        ])
        .arg("--models-dir")
        .arg(common::models_dir())
        .arg("--data-dir")
        .arg(cache.path())
        .arg("--mirror")
        .arg(server.mirror("a"));
        cmd
    };
    base()
        .arg("--offline")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "error: {} lacks train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
             t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz of MNIST, and --offline \
             forbids downloading",
            cache.path().display()
        )))
        .stderr(predicate::str::contains("copy the files there by hand"));
    assert!(server.hits().is_empty());
    // Online, the missing files are fetched (and here rejected: the synthetic bodies are
    // not the published MNIST).
    base()
        .assert()
        .code(1)
        .stderr(predicate::str::contains("downloading MNIST into it"))
        .stderr(predicate::str::contains("checksum mismatch"));
    assert_eq!(server.hits()[0], "/a/train-images-idx3-ubyte.gz");
    assert!(snapshot(cache.path()).is_empty());
}
