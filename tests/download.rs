//! The library's download against a local HTTP server on 127.0.0.1 (never the internet):
//! success and stamps, a corrupted body, a 404, a stalled connection, a retry, the fallback to
//! the second mirror, no network at all, and a bad file already in the cache. The file specs
//! carry the checksums of the tiny synthetic files served, so that a download can succeed;
//! `download_cli.rs` runs the binary against the published checksums.

mod common;
mod http_server;

use std::fs;
use std::time::{Duration, Instant};

use http_server::mirror::{routes, source};
use http_server::{Reply, Server};
use tflayers::mnist::catalog::DatasetKind;
use tflayers::mnist::dataset::read_data_sets_with;
use tflayers::mnist::download::{download_files, DownloadConfig, Outcome, ProgressMode};
use tflayers::mnist::verify::{digest_gz_file, STAMP_FILE};

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
    let mut names: Vec<String> = common::snapshot(&dir)
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
    let before = common::snapshot(cache.path());
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
    let found = digest_gz_file(&other.dir.path().join(spec.name)).unwrap();
    assert!(err.contains(&format!("found {}", found.sha256)), "{err}");
    assert!(
        err.contains(&format!("{}{}", server.mirror("a"), spec.name)),
        "{err}"
    );
    assert_eq!(common::snapshot(cache.path()), before);
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
    assert!(common::snapshot(cache.path()).is_empty());
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
    assert!(common::snapshot(cache.path()).is_empty());
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
    assert!(common::snapshot(cache.path()).is_empty());
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
    let before = common::snapshot(cache.path());
    assert!(download_files(
        DatasetKind::Mnist,
        cache.path(),
        &config(vec![failing.mirror("a")]),
        &[spec]
    )
    .is_err());
    assert_eq!(common::snapshot(cache.path()), before);

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
