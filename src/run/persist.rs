//! What `train` does around the loop with `--checkpoint-dir`, `--resume`, `--save` and
//! Ctrl-C: every check that can fail runs before training starts, and a stopped run turns
//! into an [`Interrupted`] error carrying the resume command.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::RunConfig;
use crate::interrupt::{self, Interrupted};
use crate::manifest::Manifest;
use crate::mnist::dataset::DataSets;
use crate::options::TrainOptions;
use crate::persist::checkpoint::{Checkpoint, CheckpointWriter, DataFingerprint};
use crate::persist::trained::{self, ModelInfo};
use crate::tf::model::tensorflow_version;
use crate::train::{Checkpointer, Engine, Outcome, RunControl, RunResult, Stop};

/// The command line that resumes a run from the checkpoints in a folder.
pub type ResumeCommand = Box<dyn Fn(&Path) -> String>;

/// The checkpoint, resume and save state of one `train` run.
pub struct Persistence {
    run: RunConfig,
    checkpoint_dir: Option<PathBuf>,
    checkpoint_every: Option<u64>,
    resume: Option<Checkpoint>,
    writer: Option<CheckpointWriter>,
    save: Option<PathBuf>,
    exported: PathBuf,
    resume_command: ResumeCommand,
}

impl Persistence {
    /// Checks the flags against the disk before any data is read: the `--save` target, the
    /// checkpoint to resume and its compatibility with the other flags. `resume_command`
    /// says how to continue a stopped run.
    pub fn prepare(
        options: &TrainOptions,
        manifest: &Manifest,
        resume_command: ResumeCommand,
    ) -> Result<Self> {
        let run = &options.common.run;
        let persist = &options.persist;
        if let Some(dir) = &persist.save {
            trained::check_target(dir, persist.overwrite)?;
        }
        let resume = match &persist.resume {
            Some(dir) => {
                let checkpoint = crate::persist::checkpoint::open_for_resume(dir)?;
                checkpoint.check_compatible(run)?;
                Some(checkpoint)
            }
            None => None,
        };
        Ok(Self {
            exported: manifest.model_dir(&run.model),
            run: run.clone(),
            checkpoint_dir: persist.checkpoint_dir.clone(),
            checkpoint_every: persist.checkpoint_every,
            resume,
            writer: None,
            save: persist.save.clone(),
            resume_command,
        })
    }

    /// Checks the data against the checkpoint and sets up the checkpoint writer.
    pub fn check_data(&mut self, data: &DataSets) -> Result<()> {
        let tf = tensorflow_version();
        self.writer = match (&self.resume, &self.checkpoint_dir) {
            (Some(checkpoint), _) => {
                checkpoint.check_data(&data.train)?;
                Some(CheckpointWriter::resuming(
                    checkpoint,
                    self.checkpoint_every,
                    &tf,
                )?)
            }
            (None, Some(dir)) => Some(CheckpointWriter::create(
                dir,
                self.checkpoint_every,
                &self.run.model,
                self.run.clone(),
                DataFingerprint::of(&data.train),
                &tf,
            )?),
            (None, None) => None,
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
                        self.run.model
                    )
                })?;
            eprintln!(
                "Resuming {} from {} at step {} of {}",
                self.run.model,
                checkpoint.dir.display(),
                checkpoint.state.step,
                self.run.steps
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
                if let Some(dir) = &self.save {
                    let info = ModelInfo::new(
                        &self.run.model,
                        result.steps,
                        result.test.accuracy,
                        self.run.clone(),
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
        let mut message = format!("Interrupted after step {step} of {}.", self.run.steps);
        if self.save.is_some() {
            message.push_str(" The model was not saved (--save needs a completed run).");
        }
        match &self.writer {
            Some(writer) => {
                let last = writer.last_dir().unwrap_or(writer.root());
                message.push_str(&format!(
                    "\nCheckpoint: {}\nResume with:\n  {}",
                    last.display(),
                    (self.resume_command)(writer.root())
                ));
            }
            None => message.push_str(
                "\nNothing was checkpointed; run with --checkpoint-dir DIR to be able to resume.",
            ),
        }
        Interrupted { message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
