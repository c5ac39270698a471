//! One file's transfer: every mirror for a bounded number of rounds, each attempt streamed to
//! a temporary `.NAME.part-PID` in the data folder and verified before it is handed back; the
//! errors say which timeout expired and, when every mirror failed, how to supply the file by
//! hand.

use std::error::Error as StdError;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::progress::Progress;
use super::DownloadConfig;
use crate::mnist::catalog::{file_url, DatasetKind, FileSpec};
use crate::mnist::verify::{digest_gz_file, mismatch_message};

/// The blocking HTTP client with the configured timeouts.
pub(super) fn build_client(config: &DownloadConfig) -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .connect_timeout(config.connect_timeout)
        // In the blocking client this bounds each wait: for the response head and for every
        // read of the body, i.e. a read timeout, not a limit on the whole transfer.
        .timeout(config.read_timeout)
        .user_agent(concat!("tflayers/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot set up the HTTP client")
}

/// A verified download waiting under its temporary name.
pub(super) struct Fetched {
    pub(super) temp: PathBuf,
    pub(super) url: String,
    pub(super) bytes: u64,
    pub(super) seconds: f64,
}

/// Why one attempt failed: the mirror's fault (try the next one) or ours (stop).
enum AttemptError {
    Remote(anyhow::Error),
    Local(anyhow::Error),
}

/// Tries every mirror, for up to `1 + retries` rounds, until one serves the published file.
pub(super) fn fetch(
    client: &reqwest::blocking::Client,
    kind: DatasetKind,
    dir: &Path,
    spec: &FileSpec,
    config: &DownloadConfig,
) -> Result<Fetched> {
    if config.mirrors.is_empty() {
        bail!("no mirrors to download {} from", spec.name);
    }
    remove_stale_parts(dir, spec.name);
    let temp = dir.join(format!("{}{}", part_prefix(spec.name), std::process::id()));
    let mut failures: Vec<(String, anyhow::Error)> = Vec::new();
    for round in 0..=config.retries {
        if round > 0 {
            let pause = config.retry_pause * round;
            eprintln!(
                "every mirror failed for {}; trying again in {:.0} s (round {} of {})",
                spec.name,
                pause.as_secs_f64(),
                round + 1,
                config.retries + 1
            );
            std::thread::sleep(pause);
        }
        for mirror in &config.mirrors {
            let url = file_url(mirror, spec.name);
            match attempt(client, &url, &temp, spec, config) {
                Ok(fetched) => return Ok(fetched),
                Err(AttemptError::Local(err)) => {
                    let _ = fs::remove_file(&temp);
                    return Err(err);
                }
                Err(AttemptError::Remote(err)) => {
                    let _ = fs::remove_file(&temp);
                    eprintln!("{url}: {err:#}");
                    failures.push((url, err));
                }
            }
        }
    }
    Err(all_failed(kind, dir, spec, config, &failures))
}

/// Temporary downloads are named `.NAME.part-PID`.
fn part_prefix(name: &str) -> String {
    format!(".{name}.part-")
}

/// Removes the temporary files that interrupted downloads of `name` left behind: those
/// whose process is gone (a download still running elsewhere keeps its file).
fn remove_stale_parts(dir: &Path, name: &str) {
    let prefix = part_prefix(name);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|file| file.strip_prefix(&prefix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The final error when no mirror delivered: every attempt, and how to supply the file by
/// hand.
fn all_failed(
    kind: DatasetKind,
    dir: &Path,
    spec: &FileSpec,
    config: &DownloadConfig,
    failures: &[(String, anyhow::Error)],
) -> anyhow::Error {
    let no_network = failures
        .iter()
        .all(|(_, err)| err.chain().any(is_connect_error));
    let mut message = format!(
        "cannot download {} of {}: {} attempt(s) failed",
        spec.name,
        kind.title(),
        failures.len()
    );
    for (url, err) in failures {
        message.push_str(&format!("\n  {url}: {err:#}"));
    }
    if no_network {
        message.push_str("\nno mirror could be reached: is this machine offline?");
    }
    message.push_str(&format!(
        "\nto supply the files by hand, fetch {} (and the other missing files) from {} on a \
         machine with network access and copy them into {}; `tflayers data info --data-dir \
         {}` then checks them",
        spec.name,
        config
            .mirrors
            .iter()
            .map(|m| file_url(m, spec.name))
            .collect::<Vec<_>>()
            .join(" or "),
        dir.display(),
        dir.display()
    ));
    anyhow!(message)
}

fn is_connect_error(err: &(dyn StdError + 'static)) -> bool {
    err.downcast_ref::<reqwest::Error>()
        .is_some_and(|err| err.is_connect())
}

/// Whether `err` or one of its causes is a timeout.
fn is_timeout(err: &(dyn StdError + 'static)) -> bool {
    if err
        .downcast_ref::<reqwest::Error>()
        .is_some_and(|err| err.is_timeout())
    {
        return true;
    }
    if let Some(io_err) = err.downcast_ref::<io::Error>() {
        // An io::Error wrapping another error reports that error's source as its own, so
        // the wrapped error itself has to be looked at explicitly.
        if io_err.kind() == io::ErrorKind::TimedOut
            || io_err.get_ref().is_some_and(|inner| is_timeout(inner))
        {
            return true;
        }
    }
    err.source().is_some_and(is_timeout)
}

/// Describes a failed request in words, naming the timeout that expired.
fn describe_request_error(err: reqwest::Error, config: &DownloadConfig) -> anyhow::Error {
    if err.is_connect() && is_timeout(&err) {
        anyhow!(err).context(format!(
            "no connection within the {} s connect timeout",
            seconds(config.connect_timeout)
        ))
    } else if err.is_connect() {
        anyhow!(err).context("cannot connect")
    } else if is_timeout(&err) {
        anyhow!(err).context(format!(
            "no response within the {} s read timeout",
            seconds(config.read_timeout)
        ))
    } else {
        anyhow!(err).context("request failed")
    }
}

fn seconds(duration: Duration) -> String {
    format!("{}", duration.as_secs_f64())
}

/// One GET: stream the body to `temp`, then verify it.
fn attempt(
    client: &reqwest::blocking::Client,
    url: &str,
    temp: &Path,
    spec: &FileSpec,
    config: &DownloadConfig,
) -> std::result::Result<Fetched, AttemptError> {
    let start = Instant::now();
    let remote = AttemptError::Remote;
    let progress = Progress::start(url, config.progress);
    let mut response = client
        .get(url)
        .send()
        .map_err(|err| remote(describe_request_error(err, config)))?;
    let status = response.status();
    if !status.is_success() {
        progress.fail();
        return Err(remote(anyhow!(
            "HTTP {status}: the mirror does not serve this file"
        )));
    }
    let total = response.content_length();
    progress.set_total(total);
    let mut file = File::create(temp).map_err(|err| {
        AttemptError::Local(anyhow!(err).context(format!(
            "cannot create {}; check that the data folder is writable and has space",
            temp.display()
        )))
    })?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut received = 0u64;
    loop {
        let read = match response.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                progress.fail();
                let what = if is_timeout(&err) {
                    format!(
                        "the transfer stalled: nothing arrived for {} s (the read timeout) \
                         after {received} bytes",
                        seconds(config.read_timeout)
                    )
                } else {
                    format!("the transfer broke off after {received} bytes")
                };
                return Err(remote(anyhow!(err).context(what)));
            }
        };
        file.write_all(&buffer[..read]).map_err(|err| {
            AttemptError::Local(anyhow!(err).context(format!(
                "cannot write {}; check the free space in the data folder",
                temp.display()
            )))
        })?;
        received += read as u64;
        progress.advance(read as u64);
    }
    file.sync_all().map_err(|err| {
        AttemptError::Local(anyhow!(err).context(format!("cannot save {}", temp.display())))
    })?;
    drop(file);
    if let Some(total) = total {
        if received != total {
            progress.fail();
            return Err(remote(anyhow!(
                "the transfer ended after {received} of the announced {total} bytes"
            )));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    match digest_gz_file(temp) {
        Ok(digest) if digest.matches(spec) => {
            progress.done(received, seconds);
            Ok(Fetched {
                temp: temp.to_path_buf(),
                url: url.to_string(),
                bytes: received,
                seconds,
            })
        }
        Ok(digest) => {
            progress.fail();
            Err(remote(anyhow!(
                "{}; the mirror served a different or corrupted file, which was discarded",
                mismatch_message(Path::new(spec.name), spec, &digest)
            )))
        }
        Err(err) => {
            progress.fail();
            Err(remote(err.context(format!(
                "the mirror served something that is not the gzip file {}; it was discarded",
                spec.name
            ))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_dead_downloads_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let name = "t10k-labels-idx1-ubyte.gz";
        // No process has pid 4194305 (above Linux's maximum); ours is alive.
        let dead = dir.path().join(format!(".{name}.part-4194305"));
        let alive = dir
            .path()
            .join(format!(".{name}.part-{}", std::process::id()));
        let other = dir.path().join(".other.gz.part-4194305");
        for path in [&dead, &alive, &other] {
            fs::write(path, b"partial").unwrap();
        }
        remove_stale_parts(dir.path(), name);
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
    }

    #[test]
    fn seconds_are_plain_numbers() {
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
    }
}
