//! Trains the article's `conv2` model from Rust with the library API and prints the article's
//! lines (`Step %d, training batch accuracy %g`, then `Test accuracy: %g`).
//!
//! ```text
//! make models                      # export the SavedModels (once)
//! tflayers download                # MNIST into data/mnist (once)
//! cargo run --release --example train -- [DATA_DIR] [STEPS]
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use tflayers::config::{DEFAULT_DATA_DIR, DEFAULT_STEPS};
use tflayers::manifest::resolve_models_dir;
use tflayers::{
    read_data_sets_with, step_line, test_line, train, Manifest, Model, Observer, RunConfig,
    RunResult, SessionConfig, StepLog,
};

/// Prints what the article's Python loop prints.
struct Article;

impl Observer for Article {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        println!("{}", step_line(log));
        Ok(())
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        println!("{}", test_line(result.test.accuracy));
        Ok(())
    }
}

/// What `--help` prints.
fn usage() -> String {
    format!(
        "Trains the article's conv2 model with the tflayers library and prints the article's \
         lines.\n\n\
         Usage: train [DATA_DIR] [STEPS]\n\n\
         Arguments:\n  \
         [DATA_DIR]  the folder of the four MNIST .gz files [default: {}]\n  \
         [STEPS]     training steps [default: {}]\n\n\
         Options:\n  \
         -h, --help  Print help\n",
        DEFAULT_DATA_DIR, DEFAULT_STEPS
    )
}

fn main() -> Result<()> {
    if std::env::args()
        .skip(1)
        .any(|arg| arg == "-h" || arg == "--help")
    {
        print!("{}", usage());
        return Ok(());
    }
    let mut args = std::env::args().skip(1);
    let mut config = RunConfig {
        model: "conv2".to_string(),
        ..RunConfig::default()
    };
    if let Some(dir) = args.next() {
        config.data_dir = PathBuf::from(dir);
    }
    if let Some(steps) = args.next() {
        config.steps = steps.parse().context("STEPS must be a whole number")?;
    }
    let manifest = Manifest::load(&resolve_models_dir(None))?;
    let data = read_data_sets_with(&config.data_dir, config.validation_size)?;
    let mut model = Model::for_run(&manifest, &SessionConfig::default(), &config)?;
    train(&mut model, &data, &config, &mut Article)?;
    Ok(())
}
