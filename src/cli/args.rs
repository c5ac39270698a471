//! Argument groups that several subcommands flatten: data and models folders, downloading,
//! the training loop, the remote server, outputs and checkpoints; each turns into its
//! `config` or `options` type.

// The `///` comments below are clap's help text, where `<model>` means a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};

use super::parsers::{mirror_url, parse_target, positive_f32, positive_seconds};
use crate::config::{
    RunConfig, DEFAULT_BATCH_SIZE, DEFAULT_DATA_DIR, DEFAULT_FASHION_DATA_DIR,
    DEFAULT_LEARNING_RATE, DEFAULT_LOG_EVERY, DEFAULT_STEPS,
};
use crate::manifest::resolve_models_dir;
use crate::mnist::catalog::{DatasetKind, MIRRORS_ENV};
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::mnist::download::{
    DownloadConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_RETRIES,
};
use crate::mnist::load::DataSource;
use crate::options::{DataDir, OutputOptions, PersistOptions};
use crate::tf::remote::{Remote, Target};

/// Where the data and the exported models are.
#[derive(Debug, Clone, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub data: SplitDataArgs,

    /// Folder holding manifest.json and the exported SavedModels [default: ./models, else
    /// the project's models folder].
    #[arg(long, env = super::MODELS_DIR_ENV)]
    pub models_dir: Option<PathBuf>,

    /// Never download: fail, saying what to do, when data files are missing.
    #[arg(long, env = "TFLAYERS_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,

    /// Train on data files whose SHA-256 differs from the published one (IDX files of your
    /// own); without it such files are refused. Said on stderr and recorded in the metrics
    /// header.
    #[arg(long)]
    pub allow_unpublished_data: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

impl PathArgs {
    /// Where the data comes from.
    pub fn data_source(&self) -> DataSource {
        let dataset = self.data.data.dataset.kind();
        DataSource {
            dataset,
            dir: self.data.data.data_dir.clone(),
            validation_size: self.data.validation_size,
            offline: self.offline,
            download: self.net.download_config(dataset),
            allow_unpublished: self.allow_unpublished_data,
        }
    }

    /// `--models-dir`, else `./models` when it has a manifest, else the project's `models/`.
    pub fn models_dir(&self) -> PathBuf {
        resolve_models_dir(self.models_dir.as_deref())
    }
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
        config.connect_timeout = Duration::from_secs_f64(self.connect_timeout);
        config.read_timeout = Duration::from_secs_f64(self.read_timeout);
        config.retries = self.retries;
        config
    }
}

/// Which data set and where it is.
#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// Which data set.
    #[arg(long, value_enum, default_value_t = DatasetName::Mnist)]
    pub dataset: DatasetName,

    /// Folder holding the data set's four .gz files [default with --dataset fashion-mnist:
    /// data/fashion-mnist].
    #[arg(
        long,
        env = "TFLAYERS_DATA_DIR",
        default_value = DEFAULT_DATA_DIR,
        default_value_if("dataset", "fashion-mnist", DEFAULT_FASHION_DATA_DIR)
    )]
    pub data_dir: PathBuf,
}

/// A data set, its folder and the training images held out for validation.
#[derive(Debug, Clone, Args)]
pub struct SplitDataArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Training images held out for validation, as `read_data_sets(validation_size=...)`.
    #[arg(long, default_value_t = VALIDATION_SIZE)]
    pub validation_size: usize,
}

impl DataDirArgs {
    pub fn data_dir(&self) -> DataDir {
        DataDir {
            dataset: self.dataset.kind(),
            dir: self.data_dir.clone(),
        }
    }
}

/// Settings shared by every command that trains.
#[derive(Debug, Clone, Args)]
pub struct LoopArgs {
    /// Training steps.
    #[arg(long, default_value_t = DEFAULT_STEPS, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: u64,

    /// Images per training batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub batch_size: u64,

    /// Adam's learning rate.
    #[arg(long, default_value_t = DEFAULT_LEARNING_RATE, value_parser = positive_f32, allow_negative_numbers = true)]
    pub learning_rate: f32,

    /// Seed of NumPy's RandomState that orders the batches (the graph's own seed is fixed
    /// when the models are exported).
    #[arg(long, default_value_t = 0)]
    pub seed: u32,

    /// Print the batch accuracy every this many steps.
    #[arg(long, default_value_t = DEFAULT_LOG_EVERY, value_parser = clap::value_parser!(u64).range(1..))]
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
    /// The run these flags describe, for `model`.
    pub fn run_config(&self, model: &str) -> RunConfig {
        RunConfig {
            model: model.to_string(),
            steps: self.steps,
            batch_size: self.batch_size as usize,
            learning_rate: self.learning_rate,
            seed: self.seed,
            log_every: self.log_every,
            eval_batch_size: self.eval_batch_size.map(|n| n as usize),
            data_dir: self.paths.data.data.data_dir.clone(),
            validation_size: self.paths.data.validation_size,
            intra_op_threads: self.intra_op_threads,
            inter_op_threads: self.inter_op_threads,
        }
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

impl OutputArgs {
    pub fn options(&self) -> OutputOptions {
        OutputOptions {
            tensorboard: self.tensorboard.clone(),
            quiet: self.quiet,
        }
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

impl PersistArgs {
    pub fn options(&self) -> PersistOptions {
        PersistOptions {
            checkpoint_dir: self.checkpoint_dir.clone(),
            checkpoint_every: self.checkpoint_every,
            resume: self.resume.clone(),
            save: self.save.clone(),
            overwrite: self.overwrite,
        }
    }
}
