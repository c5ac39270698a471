//! The article's training loop, independent of TensorFlow types.
//!
//! Every `log_every` steps the loop measures the batch it is about to train (dropout off) and
//! reports `Step %d, training batch accuracy %g`; then it trains that batch (dropout on, which
//! only the `dropout` model uses). After the last step it evaluates the test set. The graph is
//! behind the [`Engine`] trait, so the loop is tested without TensorFlow.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, ensure, Result};

pub use crate::config::RunConfig;
use crate::mnist::batcher::{BatchState, Batcher};
use crate::mnist::dataset::{DataSet, DataSets};

/// Accuracy and loss of one batch, measured with dropout off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchMetrics {
    pub accuracy: f32,
    pub loss: f32,
}

/// The result of evaluating a whole split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// As TensorFlow's `accuracy` op computes it: a float32 mean.
    pub accuracy: f32,
    /// Mean loss over the split.
    pub loss: f32,
    pub correct: u64,
    pub total: u64,
}

/// What the loop needs from a model; implemented by `graph::Model`.
pub trait Engine {
    /// The feed buffers of one batch: images [batch, 784] and one-hot labels [batch, 10].
    fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]);
    /// Runs `train_step` on the current batch.
    fn train_batch(&mut self, dropout: bool) -> Result<()>;
    /// Accuracy and loss of the current batch with dropout off.
    fn batch_metrics(&mut self) -> Result<BatchMetrics>;
    /// Accuracy and loss of `images` [n, 784] against one-hot `labels` [n, 10] in one run.
    fn evaluate(&mut self, images: &[f32], labels: &[f32]) -> Result<Evaluation>;
    /// [`Engine::evaluate`] on the examples `rows` of `split`. A set never changes, so an
    /// engine may keep what it built for `(split.id(), rows)` and reuse it the next time.
    fn evaluate_split(&mut self, split: &DataSet, rows: Range<usize>) -> Result<Evaluation> {
        let (images, labels) = split.rows(rows);
        self.evaluate(images, labels)
    }
    /// Writes every variable (Adam's slots included) to `<prefix>.index` and
    /// `<prefix>.data-00000-of-00001` through the graph's saver.
    fn save_variables(&mut self, prefix: &Path) -> Result<()> {
        bail!(
            "this engine cannot save its variables to {}",
            prefix.display()
        )
    }
    /// Loads every variable from files written by [`Engine::save_variables`].
    fn restore_variables(&mut self, prefix: &Path) -> Result<()> {
        bail!(
            "this engine cannot restore its variables from {}",
            prefix.display()
        )
    }
}

/// One logged step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLog {
    pub step: u64,
    pub batch_accuracy: f32,
    pub loss: f32,
    /// Seconds since the loop started, when this step was logged.
    pub elapsed_secs: f64,
}

/// Everything a finished run reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub steps: u64,
    pub logs: Vec<StepLog>,
    pub test: Evaluation,
    /// Wall time of the training loop (logging evaluations included, test evaluation not).
    pub train_secs: f64,
    pub eval_secs: f64,
}

impl RunResult {
    pub fn ms_per_step(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            self.train_secs * 1000.0 / self.steps as f64
        }
    }
}

/// Receives the loop's events: the article's printer, progress bars, metrics files.
pub trait Observer {
    /// A logged step, before its batch is trained.
    fn on_log(&mut self, _log: &StepLog) -> Result<()> {
        Ok(())
    }
    /// `done` steps have been trained.
    fn on_step(&mut self, _done: u64) {}
    /// The test evaluation is about to start.
    fn on_evaluate(&mut self, _images: u64, _chunks: u64) {}
    /// The run is over.
    fn on_finish(&mut self, _result: &RunResult) -> Result<()> {
        Ok(())
    }
}

/// Writes checkpoints for the loop (see `checkpoint::CheckpointWriter`).
pub trait Checkpointer {
    /// Checkpoint every this many steps (besides the end of the run and a stop).
    fn every(&self) -> Option<u64>;
    /// Saves the engine's variables and the batch position after `step` trained steps.
    fn save(&mut self, engine: &mut dyn Engine, step: u64, batches: &BatchState) -> Result<()>;
}

/// Asks a running loop to stop (Ctrl-C sets one, see `interrupt`), and hears when the
/// training steps are done. A plain [`AtomicBool`] is a stop flag that ignores the latter.
pub trait Stop {
    /// Checked after each step: `true` makes the loop checkpoint and stop.
    fn requested(&self) -> bool;
    /// Every step is trained; only the test-set evaluation remains.
    fn training_done(&self) {}
}

impl Stop for AtomicBool {
    fn requested(&self) -> bool {
        self.load(Ordering::SeqCst)
    }
}

/// Where a run starts and what may interrupt it; the default is a fresh, unstoppable run.
#[derive(Default)]
pub struct RunControl<'a> {
    /// Steps already trained (the checkpoint's step when resuming).
    pub start_step: u64,
    /// The batch position to continue from; `None` starts the batch order afresh.
    pub batch_state: Option<BatchState>,
    /// Called every `every()` steps, after the last step and when the run is stopped.
    pub checkpointer: Option<&'a mut dyn Checkpointer>,
    /// Checked after each step (set by Ctrl-C): the loop checkpoints and stops.
    pub stop: Option<&'a dyn Stop>,
}

/// How [`train_from`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every step was trained and the test set evaluated.
    Finished(RunResult),
    /// The stop flag was set; `step` steps are trained (and checkpointed, when a
    /// checkpointer was given). Nothing was evaluated.
    Stopped { step: u64 },
}

/// Several observers as one: each event goes to every observer, in order.
///
/// The first error stops the dispatch of that event and is returned, as a single observer's
/// error would be.
pub struct Fanout<'a> {
    observers: Vec<&'a mut dyn Observer>,
}

impl<'a> Fanout<'a> {
    pub fn new(observers: Vec<&'a mut dyn Observer>) -> Self {
        Self { observers }
    }
}

impl Observer for Fanout<'_> {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        self.observers.iter_mut().try_for_each(|o| o.on_log(log))
    }

    fn on_step(&mut self, done: u64) {
        self.observers.iter_mut().for_each(|o| o.on_step(done));
    }

    fn on_evaluate(&mut self, images: u64, chunks: u64) {
        self.observers
            .iter_mut()
            .for_each(|o| o.on_evaluate(images, chunks));
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        self.observers
            .iter_mut()
            .try_for_each(|o| o.on_finish(result))
    }
}

/// Trains `engine` on `data.train` as the article does, then evaluates `data.test`.
pub fn train(
    engine: &mut dyn Engine,
    data: &DataSets,
    config: &RunConfig,
    observer: &mut dyn Observer,
) -> Result<RunResult> {
    match train_from(engine, data, config, RunControl::default(), observer)? {
        Outcome::Finished(result) => Ok(result),
        Outcome::Stopped { step } => bail!("training stopped after step {step}"),
    }
}

/// [`train`], starting from `control.start_step` with `control.batch_state`, checkpointing
/// through `control.checkpointer` and stopping when `control.stop` is set. From a checkpoint
/// of step `s`, it prints exactly what an uninterrupted run prints from step `s` on.
pub fn train_from(
    engine: &mut dyn Engine,
    data: &DataSets,
    config: &RunConfig,
    mut control: RunControl<'_>,
    observer: &mut dyn Observer,
) -> Result<Outcome> {
    ensure!(config.log_every > 0, "--log-every must be at least 1");
    ensure!(
        control.start_step <= config.steps,
        "the run starts at step {} but --steps is {}: --steps is the total, so pass at least {}",
        control.start_step,
        config.steps,
        control.start_step
    );
    let mut batcher = match control.batch_state.take() {
        Some(state) => Batcher::from_state(state, data.train.len())?,
        None => Batcher::new(data.train.len(), config.seed)?,
    };
    let start = Instant::now();
    let mut logs = Vec::new();
    for step in control.start_step..config.steps {
        let (images, labels) = engine.batch_buffers();
        batcher.next_batch_into(&data.train, images, labels)?;
        if step % config.log_every == 0 {
            let metrics = engine.batch_metrics()?;
            let log = StepLog {
                step,
                batch_accuracy: metrics.accuracy,
                loss: metrics.loss,
                elapsed_secs: start.elapsed().as_secs_f64(),
            };
            observer.on_log(&log)?;
            logs.push(log);
        }
        engine.train_batch(true)?;
        observer.on_step(step + 1);
        let done = step + 1;
        let stop = control.stop.is_some_and(|flag| flag.requested());
        if let Some(checkpointer) = control.checkpointer.as_deref_mut() {
            let due = checkpointer.every().is_some_and(|every| done % every == 0);
            if due || stop || done == config.steps {
                checkpointer.save(engine, done, &batcher.state())?;
            }
        }
        if stop {
            return Ok(Outcome::Stopped { step: done });
        }
    }
    if let Some(stop) = control.stop {
        stop.training_done();
    }
    let train_secs = start.elapsed().as_secs_f64();
    let eval_start = Instant::now();
    let chunk = config.eval_batch_size.unwrap_or(data.test.len());
    observer.on_evaluate(
        data.test.len() as u64,
        data.test.len().div_ceil(chunk) as u64,
    );
    let test = evaluate(engine, &data.test, config.eval_batch_size)?;
    let result = RunResult {
        steps: config.steps,
        logs,
        test,
        train_secs,
        eval_secs: eval_start.elapsed().as_secs_f64(),
    };
    observer.on_finish(&result)?;
    Ok(Outcome::Finished(result))
}

/// Evaluates a whole split, in one run or in chunks of `chunk` images.
///
/// With chunks, the accuracy is recomputed from the summed counts exactly as TensorFlow's
/// float32 mean would give it for one run over the whole split: `correct as f32 / n as f32`.
pub fn evaluate(
    engine: &mut dyn Engine,
    split: &DataSet,
    chunk: Option<usize>,
) -> Result<Evaluation> {
    let n = split.len();
    ensure!(n > 0, "cannot evaluate an empty split");
    let chunk = chunk.unwrap_or(n).clamp(1, n);
    if chunk == n {
        return engine.evaluate_split(split, 0..n);
    }
    let (mut correct, mut total, mut loss_sum) = (0u64, 0u64, 0f64);
    for start in (0..n).step_by(chunk) {
        let part = engine.evaluate_split(split, start..(start + chunk).min(n))?;
        correct += part.correct;
        total += part.total;
        loss_sum += f64::from(part.loss) * part.total as f64;
    }
    Ok(Evaluation {
        accuracy: correct as f32 / total as f32,
        loss: (loss_sum / total as f64) as f32,
        correct,
        total,
    })
}

#[cfg(test)]
mod tests;
