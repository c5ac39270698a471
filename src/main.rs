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
    match run(invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Ctrl-C: the message says how to resume; the status is the shell's 128 + SIGINT.
            if let Some(stopped) = err.downcast_ref::<tflayers::interrupt::Interrupted>() {
                eprintln!("{stopped}");
                return ExitCode::from(tflayers::interrupt::EXIT_INTERRUPTED);
            }
            eprintln!(
                "error: {}",
                tflayers::output::error_chain::error_chain(&err)
            );
            ExitCode::FAILURE
        }
    }
}
