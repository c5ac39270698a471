//! The `tflayers` binary: parse the command line, run it, print the whole error chain.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use tflayers::cli::{Cli, Command};
use tflayers::commands;
use tflayers::tf::model::tensorflow_version;

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Train(args) => commands::train::run(args).map(|_| ()),
        Command::Reproduce(args) => commands::reproduce::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Plot(args) => commands::plot::run(args),
        Command::Download(args) => commands::download::run(args),
        Command::Data(command) => commands::data::run(command),
        Command::Devices(args) => commands::devices::run(args),
        Command::Bench(args) => commands::bench::run(args),
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
    let matches = Cli::command().version(version).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Ctrl-C: the message says how to resume; the status is the shell's 128 + SIGINT.
            if let Some(stopped) = err.downcast_ref::<tflayers::interrupt::Interrupted>() {
                eprintln!("{stopped}");
                return ExitCode::from(tflayers::interrupt::EXIT_INTERRUPTED);
            }
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
