//! TensorBoard event files, written by TensorFlow's own summary ops inside the exported graph.
//!
//! `python/export.py` adds TF2 `tf.summary` ops to every graph (names under `summaries` in
//! `models/manifest.json`). This module runs them in a second session on the model's graph:
//! the summary writer is a resource of that session, so the training session, its ops and its
//! results are exactly what they are without `--tensorboard`. The values written are the ones
//! the training loop has already fetched (fed through placeholders), so TensorBoard shows the
//! very numbers that were printed.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tensorflow::{Session, SessionRunArgs, Tensor};

use super::model::Model;
use super::session::{self, tf_err, SessionConfig};
use crate::manifest::Manifest;
use crate::train::{Observer, RunResult, StepLog};

graph_ops! {
    /// The summary ops of one graph, resolved once.
    SummaryOps, "TensorBoard ", summaries {
        logdir, step, accuracy, loss, init, write_train, write_test, flush
    }
}

/// Writes one run's scalars into an event file under `logdir`; an [`Observer`] of the loop.
///
/// Train batch accuracy and loss are written at every logged step, the test accuracy and
/// loss at step `steps` when the run finishes. Each write is flushed, so a TensorBoard pointed
/// at the folder shows a run while it trains.
pub struct TensorBoard {
    session: Session,
    ops: SummaryOps,
    logdir: PathBuf,
}

impl TensorBoard {
    /// Opens an event file in `logdir` (created if needed) for `model`'s scalars.
    pub fn open(
        model: &Model,
        manifest: &Manifest,
        config: &SessionConfig,
        logdir: &Path,
    ) -> Result<Self> {
        fs::create_dir_all(logdir).with_context(|| {
            format!(
                "cannot create the --tensorboard folder {}",
                logdir.display()
            )
        })?;
        // TensorFlow wants the folder as a UTF-8 string.
        let dir = logdir.to_str().with_context(|| {
            format!("the --tensorboard folder {logdir:?} is not valid UTF-8; choose another")
        })?;
        let graph = model.graph();
        let ops = SummaryOps::resolve(graph, manifest, model.dir())?;
        // In this process whatever the model's target: the summary ops write local files.
        let options = session::local_options(config)?;
        let session = Session::new(&options, graph).map_err(tf_err(format!(
            "cannot start the TensorBoard session for {logdir:?}"
        )))?;
        let board = Self {
            session,
            ops,
            logdir: logdir.to_path_buf(),
        };
        let dir = Tensor::from(dir.to_string());
        let mut args = SessionRunArgs::new();
        args.add_feed(&board.ops.logdir, 0, &dir);
        args.add_target(&board.ops.init);
        board.run(&mut args, "creating the event file")?;
        Ok(board)
    }

    /// The folder the event file is in.
    pub fn logdir(&self) -> &Path {
        &self.logdir
    }

    /// Writes `accuracy` and `loss` at `step` with the train or the test tags, then flushes.
    fn write(&mut self, test: bool, step: u64, accuracy: f32, loss: f32) -> Result<()> {
        let step_value = i64::try_from(step).context("step does not fit TensorBoard's int64")?;
        let step = Tensor::from(step_value);
        let accuracy = Tensor::from(accuracy);
        let loss = Tensor::from(loss);
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.step, 0, &step);
        args.add_feed(&self.ops.accuracy, 0, &accuracy);
        args.add_feed(&self.ops.loss, 0, &loss);
        let (target, what) = if test {
            (&self.ops.write_test, "writing the test scalars")
        } else {
            (&self.ops.write_train, "writing the training scalars")
        };
        args.add_target(target);
        self.run(&mut args, what)?;
        self.flush()
    }

    /// Flushes buffered events to the event file.
    pub fn flush(&mut self) -> Result<()> {
        let mut args = SessionRunArgs::new();
        args.add_target(&self.ops.flush);
        self.run(&mut args, "flushing the event file")
    }

    fn run(&self, args: &mut SessionRunArgs<'_>, what: &str) -> Result<()> {
        self.session.run(args).map_err(tf_err(format!(
            "TensorBoard: {what} in {} failed",
            self.logdir.display()
        )))
    }
}

impl Observer for TensorBoard {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        self.write(false, log.step, log.batch_accuracy, log.loss)
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        self.write(true, result.steps, result.test.accuracy, result.test.loss)
    }
}
