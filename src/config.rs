//! The settings a run is made of, free of the command line: [`RunConfig`] (what a training run
//! is, the one definition shared by the loop, checkpoints, metrics, compare and bench), where
//! its data comes from ([`DataSource`]), and the plain options each subcommand receives.
//!
//! `cli` parses and validates flags into these types; `commands` and the feature modules only
//! ever see them. The flags a child process (`tflayers train`, `python/train.py`) needs to
//! repeat a run are written in one place, [`RunConfig::child_flags`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::ThreadCounts;
use crate::mnist::catalog::DatasetKind;
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::mnist::download::DownloadConfig;
use crate::tf::model::SessionConfig;
use crate::tf::remote::Remote;

/// Where the data comes from unless `--data-dir` or `TFLAYERS_DATA_DIR` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";
/// The default data folder with `--dataset fashion-mnist`.
pub const DEFAULT_FASHION_DATA_DIR: &str = "data/fashion-mnist";
/// The article's number of training steps.
pub const DEFAULT_STEPS: u64 = 1000;
/// The article's batch size.
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// The article's Adam learning rate.
pub const DEFAULT_LEARNING_RATE: f32 = 1e-4;
/// The article prints the batch accuracy every this many steps.
pub const DEFAULT_LOG_EVERY: u64 = 100;

/// One training run: the model, the loop's settings and the data they apply to.
///
/// The defaults are the article's (`conv2`'s settings, 1000 steps of 100 images).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The model's name in `models/manifest.json`.
    pub model: String,
    /// Training steps (the total, also when resuming).
    pub steps: u64,
    /// Images per training batch.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f32,
    /// Seeds NumPy's `RandomState` for the batch order.
    pub seed: u32,
    /// Print the batch accuracy every this many steps.
    pub log_every: u64,
    /// Evaluate the test set in chunks of this many images instead of all at once.
    pub eval_batch_size: Option<usize>,
    /// The folder holding the four data files.
    pub data_dir: PathBuf,
    /// Training images held out for validation.
    pub validation_size: usize,
    /// TensorFlow threads inside one op; `None` lets TensorFlow (or the manifest) choose.
    pub intra_op_threads: Option<u32>,
    /// TensorFlow ops run in parallel; `None` lets TensorFlow (or the manifest) choose.
    pub inter_op_threads: Option<u32>,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            model: "conv2".to_string(),
            steps: DEFAULT_STEPS,
            batch_size: DEFAULT_BATCH_SIZE,
            learning_rate: DEFAULT_LEARNING_RATE,
            seed: 0,
            log_every: DEFAULT_LOG_EVERY,
            eval_batch_size: None,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            validation_size: VALIDATION_SIZE,
            intra_op_threads: None,
            inter_op_threads: None,
        }
    }
}

impl RunConfig {
    /// The same run for another model.
    pub fn for_model(&self, model: &str) -> Self {
        Self {
            model: model.to_string(),
            ..self.clone()
        }
    }

    /// The thread counts given, before the manifest's defaults apply.
    pub fn thread_counts(&self) -> ThreadCounts {
        ThreadCounts {
            intra_op_threads: self.intra_op_threads,
            inter_op_threads: self.inter_op_threads,
        }
    }

    /// The loop's settings as flags for a child process (`tflayers train`/`reproduce` or
    /// `python/train.py`, which take the same ones), with `seed` as the batch-order seed and
    /// `models_dir` as the models folder; `--model` and `--steps` are the caller's.
    pub fn child_flags(&self, seed: u32, models_dir: &Path) -> Vec<OsString> {
        let mut flags: Vec<OsString> = vec![
            "--batch-size".into(),
            self.batch_size.to_string().into(),
            "--seed".into(),
            seed.to_string().into(),
            // Display of an f32 is the shortest decimal that reads back as the same f32.
            "--learning-rate".into(),
            self.learning_rate.to_string().into(),
            "--log-every".into(),
            self.log_every.to_string().into(),
            "--data-dir".into(),
            self.data_dir.clone().into(),
            "--validation-size".into(),
            self.validation_size.to_string().into(),
            "--models-dir".into(),
            models_dir.into(),
        ];
        let optional = [
            ("--eval-batch-size", self.eval_batch_size.map(|n| n as u64)),
            ("--intra-op-threads", self.intra_op_threads.map(u64::from)),
            ("--inter-op-threads", self.inter_op_threads.map(u64::from)),
        ];
        for (flag, value) in optional {
            if let Some(n) = value {
                flags.extend([flag.into(), n.to_string().into()]);
            }
        }
        flags
    }
}

/// Where a command reads its data from, and how missing files are fetched.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub dataset: DatasetKind,
    pub dir: PathBuf,
    /// Training images held out for validation.
    pub validation_size: usize,
    /// Never download: fail, saying what to do, when files are missing.
    pub offline: bool,
    pub download: DownloadConfig,
}

/// What every command that trains is given: the run, its data, the models folder, and where
/// the graph runs.
#[derive(Debug, Clone)]
pub struct LoopOptions {
    pub run: RunConfig,
    pub data: DataSource,
    /// The folder holding `manifest.json` and the exported SavedModels.
    pub models_dir: PathBuf,
    /// Log the device each op is placed on.
    pub log_device_placement: bool,
    /// Run the graph on this TensorFlow server instead of in this process.
    pub remote: Option<Remote>,
}

impl LoopOptions {
    /// The session settings of this run.
    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            intra_op_threads: self.run.intra_op_threads,
            inter_op_threads: self.run.inter_op_threads,
            log_device_placement: self.log_device_placement,
            remote: self.remote.clone(),
        }
    }
}

/// Outputs around a training run; none of them changes stdout.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// TensorBoard root folder; the events go to `<root>/<model>/`.
    pub tensorboard: Option<PathBuf>,
    /// No progress bar and no notes about written files.
    pub quiet: bool,
}

/// Checkpoints, resuming and keeping the trained model (`train` only).
#[derive(Debug, Clone, Default)]
pub struct PersistOptions {
    pub checkpoint_dir: Option<PathBuf>,
    pub checkpoint_every: Option<u64>,
    pub resume: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub overwrite: bool,
}

/// `tflayers train`.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// `run.model` is the model to train.
    pub common: LoopOptions,
    pub persist: PersistOptions,
    /// Metrics files (`.jsonl` or `.csv`).
    pub metrics: Vec<PathBuf>,
    pub outputs: OutputOptions,
}

/// `tflayers reproduce`.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    pub common: LoopOptions,
    /// Report folder.
    pub report: Option<PathBuf>,
    pub outputs: OutputOptions,
}

/// `tflayers compare`.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The models to compare, in order (checked against the manifest).
    pub models: Vec<String>,
    /// Largest accepted difference between a Rust and a Python value.
    pub tolerance: f64,
    pub report: Option<PathBuf>,
    /// The interpreter that runs `python/train.py`, instead of the project's venv.
    pub python: Option<PathBuf>,
    /// A different batch-order seed for the Python side only (a testing aid).
    pub python_seed: Option<u32>,
    pub common: LoopOptions,
}

/// `tflayers bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The models to time, in order, each once.
    pub models: Vec<String>,
    pub repeat: u64,
    pub warmup: u64,
    pub breakdown: bool,
    pub no_processes: bool,
    pub reproduce: bool,
    pub json: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub common: LoopOptions,
}

/// Which split of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitName {
    Train,
    Validation,
    Test,
}

/// `tflayers evaluate`.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    pub model_dir: PathBuf,
    /// `Test` or `Validation`.
    pub split: SplitName,
    pub confusion_png: Option<PathBuf>,
    pub predictions: Option<PathBuf>,
    pub eval_batch_size: usize,
    pub data: DataSource,
    pub models_dir: PathBuf,
    pub remote: Option<Remote>,
}

/// `tflayers predict`.
#[derive(Debug, Clone)]
pub struct PredictOptions {
    pub model_dir: PathBuf,
    pub images: Vec<PathBuf>,
    pub json: bool,
    pub save_inputs: Option<PathBuf>,
    pub models_dir: PathBuf,
    pub remote: Option<Remote>,
}

/// `tflayers plot`.
#[derive(Debug, Clone)]
pub struct PlotOptions {
    pub runs: Vec<PathBuf>,
    pub out: PathBuf,
    pub width: u32,
    pub height: u32,
    pub title: Option<String>,
}

/// `tflayers download`.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    pub dataset: DatasetKind,
    pub dir: PathBuf,
    pub download: DownloadConfig,
}

/// Images `start..end` (end excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRange {
    pub start: usize,
    pub end: usize,
}

/// A data set and its folder, for the commands that only look at data.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub dataset: DatasetKind,
    pub dir: PathBuf,
}

/// `tflayers data info`.
#[derive(Debug, Clone)]
pub struct DataInfoOptions {
    pub data: DataDir,
    pub validation_size: usize,
}

/// `tflayers data show`.
#[derive(Debug, Clone)]
pub struct DataShowOptions {
    pub data: DataDir,
    pub split: SplitName,
    pub index: IndexRange,
    pub out: PathBuf,
    pub columns: usize,
    pub scale: usize,
    pub validation_size: usize,
}

/// `tflayers data bench`.
#[derive(Debug, Clone)]
pub struct DataBenchOptions {
    pub data_dir: PathBuf,
    pub repeat: usize,
    pub validation_size: usize,
    pub python: Option<PathBuf>,
}

/// `tflayers data ...`.
#[derive(Debug, Clone)]
pub enum DataOptions {
    Info(DataInfoOptions),
    Show(DataShowOptions),
    Bench(DataBenchOptions),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_process_gets_every_loop_setting_and_the_given_seed() {
        let text = |flags: Vec<OsString>| {
            flags
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let plain = RunConfig {
            learning_rate: 0.001,
            seed: 3,
            data_dir: "d".into(),
            ..RunConfig::default()
        };
        assert_eq!(
            text(plain.child_flags(7, Path::new("m"))),
            "--batch-size 100 --seed 7 --learning-rate 0.001 --log-every 100 --data-dir d \
             --validation-size 5000 --models-dir m"
        );
        let all = RunConfig {
            eval_batch_size: Some(1000),
            intra_op_threads: Some(2),
            inter_op_threads: Some(1),
            ..plain
        };
        assert!(text(all.child_flags(0, Path::new("m"))).ends_with(
            "--models-dir m --eval-batch-size 1000 --intra-op-threads 2 --inter-op-threads 1"
        ));
    }
}
