//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use std::io;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::commands::{announce_eval_chunks, load_data, load_manifest};
use crate::output::article::ArticlePrinter;
use crate::run::outputs::{Requested, RunOutputs};
use crate::run::persist::Persistence;
use crate::tf::model::Model;
use crate::train::{Outcome, RunResult};

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
    let mut persist = Persistence::prepare(args, &manifest)?;
    let data = load_data(&common.paths)?;
    persist.check_data(&data)?;
    let mut model = Model::load(
        &manifest.model_dir(&entry.name),
        &manifest,
        &common.session_config(),
        common.batch_size as usize,
        common.learning_rate,
    )?;
    announce_eval_chunks(common);
    persist.restore(&mut model)?;
    let config = common.train_config();
    let mut outputs = RunOutputs::start(&entry.name, &model, &manifest, common, &requested)?;
    let mut printer = ArticlePrinter::new(io::stdout().lock());
    let outcome = outputs.train(&mut model, &data, &config, persist.control()?, &mut printer)?;
    if let Outcome::Finished(result) = &outcome {
        outputs.finish(&mut model, &data, &config, result)?;
    }
    persist.finish(outcome, &mut model)
}
