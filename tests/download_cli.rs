//! `tflayers download` and `train`'s download as a user runs them, against a local HTTP
//! server on 127.0.0.1 (never the internet). The published checksums are the real ones, which
//! the synthetic bodies served here cannot match (exactly what a corrupted mirror looks like):
//! a corrupted mirror, a 404 and a timeout named with their URLs, no network at all, a
//! read-only folder, and `--offline`. A failed download leaves the folder as it was.

mod common;
mod http_server;

use std::fs;

use predicates::prelude::*;

use http_server::mirror::{routes, source};
use http_server::{Reply, Server};

#[test]
fn cli_download_rejects_a_corrupted_mirror_and_leaves_the_folder_alone() {
    let src = source(12);
    let server = Server::start(routes("a", &src.bodies));
    let cache = tempfile::tempdir().unwrap();
    let before = common::snapshot(cache.path());
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
    assert_eq!(common::snapshot(cache.path()), before);
}

#[test]
fn cli_download_reports_404_and_timeouts_with_the_url() {
    let server = Server::start(vec![(
        "/slow/train-images-idx3-ubyte.gz".to_string(),
        vec![Reply::Silent],
    )]);
    let cache = tempfile::tempdir().unwrap();
    let before = common::snapshot(cache.path());
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
    assert_eq!(common::snapshot(cache.path()), before);
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
    assert!(common::snapshot(cache.path()).is_empty());
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
    let before = common::snapshot(&dir);
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
    assert_eq!(common::snapshot(&dir), before);
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
    assert!(common::snapshot(cache.path()).is_empty());
}
