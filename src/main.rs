//! The `tflayers` binary: parse the command line, run it, print the whole error chain.

use std::process::ExitCode;

use clap::FromArgMatches;

use tflayers::cli::{Cli, Invocation};
use tflayers::commands;
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

fn main() -> ExitCode {
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
    match run(invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Ctrl-C or SIGTERM: the message says how to resume; the status is the shell's
            // 128 + the signal's number.
            if let Some(stopped) = err.downcast_ref::<tflayers::interrupt::Interrupted>() {
                eprintln!("{stopped}");
                return ExitCode::from(stopped.status);
            }
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
