//! One file's transfer: every mirror for a bounded number of rounds, each attempt written to
//! a temporary `.NAME.part-PID` in the data folder and verified before it is handed back; the
//! errors say which timeout expired and, when every mirror failed, how to supply the file by
//! hand. Progress goes to stderr: a bar with bytes, rate and ETA on a terminal, plain lines
//! otherwise.

use std::error::Error as StdError;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{DownloadConfig, Outcome, ProgressMode};
use crate::mnist::catalog::{file_url, DatasetKind, FileSpec};
use crate::mnist::verify::{digest_gz_file, mismatch_message, move_aside};

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

/// Tries every mirror, for up to `1 + retries` rounds, until one serves the published file,
/// and moves it into place (the present copy aside first, when `replace`).
pub(super) fn fetch(
    client: &reqwest::blocking::Client,
    (kind, dir, config): (DatasetKind, &Path, &DownloadConfig),
    spec: &FileSpec,
    replace: bool,
) -> Result<Outcome> {
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
            let bar = progress_bar(&url, config.progress);
            let result = attempt(client, &url, &temp, spec, config, &bar);
            if !matches!(result, Ok(Ok(_))) {
                bar.abandon();
                let _ = fs::remove_file(&temp);
            }
            // The outer error is ours (stop), the inner one the mirror's (try the next).
            match result? {
                Ok((bytes, seconds)) => {
                    let moved_aside = place(&dir.join(spec.name), &temp, replace)?;
                    if !failures.is_empty() {
                        eprintln!(
                            "note: {} came from {url} after {} failed attempt(s):{}",
                            spec.name,
                            failures.len(),
                            failure_lines(&failures)
                        );
                    }
                    if let Some(aside) = &moved_aside {
                        eprintln!("the previous {} is kept as {}", spec.name, aside.display());
                    }
                    return Ok(Outcome::Downloaded {
                        url,
                        bytes,
                        seconds,
                        moved_aside,
                    });
                }
                // Failures are summarised once: in the error when every attempt failed, in
                // a note when a later one succeeded.
                Err(err) => failures.push((url, err)),
            }
        }
    }
    Err(all_failed(kind, dir, spec, config, &failures))
}

/// Moves the verified download at `temp` to `path`, moving the present `path` aside first
/// when `replace`; returns where the old copy went.
fn place(path: &Path, temp: &Path, replace: bool) -> Result<Option<PathBuf>> {
    let placed = replace
        .then(|| move_aside(path))
        .transpose()
        .and_then(|aside| {
            fs::rename(temp, path).with_context(|| {
                format!(
                    "cannot move the verified download into place as {}",
                    path.display()
                )
            })?;
            Ok(aside)
        });
    if placed.is_err() {
        let _ = fs::remove_file(temp);
    }
    placed
}

/// Temporary downloads are named `.NAME.part-PID`.
fn part_prefix(name: &str) -> String {
    format!(".{name}.part-")
}

/// Removes the temporary files that interrupted downloads of `name` left behind: those
/// whose process is gone (a download still running elsewhere keeps its file).
fn remove_stale_parts(dir: &Path, name: &str) {
    let prefix = part_prefix(name);
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_str().and_then(|file| {
            file.strip_prefix(&prefix)
                .and_then(|pid| pid.parse::<u32>().ok())
        });
        if pid.is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        }) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The final error when no mirror delivered: every attempt, and how to supply the file by
/// hand.
/// Each distinct failure once, on its own indented line, with how often it happened (the
/// rounds repeat them).
fn failure_lines(failures: &[(String, anyhow::Error)]) -> String {
    let mut distinct: Vec<(String, usize)> = Vec::new();
    for (url, err) in failures {
        let line = format!("{url}: {err:#}");
        match distinct.iter_mut().find(|(seen, _)| *seen == line) {
            Some((_, count)) => *count += 1,
            None => distinct.push((line, 1)),
        }
    }
    distinct
        .into_iter()
        .map(|(line, count)| match count {
            1 => format!("\n  {line}"),
            _ => format!("\n  {line} ({count} times)"),
        })
        .collect()
}

fn all_failed(
    kind: DatasetKind,
    dir: &Path,
    spec: &FileSpec,
    config: &DownloadConfig,
    failures: &[(String, anyhow::Error)],
) -> anyhow::Error {
    let mut message = format!(
        "cannot download {} of {}: {} attempt(s) failed",
        spec.name,
        kind.title(),
        failures.len()
    );
    message.push_str(&failure_lines(failures));
    let is_connect_error = |err: &(dyn StdError + 'static)| {
        err.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_connect)
    };
    if failures
        .iter()
        .all(|(_, err)| err.chain().any(is_connect_error))
    {
        message.push_str("\nno mirror could be reached: is this machine offline?");
    }
    let urls: Vec<String> = config
        .mirrors
        .iter()
        .map(|m| file_url(m, spec.name))
        .collect();
    message.push_str(&format!(
        "\nto supply the files by hand, fetch {} (and the other missing files) from {} on a \
         machine with network access and copy them into {}; `tflayers data info --data-dir \
         {}` then checks them",
        spec.name,
        urls.join(" or "),
        dir.display(),
        dir.display()
    ));
    anyhow!(message)
}

/// Whether `err` or one of its causes is a timeout.
fn is_timeout(err: &(dyn StdError + 'static)) -> bool {
    if err
        .downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_timeout)
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
    let what = match (err.is_connect(), is_timeout(&err)) {
        (true, true) => format!(
            "no connection within the {} s connect timeout",
            seconds(config.connect_timeout)
        ),
        (true, false) => "cannot connect".to_string(),
        (false, true) => format!(
            "no response within the {} s read timeout",
            seconds(config.read_timeout)
        ),
        (false, false) => "request failed".to_string(),
    };
    // The URL is already named by the caller; reqwest would repeat it in its own text.
    anyhow!(err.without_url()).context(what)
}

fn seconds(duration: Duration) -> String {
    format!("{}", duration.as_secs_f64())
}

/// Announces the transfer of `url`: a progress bar on a terminal (unless plain lines were
/// asked for), otherwise one line and a hidden bar.
fn progress_bar(url: &str, mode: ProgressMode) -> ProgressBar {
    if mode == ProgressMode::Lines || !io::stderr().is_terminal() {
        eprintln!("downloading {url}");
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(short_name(url));
    bar
}

fn short_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// One GET: receive the body, write it to `temp`, then verify it. The outer error is ours (the data
/// folder), the inner one the mirror's.
fn attempt(
    client: &reqwest::blocking::Client,
    url: &str,
    temp: &Path,
    spec: &FileSpec,
    config: &DownloadConfig,
    bar: &ProgressBar,
) -> Result<Result<(u64, f64)>> {
    let start = Instant::now();
    let mut response = match client.get(url).send() {
        Ok(response) => response,
        Err(err) => return Ok(Err(describe_request_error(err, config))),
    };
    let status = response.status();
    if !status.is_success() {
        return Ok(Err(anyhow!(
            "HTTP {status}: the mirror does not serve this file"
        )));
    }
    let total = response.content_length();
    if let Some(total) = total {
        bar.set_length(total);
    }
    // `read_to_end` keeps what arrived before an error, so the error can say how much.
    let mut body = Vec::new();
    if let Err(err) = bar.wrap_read(&mut response).read_to_end(&mut body) {
        let received = body.len();
        let what = if is_timeout(&err) {
            format!(
                "the transfer stalled: nothing arrived for {} s (the read timeout) after \
                 {received} bytes",
                seconds(config.read_timeout)
            )
        } else {
            format!("the transfer broke off after {received} bytes")
        };
        return Ok(Err(anyhow!(err).context(what)));
    }
    let received = body.len() as u64;
    if let Some(total) = total.filter(|&total| total != received) {
        return Ok(Err(anyhow!(
            "the transfer ended after {received} of the announced {total} bytes"
        )));
    }
    File::create(temp)
        .and_then(|mut file| file.write_all(&body).and_then(|()| file.sync_all()))
        .with_context(|| {
            format!(
                "cannot write {}; check that the data folder is writable and has free space",
                temp.display()
            )
        })?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(match digest_gz_file(temp) {
        Ok(digest) if digest.matches(spec) => {
            bar.finish_and_clear();
            let rate = received as f64 / seconds.max(1e-9) / 1e6;
            eprintln!(
                "{}: {received} bytes in {seconds:.1} s ({rate:.1} MB/s), SHA-256 of the \
                 content verified",
                short_name(url)
            );
            Ok((received, seconds))
        }
        Ok(digest) => Err(anyhow!(
            "{}; the mirror served a different or corrupted file, which was discarded",
            mismatch_message(Path::new(spec.name), spec, &digest)
        )),
        Err(err) => Err(err.context(format!(
            "the mirror served something that is not the gzip file {}; it was discarded",
            spec.name
        ))),
    })
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

    #[test]
    fn short_names() {
        assert_eq!(short_name("http://h/x/f.gz"), "f.gz");
    }
}
