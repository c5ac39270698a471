//! The Python side of the step benchmark: `python/bench_steps.py` as a child process.
//!
//! The child loads MNIST and the SavedModel once and then waits for commands on its stdin
//! (one JSON object a line) and answers each on its stdout, timing its own work with
//! `time.perf_counter`. While the Rust side runs, it sits idle in a read, so the two sides
//! never compete for the cores. Its stderr (TensorFlow's notices) is drained on a thread and
//! shown when it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::json;

use super::Breakdown;
use crate::compare::report::LoggedStep;
use crate::config::RunConfig;

/// The worker script, relative to the project root.
pub const WORKER_SCRIPT: &str = "python/bench_steps.py";
/// The article's loop in Python, relative to the project root.
pub const TRAIN_SCRIPT: &str = "python/train.py";
/// The project venv's interpreter, relative to the project root.
pub const VENV_PYTHON: &str = ".venv/bin/python";
/// Lines of the child's stderr shown when it fails.
const STDERR_TAIL: usize = 25;

/// Where the Python side's interpreter and scripts are.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    pub interpreter: PathBuf,
    /// The project folder holding `python/`.
    pub root: PathBuf,
}

impl PythonEnv {
    /// The project root is the folder above the models folder when it holds the scripts,
    /// else the source tree this binary was built from; `python` (`--python`,
    /// `TFLAYERS_PYTHON`) replaces the venv's interpreter.
    pub fn locate(python: Option<&Path>, models_dir: &Path) -> Result<Self> {
        let above_models = match models_dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let roots = [above_models, PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
        let Some(root) = roots
            .iter()
            .find(|r| r.join(WORKER_SCRIPT).is_file() && r.join(TRAIN_SCRIPT).is_file())
        else {
            bail!(
                "cannot find {WORKER_SCRIPT} and {TRAIN_SCRIPT} beside the models folder {} or \
                 in {}; run bench from the project (or point --models-dir at its models folder)",
                models_dir.display(),
                env!("CARGO_MANIFEST_DIR")
            )
        };
        let interpreter = match python {
            Some(path) => path.to_path_buf(),
            None => {
                let venv = root.join(VENV_PYTHON);
                if !venv.exists() {
                    bail!(
                        "cannot find the project's Python ({}); run `make setup`, or pass \
                         --python / set TFLAYERS_PYTHON",
                        venv.display()
                    );
                }
                venv
            }
        };
        Ok(Self {
            interpreter,
            root: root.clone(),
        })
    }

    /// `python <root>/<script>`, ready for arguments.
    pub fn command(&self, script: &str) -> Command {
        let mut command = Command::new(&self.interpreter);
        command.arg(self.root.join(script));
        command
    }

    /// The settings both Python scripts take, as `tflayers train` has them (all but `--steps`,
    /// which only `python/train.py` takes).
    pub fn loop_args(command: &mut Command, run: &RunConfig, models_dir: &Path) {
        command
            .args(["--model", &run.model])
            .args(run.child_flags(run.seed, models_dir));
    }
}

/// The worker's first line, once the data and the model are loaded.
#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    pub tensorflow_version: String,
    pub data_secs: f64,
    pub model_secs: f64,
    pub train: usize,
    pub validation: usize,
    pub test: usize,
    pub peak_rss_bytes: u64,
}

/// The answer to a `train` command.
#[derive(Debug, Clone, Deserialize)]
pub struct Trained {
    pub steps: u64,
    pub secs: f64,
    /// `[step, accuracy, loss]` of each logged step.
    pub logs: Vec<(u64, f32, f32)>,
    pub peak_rss_bytes: u64,
}

impl Trained {
    pub fn logged_steps(&self) -> Vec<LoggedStep> {
        self.logs
            .iter()
            .map(|&(step, accuracy, loss)| LoggedStep {
                step,
                accuracy,
                loss,
            })
            .collect()
    }
}

/// The answer to an `evaluate` command.
#[derive(Debug, Clone, Deserialize)]
pub struct Evaluated {
    pub secs: f64,
    pub accuracy: f32,
    pub loss: f32,
    pub correct: u64,
    pub total: u64,
    pub peak_rss_bytes: u64,
}

/// The answer to a `breakdown` command.
#[derive(Debug, Clone, Deserialize)]
struct BreakdownReply {
    calls: u64,
    batch_secs: f64,
    empty_call_secs: f64,
    feed_call_secs: f64,
    train_call_secs: f64,
    metrics_call_secs: f64,
}

/// A running `python/bench_steps.py`.
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    describe: String,
}

impl Worker {
    /// Starts the worker for `run.model` and waits until it has loaded everything.
    pub fn start(env: &PythonEnv, run: &RunConfig, models_dir: &Path) -> Result<(Self, Ready)> {
        let mut command = env.command(WORKER_SCRIPT);
        PythonEnv::loop_args(&mut command, run, models_dir);
        let describe = format!(
            "{} {}",
            env.interpreter.display(),
            env.root.join(WORKER_SCRIPT).display()
        );
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {describe}; run `make setup`, or pass --python / set \
                     TFLAYERS_PYTHON"
                )
            })?;
        let stdin = child
            .stdin
            .take()
            .context("the worker's stdin is missing")?;
        let stdout = child
            .stdout
            .take()
            .context("the worker's stdout is missing")?;
        let mut stderr = child
            .stderr
            .take()
            .context("the worker's stderr is missing")?;
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut worker = Self {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            stderr: Some(stderr),
            describe,
        };
        let ready = worker.read_reply("loading")?;
        Ok((worker, ready))
    }

    /// Runs `steps` more steps of the loop in the worker.
    pub fn train(&mut self, steps: u64) -> Result<Trained> {
        self.send(&json!({"op": "train", "steps": steps}))?;
        self.read_reply("training")
    }

    /// Evaluates the test set in the worker.
    pub fn evaluate(&mut self) -> Result<Evaluated> {
        self.send(&json!({"op": "evaluate"}))?;
        self.read_reply("the evaluation")
    }

    /// Times each part of a step in the worker (see [`Breakdown`]).
    pub fn breakdown(&mut self, calls: u64) -> Result<Breakdown> {
        self.send(&json!({"op": "breakdown", "calls": calls.max(1)}))?;
        let reply: BreakdownReply = self.read_reply("the breakdown")?;
        Ok(Breakdown {
            calls: reply.calls,
            batch_secs: reply.batch_secs,
            empty_call_secs: reply.empty_call_secs,
            feed_call_secs: reply.feed_call_secs,
            train_call_secs: reply.train_call_secs,
            metrics_call_secs: reply.metrics_call_secs,
        })
    }

    /// Closes the worker's stdin, which ends it, and waits for it.
    pub fn finish(mut self) -> Result<()> {
        drop(self.stdin.take());
        let status = self
            .child
            .wait()
            .with_context(|| format!("cannot wait for {}", self.describe))?;
        if !status.success() {
            bail!(self.failure(&format!("ended with {status}")));
        }
        Ok(())
    }

    fn send(&mut self, command: &serde_json::Value) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .context("the worker's stdin is closed")?;
        let sent = writeln!(stdin, "{command}").and_then(|()| stdin.flush());
        if sent.is_err() {
            // The worker died; its stderr says why.
            let _ = self.child.wait();
            bail!(self.failure("stopped accepting commands"));
        }
        Ok(())
    }

    fn read_reply<T: for<'de> Deserialize<'de>>(&mut self, what: &str) -> Result<T> {
        let mut line = String::new();
        let read = self
            .stdout
            .read_line(&mut line)
            .with_context(|| format!("cannot read {}'s answer", self.describe))?;
        if read == 0 {
            let status = self.child.wait().ok();
            let how = status.map_or("ended".to_string(), |s| format!("ended with {s}"));
            bail!(self.failure(&format!("{how} during {what}")));
        }
        serde_json::from_str(line.trim()).with_context(|| {
            format!(
                "{} answered {what} with an unexpected line: {}",
                self.describe,
                line.trim()
            )
        })
    }

    /// A message naming the worker and showing the end of its stderr.
    fn failure(&mut self, how: &str) -> String {
        let stderr = match self.stderr.take() {
            Some(handle) => handle.join().unwrap_or_default(),
            None => String::new(),
        };
        let tail: Vec<&str> = stderr.lines().rev().take(STDERR_TAIL).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "the Python side ({}) {how}; its last stderr lines:\n{}",
            self.describe,
            tail.join("\n")
        )
    }
}

impl Drop for Worker {
    /// A worker left behind by an error is stopped, not orphaned.
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
