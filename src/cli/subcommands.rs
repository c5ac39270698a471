//! The flags of each subcommand; `///` comments are the help text, where `<model>` means a
//! placeholder, not HTML.

#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::args::{
    heading, ConnectArgs, DataDirArgs, LoopArgs, NetArgs, OutputArgs, PathArgs, PersistArgs,
    RemoteArgs, SplitDataArgs,
};
use super::parsers::{
    figure_path, index_range, metrics_path, model_list, non_negative_f64, ModelList,
};
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::options::{IndexRange, SplitName};

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Which model to train (a name in models/manifest.json: the article's, or one of your own)
    #[arg(long, help_heading = heading::TRAINING)]
    pub model: String,

    #[command(flatten)]
    pub common: LoopArgs,

    #[command(flatten)]
    pub persist: PersistArgs,

    /// Write the run's settings, logged steps and final figures to FILE (.jsonl or .csv)
    ///
    /// JSON Lines if FILE ends in .jsonl, CSV if .csv; repeat the flag for both. The file is
    /// FILE.partial until the run completes.
    #[arg(long, value_name = "FILE", value_parser = metrics_path, help_heading = heading::OUTPUTS)]
    pub metrics: Vec<PathBuf>,

    #[command(flatten)]
    pub outputs: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub common: LoopArgs,

    /// The models to train: `all` (the article's five), or names separated by commas
    ///
    /// Any model of models/manifest.json, the article's or one of your own
    /// (`python/export.py --add`), trained in the order given.
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = model_list,
          help_heading = heading::TRAINING)]
    pub models: ModelList,

    /// Write a report into DIR
    ///
    /// summary.md and summary.json, each model's metrics and training curves, and a figure
    /// of the test accuracies beside the article's.
    #[arg(long, value_name = "DIR", help_heading = heading::OUTPUTS)]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub outputs: OutputArgs,
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

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Which model to compare (a name in models/manifest.json: the article's, or your own)
    #[arg(long, required_unless_present = "all", conflicts_with = "all",
          help_heading = heading::COMPARISON)]
    pub model: Option<String>,

    /// Compare the five models in the article's order
    #[arg(long, help_heading = heading::COMPARISON)]
    pub all: bool,

    /// Largest accepted difference between a Rust and a Python value
    ///
    /// 0 demands equal float32 values and identical printed lines.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_f64,
          allow_negative_numbers = true, help_heading = heading::COMPARISON)]
    pub tolerance: f64,

    /// Write compare.md, compare.json and a compare-<model>.png plot into DIR
    #[arg(long, value_name = "DIR", help_heading = heading::OUTPUTS)]
    pub report: Option<PathBuf>,

    /// The Python that runs python/train.py [default: the project's .venv/bin/python]
    #[arg(long, value_name = "FILE", env = "TFLAYERS_PYTHON", help_heading = heading::COMPARISON)]
    pub python: Option<PathBuf>,

    /// Testing aid: a different batch-order seed for the Python side only, to watch compare
    /// catch a divergence.
    #[arg(long, hide = true, help_heading = heading::COMPARISON)]
    pub python_seed: Option<u32>,

    #[command(flatten)]
    pub common: LoopArgs,
}

/// `tflayers bench`: what to time and how often.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::BENCH)]
pub struct BenchArgs {
    /// The models to time: `all` (the article's five), or names separated by commas
    ///
    /// Names as in models/manifest.json: dense, hidden, conv1, conv2, dropout, and models of
    /// your own.
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = model_list)]
    pub models: ModelList,

    /// Timed rounds
    ///
    /// In each round Rust, then Python, runs --steps training steps and evaluates the test
    /// set, so that both see the same machine conditions.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub repeat: u64,

    /// Untimed training steps each side runs before the first round
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub warmup: u64,

    /// Also time where one step's time goes
    ///
    /// Taking the batch, the session call, feeding, the graph, a logged step's fetch; each
    /// part over --steps calls.
    #[arg(long, conflicts_with = "reproduce")]
    pub breakdown: bool,

    /// Skip the whole-process measurements
    ///
    /// Start-up to the first step and peak memory of `tflayers train --steps 1` and
    /// `python/train.py --steps 1`.
    #[arg(long, conflicts_with = "reproduce")]
    pub no_processes: bool,

    /// Time whole `reproduce` runs instead of the per-model tables
    ///
    /// `tflayers reproduce --steps N` against `python/train.py --steps N` run once per
    /// model, as whole processes, taking turns.
    #[arg(long, conflicts_with = "models")]
    pub reproduce: bool,

    /// Time each model with oneDNN off and on instead of Rust against Python
    ///
    /// `tflayers train --steps N` for each model with TensorFlow's oneDNN off and on
    /// (TF_ENABLE_ONEDNN_OPTS=0/1), whole processes taking turns; prints the entry for the
    /// manifest's `onednn` table (40 to 100 steps are enough).
    #[arg(long, conflicts_with_all = ["reproduce", "breakdown"])]
    pub onednn: bool,

    /// Also write every measurement, with the machine and the settings, as JSON to FILE
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUTS)]
    pub json: Option<PathBuf>,

    /// The Python of the Python side [default: the project's .venv/bin/python]
    #[arg(long, value_name = "FILE", env = "TFLAYERS_PYTHON")]
    pub python: Option<PathBuf>,

    #[command(flatten)]
    pub common: LoopArgs,
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
#[command(next_help_heading = heading::EVALUATION)]
pub struct EvaluateArgs {
    /// A trained model folder written by `tflayers train --save`
    #[arg(long, value_name = "DIR")]
    pub model_dir: PathBuf,

    /// The split to evaluate
    #[arg(long, value_enum, default_value_t = Split::Test)]
    pub split: Split,

    /// Also draw the confusion matrix as a PNG heat map into FILE
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUTS)]
    pub confusion_png: Option<PathBuf>,

    /// Also write one CSV line per image into FILE
    ///
    /// Each line holds the image's index, its label, the predicted digit and its
    /// probability.
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUTS)]
    pub predictions: Option<PathBuf>,

    /// Images per TensorFlow run
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = heading::PERFORMANCE)]
    pub eval_batch_size: u64,

    #[command(flatten)]
    pub paths: PathArgs,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A trained model folder written by `tflayers train --save`
    #[arg(long, value_name = "DIR")]
    pub model_dir: PathBuf,

    /// PNG or JPEG images, one digit each, any size; dark on light or light on dark
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<PathBuf>,

    /// Print one JSON document instead of text
    #[arg(long, help_heading = heading::OUTPUTS)]
    pub json: bool,

    /// Also write each image as the network sees it (28x28 PNG) into DIR
    #[arg(long, value_name = "DIR", help_heading = heading::OUTPUTS)]
    pub save_inputs: Option<PathBuf>,

    /// Folder holding manifest.json [default: ./models, else the project's models folder]
    #[arg(long, value_name = "DIR", env = super::MODELS_DIR_ENV, help_heading = heading::DATA)]
    pub models_dir: Option<PathBuf>,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DevicesArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    #[command(flatten)]
    pub net: NetArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
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
    pub data: SplitDataArgs,
}

/// A split of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// The training images after the validation ones.
    Train,
    /// The first --validation-size training images.
    Validation,
    /// The test images.
    Test,
}

impl SplitArg {
    pub fn split(self) -> SplitName {
        match self {
            SplitArg::Train => SplitName::Train,
            SplitArg::Validation => SplitName::Validation,
            SplitArg::Test => SplitName::Test,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DataShowArgs {
    #[command(flatten)]
    pub data: SplitDataArgs,

    /// Which split to draw from.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,

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
}

#[derive(Debug, Clone, Args)]
pub struct DataBenchArgs {
    /// Folder holding the four .gz files
    #[arg(long, value_name = "DIR", env = "TFLAYERS_DATA_DIR",
          default_value = crate::config::DEFAULT_DATA_DIR, help_heading = heading::DATA)]
    pub data_dir: PathBuf,

    /// Timed loads on each side (after one untimed warm-up each).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub repeat: u64,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`
    #[arg(long, value_name = "N", default_value_t = VALIDATION_SIZE, help_heading = heading::DATA)]
    pub validation_size: usize,

    /// Python with NumPy that runs python/bench_load.py [default: the project's
    /// .venv/bin/python].
    #[arg(long, env = "TFLAYERS_PYTHON")]
    pub python: Option<PathBuf>,
}
