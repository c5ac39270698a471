//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use std::io;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::commands::run_outputs::{Requested, RunOutputs};
use crate::commands::{load_data, load_manifest};
use crate::graph::Model;
use crate::report::article::ArticlePrinter;
use crate::train::RunResult;

pub fn run(args: &TrainArgs) -> Result<RunResult> {
    let common = &args.common;
    let requested = Requested {
        metrics: args.metrics.clone(),
        tensorboard: args.outputs.tensorboard.clone(),
        quiet: args.outputs.quiet,
    };
    requested.check()?;
    let manifest = load_manifest(&common.paths)?;
    let entry = manifest.model(args.model.as_str())?;
    let data = load_data(&common.paths)?;
    let mut model = Model::load(
        &manifest.model_dir(&entry.name),
        &manifest,
        &common.session_config(),
        common.batch_size as usize,
        common.learning_rate,
    )?;
    let config = common.train_config();
    let mut outputs = RunOutputs::start(&entry.name, &model, &manifest, common, &requested)?;
    let mut printer = ArticlePrinter::new(io::stdout().lock());
    let result = outputs.train(&mut model, &data, &config, &mut printer)?;
    outputs.finish(&mut model, &data, &config, &result)?;
    Ok(result)
}
