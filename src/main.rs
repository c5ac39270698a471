//! The `tflayers` binary: parse the command line, run it, print the whole error chain.

use std::process::ExitCode;

use clap::FromArgMatches;

use tflayers::cli::{Cli, Invocation};
use tflayers::commands;
use tflayers::manifest::Manifest;
use tflayers::onednn::Table;
use tflayers::options::LoopOptions;
use tflayers::tf::model::tensorflow_version;

fn run(invocation: Invocation) -> anyhow::Result<()> {
    match invocation {
        Invocation::Train(options) => commands::train::run(&options).map(|_| ()),
        Invocation::Reproduce(options) => commands::reproduce::run(&options),
        Invocation::Compare(options) => commands::compare::run(&options),
        Invocation::Evaluate(options) => commands::evaluate::run(&options),
        Invocation::Predict(options) => commands::predict::run(&options),
        Invocation::Plot(options) => commands::plot::run(&options),
        Invocation::Download(options) => commands::download::run(&options),
        Invocation::Data(options) => commands::data::run(&options),
        Invocation::Devices(remote) => commands::devices::run(remote),
        Invocation::Bench(options) => commands::bench::run(&options),
    }
}

/// The manifest's oneDNN table, the models `invocation` runs in this process and the training
/// steps each gets (`None`: it only evaluates or predicts); `None` for a command that runs no
/// model here (a remote server makes its own oneDNN choice).
fn models_run(invocation: &Invocation) -> Option<(Table, Vec<String>, Option<u64>)> {
    fn local(common: &LoopOptions) -> Option<&std::path::PathBuf> {
        common.remote.is_none().then_some(&common.models_dir)
    }
    let (models_dir, models, steps) = match invocation {
        Invocation::Train(o) => (
            local(&o.common)?,
            Some(vec![o.common.run.model.clone()]),
            Some(o.common.run.steps),
        ),
        Invocation::Reproduce(o) => (
            local(&o.common)?,
            Some(o.models.clone()),
            Some(o.common.run.steps),
        ),
        Invocation::Compare(o) => (
            local(&o.common)?,
            Some(o.models.clone()),
            Some(o.common.run.steps),
        ),
        // Its children set oneDNN themselves.
        Invocation::Bench(o) if o.onednn => return None,
        Invocation::Bench(o) => {
            let models = (!o.reproduce).then(|| o.models.clone());
            let steps = o.common.run.steps.saturating_mul(o.repeat);
            (local(&o.common)?, models, Some(steps))
        }
        Invocation::Evaluate(o) if o.remote.is_none() => {
            (&o.models_dir, trained_model(&o.model_dir), None)
        }
        Invocation::Predict(o) if o.remote.is_none() => {
            (&o.models_dir, trained_model(&o.model_dir), None)
        }
        _ => return None,
    };
    let manifest = Manifest::load(models_dir).ok()?;
    let models = match models {
        Some(models) => models,
        None => manifest.names().into_iter().map(String::from).collect(),
    };
    Some((manifest.onednn, models, steps))
}

/// The model a `--model-dir` folder holds: its `tflayers.json`, else the folder's name.
fn trained_model(dir: &std::path::Path) -> Option<Vec<String>> {
    let name = match tflayers::persist::trained::open(dir) {
        Ok(Some(info)) => info.model,
        _ => dir.file_name()?.to_string_lossy().into_owned(),
    };
    Some(vec![name])
}

/// Writing to a closed pipe ends the process the way it ends `grep`, `cat` or `head`: killed
/// by SIGPIPE, quietly (status 141 in the shell), whatever was printing. Rust ignores the
/// signal by default, which turns every later `println!` into a panic and every `write!` into
/// an error; restoring the default covers the article's lines, the reports, clap's help and
/// TensorFlow's own C output alike. Sockets are unaffected: std sends with `MSG_NOSIGNAL`.
fn stop_quietly_on_a_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    stop_quietly_on_a_closed_pipe();
    // Before TensorFlow runs: its allocator, thread pools and log level, and glibc's malloc.
    tflayers::tf::env::init();
    // The version line names the libtensorflow actually loaded, not only the crate.
    let version = format!(
        "{} (TensorFlow {})",
        env!("CARGO_PKG_VERSION"),
        tensorflow_version()
    );
    let matches = tflayers::cli::command().version(version).get_matches();
    let invocation = match Cli::from_arg_matches(&matches).and_then(Cli::into_invocation) {
        Ok(invocation) => invocation,
        Err(err) => err.exit(),
    };
    // oneDNN for the models this command runs (this may start the program again).
    match models_run(&invocation) {
        Some((table, models, steps)) => {
            let run = tflayers::onednn::Run {
                models: &models,
                steps,
            };
            tflayers::tf::env::settle_onednn(&table, Some(run))
        }
        None => tflayers::tf::env::settle_onednn(&Table::default(), None),
    }
    match run(invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Ctrl-C or SIGTERM: the message says how to resume; the status is the shell's
            // 128 + the signal's number.
            if let Some(stopped) = err.downcast_ref::<tflayers::interrupt::Interrupted>() {
                eprintln!("{stopped}");
                return ExitCode::from(stopped.status);
            }
            eprintln!(
                "error: {}",
                tflayers::output::error_chain::error_chain(&err)
            );
            ExitCode::FAILURE
        }
    }
}
