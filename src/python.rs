//! The project's Python: finding its interpreter and scripts, and running a child process
//! whose stderr is drained on a thread of its own.
//!
//! `bench`, `data bench` and `compare` run scripts from `python/` (the article's loop in
//! `python/train.py`, the benchmark workers `python/bench_steps.py` and `python/bench_load.py`)
//! with the project venv's interpreter. They find both through [`Python::locate`]:
//!
//! * the project is the first of two folders holding every script the caller needs: the folder
//!   above the models folder (the current folder when the models folder has no parent, and
//!   when the caller has no models folder), then the source tree this binary was built from;
//! * the interpreter is the one the user named (`--python`, or `TFLAYERS_PYTHON`, which clap
//!   reads into the same flag), else `.venv/bin/python` in the project, else in the other
//!   folder.
//!
//! A child that prints on stdout while TensorFlow writes pages of notices on stderr would block
//! on a full stderr pipe while its parent waits for stdout. [`Child::spawn`] starts it with both
//! piped and reads stderr to its end on a thread; [`Child::failure`] then shows its last lines
//! in the error when the child fails. [`Child::run_to_end`] (and [`run_child`]) read a child's
//! output to its end and measure it: time to a chosen line, wall time, and peak memory, the
//! child's own `ru_maxrss` from `wait4` (not `getrusage(RUSAGE_CHILDREN)`'s maximum over all
//! children), so that the sides of `bench` are measured apart though one process starts both.
//!
//! A typical use:
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use std::io::{BufRead, BufReader};
//! use std::path::Path;
//! use std::process::Stdio;
//! use tflayers::python::{Child, Python};
//!
//! let python = Python::locate(None, Some(Path::new("models")), &["python/train.py"])?;
//! let mut command = python.command("python/train.py");
//! command.args(["--model", "dense", "--steps", "10"]);
//! let mut child = python.spawn(&mut command, Stdio::null())?;
//! if let Some(stdout) = child.process.stdout.take() {
//!     for line in BufReader::new(stdout).lines() {
//!         println!("python | {}", line?);
//!     }
//! }
//! let status = child.process.wait()?;
//! if !status.success() {
//!     return Err(child.failure(&format!("python/train.py failed with {status}")));
//! }
//! # Ok(())
//! # }
//! ```

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};

/// The project venv's interpreter, relative to the project folder (`make setup` makes it).
pub const VENV_PYTHON: &str = ".venv/bin/python";
/// The environment variable that names another interpreter (read by clap into `--python`).
pub const PYTHON_ENV: &str = "TFLAYERS_PYTHON";
/// What to do when the project's Python is missing or cannot start.
pub const SETUP_HINT: &str = "run `make setup`, or pass --python / set TFLAYERS_PYTHON";
/// Lines of a failed child's stderr shown in its error.
pub const STDERR_TAIL: usize = 25;

/// The interpreter and the project folder whose `python/` scripts it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Python {
    /// The Python executable.
    pub interpreter: PathBuf,
    /// The project folder holding `python/` (empty: the current folder).
    pub root: PathBuf,
}

impl Python {
    /// Finds the project holding every one of `scripts` (paths relative to the project, such
    /// as `python/train.py`) beside `models_dir` or in the source tree, and the interpreter:
    /// `python` when given (`--python` / `TFLAYERS_PYTHON`), else the venv's. `models_dir` is
    /// `None` for commands that use no models.
    pub fn locate(
        python: Option<&Path>,
        models_dir: Option<&Path>,
        scripts: &[&str],
    ) -> Result<Self> {
        let roots = project_roots(models_dir);
        let Some(root) = roots
            .iter()
            .find(|root| scripts.iter().all(|script| root.join(script).is_file()))
        else {
            bail!(
                "cannot find {} in {} or in {}; run tflayers from the project folder (or point \
                 --models-dir at the project's models folder)",
                scripts.join(" and "),
                shown(&roots[0]),
                roots[1].display()
            );
        };
        let interpreter = match python {
            Some(path) => path.to_path_buf(),
            None => {
                let others = roots.iter().filter(|other| *other != root);
                let venvs: Vec<PathBuf> = std::iter::once(root)
                    .chain(others)
                    .map(|dir| dir.join(VENV_PYTHON))
                    .collect();
                match venvs.iter().find(|venv| venv.exists()) {
                    Some(venv) => venv.clone(),
                    None => bail!(
                        "cannot find the project's Python ({}); {SETUP_HINT}",
                        venvs
                            .iter()
                            .map(|venv| venv.display().to_string())
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                }
            }
        };
        Ok(Self {
            interpreter,
            root: root.clone(),
        })
    }

    /// The path of `script` (relative to the project) in the project.
    pub fn script(&self, script: &str) -> PathBuf {
        self.root.join(script)
    }

    /// `python <project>/<script>`, ready for arguments.
    pub fn command(&self, script: &str) -> Command {
        let mut command = Command::new(&self.interpreter);
        command.arg(self.script(script));
        command
    }

    /// `python <project>/<script>` as text, for messages.
    pub fn describe(&self, script: &str) -> String {
        format!(
            "{} {}",
            self.interpreter.display(),
            self.script(script).display()
        )
    }

    /// [`Child::spawn`] for a command made by [`Python::command`]: a failure to start says which
    /// interpreter did not start and what to do about it.
    pub fn spawn(&self, command: &mut Command, stdin: Stdio) -> Result<Child> {
        Child::spawn(command, stdin)
            .with_context(|| format!("cannot start {}; {SETUP_HINT}", self.interpreter.display()))
    }
}

/// The folders that may be the project: above `models_dir` (or the current folder), then the
/// source tree this binary was built from.
fn project_roots(models_dir: Option<&Path>) -> [PathBuf; 2] {
    let here = models_dir
        .and_then(Path::parent)
        .map_or_else(PathBuf::new, Path::to_path_buf);
    [here, PathBuf::from(env!("CARGO_MANIFEST_DIR"))]
}

/// A folder for a message: the empty path is the current folder.
fn shown(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        "the current folder".to_string()
    } else {
        dir.display().to_string()
    }
}

/// A running child process with stdout piped and stderr read to its end on a thread.
pub struct Child {
    /// The process; its `stdout` (and `stdin`, when piped) are there to take.
    pub process: std::process::Child,
    stderr: Option<JoinHandle<String>>,
}

impl Child {
    /// Starts `command` with `stdin` as its standard input, its stdout piped, and its stderr
    /// drained on a thread so that the child never blocks on it.
    pub fn spawn(command: &mut Command, stdin: Stdio) -> std::io::Result<Self> {
        let mut process = command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = process.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        Ok(Self { process, stderr })
    }

    /// The last [`STDERR_TAIL`] lines of the child's stderr. Waits until the child has closed
    /// its stderr (it has ended), and is empty when asked a second time.
    pub fn stderr_tail(&mut self) -> String {
        let text = self
            .stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(STDERR_TAIL)..].join("\n")
    }

    /// An error saying `what` happened (`python/train.py failed with exit status: 1`),
    /// followed by the end of the child's stderr.
    pub fn failure(&mut self, what: &str) -> anyhow::Error {
        anyhow!("{what}; its last stderr lines:\n{}", self.stderr_tail())
    }

    /// Reads the child's stdout to its end, giving each line to `on_line`, which says whether
    /// it is the line whose arrival (since `start`) is timed; then reaps the child with its
    /// peak memory. A failure (non-zero exit) is an error saying `what` failed, with the end
    /// of the child's stderr.
    pub fn run_to_end(
        mut self,
        start: Instant,
        what: &str,
        mut on_line: impl FnMut(&str) -> bool,
    ) -> Result<ChildRun> {
        let stdout = self
            .process
            .stdout
            .take()
            .context("the child's stdout is missing")?;
        let mut first_line_secs = None;
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.with_context(|| format!("cannot read the output of {what}"))?;
            if on_line(&line) && first_line_secs.is_none() {
                first_line_secs = Some(start.elapsed().as_secs_f64());
            }
            lines.push(line);
        }
        let (status, peak_rss_bytes) = wait_with_peak_rss(self.process.id())
            .with_context(|| format!("cannot wait for {what}"))?;
        let wall_secs = start.elapsed().as_secs_f64();
        if !status.success() {
            return Err(self.failure(&format!("{what} failed with {status}")));
        }
        Ok(ChildRun {
            first_line_secs,
            wall_secs,
            peak_rss_bytes,
            stdout: lines,
        })
    }
}

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

/// Runs `command` to its end, stdin closed ([`Child::run_to_end`]); `first` picks the line
/// whose arrival is timed.
pub fn run_child(
    command: &mut Command,
    what: &str,
    first: impl Fn(&str) -> bool,
) -> Result<ChildRun> {
    let start = Instant::now();
    let child =
        Child::spawn(command, Stdio::null()).with_context(|| format!("cannot start {what}"))?;
    child.run_to_end(start, what, first)
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
    fn a_failing_child_shows_the_end_of_its_stderr() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "for i in $(seq 1 40); do echo line $i >&2; done; exit 3",
        ]);
        let mut child = Child::spawn(&mut command, Stdio::null()).unwrap();
        let status = child.process.wait().unwrap();
        let text = format!("{:#}", child.failure(&format!("sh failed with {status}")));
        assert!(
            text.starts_with("sh failed with exit status: 3; its last stderr lines:\nline 16\n")
        );
        assert!(text.ends_with("line 40"), "{text}");
        assert_eq!(child.stderr_tail(), "");
    }

    #[test]
    fn the_project_and_its_venv_are_found_beside_the_models() {
        let project = tempfile::tempdir().unwrap();
        let script = "python/bench_load.py";
        std::fs::create_dir_all(project.path().join("python")).unwrap();
        std::fs::write(project.path().join(script), "").unwrap();
        let models = project.path().join("models");
        // The named interpreter is taken as it is.
        let named =
            Python::locate(Some(Path::new("/opt/python")), Some(&models), &[script]).unwrap();
        assert_eq!(named.root, project.path());
        assert_eq!(named.interpreter, Path::new("/opt/python"));
        assert_eq!(
            named.describe(script),
            format!("/opt/python {}", project.path().join(script).display())
        );
        // A script that is nowhere is named in the error.
        let err = Python::locate(None, Some(&models), &["python/nowhere.py"]).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot find python/nowhere.py in"),
            "{err:#}"
        );
        // The project's own venv comes first.
        std::fs::create_dir_all(project.path().join(".venv/bin")).unwrap();
        std::fs::write(project.path().join(VENV_PYTHON), "").unwrap();
        let venv = Python::locate(None, Some(&models), &[script]).unwrap();
        assert_eq!(venv.interpreter, project.path().join(VENV_PYTHON));
    }

    #[test]
    fn an_interpreter_that_cannot_start_names_itself_and_the_fix() {
        let python = Python {
            interpreter: PathBuf::from("/nonexistent/python3"),
            root: PathBuf::new(),
        };
        let mut command = python.command("python/train.py");
        let err = python.spawn(&mut command, Stdio::null()).err().unwrap();
        let text = format!("{err:#}");
        assert!(
            text.contains("/nonexistent/python3") && text.contains(PYTHON_ENV),
            "{text}"
        );
    }

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
