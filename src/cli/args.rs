//! Argument groups that several subcommands flatten: data and models folders, downloading,
//! the training loop, the remote server, outputs and checkpoints; each turns into its
//! `config` or `options` type.

// The `///` comments below are clap's help text, where `<model>` means a placeholder, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};

use super::parsers::{mirror_url, parse_target, positive_f32, positive_seconds, steps};
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

/// The help headings, one per group of options; `tests/help.rs` checks that every option of
/// every subcommand sits under the heading of its group.
pub mod heading {
    /// The loop: model, steps, batch, learning rate, seed, logged steps.
    pub const TRAINING: &str = "Training";
    /// Which data set, where it and the exported models are.
    pub const DATA: &str = "Data and models";
    /// Mirrors, timeouts and retries for downloads, and the remote TensorFlow server.
    pub const NETWORK: &str = "Network";
    /// Threads, evaluation chunks, device placement.
    pub const PERFORMANCE: &str = "Performance";
    /// Files written beside the printed lines.
    pub const OUTPUTS: &str = "Outputs";
    /// Checkpoints, resuming and keeping the trained model.
    pub const CHECKPOINTS: &str = "Checkpoints and the trained model";
    /// `compare`'s own options: which models, the tolerance, the Python side.
    pub const COMPARISON: &str = "Comparison";
    /// `bench`'s own options: what to time and how often.
    pub const BENCH: &str = "Bench";
    /// `evaluate`'s own options: which model and which split.
    pub const EVALUATION: &str = "Evaluation";
}

/// Where the data and the exported models are.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::DATA)]
pub struct PathArgs {
    #[command(flatten)]
    pub data: SplitDataArgs,

    /// Folder holding manifest.json and the exported SavedModels [default: ./models, else
    /// the project's models folder]
    ///
    /// The project's models folder is the one this binary was built from; an installed
    /// binary run elsewhere finds it there while the checkout stays where it was built.
    #[arg(long, value_name = "DIR", env = super::MODELS_DIR_ENV)]
    pub models_dir: Option<PathBuf>,

    /// Never download: fail, saying what to do, when data files are missing
    #[arg(long, env = "TFLAYERS_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline: bool,

    /// Train on data files that are not the published ones
    ///
    /// IDX files of your own, whose SHA-256 differs from the published digests; without this
    /// flag they are refused. Said on stderr and recorded in the metrics header.
    #[arg(long)]
    pub allow_unpublished_data: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

impl PathArgs {
    /// Where the data comes from; `connect` bounds each connection to a mirror.
    pub fn data_source(&self, connect: &ConnectArgs) -> DataSource {
        let dataset = self.data.data.dataset.kind();
        DataSource {
            dataset,
            dir: self.data.data.data_dir.clone(),
            validation_size: self.data.validation_size,
            offline: self.offline,
            download: self.net.download_config(dataset, connect),
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
#[command(next_help_heading = heading::NETWORK)]
pub struct NetArgs {
    /// Mirror base URL replacing the built-in list (repeatable)
    ///
    /// Repeat the flag, or separate URLs with commas, for several; they are tried in order.
    #[arg(
        long = "mirror",
        value_name = "URL",
        env = MIRRORS_ENV,
        value_delimiter = ',',
        value_parser = mirror_url,
        hide_short_help = true
    )]
    pub mirrors: Vec<String>,

    /// Seconds of silence tolerated from a mirror
    ///
    /// While waiting for a mirror's response or for its next bytes.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_READ_TIMEOUT.as_secs_f64(),
          value_parser = positive_seconds, hide_short_help = true)]
    pub read_timeout: f64,

    /// Extra rounds over all mirrors after every mirror failed
    ///
    /// Each round waits a little longer before it starts.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES,
          value_parser = clap::value_parser!(u32).range(0..=10), hide_short_help = true)]
    pub retries: u32,
}

impl NetArgs {
    /// The download settings for `kind`: its built-in mirrors unless `--mirror` was given.
    pub fn download_config(&self, kind: DatasetKind, connect: &ConnectArgs) -> DownloadConfig {
        let mut config = DownloadConfig::for_dataset(kind);
        if !self.mirrors.is_empty() {
            config.mirrors = self.mirrors.clone();
        }
        config.connect_timeout = connect.mirror();
        config.read_timeout = Duration::from_secs_f64(self.read_timeout);
        config.retries = self.retries;
        config
    }
}

/// How long a TCP connection to the `--target` server may take by default.
pub const DEFAULT_SERVER_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The one connection timeout, for download mirrors and the `--target` server alike.
///
/// It was once two flags, `--connect-timeout` (mirrors) and `--connect-timeout-secs` (the
/// server); the second is kept as a hidden alias so that scripts and printed resume commands
/// keep working.
#[derive(Debug, Clone, Copy, Args)]
#[command(next_help_heading = heading::NETWORK)]
pub struct ConnectArgs {
    /// Seconds to wait for a TCP connection [default: 15 to a mirror, 10 to the --target
    /// server]
    ///
    /// Applies to download mirrors and, with --target, to the TensorFlow server.
    /// `--connect-timeout-secs`, its older name for the server, is still accepted.
    #[arg(long, value_name = "SECONDS", alias = "connect-timeout-secs",
          value_parser = positive_seconds, hide_short_help = true)]
    pub connect_timeout: Option<f64>,
}

impl ConnectArgs {
    /// The timeout for a download mirror.
    pub fn mirror(&self) -> Duration {
        self.connect_timeout
            .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs_f64)
    }

    /// The timeout for the `--target` server.
    pub fn server(&self) -> Duration {
        self.connect_timeout
            .map_or(DEFAULT_SERVER_CONNECT_TIMEOUT, Duration::from_secs_f64)
    }
}

/// Which data set and where it is.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::DATA)]
pub struct DataDirArgs {
    /// Which data set to read
    #[arg(long, value_enum, default_value_t = DatasetName::Mnist)]
    pub dataset: DatasetName,

    /// Folder holding the data set's four .gz files [default: data/mnist, or
    /// data/fashion-mnist with --dataset fashion-mnist]
    ///
    /// A relative folder is taken from the current directory.
    #[arg(
        long,
        value_name = "DIR",
        hide_default_value = true,
        env = "TFLAYERS_DATA_DIR",
        default_value = DEFAULT_DATA_DIR,
        default_value_if("dataset", "fashion-mnist", DEFAULT_FASHION_DATA_DIR)
    )]
    pub data_dir: PathBuf,
}

/// A data set, its folder and the training images held out for validation.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::DATA)]
pub struct SplitDataArgs {
    #[command(flatten)]
    pub data: DataDirArgs,

    /// Training images held out for validation
    ///
    /// As TensorFlow's `read_data_sets(validation_size=...)`: the first N training images
    /// form the validation split, the rest the training split.
    #[arg(long, value_name = "N", default_value_t = VALIDATION_SIZE)]
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
    /// Training steps (at least 1)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_STEPS, value_parser = steps,
          help_heading = heading::TRAINING)]
    pub steps: u64,

    /// Images per training batch (at most the training split's size)
    ///
    /// The standard training split holds 60,000 images minus --validation-size (55,000 by
    /// default).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE as u64,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = heading::TRAINING)]
    pub batch_size: u64,

    /// Adam's learning rate
    #[arg(long, value_name = "RATE", default_value_t = DEFAULT_LEARNING_RATE,
          value_parser = positive_f32, allow_negative_numbers = true,
          help_heading = heading::TRAINING)]
    pub learning_rate: f32,

    /// Seed of NumPy's RandomState that orders the batches
    ///
    /// The graph's own seed (dropout, initial weights) is fixed when the models are exported.
    #[arg(long, default_value_t = 0, help_heading = heading::TRAINING)]
    pub seed: u32,

    /// Print the batch accuracy every N steps
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LOG_EVERY,
          value_parser = clap::value_parser!(u64).range(1..), help_heading = heading::TRAINING)]
    pub log_every: u64,

    /// Evaluate the test set in chunks of N images [default: all at once, as the article]
    ///
    /// Chunks need less memory; the accuracy is the same.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          help_heading = heading::PERFORMANCE)]
    pub eval_batch_size: Option<u64>,

    /// TensorFlow threads inside one op [default: the model's session_defaults]
    ///
    /// Without the flag, each model uses the thread counts measured for it in
    /// models/manifest.json (`session_defaults`; 1 for dense), else TensorFlow's choice. The
    /// metrics header records the counts used.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024),
          help_heading = heading::PERFORMANCE)]
    pub intra_op_threads: Option<u32>,

    /// TensorFlow ops run in parallel [default: the model's session_defaults]
    ///
    /// Without the flag, each model uses the thread counts measured for it in
    /// models/manifest.json (`session_defaults`), else TensorFlow's choice. The metrics
    /// header records the counts used.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024),
          help_heading = heading::PERFORMANCE)]
    pub inter_op_threads: Option<u32>,

    /// Print the device TensorFlow places each op on
    ///
    /// The lines go to stderr; with --target the server prints them.
    #[arg(long, help_heading = heading::PERFORMANCE, hide_short_help = true)]
    pub log_device_placement: bool,

    #[command(flatten)]
    pub paths: PathArgs,

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
#[command(next_help_heading = heading::NETWORK)]
pub struct RemoteArgs {
    /// Run the graph on a remote TensorFlow server, grpc://HOST:PORT [default: in this
    /// process]
    ///
    /// Start one with `python/serve.py --port PORT`.
    #[arg(long, value_name = "URL", value_parser = parse_target)]
    pub target: Option<Target>,

    #[command(flatten)]
    pub connect: ConnectArgs,

    /// With --target: seconds one TensorFlow run may take on the server
    ///
    /// One run is a training step or an evaluation; the limit bounds the wait when the server
    /// dies mid-run.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "target",
          value_parser = clap::value_parser!(u64).range(1..=86_400), hide_short_help = true)]
    pub operation_timeout_secs: u64,
}

impl RemoteArgs {
    /// The remote settings, or `None` for an in-process session.
    pub fn remote(&self) -> Option<Remote> {
        self.target.clone().map(|target| Remote {
            target,
            connect_timeout: self.connect.server(),
            operation_timeout: Duration::from_secs(self.operation_timeout_secs),
        })
    }
}

/// Outputs around a training run; none of them changes stdout.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = heading::OUTPUTS)]
pub struct OutputArgs {
    /// Write TensorBoard event files into DIR/<model>/
    ///
    /// The training batch's accuracy and loss at each logged step, the test accuracy and loss
    /// at the end.
    #[arg(long, value_name = "DIR")]
    pub tensorboard: Option<PathBuf>,

    /// No progress bar and no notes about written files on stderr
    ///
    /// The bar is drawn only when stderr is a terminal.
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
#[command(next_help_heading = heading::CHECKPOINTS)]
#[command(group(ArgGroup::new("checkpoint_target").args(["checkpoint_dir", "resume"])))]
pub struct PersistArgs {
    /// Write checkpoints into DIR
    ///
    /// A checkpoint holds all variables, the step and the batch order. One is written every
    /// --checkpoint-every steps, on Ctrl-C and when the run ends. DIR must not hold another
    /// run's checkpoints.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,

    /// Also checkpoint every N steps (needs --checkpoint-dir or --resume)
    #[arg(long, value_name = "N", requires = "checkpoint_target",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,

    /// Continue the run checkpointed in DIR up to --steps
    ///
    /// DIR is the checkpoint folder (its latest checkpoint is used) or DIR/ckpt-N itself;
    /// new checkpoints go into DIR. Pass the first run's --model, --batch-size,
    /// --learning-rate, --seed and data.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,

    /// When the run completes, write the trained model into DIR as a SavedModel
    ///
    /// For `evaluate`, `predict` and Python's loader. DIR must be new or empty.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Let --save replace an existing model folder (once the run has succeeded)
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
