//! The loop without TensorFlow: batches, checkpoints, stopping and resuming.

use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::mnist::dataset::{IMAGE_PIXELS, NUM_CLASSES};

/// Records which examples each trained batch held (by their first pixel).
struct Recorder {
    images: Vec<f32>,
    labels: Vec<f32>,
    trained: Vec<Vec<u32>>,
}

impl Recorder {
    fn new(batch: usize) -> Self {
        Self {
            images: vec![0.0; batch * IMAGE_PIXELS],
            labels: vec![0.0; batch * NUM_CLASSES],
            trained: Vec::new(),
        }
    }
}

impl Engine for Recorder {
    fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.images, &mut self.labels)
    }
    fn train_batch(&mut self, _dropout: bool) -> Result<()> {
        let ids = self
            .images
            .chunks_exact(IMAGE_PIXELS)
            .map(|image| (image[0] * 255.0).round() as u32)
            .collect();
        self.trained.push(ids);
        Ok(())
    }
    fn batch_metrics(&mut self) -> Result<BatchMetrics> {
        Ok(BatchMetrics {
            accuracy: self.images[0],
            loss: 0.0,
        })
    }
    fn evaluate(&mut self, _images: &[f32], labels: &[f32]) -> Result<Evaluation> {
        let total = (labels.len() / NUM_CLASSES) as u64;
        Ok(Evaluation {
            accuracy: 1.0,
            loss: 0.0,
            correct: total,
            total,
        })
    }
}

/// Records checkpoints; sets the stop flag after step `stop_at`.
struct Saves<'a> {
    every: Option<u64>,
    saved: Vec<(u64, BatchState)>,
    stop: &'a AtomicBool,
    stop_at: u64,
}

impl Checkpointer for Saves<'_> {
    fn every(&self) -> Option<u64> {
        self.every
    }
    fn save(&mut self, _e: &mut dyn Engine, step: u64, batches: &BatchState) -> Result<()> {
        self.saved.push((step, batches.clone()));
        Ok(())
    }
}

struct StopAt<'a> {
    flag: &'a AtomicBool,
    step: u64,
    logged: Vec<u64>,
}

impl Observer for StopAt<'_> {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        self.logged.push(log.step);
        Ok(())
    }
    fn on_step(&mut self, done: u64) {
        if done == self.step {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

/// 23 examples whose first pixel is their index, so batches can be told apart.
fn data() -> DataSets {
    let pixels: Vec<u8> = (0..23u8)
        .flat_map(|i| std::iter::once(i).chain(std::iter::repeat_n(0, IMAGE_PIXELS - 1)))
        .collect();
    let labels: Vec<u8> = (0..23).map(|i| i % 10).collect();
    let train = DataSet::from_bytes(&pixels, &labels, "train").unwrap();
    let test = DataSet::from_bytes(&pixels[..IMAGE_PIXELS], &labels[..1], "test").unwrap();
    DataSets {
        validation: test.clone(),
        train,
        test,
    }
}

fn config(steps: u64) -> RunConfig {
    RunConfig {
        steps,
        batch_size: 5,
        seed: 1,
        log_every: 3,
        eval_batch_size: None,
        ..RunConfig::default()
    }
}

#[test]
fn checkpoints_every_n_at_the_stop_and_resumes_the_same_batches() {
    let data = data();
    let mut full = Recorder::new(5);
    let never = AtomicBool::new(false);
    let mut observer = StopAt {
        flag: &never,
        step: 0,
        logged: Vec::new(),
    };
    train(&mut full, &data, &config(12), &mut observer).unwrap();
    let full_logged = observer.logged;

    let flag = AtomicBool::new(false);
    let mut saves = Saves {
        every: Some(4),
        saved: Vec::new(),
        stop: &flag,
        stop_at: 7,
    };
    let mut first = Recorder::new(5);
    let mut observer = StopAt {
        flag: saves.stop,
        step: saves.stop_at,
        logged: Vec::new(),
    };
    let control = RunControl {
        checkpointer: Some(&mut saves),
        stop: Some(&flag),
        ..RunControl::default()
    };
    let outcome = train_from(&mut first, &data, &config(12), control, &mut observer).unwrap();
    assert_eq!(outcome, Outcome::Stopped { step: 7 });
    let steps: Vec<u64> = saves.saved.iter().map(|(s, _)| *s).collect();
    assert_eq!(steps, [4, 7]);
    assert_eq!(first.trained, full.trained[..7]);

    // Resume from the step-7 checkpoint: the same batches and log lines follow, and the
    // end of the run is checkpointed.
    let (step, state) = saves.saved.pop().unwrap();
    let mut resumed = Recorder::new(5);
    let mut more = Saves {
        every: Some(4),
        saved: Vec::new(),
        stop: &never,
        stop_at: 0,
    };
    let mut observer2 = StopAt {
        flag: &never,
        step: 0,
        logged: Vec::new(),
    };
    let control = RunControl {
        start_step: step,
        batch_state: Some(state),
        checkpointer: Some(&mut more),
        stop: Some(&never),
    };
    let outcome = train_from(&mut resumed, &data, &config(12), control, &mut observer2).unwrap();
    assert!(matches!(outcome, Outcome::Finished(ref r) if r.steps == 12));
    assert_eq!(resumed.trained, full.trained[7..]);
    let steps: Vec<u64> = more.saved.iter().map(|(s, _)| *s).collect();
    assert_eq!(steps, [8, 12]);
    let mut logged = observer.logged;
    logged.extend(observer2.logged);
    assert_eq!(logged, full_logged);
}

#[test]
fn a_start_past_the_total_is_refused() {
    let control = RunControl {
        start_step: 13,
        ..RunControl::default()
    };
    let never = AtomicBool::new(false);
    let mut observer = StopAt {
        flag: &never,
        step: 0,
        logged: Vec::new(),
    };
    let err = train_from(
        &mut Recorder::new(5),
        &data(),
        &config(12),
        control,
        &mut observer,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--steps is the total"), "{err}");
}
