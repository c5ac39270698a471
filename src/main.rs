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

/// TensorFlow's C++ INFO logs (SavedModel loading, CPU features) go to stderr. libtensorflow
/// reads `TF_CPP_MIN_LOG_LEVEL` once, while it is being loaded before `main` runs, so setting
/// it here is too late: unless the user set it, raise Abseil's level to warnings in place
/// (`tf_env`), or, with a TensorFlow whose Abseil does not export the setter, re-execute once
/// with the variable set to 1 (warnings and errors still show). The two notices absl prints
/// before its own start-up cannot be hidden.
fn quiet_tensorflow_logging() {
    use std::os::unix::process::CommandExt;
    const LEVEL: &str = "TF_CPP_MIN_LOG_LEVEL";
    if std::env::var_os(LEVEL).is_some() {
        return;
    }
    // Starting again would load libtensorflow a second time (about 0.2 s).
    if tflayers::tf::env::set_min_log_level(tflayers::tf::env::WARNING) {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let mut args = std::env::args_os();
        let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        // `exec` only returns on failure; then carry on with TensorFlow's default logging.
        let _ = std::process::Command::new(exe)
            .arg0(argv0)
            .args(args)
            .env(LEVEL, "1")
            .exec();
    }
}

fn main() -> ExitCode {
    tflayers::tf::env::prefer_system_allocator();
    tflayers::tf::env::per_session_thread_pools();
    tflayers::tf::env::tune_malloc();
    quiet_tensorflow_logging();
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
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
