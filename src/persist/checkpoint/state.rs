//! What a checkpoint records on disk (`state.json`, `checkpoint.json`) and the checks that
//! decide whether it can continue a run: same model, same settings, same training data.
//!
//! The JSON layout is versioned by [`FORMAT`]; a file of another version is refused by the
//! reader with a message that says so. `settings` is the run's [`RunConfig`]; checkpoints
//! written when it held only the four settings [`Checkpoint::check_compatible`] compares
//! still load, the other fields reading as their defaults.

use std::path::PathBuf;

use anyhow::{ensure, Result};
use serde::{Deserialize, Serialize};

use super::VARIABLES_PREFIX;
use crate::config::RunConfig;
use crate::mnist::batcher::BatchState;
use crate::mnist::dataset::DataSet;

/// Version of `state.json`'s layout.
pub const FORMAT: u32 = 1;

/// Identifies the training split, so a checkpoint is not resumed on other data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub train_examples: u64,
    /// CRC-32 of the training labels in file order.
    pub train_labels_crc32: u32,
}

impl DataFingerprint {
    pub fn of(train: &DataSet) -> Self {
        Self {
            train_examples: train.len() as u64,
            train_labels_crc32: crc32fast::hash(train.labels()),
        }
    }
}

/// Size and CRC-32 of one variables file, to catch a truncated or damaged checkpoint before
/// TensorFlow reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub name: String,
    pub bytes: u64,
    pub crc32: u32,
}

/// `state.json`: everything besides the variables that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    pub format: u32,
    /// The manifest name of the model (`--model`).
    pub model: String,
    /// Steps trained.
    pub step: u64,
    /// The settings of the run that started the checkpoint folder (a resumed run keeps them).
    pub settings: RunConfig,
    pub data: DataFingerprint,
    pub tensorflow_version: String,
    pub tflayers_version: String,
    pub files: Vec<FileSum>,
    /// The batch order after `step` batches: MT19937 seed and draws, order, position, epoch.
    pub batches: BatchState,
}

/// `checkpoint.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Pointer {
    /// Folder name of the latest checkpoint, relative to the checkpoint folder.
    pub(super) latest: String,
    pub(super) step: u64,
}

/// A verified checkpoint, ready to resume from.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The `ckpt-<step>/` folder.
    pub dir: PathBuf,
    /// The checkpoint folder it belongs to (where a resumed run writes).
    pub root: PathBuf,
    pub state: CheckpointState,
}

impl Checkpoint {
    /// The prefix to hand to [`crate::train::Engine::restore_variables`].
    pub fn variables_prefix(&self) -> PathBuf {
        self.dir.join(VARIABLES_PREFIX)
    }

    /// Fails unless this checkpoint can continue `run`: the same model and the settings that
    /// shape the optimisation or the batch order, at most `run.steps` steps; the errors name
    /// the flag to change.
    pub fn check_compatible(&self, run: &RunConfig) -> Result<()> {
        let (s, model, steps) = (&self.state, run.model.as_str(), run.steps);
        let here = self.dir.display();
        ensure!(
            s.model == model,
            "{here} is a checkpoint of model {:?}, not {model:?}: pass --model {} or resume \
             another folder",
            s.model,
            s.model
        );
        let saved = &s.settings;
        for (flag, same, was) in [
            (
                "--batch-size",
                saved.batch_size == run.batch_size,
                saved.batch_size.to_string(),
            ),
            (
                "--learning-rate",
                saved.learning_rate == run.learning_rate,
                saved.learning_rate.to_string(),
            ),
            ("--seed", saved.seed == run.seed, saved.seed.to_string()),
            (
                "--validation-size",
                saved.validation_size == run.validation_size,
                saved.validation_size.to_string(),
            ),
        ] {
            ensure!(
                same,
                "{here} was trained with {flag} {was}; resume with the same {flag} (or start a \
                 new run without --resume)"
            );
        }
        ensure!(
            s.step <= steps,
            "{here} is at step {} but --steps is {steps}; --steps is the total number of steps, \
             so pass --steps {} or more",
            s.step,
            s.step
        );
        Ok(())
    }

    /// Fails unless `train` is the training split the checkpoint was made on.
    pub fn check_data(&self, train: &DataSet) -> Result<()> {
        let now = DataFingerprint::of(train);
        ensure!(
            now == self.state.data,
            "{} was trained on another data set ({} training images, labels CRC {:08x}; now {} \
             and {:08x}): resume with the same --data-dir and --validation-size",
            self.dir.display(),
            self.state.data.train_examples,
            self.state.data.train_labels_crc32,
            now.train_examples,
            now.train_labels_crc32
        );
        Ok(())
    }
}
