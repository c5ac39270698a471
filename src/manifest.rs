//! `models/manifest.json`: the placeholder and op names, parameter counts and expected
//! accuracies that the Python exporter and this binary share.
//!
//! The file is committed; `python/export.py` checks every name in it against the graphs it
//! writes, and [`Manifest::load`] checks that it lists what the Rust side needs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use serde::Deserialize;

/// The file name inside the models directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The graph file of a SavedModel folder.
pub const SAVED_MODEL_FILE: &str = "saved_model.pb";
/// The folder of a SavedModel that holds its variables.
pub const VARIABLES_DIR: &str = "variables";
/// The prefix of the variables files inside [`VARIABLES_DIR`] (`variables.index`, ...).
pub const VARIABLES_PREFIX: &str = "variables";
/// The models folder of the source tree this binary was built from.
pub const PROJECT_MODELS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models");

/// `explicit` (`--models-dir`) when given, else `./models` when it has a manifest, else the
/// project's `models/`.
pub fn resolve_models_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    let local = Path::new("models");
    if local.join(MANIFEST_FILE).is_file() {
        local.to_path_buf()
    } else {
        PathBuf::from(PROJECT_MODELS_DIR)
    }
}

/// One placeholder of the exported graphs.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// The op name in the graph.
    pub op: String,
}

/// The placeholders every exported graph has.
#[derive(Debug, Clone, Deserialize)]
pub struct Inputs {
    pub images: Input,
    pub labels: Input,
    pub should_drop: Input,
    pub learning_rate: Input,
}

/// The ops every exported graph has, by role.
#[derive(Debug, Clone, Deserialize)]
pub struct Ops {
    pub train_step: String,
    pub accuracy: String,
    pub loss: String,
    pub logits: String,
    pub probabilities: String,
    pub init: String,
    pub saver_filename: String,
    pub saver_save: String,
    pub saver_restore: String,
}

/// The TensorBoard summary ops every exported graph has (TF2 `tf.summary` ops in graph mode).
///
/// Run `init` once with `logdir` fed, then `write_train` or `write_test` with `step` (int64),
/// `accuracy` and `loss` (float32) fed, then `flush`. None of them touches the model.
#[derive(Debug, Clone, Deserialize)]
pub struct Summaries {
    pub logdir: String,
    pub step: String,
    pub accuracy: String,
    pub loss: String,
    pub init: String,
    pub write_train: String,
    pub write_test: String,
    pub flush: String,
    pub tags: SummaryTags,
}

/// The scalar tags the summary ops write.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryTags {
    pub train_accuracy: String,
    pub train_loss: String,
    pub test_accuracy: String,
    pub test_loss: String,
}

/// One model: the article's (written in `python/graphs.py`) or one of the user's own (added
/// with `python/export.py --add FILE.py:FUNCTION`, which records its `source`).
#[derive(Debug, Clone, Deserialize)]
pub struct ModelEntry {
    /// Short name: the folder under `models/` and the value of `--model`.
    pub name: String,
    /// The article's section that introduces it.
    pub section: String,
    pub description: String,
    /// Trainable parameters, checked by the exporter.
    pub parameters: u64,
    /// The test accuracy the article states after 1,000 steps, where it states one (94% for
    /// `hidden`, 97% for `conv1`); `None` (null in the manifest) for the others.
    pub article_accuracy: Option<f64>,
    /// How the article describes the result where it gives no figure ("not impressive",
    /// "better"), quoted.
    #[serde(default)]
    pub article_words: Option<String>,
    /// What this project measures with these graphs after 1,000 steps (seed 0, real MNIST),
    /// rounded: a figure from measurement, not from the article. A model of one's own has
    /// none until it is measured.
    pub expected_accuracy: Option<f64>,
    /// Where a model of one's own comes from, `FILE.py:FUNCTION`; `None` for the article's.
    #[serde(default)]
    pub source: Option<String>,
}

impl ModelEntry {
    /// One of the article's five, not a model of one's own.
    pub fn is_article(&self) -> bool {
        self.source.is_none()
    }
}

/// The whole manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub tags: Vec<String>,
    pub inputs: Inputs,
    pub ops: Ops,
    pub models: Vec<ModelEntry>,
    /// The folder the manifest was read from; the SavedModels live beside it.
    #[serde(skip)]
    pub dir: PathBuf,
    /// TensorBoard summary ops.
    pub summaries: Summaries,
    /// Per model, the session thread counts used when the command line gives none (chosen by
    /// measurement: `tflayers bench`); a model not listed gets TensorFlow's choice.
    #[serde(default)]
    pub session_defaults: BTreeMap<String, ThreadCounts>,
    /// Step times with TensorFlow's oneDNN off and on, per kind of CPU: what
    /// [`crate::onednn`] chooses from.
    #[serde(default)]
    pub onednn: crate::onednn::Table,
}

/// Thread counts of a TensorFlow session (`ConfigProto`); `None` leaves TensorFlow's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct ThreadCounts {
    #[serde(default)]
    pub intra_op_threads: Option<u32>,
    #[serde(default)]
    pub inter_op_threads: Option<u32>,
}

impl Manifest {
    /// Reads `<models_dir>/manifest.json`.
    pub fn load(models_dir: &Path) -> Result<Self> {
        let path = models_dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}; point --models-dir at the project's models folder",
                path.display()
            )
        })?;
        let mut manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid tflayers manifest", path.display()))?;
        ensure!(
            !manifest.models.is_empty(),
            "{} lists no models",
            path.display()
        );
        manifest.dir = models_dir.to_path_buf();
        Ok(manifest)
    }

    /// The entry for `name`, or an error listing the known models.
    pub fn model(&self, name: &str) -> Result<&ModelEntry> {
        match self.models.iter().find(|m| m.name == name) {
            Some(entry) => Ok(entry),
            None => {
                bail!(
                    "model {name:?} is not in {}; known models: {}",
                    self.dir.join(MANIFEST_FILE).display(),
                    self.names().join(", ")
                )
            }
        }
    }

    /// The thread counts a session for the SavedModel in `dir` uses: those `given` on the
    /// command line, else the manifest's defaults for that model (when `dir` is one of the
    /// manifest's model folders).
    pub fn session_threads(&self, dir: &Path, given: ThreadCounts) -> ThreadCounts {
        let defaults = self
            .models
            .iter()
            .find(|m| self.model_dir(&m.name) == dir)
            .and_then(|m| self.session_defaults.get(&m.name))
            .copied()
            .unwrap_or_default();
        ThreadCounts {
            intra_op_threads: given.intra_op_threads.or(defaults.intra_op_threads),
            inter_op_threads: given.inter_op_threads.or(defaults.inter_op_threads),
        }
    }

    /// The exported SavedModel folder of `name`.
    pub fn model_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Every model's name, in the manifest's order: the article's, then one's own.
    pub fn names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }

    /// The article's models in its order: what `reproduce`, `compare --all` and
    /// `bench --models all` run.
    pub fn article_names(&self) -> Vec<&str> {
        self.models
            .iter()
            .filter(|m| m.is_article())
            .map(|m| m.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> Manifest {
        Manifest::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap()
    }

    #[test]
    fn the_committed_manifest_has_a_onednn_table_for_every_model_on_an_avx2_cpu() {
        let manifest = committed();
        let isa: Vec<String> = ["AVX", "AVX2", "FMA"].map(String::from).to_vec();
        let measured = manifest.onednn.for_cpu(&isa).unwrap();
        for name in manifest.names() {
            assert!(measured.ms_per_step.contains_key(name), "{name}");
        }
        assert!(manifest.onednn.for_cpu(&["AVX".to_string()]).is_none());
    }

    #[test]
    fn thread_counts_come_from_the_command_line_else_the_models_defaults() {
        let m = committed();
        let none = ThreadCounts::default();
        let one = ThreadCounts {
            intra_op_threads: Some(1),
            inter_op_threads: Some(1),
        };
        // dense is tiny: one thread of each kind is the fastest (see README, Performance).
        assert_eq!(m.session_threads(&m.model_dir("dense"), none), one);
        let inter_one = ThreadCounts {
            intra_op_threads: None,
            inter_op_threads: Some(1),
        };
        for name in ["hidden", "conv1", "conv2", "dropout"] {
            assert_eq!(m.session_threads(&m.model_dir(name), none), inter_one);
        }
        let given = ThreadCounts {
            intra_op_threads: Some(2),
            inter_op_threads: None,
        };
        assert_eq!(
            m.session_threads(&m.model_dir("dense"), given),
            ThreadCounts {
                intra_op_threads: Some(2),
                inter_op_threads: Some(1)
            }
        );
        // A folder that is not one of the manifest's models (a trained model) gets none.
        assert_eq!(m.session_threads(Path::new("/elsewhere/dense"), none), none);
    }

    #[test]
    fn committed_manifest_lists_the_articles_models_in_order() {
        let m = committed();
        assert_eq!(
            m.article_names(),
            ["dense", "hidden", "conv1", "conv2", "dropout"]
        );
        // The worked example of a model of one's own follows them, with its source.
        let own: Vec<&ModelEntry> = m.models.iter().filter(|e| !e.is_article()).collect();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].name, "conv2_bn");
        assert_eq!(
            own[0].source.as_deref(),
            Some("python/examples/batchnorm.py:conv2_bn")
        );
        assert_eq!(&m.names()[..5], m.article_names().as_slice());
        assert_eq!(m.inputs.images.op, "x_input");
        assert_eq!(m.inputs.labels.op, "y_labels");
        assert_eq!(m.inputs.should_drop.op, "should_drop");
        assert_eq!(m.ops.train_step, "train_step");
        assert_eq!(m.ops.accuracy, "accuracy");
        assert_eq!(m.model("dense").unwrap().parameters, 7850);
        assert_eq!(m.summaries.init, "summaries/init");
        assert_eq!(m.summaries.tags.train_accuracy, "train/batch_accuracy");
        assert_eq!(m.summaries.tags.test_accuracy, "test/accuracy");
    }

    #[test]
    fn unknown_model_names_the_known_ones() {
        let err = committed().model("lenet").unwrap_err().to_string();
        assert!(err.contains("\"lenet\""), "{err}");
        assert!(
            err.contains("dense, hidden, conv1, conv2, dropout, conv2_bn"),
            "{err}"
        );
    }

    #[test]
    fn missing_manifest_says_which_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", Manifest::load(dir.path()).unwrap_err());
        assert!(err.contains("manifest.json"), "{err}");
        assert!(err.contains("--models-dir"), "{err}");
    }

    #[test]
    fn malformed_manifest_is_rejected_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(MANIFEST_FILE), "{\"models\": []}").unwrap();
        let err = format!("{:#}", Manifest::load(dir.path()).unwrap_err());
        assert!(err.contains("not a valid tflayers manifest"), "{err}");
    }
}
