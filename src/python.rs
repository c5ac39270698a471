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
//! in the error when the child fails.
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

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;

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
}
