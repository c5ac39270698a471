//! Whole programs as child processes: how long until their first line, how long in all, and
//! how much memory they held at their peak.
//!
//! The peak is the child's own `ru_maxrss`, which `wait4` returns for exactly that child (not
//! the sum or maximum over all children, as `getrusage(RUSAGE_CHILDREN)` would), so the Rust
//! and the Python sides are measured apart even though one process starts both.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::python::Child;

/// What one run of a child process took.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRun {
    /// From spawning it to the first stdout line that `first` accepted, if one came.
    pub first_line_secs: Option<f64>,
    /// From spawning it until it had exited.
    pub wall_secs: f64,
    /// Its peak resident set size.
    pub peak_rss_bytes: u64,
    /// Everything it printed on stdout, line by line.
    pub stdout: Vec<String>,
}

/// Runs `command` to its end, stdin closed, stdout captured and stderr drained
/// ([`Child::spawn`]). `first` picks the line whose arrival is timed. A failure (non-zero exit)
/// is an error showing `what` and the end of the child's stderr.
pub fn run_child(
    command: &mut Command,
    what: &str,
    first: impl Fn(&str) -> bool,
) -> Result<ChildRun> {
    let start = Instant::now();
    let mut child =
        Child::spawn(command, Stdio::null()).with_context(|| format!("cannot start {what}"))?;
    let stdout = child
        .process
        .stdout
        .take()
        .context("the child's stdout is missing")?;
    let mut first_line_secs = None;
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.with_context(|| format!("cannot read the output of {what}"))?;
        if first_line_secs.is_none() && first(&line) {
            first_line_secs = Some(start.elapsed().as_secs_f64());
        }
        lines.push(line);
    }
    let (status, peak_rss_bytes) = wait_with_peak_rss(child.process.id())
        .with_context(|| format!("cannot wait for {what}"))?;
    let wall_secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(child.failure(&format!("{what} failed with {status}")));
    }
    Ok(ChildRun {
        first_line_secs,
        wall_secs,
        peak_rss_bytes,
        stdout: lines,
    })
}

/// Waits for the child `pid` and returns its exit status and peak resident set size.
fn wait_with_peak_rss(pid: u32) -> Result<(ExitStatus, u64)> {
    let pid = libc::pid_t::try_from(pid).context("the child's process id does not fit pid_t")?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, for which all zero bytes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes for the duration of the call, and
        // `pid` is our own child, which std has not waited for (so it is still ours to reap).
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("wait4 failed");
        }
    }
    // Linux reports ru_maxrss in KiB.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok((ExitStatus::from_raw(status), peak))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_the_first_matching_line_and_measures_the_peak() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo one; sleep 0.2; echo two"]);
        let run = run_child(&mut command, "sh", |line| line == "two").unwrap();
        assert_eq!(run.stdout, ["one", "two"]);
        let first = run.first_line_secs.unwrap();
        assert!(first >= 0.2 && first <= run.wall_secs, "{run:?}");
        // A shell holds at least a few hundred KiB, far less than a gigabyte.
        assert!(
            run.peak_rss_bytes > 100_000 && run.peak_rss_bytes < 1 << 30,
            "{run:?}"
        );
    }

    #[test]
    fn a_failing_child_is_an_error_with_its_stderr() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo broken >&2; exit 3"]);
        let err = run_child(&mut command, "the test child", |_| true).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("the test child failed"), "{text}");
        assert!(text.contains("broken"), "{text}");
    }

    #[test]
    fn a_line_that_never_comes_is_none() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo hello"]);
        let run = run_child(&mut command, "sh", |line| line == "bye").unwrap();
        assert_eq!(run.first_line_secs, None);
    }
}
