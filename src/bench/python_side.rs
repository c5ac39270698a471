//! The Python side of the step benchmark: `python/bench_steps.py` as a child process.
//!
//! The child loads MNIST and the SavedModel once and then waits for commands on its stdin
//! (one JSON object a line) and answers each on its stdout, timing its own work with
//! `time.perf_counter`. While the Rust side runs, it sits idle in a read, so the two sides
//! never compete for the cores. Its stderr (TensorFlow's notices) is drained on a thread
//! ([`crate::python::Child`]) and shown when it fails.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;

use super::Breakdown;
use crate::compare::verdict::LoggedStep;
use crate::config::RunConfig;
use crate::python::{Child, Python};

/// The worker script, relative to the project root.
pub const WORKER_SCRIPT: &str = "python/bench_steps.py";
/// The article's loop in Python, relative to the project root.
pub const TRAIN_SCRIPT: &str = "python/train.py";
/// The scripts the bench runs; [`Python::locate`] looks for a project holding them all.
pub const SCRIPTS: [&str; 3] = [WORKER_SCRIPT, TRAIN_SCRIPT, super::data::PYTHON_SCRIPT];

/// The settings both Python scripts take, as `tflayers train` has them (all but `--steps`,
/// which only `python/train.py` takes).
pub fn loop_args(command: &mut Command, run: &RunConfig, models_dir: &Path) {
    command
        .args(["--model", &run.model])
        .args(run.child_flags(run.seed, models_dir));
}

/// The worker's first line, once the data and the model are loaded (it also reports its load
/// times and peak memory, which the bench does not use).
#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    pub tensorflow_version: String,
    pub train: usize,
    pub validation: usize,
    pub test: usize,
}

/// The answer to a `train` command.
#[derive(Debug, Clone, Deserialize)]
pub struct Trained {
    pub steps: u64,
    pub secs: f64,
    /// The logged steps, each sent as `[step, accuracy, loss]`.
    pub logs: Vec<LoggedStep>,
}

/// The answer to an `evaluate` command.
#[derive(Debug, Clone, Deserialize)]
pub struct Evaluated {
    pub secs: f64,
    pub accuracy: f32,
    pub loss: f32,
}

/// A running `python/bench_steps.py`.
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    describe: String,
}

impl Worker {
    /// Starts the worker for `model` and waits until it has loaded everything.
    pub fn start(python: &Python, run: &RunConfig, models_dir: &Path) -> Result<(Self, Ready)> {
        let mut command = python.command(WORKER_SCRIPT);
        loop_args(&mut command, run, models_dir);
        let mut child = python.spawn(&mut command, Stdio::piped())?;
        let stdin = child
            .process
            .stdin
            .take()
            .context("the worker's stdin is missing")?;
        let stdout = child
            .process
            .stdout
            .take()
            .context("the worker's stdout is missing")?;
        let mut worker = Self {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            describe: python.describe(WORKER_SCRIPT),
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
        self.read_reply("the breakdown")
    }

    /// Closes the worker's stdin, which ends it, and waits for it.
    pub fn finish(mut self) -> Result<()> {
        drop(self.stdin.take());
        let status = self
            .child
            .process
            .wait()
            .with_context(|| format!("cannot wait for {}", self.describe))?;
        if !status.success() {
            return Err(self.failure(&format!("ended with {status}")));
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
            let _ = self.child.process.wait();
            return Err(self.failure("stopped accepting commands"));
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
            let status = self.child.process.wait().ok();
            let how = status.map_or("ended".to_string(), |s| format!("ended with {s}"));
            return Err(self.failure(&format!("{how} during {what}")));
        }
        serde_json::from_str(line.trim()).with_context(|| {
            format!(
                "{} answered {what} with an unexpected line: {}",
                self.describe,
                line.trim()
            )
        })
    }

    /// An error naming the worker and showing the end of its stderr.
    fn failure(&mut self, how: &str) -> anyhow::Error {
        let what = format!("the Python side ({}) {how}", self.describe);
        self.child.failure(&what)
    }
}

impl Drop for Worker {
    /// A worker left behind by an error is stopped, not orphaned.
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.process.kill();
            let _ = self.child.process.wait();
        }
    }
}
