//! Command-line interface: the only module that imports clap.
//!
//! Flags are parsed and validated here (zero steps, a zero batch, a non-positive learning rate
//! or a model the manifest does not list are rejected before TensorFlow starts) and turned
//! into the `config` and `options` types the commands run with ([`Cli::into_invocation`]).

mod args;
mod parsers;
mod subcommands;

use std::path::Path;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

pub use args::{
    DataDirArgs, DatasetName, LoopArgs, NetArgs, OutputArgs, PathArgs, PersistArgs, RemoteArgs,
    SplitDataArgs,
};
pub use parsers::{ModelList, MAX_SHOW_IMAGES};
pub use subcommands::{
    BenchArgs, CompareArgs, DataBenchArgs, DataCommand, DataInfoArgs, DataShowArgs, DevicesArgs,
    DownloadArgs, EvaluateArgs, PlotArgs, PredictArgs, ReproduceArgs, Split, SplitArg, TrainArgs,
};

use crate::manifest::{resolve_models_dir, Manifest, MANIFEST_FILE};
use crate::options::{
    BenchOptions, CompareOptions, DataBenchOptions, DataInfoOptions, DataOptions, DataShowOptions,
    DownloadOptions, EvaluateOptions, LoopOptions, PlotOptions, PredictOptions, ReproduceOptions,
    SplitName, TrainOptions,
};
use crate::tf::remote::Remote;

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
    /// Run a model from Rust and from the article's Python loop; check both compute the same
    ///
    /// Both sides run the same SavedModel on the same batches (the Python side is
    /// python/train.py); every logged value, the test accuracy and the printed lines are
    /// compared.
    Compare(CompareArgs),
    /// Measure a trained model: accuracy, per-class precision and recall, confusion matrix
    ///
    /// The model is a folder written by `tflayers train --save`.
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
    /// Time Rust against the article's Python loop, taking turns
    ///
    /// Both sides run the same SavedModels and batches; the tables give medians and ratios of
    /// the training step, the evaluation, the start-up and the memory. --steps is the number
    /// of steps per round.
    Bench(BenchArgs),
}

/// A parsed and checked command line: the subcommand and its settings.
#[derive(Debug, Clone)]
pub enum Invocation {
    Train(TrainOptions),
    Reproduce(ReproduceOptions),
    Compare(CompareOptions),
    Evaluate(EvaluateOptions),
    Predict(PredictOptions),
    Plot(PlotOptions),
    Download(DownloadOptions),
    Data(DataOptions),
    Devices(Option<Remote>),
    Bench(BenchOptions),
}

/// The environment variable naming the models folder (as `--models-dir`).
pub const MODELS_DIR_ENV: &str = "TFLAYERS_MODELS_DIR";

/// The command-line definition, with the models of the manifest found without flags
/// (`TFLAYERS_MODELS_DIR`, else `./models`, else the project's) listed in `--model`'s help.
pub fn command() -> clap::Command {
    let command = Cli::command();
    let explicit = std::env::var_os(MODELS_DIR_ENV).map(std::path::PathBuf::from);
    let Ok(manifest) = Manifest::load(&resolve_models_dir(explicit.as_deref())) else {
        return command;
    };
    let width = manifest
        .models
        .iter()
        .map(|m| m.name.len() + 1)
        .max()
        .unwrap_or(0);
    let values: String = manifest
        .models
        .iter()
        .map(|m| format!("\n- {:width$} {}", format!("{}:", m.name), m.description))
        .collect();
    let with_values = |what: &str| {
        let values = values.clone();
        let text = format!(
            "Which model to {what}: the article's or one of your own\n\nPossible values:{values}"
        );
        move |arg: clap::Arg| arg.long_help(text)
    };
    command
        .mut_subcommand("train", |sub| sub.mut_arg("model", with_values("train")))
        .mut_subcommand("compare", |sub| {
            sub.mut_arg("model", with_values("compare"))
        })
}

/// Parses `argv` and checks it as the binary does (for tests).
pub fn try_parse_from<I, T>(argv: I) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(argv)?.into_invocation()
}

impl Cli {
    /// The settings the flags describe. Model names are checked against the manifest of the
    /// models folder; an unknown one is a usage error (status 2) listing the manifest's
    /// models. A manifest that cannot be read is left for the command to report.
    pub fn into_invocation(self) -> Result<Invocation, clap::Error> {
        Ok(match self.command {
            Command::Train(args) => {
                let common = loop_options(&args.common, &args.model, "train")?;
                check_models(
                    &common.models_dir,
                    "train",
                    "--model",
                    std::slice::from_ref(&args.model),
                )?;
                Invocation::Train(TrainOptions {
                    common,
                    persist: args.persist.options(),
                    metrics: args.metrics,
                    outputs: args.outputs.options(),
                })
            }
            Command::Reproduce(args) => {
                let common = loop_options(&args.common, "", "reproduce")?;
                let models = resolve_models(&common.models_dir, "reproduce", args.models)?;
                Invocation::Reproduce(ReproduceOptions {
                    models,
                    common,
                    report: args.report,
                    outputs: args.outputs.options(),
                })
            }
            Command::Compare(args) => {
                let common = loop_options(&args.common, "", "compare")?;
                let models = match (&args.model, args.all) {
                    (Some(model), false) => {
                        check_models(
                            &common.models_dir,
                            "compare",
                            "--model",
                            std::slice::from_ref(model),
                        )?;
                        vec![model.clone()]
                    }
                    _ => manifest_models(&common.models_dir),
                };
                Invocation::Compare(CompareOptions {
                    models,
                    tolerance: args.tolerance,
                    report: args.report,
                    python: args.python,
                    python_seed: args.python_seed,
                    common,
                })
            }
            Command::Bench(args) => {
                let common = loop_options(&args.common, "", "bench")?;
                let models = resolve_models(&common.models_dir, "bench", args.models)?;
                Invocation::Bench(BenchOptions {
                    models,
                    repeat: args.repeat,
                    warmup: args.warmup,
                    breakdown: args.breakdown,
                    no_processes: args.no_processes,
                    reproduce: args.reproduce,
                    onednn: args.onednn,
                    json: args.json,
                    python: args.python,
                    common,
                })
            }
            Command::Evaluate(args) => Invocation::Evaluate(EvaluateOptions {
                model_dir: args.model_dir,
                split: match args.split {
                    Split::Test => SplitName::Test,
                    Split::Validation => SplitName::Validation,
                },
                confusion_png: args.confusion_png,
                predictions: args.predictions,
                eval_batch_size: args.eval_batch_size as usize,
                data: args.paths.data_source(&args.remote.connect),
                models_dir: args.paths.models_dir(),
                remote: args.remote.remote(),
            }),
            Command::Predict(args) => Invocation::Predict(PredictOptions {
                models_dir: resolve_models_dir(args.models_dir.as_deref()),
                model_dir: args.model_dir,
                images: args.images,
                json: args.json,
                save_inputs: args.save_inputs,
                remote: args.remote.remote(),
            }),
            Command::Plot(args) => Invocation::Plot(PlotOptions {
                runs: args.runs,
                out: args.out,
                width: args.width,
                height: args.height,
                title: args.title,
            }),
            Command::Download(args) => {
                let data = args.data.data_dir();
                Invocation::Download(DownloadOptions {
                    download: args.net.download_config(data.dataset, &args.connect),
                    dataset: data.dataset,
                    dir: data.dir,
                })
            }
            Command::Data(command) => Invocation::Data(match command {
                DataCommand::Info(args) => DataOptions::Info(DataInfoOptions {
                    data: args.data.data.data_dir(),
                    validation_size: args.data.validation_size,
                }),
                DataCommand::Show(args) => DataOptions::Show(DataShowOptions {
                    data: args.data.data.data_dir(),
                    split: args.split.split(),
                    index: args.index,
                    out: args.out,
                    columns: args.columns as usize,
                    scale: args.scale as usize,
                    validation_size: args.data.validation_size,
                }),
                DataCommand::Bench(args) => DataOptions::Bench(DataBenchOptions {
                    data_dir: args.data_dir,
                    repeat: args.repeat as usize,
                    validation_size: args.validation_size,
                    python: args.python,
                }),
            }),
            Command::Devices(args) => Invocation::Devices(args.remote.remote()),
        })
    }
}

/// The loop settings of a training command, for `model` (empty when the command trains
/// several in turn).
fn loop_options(
    args: &LoopArgs,
    model: &str,
    subcommand: &str,
) -> Result<LoopOptions, clap::Error> {
    check_batch_size(args, subcommand)?;
    Ok(LoopOptions {
        run: args.run_config(model),
        data: args.paths.data_source(&args.remote.connect),
        models_dir: args.paths.models_dir(),
        log_device_placement: args.log_device_placement,
        remote: args.remote.remote(),
    })
}

/// Training images in the standard MNIST and Fashion-MNIST files, before the validation
/// split is taken off.
const STANDARD_TRAIN_IMAGES: usize = 60_000;

/// Refuses a batch larger than the standard training split, or a validation split that
/// leaves no training images, before any data is read. (A smaller data set is checked
/// against its real size once loaded.)
fn check_batch_size(args: &LoopArgs, subcommand: &str) -> Result<(), clap::Error> {
    let validation = args.paths.data.validation_size;
    let message = if validation >= STANDARD_TRAIN_IMAGES {
        format!(
            "invalid value '{validation}' for '--validation-size': the training files hold \
             {STANDARD_TRAIN_IMAGES} images, so at most {} can be held out for validation",
            STANDARD_TRAIN_IMAGES - 1
        )
    } else if args.batch_size as usize > STANDARD_TRAIN_IMAGES - validation {
        let train = STANDARD_TRAIN_IMAGES - validation;
        format!(
            "invalid value '{}' for '--batch-size': a batch cannot be larger than the \
             training split, which holds {train} images ({STANDARD_TRAIN_IMAGES} minus \
             --validation-size {validation}); use --batch-size {train} or less",
            args.batch_size
        )
    } else {
        return Ok(());
    };
    Err(usage_error(subcommand, ErrorKind::ValueValidation, message))
}

/// An error of `subcommand` with its own usage line, as clap prints for its other errors.
fn usage_error(subcommand: &str, kind: ErrorKind, message: String) -> clap::Error {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(subcommand) {
        Some(command) => command.error(kind, message),
        None => cli.error(kind, message),
    }
}

/// The article's models in its order, or none when the manifest cannot be read (the command
/// then reports why).
fn manifest_models(models_dir: &Path) -> Vec<String> {
    Manifest::load(models_dir)
        .map(|manifest| {
            manifest
                .article_names()
                .into_iter()
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `--models`: `all` is the article's five; names are checked against the manifest.
fn resolve_models(
    models_dir: &Path,
    subcommand: &str,
    list: ModelList,
) -> Result<Vec<String>, clap::Error> {
    match list {
        ModelList::All => Ok(manifest_models(models_dir)),
        ModelList::Names(names) => {
            check_models(models_dir, subcommand, "--models", &names)?;
            Ok(names)
        }
    }
}

/// Refuses names the manifest does not list, as clap refuses an invalid value.
fn check_models(
    models_dir: &Path,
    subcommand: &str,
    flag: &str,
    names: &[String],
) -> Result<(), clap::Error> {
    let Ok(manifest) = Manifest::load(models_dir) else {
        return Ok(());
    };
    let known: Vec<&str> = manifest.models.iter().map(|m| m.name.as_str()).collect();
    match names.iter().find(|name| !known.contains(&name.as_str())) {
        None => Ok(()),
        Some(unknown) => {
            let message = format!(
                "invalid value '{unknown}' for '{flag}': {} lists no such model; known \
                 models: {}",
                models_dir.join(MANIFEST_FILE).display(),
                known.join(", ")
            );
            Err(usage_error(subcommand, ErrorKind::InvalidValue, message))
        }
    }
}

#[cfg(test)]
mod tests;
