//! What `train` does around the loop with `--checkpoint-dir`, `--resume`, `--save`, Ctrl-C
//! and SIGTERM: every check that can fail runs before training starts, and a stopped run turns
//! into an [`Interrupted`] error carrying the resume command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::fsx::{check_output, Output};
use crate::interrupt::{self, Interrupted};
use crate::manifest::Manifest;
use crate::mnist::dataset::DataSets;
use crate::options::TrainOptions;
use crate::persist::checkpoint::{Checkpoint, CheckpointWriter, DataFingerprint};
use crate::persist::lock::DirLock;
use crate::persist::trained::{self, ModelInfo};
use crate::tf::model::tensorflow_version;
use crate::train::{Checkpointer, Engine, Outcome, RunControl, RunResult, Stop};

/// The checkpoint, resume and save state of one `train` run.
pub struct Persistence {
    options: TrainOptions,
    resume: Option<Checkpoint>,
    writer: Option<CheckpointWriter>,
    /// The checkpoint folder's lock, taken before the data is loaded and handed to the
    /// writer.
    lock: Option<DirLock>,
    exported: PathBuf,
}

impl Persistence {
    /// Checks the flags against the disk before any data is read: the `--save` target, the
    /// checkpoint to resume and its compatibility with the other flags.
    pub fn prepare(options: &TrainOptions, manifest: &Manifest) -> Result<Self> {
        let run = &options.common.run;
        let persist = &options.persist;
        if let Some(dir) = &persist.save {
            trained::check_target(dir, persist.overwrite)?;
            check_output("--save", dir, Output::Folder)?;
        }
        let resume = match &persist.resume {
            Some(dir) => {
                refuse_trained_model(dir)?;
                let checkpoint = crate::persist::checkpoint::open_for_resume(dir)?;
                checkpoint.check_compatible(run)?;
                Some(checkpoint)
            }
            None => None,
        };
        let lock = match (&resume, &persist.checkpoint_dir) {
            (Some(checkpoint), _) => Some(CheckpointWriter::claim_for_resume(checkpoint)?),
            (None, Some(dir)) => Some(CheckpointWriter::claim(dir)?),
            (None, None) => None,
        };
        Ok(Self {
            exported: manifest.model_dir(&run.model),
            options: options.clone(),
            resume,
            writer: None,
            lock,
        })
    }

    fn model(&self) -> &str {
        &self.options.common.run.model
    }

    fn steps(&self) -> u64 {
        self.options.common.run.steps
    }

    /// Checks the data against the checkpoint and sets up the checkpoint writer.
    pub fn check_data(&mut self, data: &DataSets) -> Result<()> {
        let tf = tensorflow_version();
        let every = self.options.persist.checkpoint_every;
        let lock = self.lock.take();
        self.writer = match (&self.resume, &self.options.persist.checkpoint_dir, lock) {
            (Some(checkpoint), _, Some(lock)) => {
                checkpoint.check_data(&data.train)?;
                Some(CheckpointWriter::resuming_claimed(
                    checkpoint, lock, every, &tf,
                )?)
            }
            (None, Some(dir), Some(lock)) => Some(CheckpointWriter::create_claimed(
                dir,
                lock,
                every,
                self.model(),
                self.options.common.run.clone(),
                DataFingerprint::of(&data.train),
                &tf,
            )?),
            _ => None,
        };
        Ok(())
    }

    /// Loads the checkpoint's variables into `engine` when resuming.
    pub fn restore(&self, engine: &mut dyn Engine) -> Result<()> {
        if let Some(checkpoint) = &self.resume {
            engine
                .restore_variables(&checkpoint.variables_prefix())
                .with_context(|| {
                    format!(
                        "cannot resume from {}: its variables do not load into model {:?}",
                        checkpoint.dir.display(),
                        self.model()
                    )
                })?;
            eprintln!(
                "Resuming {} from {} at step {} of {}",
                self.model(),
                checkpoint.dir.display(),
                checkpoint.state.step,
                self.steps()
            );
        }
        Ok(())
    }

    /// Where the loop starts, the checkpoint writer and the Ctrl-C flag.
    pub fn control(&mut self) -> Result<RunControl<'_>> {
        let stop = interrupt::install()?;
        let (start_step, batch_state) = match &self.resume {
            Some(checkpoint) => (
                checkpoint.state.step,
                Some(checkpoint.state.batches.clone()),
            ),
            None => (0, None),
        };
        Ok(RunControl {
            start_step,
            batch_state,
            checkpointer: self
                .writer
                .as_mut()
                .map(|writer| writer as &mut dyn Checkpointer),
            stop: Some(stop as &dyn Stop),
        })
    }

    /// Saves the trained model of a finished run, or turns a stopped run into the
    /// [`Interrupted`] error that tells how to resume.
    pub fn finish(&self, outcome: Outcome, engine: &mut dyn Engine) -> Result<RunResult> {
        match outcome {
            Outcome::Finished(result) => {
                if let Some(dir) = &self.options.persist.save {
                    let info = ModelInfo::new(
                        self.model(),
                        result.steps,
                        result.test.accuracy,
                        self.options.common.run.clone(),
                        &tensorflow_version(),
                    );
                    trained::write(dir, &self.exported, engine, &info).with_context(|| {
                        format!(
                            "cannot save the trained model into {}; nothing there was changed",
                            dir.display()
                        )
                    })?;
                    eprintln!("Saved the trained model to {}", dir.display());
                }
                Ok(result)
            }
            Outcome::Stopped { step } => Err(self.interrupted(step).into()),
        }
    }

    fn interrupted(&self, step: u64) -> Interrupted {
        let signal = interrupt::received();
        let mut message = format!("Interrupted after step {step} of {}", self.steps());
        if let Some(signal) = signal {
            message.push_str(&format!(" ({})", interrupt::signal_name(signal)));
        }
        message.push('.');
        if self.options.persist.save.is_some() {
            message.push_str(" The model was not saved (--save needs a completed run).");
        }
        match &self.writer {
            Some(writer) => {
                let last = writer.last_dir().unwrap_or(writer.root());
                message.push_str(&format!(
                    "\nCheckpoint: {}\nResume with:\n  {}",
                    last.display(),
                    resume_command(&self.options, writer.root())
                ));
            }
            None => message.push_str(
                "\nNothing was checkpointed; run with --checkpoint-dir DIR to be able to resume.",
            ),
        }
        Interrupted {
            message,
            status: signal.map_or(interrupt::EXIT_INTERRUPTED, interrupt::exit_status),
        }
    }
}

/// `--resume` takes a checkpoint folder; a trained model (`train --save`) has its variables
/// but not the batch order a resumed run continues. Its files are verified first, so a
/// damaged one is named before anything else.
fn refuse_trained_model(dir: &Path) -> Result<()> {
    if !dir.join(trained::INFO_FILE).is_file() {
        return Ok(());
    }
    let info = trained::open(dir)?;
    let model = info.map_or_else(|| "NAME".to_string(), |info| info.model);
    anyhow::bail!(
        "--resume {}: this is a trained model (`train --save`), not a checkpoint folder: it \
         holds the variables but not the batch order a resumed run continues; resume from the \
         run's --checkpoint-dir, or evaluate this model with `tflayers evaluate --model-dir {}` \
         (model {model})",
        dir.display(),
        dir.display()
    )
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
    if common.data.allow_unpublished {
        flag(crate::mnist::load::ALLOW_UNPUBLISHED_FLAG, None);
    }
    if common.log_device_placement {
        flag("--log-device-placement", None);
    }
    if let Some(remote) = &common.remote {
        flag("--target", Some(remote.target.to_string().into()));
        let connect = remote.connect_timeout.as_secs_f64().to_string();
        flag("--connect-timeout", Some(connect.into()));
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

#[cfg(test)]
mod tests {
    use crate::config::RunConfig;

    /// A checkpoint's `settings` as written before they became the whole `RunConfig` loads
    /// with the same four values (the fields it did not record read as defaults; the model is
    /// the checkpoint's own `model`); written now, they hold the same field names, the
    /// learning rate as the decimal given, and read back to the run.
    #[test]
    fn checkpoint_settings_keep_their_format() {
        let run = RunConfig {
            batch_size: 50,
            learning_rate: 0.001,
            seed: 3,
            validation_size: 100,
            ..RunConfig::default()
        };
        let old = r#"{"batch_size":50,"learning_rate":0.001,"seed":3,"validation_size":100}"#;
        let read: RunConfig = serde_json::from_str(old).unwrap();
        let unnamed = RunConfig {
            model: String::new(),
            ..run.clone()
        };
        assert_eq!(read, unnamed);
        let written = serde_json::to_string(&run).unwrap();
        assert!(
            written.contains(r#""batch_size":50,"learning_rate":0.001,"seed":3,"#),
            "{written}"
        );
        assert!(written.contains(r#""validation_size":100,"#), "{written}");
        assert_eq!(serde_json::from_str::<RunConfig>(&written).unwrap(), run);
    }

    /// A run on unpublished data resumes on the same data: the flag and the data set travel
    /// in the resume command.
    #[test]
    fn the_resume_command_keeps_the_data_choices() {
        use crate::mnist::catalog::DatasetKind;
        use crate::mnist::download::DownloadConfig;
        use crate::mnist::load::DataSource;
        use crate::options::{LoopOptions, TrainOptions};
        let options = TrainOptions {
            common: LoopOptions {
                run: RunConfig {
                    model: "dense".into(),
                    ..RunConfig::default()
                },
                data: DataSource {
                    dataset: DatasetKind::FashionMnist,
                    dir: "own".into(),
                    validation_size: 5000,
                    offline: false,
                    download: DownloadConfig::for_dataset(DatasetKind::FashionMnist),
                    allow_unpublished: true,
                },
                models_dir: "models".into(),
                log_device_placement: false,
                remote: None,
            },
            persist: Default::default(),
            metrics: Vec::new(),
            outputs: Default::default(),
        };
        let command = super::resume_command(&options, std::path::Path::new("ckpt"));
        assert!(command.contains(" --dataset fashion-mnist "), "{command}");
        assert!(command.contains(" --allow-unpublished-data "), "{command}");
        assert!(command.ends_with(" --resume ckpt"), "{command}");
        assert_eq!(
            options.common.data.child_flags(),
            ["--dataset", "fashion-mnist", "--allow-unpublished-data"]
        );
    }
}
