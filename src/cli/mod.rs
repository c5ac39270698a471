//! Command-line interface: the only module that imports clap.
//!
//! Flags are parsed and validated here (zero steps, a zero batch, a non-positive learning rate
//! or an unknown model are rejected before TensorFlow starts) and turned into the plain
//! settings structs the rest of the program uses.

// The `///` comments below are clap's help text, where `<model>` means a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::mnist::catalog::{DatasetKind, MIRRORS_ENV};
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::mnist::download::{
    DownloadConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_RETRIES,
};
use crate::tf::model::SessionConfig;
use crate::tf::remote::{Remote, Target};
use crate::train::TrainConfig;

/// Where the data comes from unless `--data-dir` or `TFLAYERS_DATA_DIR` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";
/// The default data folder with `--dataset fashion-mnist`.
pub const DEFAULT_FASHION_DATA_DIR: &str = "data/fashion-mnist";

/// Reproduces "Building deep learning neural networks using TensorFlow layers" from Rust.
#[derive(Debug, Parser)]
#[command(name = "tflayers", about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train one of the article's models and print the article's lines.
    Train(TrainArgs),
    /// Train the article's five models in order and print a summary table.
    Reproduce(ReproduceArgs),
    /// Run a model from Rust and with the article's Python loop (python/train.py) on the same
    /// SavedModel, and check that both compute the same values.
    Compare(CompareArgs),
    /// Measure a trained model (`train --save`) on MNIST: accuracy, per-class precision and
    /// recall, confusion matrix.
    Evaluate(EvaluateArgs),
    /// Classify images of handwritten digits (PNG or JPEG) with a trained model.
    Predict(PredictArgs),
    /// Plot training curves (accuracy and loss against step) from metrics files.
    Plot(PlotArgs),
    /// Download a data set's four files from public mirrors and verify their checksums.
    Download(DownloadArgs),
    /// Look at the data: counts and checksums, a picture of the digits, the loading speed.
    #[command(subcommand)]
    Data(DataCommand),
    /// Show the TensorFlow build and the devices a session sees (locally or on --target).
    Devices(DevicesArgs),
    /// Time Rust against the article's Python loop on the same SavedModels and batches, taking
    /// turns, and print medians and ratios (training step, evaluation, start-up, memory);
    /// --steps is the number of steps per round.
    Bench(BenchArgs),
}

/// The article's five models, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelName {
    /// One dense output layer.
    Dense,
    /// A hidden dense layer of 1024 ReLU units.
    Hidden,
    /// One 5x5x32 convolution with max pooling.
    Conv1,
    /// Two convolution and pooling blocks (32, 64 filters).
    Conv2,
    /// Two blocks plus dropout 0.5 on the hidden layer.
    Dropout,
}

impl ModelName {
    /// The name used by the manifest and the `models/` folders.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelName::Dense => "dense",
            ModelName::Hidden => "hidden",
            ModelName::Conv1 => "conv1",
            ModelName::Conv2 => "conv2",
            ModelName::Dropout => "dropout",
        }
    }
}

/// Where the data and the exported models are.
#[derive(Debug, Clone, Args)]
pub struct PathArgs {
    /// Folder holding the four MNIST .gz files [default with --dataset fashion-mnist:
    /// data/fashion-mnist].
    #[arg(
        long,
        env = "TFLAYERS_DATA_DIR",
        default_value = DEFAULT_DATA_DIR,
        default_value_if("dataset", "fashion-mnist", DEFAULT_FASHION_DATA_DIR)
    )]
    pub data_dir: PathBuf,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE as u64)]
    pub validation_size: u64,

    /// Folder holding manifest.json and the exported SavedModels [default: ./models, else
    /// the project's models folder].
    #[arg(long, env = "TFLAYERS_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,

    /// Which data set to train on; missing files are downloaded unless --offline.
    #[arg(long, value_enum, default_value_t = DatasetName::Mnist)]
    pub dataset: DatasetName,

    /// Never download: fail, saying what to do, when data files are missing.
    #[arg(long, env = "TFLAYERS_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

/// The data sets `--dataset` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DatasetName {
    /// Handwritten digits (the article's data), in data/mnist by default.
    #[default]
    Mnist,
    /// Zalando's clothing images, same format, in data/fashion-mnist by default.
    FashionMnist,
}

impl DatasetName {
    /// The data set this name stands for.
    pub fn kind(self) -> DatasetKind {
        match self {
            DatasetName::Mnist => DatasetKind::Mnist,
            DatasetName::FashionMnist => DatasetKind::FashionMnist,
        }
    }
}

/// How files are downloaded (by `download`, and by `train`/`reproduce` when files are
/// missing).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Download")]
pub struct NetArgs {
    /// Mirror base URL replacing the built-in list; repeat the flag (or separate URLs with
    /// commas) for several, tried in order.
    #[arg(
        long = "mirror",
        value_name = "URL",
        env = MIRRORS_ENV,
        value_delimiter = ',',
        value_parser = mirror_url
    )]
    pub mirrors: Vec<String>,

    /// Seconds to wait for a connection to a mirror.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs_f64(), value_parser = positive_seconds)]
    pub connect_timeout: f64,

    /// Seconds of silence tolerated while waiting for a mirror's response or its next bytes.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_READ_TIMEOUT.as_secs_f64(), value_parser = positive_seconds)]
    pub read_timeout: f64,

    /// Extra rounds over all mirrors after every mirror failed (with a growing pause).
    #[arg(long, default_value_t = DEFAULT_RETRIES, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
}

impl NetArgs {
    /// The download settings for `kind`: its built-in mirrors unless `--mirror` was given.
    pub fn download_config(&self, kind: DatasetKind) -> DownloadConfig {
        let mut config = DownloadConfig::for_dataset(kind);
        if !self.mirrors.is_empty() {
            config.mirrors = self.mirrors.clone();
        }
        config.connect_timeout = std::time::Duration::from_secs_f64(self.connect_timeout);
        config.read_timeout = std::time::Duration::from_secs_f64(self.read_timeout);
        config.retries = self.retries;
        config
    }
}

/// Which data set and where it is, for the commands that only look at data.
#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// Which data set.
    #[arg(long, value_enum, default_value_t = DatasetName::Mnist)]
    pub dataset: DatasetName,

    /// Folder holding the four .gz files [default with --dataset fashion-mnist:
    /// data/fashion-mnist].
    #[arg(
        long,
        env = "TFLAYERS_DATA_DIR",
        default_value = DEFAULT_DATA_DIR,
        default_value_if("dataset", "fashion-mnist", DEFAULT_FASHION_DATA_DIR)
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DataCommand {
    /// Per split: count, shape, label histogram; per file: checksum status.
    Info(DataInfoArgs),
    /// Draw some images with their labels into a PNG grid.
    Show(DataShowArgs),
    /// Time loading the data in Rust and in Python (NumPy), alternately, and compare.
    Bench(DataBenchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DataInfoArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE as u64)]
    pub validation_size: u64,
}

/// A split of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitName {
    /// The training images after the validation ones.
    Train,
    /// The first --validation-size training images.
    Validation,
    /// The test images.
    Test,
}

#[derive(Debug, Clone, Args)]
pub struct DataShowArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Which split to draw from.
    #[arg(long, value_enum, default_value_t = SplitName::Test)]
    pub split: SplitName,

    /// Which images: `START..END` (END excluded), `START..=END`, or one index.
    #[arg(long, default_value = "0..32", value_parser = index_range)]
    pub index: IndexRange,

    /// The PNG file to write.
    #[arg(long, default_value = "digits.png")]
    pub out: PathBuf,

    /// Images per row.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub columns: u32,

    /// Pixels per image pixel.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    pub scale: u32,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE as u64)]
    pub validation_size: u64,
}

/// Images `start..end` (end excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRange {
    pub start: usize,
    pub end: usize,
}

/// Most images `data show` draws at once.
pub const MAX_SHOW_IMAGES: usize = 1024;

#[derive(Debug, Clone, Args)]
pub struct DataBenchArgs {
    /// Folder holding the four .gz files.
    #[arg(long, env = "TFLAYERS_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Timed loads on each side (after one untimed warm-up each).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub repeat: u64,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE as u64)]
    pub validation_size: u64,

    /// Python with NumPy that runs python/bench_load.py [default: the project's
    /// .venv/bin/python].
    #[arg(long, env = "TFLAYERS_PYTHON")]
    pub python: Option<PathBuf>,
}

/// Settings shared by every command that trains.
#[derive(Debug, Clone, Args)]
pub struct LoopArgs {
    /// Training steps.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: u64,

    /// Images per training batch.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub batch_size: u64,

    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-4, value_parser = positive_f32, allow_negative_numbers = true)]
    pub learning_rate: f32,

    /// Seed of NumPy's RandomState that orders the batches (the graph's own seed is fixed
    /// when the models are exported).
    #[arg(long, default_value_t = 0)]
    pub seed: u32,

    /// Print the batch accuracy every this many steps.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub log_every: u64,

    /// Evaluate the test set in chunks of this many images (less memory) instead of in one
    /// run as the article does.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_batch_size: Option<u64>,

    /// TensorFlow threads inside one op [default: TensorFlow's choice].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub intra_op_threads: Option<u32>,

    /// TensorFlow ops run in parallel [default: TensorFlow's choice].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub inter_op_threads: Option<u32>,

    #[command(flatten)]
    pub paths: PathArgs,

    /// Print the device TensorFlow places each op on (to stderr; with --target the server
    /// prints it).
    #[arg(long)]
    pub log_device_placement: bool,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

impl LoopArgs {
    pub fn train_config(&self) -> TrainConfig {
        TrainConfig {
            steps: self.steps,
            batch_size: self.batch_size as usize,
            seed: self.seed,
            log_every: self.log_every,
            eval_batch_size: self.eval_batch_size.map(|n| n as usize),
        }
    }

    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            intra_op_threads: self.intra_op_threads,
            inter_op_threads: self.inter_op_threads,
            log_device_placement: self.log_device_placement,
            remote: self.remote.remote(),
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
            self.paths.data_dir.clone().into(),
            "--validation-size".into(),
            self.paths.validation_size.to_string().into(),
            "--models-dir".into(),
            models_dir.into(),
        ];
        let optional = [
            ("--eval-batch-size", self.eval_batch_size),
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

/// Where the graph runs: in this process, or on a remote TensorFlow server. Every command that
/// builds a session flattens this, so all of them take `--target`.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// Run the graph on a remote TensorFlow server, grpc://HOST:PORT (start one with
    /// `python/serve.py --port PORT`) [default: in this process].
    #[arg(long, value_parser = parse_target)]
    pub target: Option<Target>,

    /// With --target: seconds to wait for a TCP connection to the server before giving up.
    #[arg(long, default_value_t = 10, requires = "target",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout_secs: u64,

    /// With --target: seconds one TensorFlow run (a step, an evaluation) may take on the
    /// server; bounds the wait when the server dies mid-run.
    #[arg(long, default_value_t = 30, requires = "target",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub operation_timeout_secs: u64,
}

impl RemoteArgs {
    /// The remote settings, or `None` for an in-process session.
    pub fn remote(&self) -> Option<Remote> {
        self.target.clone().map(|target| Remote {
            target,
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
            operation_timeout: Duration::from_secs(self.operation_timeout_secs),
        })
    }

    /// A session config with TensorFlow's thread defaults, on the chosen server.
    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            remote: self.remote(),
            ..SessionConfig::default()
        }
    }
}

fn parse_target(text: &str) -> Result<Target, String> {
    text.parse()
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Which of the article's models to train.
    #[arg(long, value_enum)]
    pub model: ModelName,

    #[command(flatten)]
    pub common: LoopArgs,

    #[command(flatten)]
    pub persist: PersistArgs,
    /// Write the run's settings, logged steps and final figures to FILE: JSON Lines if it
    /// ends in .jsonl, CSV if .csv (repeat the flag for both). The file is FILE.partial until
    /// the run completes.
    #[arg(long, value_name = "FILE", value_parser = metrics_path)]
    pub metrics: Vec<PathBuf>,

    #[command(flatten)]
    pub outputs: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub common: LoopArgs,

    /// Write a report into DIR: summary.md and summary.json, each model's metrics and
    /// training curves, and a figure of the test accuracies beside the article's.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub outputs: OutputArgs,
}

/// Outputs around a training run; none of them changes stdout.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write TensorBoard event files (train batch accuracy and loss at each logged step, test
    /// accuracy and loss at the end) into DIR/<model>/.
    #[arg(long, value_name = "DIR")]
    pub tensorboard: Option<PathBuf>,

    /// No progress bar and no notes about written files on stderr (the bar is only drawn
    /// when stderr is a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// Metrics files (.jsonl or .csv) from `--metrics` or `python/train.py --metrics`; a run
    /// still training (FILE.partial) is plotted up to its last logged step.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,

    /// The figure to write: PNG if it ends in .png, SVG if .svg.
    #[arg(long, value_name = "FILE", value_parser = figure_path)]
    pub out: PathBuf,

    /// Figure width in pixels.
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u32).range(300..=10_000))]
    pub width: u32,

    /// Figure height in pixels.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(200..=10_000))]
    pub height: u32,

    /// Figure title [default: names the model, or says the figure compares models].
    #[arg(long)]
    pub title: Option<String>,
}

fn metrics_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::metrics::Format::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}

fn figure_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::figures::curves::ImageKind::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Which of the article's models to compare.
    #[arg(
        long,
        value_enum,
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub model: Option<ModelName>,

    /// Compare the five models in the article's order.
    #[arg(long)]
    pub all: bool,

    /// Largest accepted difference between a Rust and a Python value; 0 demands equal
    /// float32 values and identical printed lines.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_f64, allow_negative_numbers = true)]
    pub tolerance: f64,

    /// Write compare.md, compare.json and a compare-<model>.png plot into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,

    /// The Python interpreter that runs python/train.py [default: the project's
    /// .venv/bin/python].
    #[arg(long, env = "TFLAYERS_PYTHON")]
    pub python: Option<PathBuf>,

    /// Testing aid: a different batch-order seed for the Python side only, to watch compare
    /// catch a divergence.
    #[arg(long, hide = true)]
    pub python_seed: Option<u32>,

    #[command(flatten)]
    pub common: LoopArgs,
}

/// `tflayers bench`: what to time and how often.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The models to time: `all`, or names separated by commas (dense,hidden,conv1,conv2,
    /// dropout).
    #[arg(long, default_value = "all", value_parser = model_list)]
    pub models: ModelList,

    /// Timed rounds; in each, Rust then Python runs --steps training steps and evaluates the
    /// test set, so that both see the same machine conditions.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub repeat: u64,

    /// Untimed training steps each side runs before the first round.
    #[arg(long, default_value_t = 10)]
    pub warmup: u64,

    /// Also time where one step's time goes (taking the batch, the session call, feeding, the
    /// graph, a logged step's fetch), each part over --steps calls.
    #[arg(long, conflicts_with = "reproduce")]
    pub breakdown: bool,

    /// Skip the whole-process measurements (start-up to the first step and peak memory of
    /// `tflayers train --steps 1` and `python/train.py --steps 1`).
    #[arg(long, conflicts_with = "reproduce")]
    pub no_processes: bool,

    /// Instead of the per-model tables, time `tflayers reproduce --steps N` against
    /// `python/train.py --steps N` run once per model, as whole processes, taking turns.
    #[arg(long, conflicts_with = "models")]
    pub reproduce: bool,

    /// Also write every measurement, with the machine and the settings, as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// The Python interpreter of the Python side [default: the project's .venv/bin/python].
    #[arg(long, env = "TFLAYERS_PYTHON")]
    pub python: Option<PathBuf>,

    #[command(flatten)]
    pub common: LoopArgs,
}

/// Models named on the command line, in the order given, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelList(pub Vec<ModelName>);

fn model_list(text: &str) -> Result<ModelList, String> {
    if text == "all" {
        return Ok(ModelList(ModelName::value_variants().to_vec()));
    }
    let mut models = Vec::new();
    for name in text.split(',').map(str::trim) {
        let model = ModelName::from_str(name, false).map_err(|_| {
            format!("unknown model {name:?}: use all, or some of dense,hidden,conv1,conv2,dropout")
        })?;
        if !models.contains(&model) {
            models.push(model);
        }
    }
    Ok(ModelList(models))
}

fn non_negative_f64(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("must be a non-negative finite number, got {text}"))
    }
}

/// Checkpoints, resuming and keeping the trained model (`train` only).
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("checkpoint_target").args(["checkpoint_dir", "resume"])))]
pub struct PersistArgs {
    /// Write checkpoints (all variables, the step, the batch order) into DIR: every
    /// --checkpoint-every steps, on Ctrl-C and when the run ends. DIR must not hold another
    /// run's checkpoints.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,

    /// Also checkpoint every N steps (needs --checkpoint-dir or --resume).
    #[arg(long, value_name = "N", requires = "checkpoint_target",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,

    /// Continue the run checkpointed in DIR (its latest checkpoint, or DIR/ckpt-N itself) up
    /// to --steps, checkpointing into DIR. Pass the first run's --model, --batch-size,
    /// --learning-rate, --seed and data.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,

    /// When the run completes, write the trained model into DIR as a SavedModel (for
    /// `evaluate`, `predict` and Python's loader). DIR must be new or empty.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Let --save replace an existing model folder (only once the run has succeeded).
    #[arg(long, requires = "save")]
    pub overwrite: bool,
}

/// Which MNIST split `evaluate` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// The 10,000 test images.
    Test,
    /// The first --validation-size training images.
    Validation,
}

#[derive(Debug, Clone, Args)]
pub struct EvaluateArgs {
    /// A trained model folder written by `tflayers train --save`.
    #[arg(long, value_name = "DIR")]
    pub model_dir: PathBuf,

    /// The split to evaluate.
    #[arg(long, value_enum, default_value_t = Split::Test)]
    pub split: Split,

    /// Also draw the confusion matrix as a PNG heat map into FILE.
    #[arg(long, value_name = "FILE")]
    pub confusion_png: Option<PathBuf>,

    /// Also write one CSV line per image into FILE: index, label, predicted digit, its
    /// probability.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,

    /// Images per TensorFlow run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_batch_size: u64,

    #[command(flatten)]
    pub paths: PathArgs,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A trained model folder written by `tflayers train --save`.
    #[arg(long, value_name = "DIR")]
    pub model_dir: PathBuf,

    /// PNG or JPEG images, one digit each, any size; dark on light or light on dark.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<PathBuf>,

    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also write each image as the network sees it (28x28 PNG) into DIR.
    #[arg(long, value_name = "DIR")]
    pub save_inputs: Option<PathBuf>,

    /// Folder holding manifest.json [default: ./models, else the project's models folder].
    #[arg(long, env = "TFLAYERS_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
}

fn positive_f32(text: &str) -> Result<f32, String> {
    let value: f32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!("must be a positive finite number, got {text}"))
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if value.is_finite() && value > 0.0 && value <= 3600.0 {
        Ok(value)
    } else {
        Err(format!("must be between 0 and 3600 seconds, got {text}"))
    }
}

fn mirror_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.starts_with("https://") || text.starts_with("http://") {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not an http:// or https:// URL (a mirror is the base URL the file \
             names are appended to)"
        ))
    }
}

fn index_range(text: &str) -> Result<IndexRange, String> {
    let number = |part: &str| -> Result<usize, String> {
        part.trim()
            .parse()
            .map_err(|_| format!("{part:?} is not an image index (a whole number from 0)"))
    };
    let (start, end) = if let Some((start, end)) = text.split_once("..=") {
        let end = number(end)?;
        (number(start)?, end.checked_add(1).ok_or("index too large")?)
    } else if let Some((start, end)) = text.split_once("..") {
        (number(start)?, number(end)?)
    } else {
        let index = number(text)?;
        (index, index.checked_add(1).ok_or("index too large")?)
    };
    if start >= end {
        return Err(format!(
            "{text:?} selects no images: START must be below END"
        ));
    }
    if end - start > MAX_SHOW_IMAGES {
        return Err(format!(
            "{text:?} selects {} images; at most {MAX_SHOW_IMAGES} fit in one picture",
            end - start
        ));
    }
    Ok(IndexRange { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_are_the_articles() {
        let cli = Cli::try_parse_from(["tflayers", "train", "--model", "conv2"]).unwrap();
        let Command::Train(args) = cli.command else {
            panic!("expected train")
        };
        assert_eq!(args.model, ModelName::Conv2);
        let config = args.common.train_config();
        assert_eq!(config.steps, 1000);
        assert_eq!(config.batch_size, 100);
        assert_eq!(config.log_every, 100);
        assert_eq!(args.common.learning_rate, 1e-4);
    }

    #[test]
    fn a_child_process_gets_every_loop_setting_and_the_given_seed() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["tflayers", "train", "--model", "dense", "--data-dir", "d"];
            argv.extend(extra);
            let Command::Train(args) = Cli::try_parse_from(argv).unwrap().command else {
                panic!("expected train")
            };
            args.common
        };
        let text = |flags: Vec<OsString>| {
            flags
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let plain = parse(&["--learning-rate", "0.001", "--seed", "3"]);
        assert_eq!(
            text(plain.child_flags(7, Path::new("m"))),
            "--batch-size 100 --seed 7 --learning-rate 0.001 --log-every 100 --data-dir d \
             --validation-size 5000 --models-dir m"
        );
        let all = parse(&[
            "--eval-batch-size",
            "1000",
            "--intra-op-threads",
            "2",
            "--inter-op-threads",
            "1",
        ]);
        assert!(text(all.child_flags(0, Path::new("m"))).ends_with(
            "--models-dir m --eval-batch-size 1000 --intra-op-threads 2 --inter-op-threads 1"
        ));
    }

    #[test]
    fn target_timeouts_and_placement_logging_reach_the_session_config() {
        let cli = Cli::try_parse_from([
            "tflayers",
            "train",
            "--model",
            "dense",
            "--target",
            "grpc://127.0.0.1:2222",
            "--operation-timeout-secs",
            "5",
            "--log-device-placement",
        ])
        .unwrap();
        let Command::Train(args) = cli.command else {
            panic!("expected train")
        };
        let config = args.common.session_config();
        assert!(config.log_device_placement);
        let remote = config.remote.unwrap();
        assert_eq!(remote.target.to_string(), "grpc://127.0.0.1:2222");
        assert_eq!(remote.operation_timeout, Duration::from_secs(5));
        assert_eq!(remote.connect_timeout, Duration::from_secs(10));

        let cli = Cli::try_parse_from(["tflayers", "reproduce"]).unwrap();
        let Command::Reproduce(args) = cli.command else {
            panic!("expected reproduce")
        };
        let config = args.common.session_config();
        assert!(config.remote.is_none() && !config.log_device_placement);
    }

    #[test]
    fn invalid_values_name_the_flag() {
        for (flag, value) in [
            ("--steps", "0"),
            ("--batch-size", "0"),
            ("--learning-rate", "-0.1"),
            ("--learning-rate", "nan"),
            ("--log-every", "0"),
            ("--model", "lenet"),
            ("--metrics", "run.json"),
        ] {
            let mut argv = vec!["tflayers", "train"];
            if flag != "--model" {
                argv.extend(["--model", "dense"]);
            }
            argv.extend([flag, value]);
            let err = Cli::try_parse_from(&argv).unwrap_err().to_string();
            assert!(err.contains(flag), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn plot_checks_the_figure_format_and_size() {
        for (args, flag) in [
            (vec!["a.jsonl", "--out", "a.jpg"], "--out"),
            (
                vec!["a.jsonl", "--out", "a.png", "--width", "10"],
                "--width",
            ),
            (vec!["--out", "a.png"], "<RUN>"),
        ] {
            let mut argv = vec!["tflayers", "plot"];
            argv.extend(args);
            let err = Cli::try_parse_from(&argv).unwrap_err().to_string();
            assert!(err.contains(flag), "{argv:?}: {err}");
        }
        let cli = Cli::try_parse_from(["tflayers", "plot", "a.csv", "b.jsonl", "--out", "x.svg"])
            .unwrap();
        let Command::Plot(args) = cli.command else {
            panic!("expected plot")
        };
        assert_eq!(args.runs.len(), 2);
        assert_eq!((args.width, args.height), (1200, 500));
    }
}
