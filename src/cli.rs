//! Command-line interface: the only module that imports clap.
//!
//! Flags are parsed and validated here (zero steps, a zero batch, a non-positive learning rate
//! or an unknown model are rejected before TensorFlow starts) and turned into the plain
//! settings structs the rest of the program uses.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::graph::SessionConfig;
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::train::TrainConfig;

/// Where the data comes from unless `--data-dir` or `TFLAYERS_DATA_DIR` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";

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
    /// Plot training curves (accuracy and loss against step) from metrics files.
    Plot(PlotArgs),
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
    /// Folder holding the four MNIST .gz files.
    #[arg(long, env = "TFLAYERS_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE as u64)]
    pub validation_size: u64,

    /// Folder holding manifest.json and the exported SavedModels [default: ./models, else
    /// the project's models folder].
    #[arg(long, env = "TFLAYERS_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
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
            log_device_placement: false,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Which of the article's models to train.
    #[arg(long, value_enum)]
    pub model: ModelName,

    #[command(flatten)]
    pub common: LoopArgs,

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
    crate::report::metrics::Format::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
}

fn figure_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    crate::report::plot::ImageKind::from_path(&path)
        .map(|_| path)
        .map_err(|e| e.to_string())
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
