//! TensorBoard event files, written by TensorFlow's own summary ops inside the exported graph.
//!
//! `python/export.py` adds TF2 `tf.summary` ops to every graph (names under `summaries` in
//! `models/manifest.json`). This module copies those ops, and what they depend on (their
//! placeholders and constants, nothing of the model), into a graph of their own without
//! device names, and runs them in a second session in this process: the summary writer is a
//! resource of that session, so the training session, its ops and its results are exactly what
//! they are without `--tensorboard`, and a graph pinned to a cluster (`export.py --cluster`),
//! which no local session can place, writes its events here too. The values written are the ones
//! the training loop has already fetched (fed through placeholders), so TensorBoard shows the
//! very numbers that were printed.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tensorflow::{Graph, ImportGraphDefOptions, Session, SessionRunArgs, Tensor};

use super::model::Model;
use super::proto::device_free_subgraph;
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
    /// The summary ops' own graph; declared after the session, so dropped after it.
    _graph: Graph,
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
        let graph = summary_graph(model, manifest)?;
        let ops = SummaryOps::resolve(&graph, manifest, model.dir())?;
        // In this process whatever the model's target: the summary ops write local files.
        let options = session::local_options(config)?;
        let session = Session::new(&options, &graph).map_err(tf_err(format!(
            "cannot start the TensorBoard session for {logdir:?}"
        )))?;
        let board = Self {
            session,
            ops,
            logdir: logdir.to_path_buf(),
            _graph: graph,
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

/// The summary ops of `model`'s graph and what they depend on, in a graph of their own without
/// device names (see the module docs).
fn summary_graph(model: &Model, manifest: &Manifest) -> Result<Graph> {
    let names = &manifest.summaries;
    let roots = [
        &names.logdir,
        &names.step,
        &names.accuracy,
        &names.loss,
        &names.init,
        &names.write_train,
        &names.write_test,
        &names.flush,
    ]
    .map(String::as_str);
    let dir = model.dir();
    let whole = model.graph().graph_def().map_err(tf_err(format!(
        "cannot serialise the graph of {}",
        dir.display()
    )))?;
    let cut = device_free_subgraph(&whole, &roots).with_context(|| {
        format!(
            "{}: cannot take the TensorBoard summary ops out of the graph; re-export the \
             models with `make models`",
            dir.display()
        )
    })?;
    let mut graph = Graph::new();
    graph
        .import_graph_def(&cut, &ImportGraphDefOptions::new())
        .map_err(tf_err(format!(
            "cannot import the TensorBoard summary ops of {}",
            dir.display()
        )))?;
    Ok(graph)
}

impl Observer for TensorBoard {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        self.write(false, log.step, log.batch_accuracy, log.loss)
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        self.write(true, result.steps, result.test.accuracy, result.test.loss)
    }
}
