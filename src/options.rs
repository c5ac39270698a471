//! The plain options each subcommand receives, built by `cli` from the flags: the run
//! ([`RunConfig`]) with where its data, models and session come from, and each command's own
//! switches. Nothing here knows about clap.

use std::path::PathBuf;

use crate::config::RunConfig;
use crate::mnist::catalog::DatasetKind;
use crate::mnist::download::DownloadConfig;
use crate::mnist::load::DataSource;
use crate::tf::model::SessionConfig;
use crate::tf::remote::Remote;

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
    /// The models to train, in order (checked against the manifest).
    pub models: Vec<String>,
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
    /// Time each model with oneDNN off and on instead.
    pub onednn: bool,
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
