//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use std::io;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::commands::persist::Persistence;
use crate::commands::{announce_eval_chunks, load_data, load_manifest};
use crate::graph::Model;
use crate::report::article::ArticlePrinter;
use crate::train::{train_from, RunResult};

pub fn run(args: &TrainArgs) -> Result<RunResult> {
    let common = &args.common;
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
    let mut printer = ArticlePrinter::new(io::stdout().lock());
    let config = common.train_config();
    let outcome = train_from(&mut model, &data, &config, persist.control()?, &mut printer)?;
    persist.finish(outcome, &mut model)
}
