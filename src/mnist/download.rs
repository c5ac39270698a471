//! Downloading the data files from public mirrors, verified, without ever damaging the cache.
//!
//! Owns the network side of the data layer. For each of a data set's four files it tries the
//! mirrors in order (a bounded number of rounds, with a pause between rounds), over HTTPS
//! with `reqwest` (rustls), with a connect timeout and a read timeout (the longest silence
//! tolerated while waiting for the response or its next bytes). The body is streamed to a
//! temporary name in the data folder, its decompressed bytes are checked against the
//! published SHA-256 ([`super::verify`]), and only then is it renamed into place, so an
//! interrupted or corrupt download never replaces anything. A present file that fails
//! verification is moved aside (renamed `*.bad`), never deleted, once its replacement has
//! arrived. Progress goes to stderr: a progress bar with bytes, rate and ETA on a terminal,
//! plain lines otherwise.
//!
//! The mirrors can be replaced (`--mirror`, or the environment variable
//! [`super::catalog::MIRRORS_ENV`]); the tests use that to point at a local server.

use std::error::Error as StdError;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::catalog::{file_url, DatasetKind, FileSpec};
use super::verify::{
    check_file, digest_gz_file, is_read_only, mismatch_message, move_aside, FileStatus, Stamps,
};

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
    if dir.exists() && !dir.is_dir() {
        bail!(
            "cannot use {} as the data folder: it is a file, not a folder; choose another \
             --data-dir",
            dir.display()
        );
    }
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
    let probe = dir.join(format!(".tflayers-write-test-{}", std::process::id()));
    File::create(&probe).with_context(|| {
        format!(
            "cannot write to the data folder {}; make it writable or choose another \
             --data-dir",
            dir.display()
        )
    })?;
    fs::remove_file(&probe)
        .with_context(|| format!("cannot remove the probe file {}", probe.display()))?;
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
        let path = dir.join(spec.name);
        match check_file(dir, spec, &mut stamps)? {
            FileStatus::Verified { stamped } => outcomes.push(FileOutcome {
                name: spec.name,
                outcome: Outcome::AlreadyVerified { stamped },
            }),
            FileStatus::Missing => wanted.push((spec, false)),
            FileStatus::Mismatch { actual } => {
                eprintln!(
                    "{}; downloading the published file (this copy will be moved aside)",
                    mismatch_message(&path, spec, &actual)
                );
                wanted.push((spec, true));
            }
            FileStatus::Unreadable(reason) => {
                eprintln!(
                    "{reason}; downloading the published file (this copy will be moved aside)"
                );
                wanted.push((spec, true));
            }
        }
    }
    if wanted.is_empty() {
        stamps.save_if_possible();
        return Ok(outcomes);
    }
    // Stamps are saved only as files arrive: a download that fails changes nothing.
    let client = build_client(config)?;
    for (spec, replace) in wanted {
        let path = dir.join(spec.name);
        let fetched = fetch(&client, kind, dir, spec, config)?;
        let moved_aside = if replace {
            match move_aside(&path) {
                Ok(aside) => Some(aside),
                Err(err) => {
                    let _ = fs::remove_file(&fetched.temp);
                    return Err(err);
                }
            }
        } else {
            None
        };
        if let Err(err) = fs::rename(&fetched.temp, &path) {
            let _ = fs::remove_file(&fetched.temp);
            return Err(err).with_context(|| {
                format!(
                    "cannot move the verified download into place as {}",
                    path.display()
                )
            });
        }
        if let Ok(meta) = fs::metadata(&path) {
            stamps.record(spec, &meta);
            stamps.save_if_possible();
        }
        if let Some(aside) = &moved_aside {
            eprintln!("the previous {} is kept as {}", spec.name, aside.display());
        }
        outcomes.push(FileOutcome {
            name: spec.name,
            outcome: Outcome::Downloaded {
                url: fetched.url,
                bytes: fetched.bytes,
                seconds: fetched.seconds,
                moved_aside,
            },
        });
    }
    stamps.save_if_possible();
    outcomes.sort_by_key(|done| files.iter().position(|spec| spec.name == done.name));
    Ok(outcomes)
}

/// The blocking HTTP client with the configured timeouts.
fn build_client(config: &DownloadConfig) -> Result<reqwest::blocking::Client> {
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
struct Fetched {
    temp: PathBuf,
    url: String,
    bytes: u64,
    seconds: f64,
}

/// Why one attempt failed: the mirror's fault (try the next one) or ours (stop).
enum AttemptError {
    Remote(anyhow::Error),
    Local(anyhow::Error),
}

/// Tries every mirror, for up to `1 + retries` rounds, until one serves the published file.
fn fetch(
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

/// Progress of one transfer on stderr.
struct Progress {
    bar: Option<ProgressBar>,
    url: String,
}

impl Progress {
    fn start(url: &str, mode: ProgressMode) -> Self {
        let bar = (mode == ProgressMode::Auto && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(short_name(url));
            bar
        });
        if bar.is_none() {
            eprintln!("downloading {url}");
        }
        Self {
            bar,
            url: url.to_string(),
        }
    }

    fn set_total(&self, total: Option<u64>) {
        if let (Some(bar), Some(total)) = (&self.bar, total) {
            bar.set_length(total);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn done(&self, bytes: u64, seconds: f64) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let rate = bytes as f64 / seconds.max(1e-9) / 1e6;
        eprintln!(
            "{}: {bytes} bytes in {seconds:.1} s ({rate:.1} MB/s), SHA-256 of the content verified",
            short_name(&self.url)
        );
    }

    fn fail(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

fn short_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// Makes sure the four files of `kind` are in `dir`, downloading missing ones unless
/// `offline`. Present files are left alone (their content is checked by the loader).
pub fn ensure_present(
    kind: DatasetKind,
    dir: &Path,
    config: &DownloadConfig,
    offline: bool,
) -> Result<()> {
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
        dir.display(),
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
        assert!(err.contains("it is a file, not a folder"), "{err}");
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
    fn short_names() {
        assert_eq!(short_name("http://h/x/f.gz"), "f.gz");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
    }
}
