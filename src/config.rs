//! What a training run is, free of the command line: [`RunConfig`], the one definition the
//! loop, the commands and the library API share, with the article's settings as defaults.
//! The files a run writes embed it: the metrics header and compare's and bench's settings
//! flatten it into their own fields, a checkpoint (and a trained model's `tflayers.json`)
//! keeps it as `settings`. A field missing from a file written before it was recorded reads
//! as its default, so those files still load.
//!
//! `cli` parses and validates flags into it (and into the per-command `options`). The flags a
//! child process (`tflayers train`, `python/train.py`) needs to repeat a run are written in
//! one place, [`RunConfig::child_flags`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use crate::manifest::{Manifest, ThreadCounts};
use crate::mnist::dataset::VALIDATION_SIZE;

/// Where the data comes from unless `--data-dir` or `TFLAYERS_DATA_DIR` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";
/// The default data folder with `--dataset fashion-mnist`.
pub const DEFAULT_FASHION_DATA_DIR: &str = "data/fashion-mnist";
/// The article's number of training steps.
pub const DEFAULT_STEPS: u64 = 1000;
/// The article's batch size.
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// The article's Adam learning rate.
pub const DEFAULT_LEARNING_RATE: f32 = 1e-4;
/// The article prints the batch accuracy every this many steps.
pub const DEFAULT_LOG_EVERY: u64 = 100;

/// One training run: the model, the loop's settings and the data they apply to.
///
/// The defaults are the article's (`conv2`'s settings, 1000 steps of 100 images).
///
/// Files written before the records embedded it lack some fields: checkpoints recorded only the
/// batch size, learning rate, seed and validation size, metrics headers no validation size or
/// evaluation chunk. Those fields read as their defaults; the batch size, learning rate and
/// seed, which every record had, stay required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The model's name in `models/manifest.json`; empty (and not written) when a command
    /// runs several models in turn.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    /// Training steps (the total, also when resuming).
    #[serde(default = "default_steps")]
    pub steps: u64,
    /// Images per training batch.
    pub batch_size: usize,
    /// Adam's learning rate, written as the decimal it was given as.
    #[serde(serialize_with = "decimal")]
    pub learning_rate: f32,
    /// Seeds NumPy's `RandomState` for the batch order.
    pub seed: u32,
    /// Print the batch accuracy every this many steps.
    #[serde(default = "default_log_every")]
    pub log_every: u64,
    /// Evaluate the test set in chunks of this many images instead of all at once.
    pub eval_batch_size: Option<usize>,
    /// The folder holding the four data files (written lossily if not UTF-8).
    #[serde(serialize_with = "display", default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Training images held out for validation.
    #[serde(default = "default_validation_size")]
    pub validation_size: usize,
    /// TensorFlow threads inside one op; `None` lets TensorFlow (or the manifest) choose.
    pub intra_op_threads: Option<u32>,
    /// TensorFlow ops run in parallel; `None` lets TensorFlow (or the manifest) choose.
    pub inter_op_threads: Option<u32>,
}

fn default_steps() -> u64 {
    DEFAULT_STEPS
}

fn default_log_every() -> u64 {
    DEFAULT_LOG_EVERY
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(DEFAULT_DATA_DIR)
}

fn default_validation_size() -> usize {
    VALIDATION_SIZE
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            model: "conv2".to_string(),
            steps: default_steps(),
            batch_size: DEFAULT_BATCH_SIZE,
            learning_rate: DEFAULT_LEARNING_RATE,
            seed: 0,
            log_every: default_log_every(),
            eval_batch_size: None,
            data_dir: default_data_dir(),
            validation_size: default_validation_size(),
            intra_op_threads: None,
            inter_op_threads: None,
        }
    }
}

impl RunConfig {
    /// The same run for another model.
    pub fn for_model(&self, model: &str) -> Self {
        Self {
            model: model.to_string(),
            ..self.clone()
        }
    }

    /// The thread counts given, before the manifest's defaults apply.
    pub fn thread_counts(&self) -> ThreadCounts {
        ThreadCounts {
            intra_op_threads: self.intra_op_threads,
            inter_op_threads: self.inter_op_threads,
        }
    }

    /// These settings with the thread counts a session for this model really uses: those
    /// given, else the manifest's `session_defaults` for the model (what the metrics header
    /// records, so that a file says what ran rather than what was typed).
    pub fn with_threads_used(&self, manifest: &Manifest) -> Self {
        let used = manifest.session_threads(&manifest.model_dir(&self.model), self.thread_counts());
        Self {
            intra_op_threads: used.intra_op_threads,
            inter_op_threads: used.inter_op_threads,
            ..self.clone()
        }
    }

    /// The loop's settings as flags for a child process (`tflayers train`/`reproduce` or
    /// `python/train.py`, which take the same ones), with `seed` as the batch-order seed and
    /// `models_dir` as the models folder; `--model` and `--steps` are the caller's.
    pub fn child_flags(&self, seed: u32, models_dir: &Path) -> Vec<OsString> {
        let mut flags: Vec<OsString> = vec![
            "--batch-size".into(),
            self.batch_size.to_string().into(),
            "--seed".into(),
            seed.to_string().into(),
            // Display of an f32 is the shortest decimal that reads back as the same f32.
            "--learning-rate".into(),
            self.learning_rate.to_string().into(),
            "--log-every".into(),
            self.log_every.to_string().into(),
            "--data-dir".into(),
            self.data_dir.clone().into(),
            "--validation-size".into(),
            self.validation_size.to_string().into(),
            "--models-dir".into(),
            models_dir.into(),
        ];
        let optional = [
            ("--eval-batch-size", self.eval_batch_size.map(|n| n as u64)),
            ("--intra-op-threads", self.intra_op_threads.map(u64::from)),
            ("--inter-op-threads", self.inter_op_threads.map(u64::from)),
        ];
        for (flag, value) in optional {
            if let Some(n) = value {
                flags.extend([flag.into(), n.to_string().into()]);
            }
        }
        flags
    }
}

/// A float32 setting as the shortest decimal that reads back as it (`1e-4` is 0.0001, not
/// its binary expansion 9.999999747378752e-05), also when serialised through a JSON value.
fn decimal<S: Serializer>(value: &f32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(value.to_string().parse().unwrap_or(f64::from(*value)))
}

fn display<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_process_gets_every_loop_setting_and_the_given_seed() {
        let text = |flags: Vec<OsString>| {
            flags
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let plain = RunConfig {
            learning_rate: 0.001,
            seed: 3,
            data_dir: "d".into(),
            ..RunConfig::default()
        };
        assert_eq!(
            text(plain.child_flags(7, Path::new("m"))),
            "--batch-size 100 --seed 7 --learning-rate 0.001 --log-every 100 --data-dir d \
             --validation-size 5000 --models-dir m"
        );
        let all = RunConfig {
            eval_batch_size: Some(1000),
            intra_op_threads: Some(2),
            inter_op_threads: Some(1),
            ..plain
        };
        assert!(text(all.child_flags(0, Path::new("m"))).ends_with(
            "--models-dir m --eval-batch-size 1000 --intra-op-threads 2 --inter-op-threads 1"
        ));
    }

    #[test]
    fn the_threads_used_are_the_given_ones_else_the_manifests_defaults() {
        let manifest = Manifest::load(Path::new(crate::manifest::PROJECT_MODELS_DIR)).unwrap();
        let dense = RunConfig {
            model: "dense".into(),
            ..RunConfig::default()
        };
        let used = dense.with_threads_used(&manifest);
        assert_eq!(
            (used.intra_op_threads, used.inter_op_threads),
            (Some(1), Some(1))
        );
        let given = RunConfig {
            intra_op_threads: Some(4),
            ..dense
        }
        .with_threads_used(&manifest);
        assert_eq!(
            (given.intra_op_threads, given.inter_op_threads),
            (Some(4), Some(1))
        );
        let hidden = RunConfig {
            model: "hidden".into(),
            ..RunConfig::default()
        }
        .with_threads_used(&manifest);
        // No measured intra-op default for hidden: TensorFlow's choice, recorded as null.
        assert_eq!(
            (hidden.intra_op_threads, hidden.inter_op_threads),
            (None, Some(1))
        );
    }

    #[test]
    fn old_records_load_and_a_record_without_the_core_settings_is_refused() {
        let old_checkpoint =
            r#"{"batch_size":50,"learning_rate":0.001,"seed":3,"validation_size":100}"#;
        let read: RunConfig = serde_json::from_str(old_checkpoint).unwrap();
        assert_eq!(
            (read.batch_size, read.seed, read.validation_size),
            (50, 3, 100)
        );
        assert_eq!(
            (read.steps, read.log_every),
            (DEFAULT_STEPS, DEFAULT_LOG_EVERY)
        );
        for missing in ["batch_size", "learning_rate", "seed"] {
            let mut record: serde_json::Value = serde_json::from_str(old_checkpoint).unwrap();
            record.as_object_mut().unwrap().remove(missing);
            let err = serde_json::from_value::<RunConfig>(record).unwrap_err();
            assert!(err.to_string().contains(missing), "{err}");
        }
    }
}
