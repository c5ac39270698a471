//! `tflayers train`: one model, the article's loop, the article's lines on stdout.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Result;

use crate::manifest::Manifest;
use crate::mnist::load::{announce_eval_chunks, load_data};
use crate::options::TrainOptions;
use crate::run::outputs::{Requested, RunOutputs};
use crate::run::persist::Persistence;
use crate::tf::model::Model;
use crate::train::{Outcome, RunResult};

pub fn run(options: &TrainOptions) -> Result<RunResult> {
    let common = &options.common;
    let run = &common.run;
    let requested = Requested {
        metrics: options.metrics.clone(),
        tensorboard: options.outputs.tensorboard.clone(),
        quiet: options.outputs.quiet,
    };
    requested.check()?;
    let manifest = Manifest::load(&common.models_dir)?;
    manifest.model(&run.model)?;
    let resume_options = options.clone();
    let resume = Box::new(move |dir: &Path| resume_command(&resume_options, dir));
    let mut persist = Persistence::prepare(options, &manifest, resume)?;
    let data = load_data(&common.data)?;
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

/// The command line that continues this run from the checkpoints in `dir`: the same
/// settings and outputs with `--resume dir`, quoted for a POSIX shell. Download settings are
/// left out: the data is on disk by then.
pub fn resume_command(options: &TrainOptions, dir: &Path) -> String {
    let common = &options.common;
    let run = &common.run;
    let program = std::env::args()
        .next()
        .unwrap_or_else(|| "tflayers".to_string());
    let mut argv: Vec<OsString> = vec![
        program.into(),
        "train".into(),
        "--model".into(),
        run.model.clone().into(),
        "--steps".into(),
        run.steps.to_string().into(),
    ];
    argv.extend(run.child_flags(run.seed, &common.models_dir));
    let mut flag = |name: &str, value: Option<OsString>| {
        argv.push(name.into());
        argv.extend(value);
    };
    if common.data.dataset != Default::default() {
        flag("--dataset", Some(common.data.dataset.id().into()));
    }
    if common.data.offline {
        flag("--offline", None);
    }
    if common.log_device_placement {
        flag("--log-device-placement", None);
    }
    if let Some(remote) = &common.remote {
        flag("--target", Some(remote.target.to_string().into()));
        let connect = remote.connect_timeout.as_secs().to_string();
        flag("--connect-timeout-secs", Some(connect.into()));
        let operation = remote.operation_timeout.as_secs().to_string();
        flag("--operation-timeout-secs", Some(operation.into()));
    }
    if let Some(every) = options.persist.checkpoint_every {
        flag("--checkpoint-every", Some(every.to_string().into()));
    }
    if let Some(save) = &options.persist.save {
        flag("--save", Some(save.into()));
        if options.persist.overwrite {
            flag("--overwrite", None);
        }
    }
    for path in &options.metrics {
        flag("--metrics", Some(path.into()));
    }
    if let Some(root) = &options.outputs.tensorboard {
        flag("--tensorboard", Some(root.into()));
    }
    if options.outputs.quiet {
        flag("--quiet", None);
    }
    flag("--resume", Some(dir.into()));
    let words: Vec<String> = argv
        .iter()
        .map(|word| word.to_string_lossy().into_owned())
        .collect();
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}
