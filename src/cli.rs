//! Command-line interface: the only module that imports clap.
//!
//! Flags are parsed and validated here (zero steps, a zero batch, a non-positive learning rate
//! or an unknown model are rejected before TensorFlow starts) and turned into the plain
//! settings structs the rest of the program uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::graph::SessionConfig;
use crate::mnist::dataset::VALIDATION_SIZE;
use crate::remote::{Remote, Target};
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
    /// Show the TensorFlow build and the devices a session sees (locally or on --target).
    Devices(DevicesArgs),
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
}

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub common: LoopArgs,
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
}
