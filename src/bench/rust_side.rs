//! The Rust side of the step benchmark: the article's loop in this process, run in portions.
//!
//! [`Stepper`] holds a loaded model, the data and the position in the batch order, and runs
//! `n` more steps at a time exactly as `train::train_from` does (take the batch into the feed
//! tensors; on every `log_every`-th step fetch accuracy and loss with dropout off; train with
//! dropout on), minus the printing. Portions of the same run can then alternate with the
//! Python side's, and the logged values of both can be compared at the end.

use std::time::Instant;

use anyhow::Result;

use super::Breakdown;
use crate::compare::verdict::LoggedStep;
use crate::mnist::batcher::Batcher;
use crate::mnist::dataset::DataSets;
use crate::tf::probe::Probe;
use crate::train::{evaluate, Evaluation};

/// A timed portion of the loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Portion {
    pub steps: u64,
    /// Wall time of the portion's steps.
    pub secs: f64,
    /// The logged steps in it.
    pub logs: Vec<LoggedStep>,
}

/// A timed evaluation of the test set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedEvaluation {
    pub secs: f64,
    pub evaluation: Evaluation,
}

/// The article's loop over one model, resumable between portions.
pub struct Stepper<'d, E> {
    engine: E,
    data: &'d DataSets,
    batcher: Batcher,
    step: u64,
    log_every: u64,
    eval_chunk: Option<usize>,
}

impl<'d, E: Probe> Stepper<'d, E> {
    /// A loop at step 0 over `data.train`, its batch order seeded with `seed`.
    pub fn new(
        engine: E,
        data: &'d DataSets,
        seed: u32,
        log_every: u64,
        eval_chunk: Option<usize>,
    ) -> Result<Self> {
        anyhow::ensure!(log_every > 0, "--log-every must be at least 1");
        Ok(Self {
            engine,
            data,
            batcher: Batcher::new(data.train.len(), seed)?,
            step: 0,
            log_every,
            eval_chunk,
        })
    }

    /// Steps run so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Runs `steps` more steps of the loop and times them.
    pub fn train(&mut self, steps: u64) -> Result<Portion> {
        let mut logs = Vec::new();
        let start = Instant::now();
        for step in self.step..self.step + steps {
            let (images, labels) = self.engine.batch_buffers();
            self.batcher
                .next_batch_into(&self.data.train, images, labels)?;
            if step % self.log_every == 0 {
                let metrics = self.engine.batch_metrics()?;
                logs.push(LoggedStep {
                    step,
                    accuracy: metrics.accuracy,
                    loss: metrics.loss,
                });
            }
            self.engine.train_batch(true)?;
        }
        let secs = start.elapsed().as_secs_f64();
        self.step += steps;
        Ok(Portion { steps, secs, logs })
    }

    /// Evaluates the test set as `train` does at the end of a run, and times it.
    pub fn evaluate(&mut self) -> Result<TimedEvaluation> {
        let start = Instant::now();
        let evaluation = evaluate(&mut self.engine, &self.data.test, self.eval_chunk)?;
        Ok(TimedEvaluation {
            secs: start.elapsed().as_secs_f64(),
            evaluation,
        })
    }

    /// Times each part of a step alone over `calls` calls (after one untimed call each). It
    /// trains the model on one fixed batch and moves the batch order, so it comes last.
    pub fn breakdown(&mut self, calls: u64) -> Result<Breakdown> {
        let calls = calls.max(1);
        let data = self.data;
        let (batcher, engine) = (&mut self.batcher, &mut self.engine);
        let batch_secs = timed(calls, || {
            let (images, labels) = engine.batch_buffers();
            batcher.next_batch_into(&data.train, images, labels)
        })?;
        Ok(Breakdown {
            calls,
            batch_secs,
            empty_call_secs: timed(calls, || engine.empty_call())?,
            feed_call_secs: timed(calls, || engine.feed_call())?,
            train_call_secs: timed(calls, || engine.train_batch(true))?,
            metrics_call_secs: timed(calls, || engine.batch_metrics().map(|_| ()))?,
        })
    }
}

/// Seconds per call of `call`, over `calls` calls after one untimed call (a session's first
/// call with a new set of feeds and fetches builds its executor).
fn timed(calls: u64, mut call: impl FnMut() -> Result<()>) -> Result<f64> {
    call()?;
    let start = Instant::now();
    for _ in 0..calls {
        call()?;
    }
    Ok(start.elapsed().as_secs_f64() / calls as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::dataset::{IMAGE_PIXELS, NUM_CLASSES};
    use crate::mnist::fixtures::synthetic_digits;
    use crate::train::{train, BatchMetrics, Engine, Observer, RunConfig};

    /// Records every call, naming each batch by the first pixels of its images.
    #[derive(Default)]
    struct Recorder {
        images: Vec<f32>,
        labels: Vec<f32>,
        calls: Vec<String>,
    }

    impl Recorder {
        fn new(batch: usize) -> Self {
            Self {
                images: vec![0.0; batch * IMAGE_PIXELS],
                labels: vec![0.0; batch * NUM_CLASSES],
                calls: Vec::new(),
            }
        }

        fn batch_name(&self) -> String {
            let firsts: Vec<String> = self
                .images
                .chunks(IMAGE_PIXELS)
                .map(|image| {
                    let sum: f32 = image.iter().sum();
                    format!("{sum}")
                })
                .collect();
            firsts.join(",")
        }
    }

    impl Engine for Recorder {
        fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]) {
            (&mut self.images, &mut self.labels)
        }
        fn train_batch(&mut self, dropout: bool) -> Result<()> {
            let name = self.batch_name();
            self.calls.push(format!("train {dropout} {name}"));
            Ok(())
        }
        fn batch_metrics(&mut self) -> Result<BatchMetrics> {
            let name = self.batch_name();
            self.calls.push(format!("metrics {name}"));
            Ok(BatchMetrics {
                accuracy: 0.5,
                loss: self.calls.len() as f32,
            })
        }
        fn evaluate(&mut self, _images: &[f32], labels: &[f32]) -> Result<Evaluation> {
            self.calls.push(format!("evaluate {}", labels.len()));
            Ok(Evaluation {
                accuracy: 1.0,
                loss: 0.0,
                correct: (labels.len() / NUM_CLASSES) as u64,
                total: (labels.len() / NUM_CLASSES) as u64,
            })
        }
    }

    impl Probe for Recorder {
        fn empty_call(&mut self) -> Result<()> {
            self.calls.push("empty".into());
            Ok(())
        }
        fn feed_call(&mut self) -> Result<()> {
            self.calls.push("feed".into());
            Ok(())
        }
    }

    struct Silent;
    impl Observer for Silent {}

    fn data() -> DataSets {
        let (train_images, train_labels) = synthetic_digits(53, 3);
        let (test_images, test_labels) = synthetic_digits(17, 4);
        DataSets::from_parts(&train_images, &train_labels, &test_images, &test_labels, 5).unwrap()
    }

    #[test]
    fn portions_make_the_same_calls_as_one_training_run() {
        let data = data();
        let config = RunConfig {
            steps: 23,
            batch_size: 7,
            seed: 11,
            log_every: 4,
            eval_batch_size: Some(5),
            ..RunConfig::default()
        };
        let mut whole = Recorder::new(7);
        train(&mut whole, &data, &config, &mut Silent).unwrap();

        let mut stepper = Stepper::new(Recorder::new(7), &data, 11, 4, Some(5)).unwrap();
        let mut logged = Vec::new();
        for steps in [3, 10, 1, 9] {
            let portion = stepper.train(steps).unwrap();
            assert_eq!(portion.steps, steps);
            logged.extend(portion.logs.iter().map(|l| l.step));
        }
        stepper.evaluate().unwrap();
        assert_eq!(stepper.step(), 23);
        assert_eq!(stepper.engine.calls, whole.calls);
        assert_eq!(logged, [0, 4, 8, 12, 16, 20]);
    }

    #[test]
    fn breakdown_times_each_part_once_untimed_then_calls_times() {
        let data = data();
        let mut stepper = Stepper::new(Recorder::new(7), &data, 0, 100, None).unwrap();
        let breakdown = stepper.breakdown(3).unwrap();
        assert_eq!(breakdown.calls, 3);
        let calls = &stepper.engine.calls;
        let count = |prefix: &str| calls.iter().filter(|c| c.starts_with(prefix)).count();
        assert_eq!(count("empty"), 4);
        assert_eq!(count("feed"), 4);
        assert_eq!(count("train true"), 4);
        assert_eq!(count("metrics"), 4);
        assert!(breakdown.batch_secs >= 0.0 && breakdown.train_call_secs >= 0.0);
    }
}
