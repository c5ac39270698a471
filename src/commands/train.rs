//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use std::io;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::commands::{announce_eval_chunks, load_data, load_manifest};
use crate::graph::Model;
use crate::report::article::ArticlePrinter;
use crate::train::{train, RunResult};

pub fn run(args: &TrainArgs) -> Result<RunResult> {
    let common = &args.common;
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
    announce_eval_chunks(common);
    let mut printer = ArticlePrinter::new(io::stdout().lock());
    train(&mut model, &data, &common.train_config(), &mut printer)
}
