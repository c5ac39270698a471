//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use anyhow::Result;

use crate::manifest::Manifest;
use crate::mnist::load::{announce_eval_chunks, load};
use crate::options::TrainOptions;
use crate::run::outputs::{Requested, RunOutputs};
pub use crate::run::persist::resume_command;
use crate::run::persist::Persistence;
use crate::tf::model::{check_graph_file, Model};
use crate::train::{Outcome, RunResult};

pub fn run(options: &TrainOptions) -> Result<RunResult> {
    let common = &options.common;
    let run = &common.run;
    let mut requested = Requested {
        metrics: options.metrics.clone(),
        tensorboard: options.outputs.tensorboard.clone(),
        quiet: options.outputs.quiet,
        unpublished_data: None,
    };
    requested.check()?;
    let manifest = Manifest::load(&common.models_dir)?;
    manifest.model(&run.model)?;
    check_graph_file(&manifest.model_dir(&run.model), &manifest)?;
    let mut persist = Persistence::prepare(options, &manifest)?;
    let (data, origin) = load(&common.data)?;
    requested.unpublished_data = origin.note();
    persist.check_data(&data)?;
    let session = common.session_config();
    let mut model = Model::for_run(&manifest, &session, run)?;
    announce_eval_chunks(run.eval_batch_size);
    persist.restore(&mut model)?;
    let mut outputs = RunOutputs::start(&model, &manifest, &session, run, &requested)?;
    let outcome = outputs.train(&mut model, &data, persist.control()?)?;
    if let Outcome::Finished(result) = &outcome {
        outputs.finish(&mut model, &data, result)?;
    }
    persist.finish(outcome, &mut model)
}
