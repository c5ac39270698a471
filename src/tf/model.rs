//! A SavedModel loaded into a TensorFlow session: [`Model`] resolves the manifest's ops once
//! and runs training steps, evaluations and predictions, in this process or on a remote server
//! (`--target`, through [`remote_saver`]). [`Model::load`] prepares it for training;
//! [`Model::load_for_inference`] for `evaluate` and `predict`, which need no batch size or
//! learning rate. [`probe`](super::probe) adds the calls `bench --breakdown` times, and
//! [`summaries`](super::summaries) runs the graph's TensorBoard ops beside it.
//!
//! A training model allocates the feed tensors of one batch (`images`: [batch, 784] f32,
//! `labels`: [batch, 10] f32) at load time; the training loop writes each batch straight into
//! them through [`Model::batch_buffers`](Engine::batch_buffers), so a step copies the batch
//! exactly once.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure, Context, Result};
use tensorflow::{FetchToken, Graph, SavedModelBundle, Session, SessionRunArgs, Tensor};

use super::remote::Remote;
use super::remote_saver::{self, RemoteSaver};
use super::session::{self, prefix_tensor, remote_error, tf_err};
use crate::manifest::{Manifest, ThreadCounts, SAVED_MODEL_FILE};
use crate::mnist::dataset::{DataSet, IMAGE_PIXELS, NUM_CLASSES};
use crate::train::{BatchMetrics, Engine, Evaluation, RunConfig};

/// The settings [`Model::load`] and [`Model::load_for_inference`] take; defined with the rest
/// of the session's setup.
pub use super::session::SessionConfig;

/// The version of the libtensorflow this binary is linked against.
pub fn tensorflow_version() -> String {
    tensorflow::version().unwrap_or_else(|_| "unknown".to_string())
}

graph_ops! {
    /// The manifest's ops, resolved once after loading.
    Ops, "" {
        images = inputs.images.op,
        labels = inputs.labels.op,
        should_drop = inputs.should_drop.op,
        learning_rate = inputs.learning_rate.op,
        train_step = ops.train_step,
        accuracy = ops.accuracy,
        loss = ops.loss,
        logits = ops.logits,
        probabilities = ops.probabilities,
        saver_filename = ops.saver_filename,
        saver_save = ops.saver_save,
        saver_restore = ops.saver_restore,
    }
}

/// The feed tensors of one training batch, written in place by the training loop.
pub(super) struct TrainFeeds {
    pub(super) images: Tensor<f32>,
    pub(super) labels: Tensor<f32>,
    pub(super) learning_rate: Tensor<f32>,
}

/// A loaded model with its session and, for training, its preallocated feed tensors.
pub struct Model {
    dir: PathBuf,
    session: Session,
    /// The server the session runs on, for error messages; `None` in-process.
    remote: Option<Remote>,
    /// With a remote server: the saver ops that keep the variables' files on this machine.
    remote_saver: Option<RemoteSaver>,
    pub(super) ops: Ops,
    drop_on: Tensor<bool>,
    drop_off: Tensor<bool>,
    /// `None` for a model loaded for inference.
    train: Option<TrainFeeds>,
    /// Kept for side sessions on the same graph (TensorBoard, [`summaries`](super::summaries)).
    graph: Graph,
    /// The tensors of the last split evaluated, fed again when the same rows come back.
    evaluated: Option<SplitTensors>,
}

/// A split's images and one-hot labels as tensors, with the set and rows they came from.
struct SplitTensors {
    split: u64,
    rows: Range<usize>,
    images: Tensor<f32>,
    labels: Tensor<f32>,
}

/// Decodes `dir`'s `saved_model.pb` before TensorFlow reads it, so a damaged file is named
/// (TensorFlow's own error names neither it nor the remedy). For an exported graph of the
/// manifest's folder the remedy is `make models`; callers loading other folders add theirs.
/// Cheap (no session): commands call it before loading data.
pub fn check_graph_file(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(SAVED_MODEL_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Err(err) = super::proto::saved_model_graph_def(&bytes, &manifest.tags) {
        let exported = manifest
            .names()
            .into_iter()
            .any(|name| manifest.model_dir(name) == dir);
        let remedy = if exported {
            "; re-export the models with `make models`"
        } else {
            ""
        };
        bail!(
            "{} is not a SavedModel TensorFlow can read ({err:#}){remedy}",
            path.display()
        );
    }
    Ok(())
}

impl Model {
    /// Loads the SavedModel in `dir` for training: feed tensors for `batch_size` examples,
    /// and `learning_rate` fed to every training step.
    pub fn load(
        dir: &Path,
        manifest: &Manifest,
        config: &SessionConfig,
        batch_size: usize,
        learning_rate: f32,
    ) -> Result<Self> {
        let mut model = Self::load_for_inference(dir, manifest, config)?;
        let batch = batch_size as u64;
        model.train = Some(TrainFeeds {
            images: Tensor::new(&[batch, IMAGE_PIXELS as u64]),
            labels: Tensor::new(&[batch, NUM_CLASSES as u64]),
            learning_rate: Tensor::from(learning_rate),
        });
        Ok(model)
    }

    /// Loads `run.model`'s exported SavedModel from the manifest's folder for training with
    /// `run`'s batch size and learning rate.
    pub fn for_run(manifest: &Manifest, config: &SessionConfig, run: &RunConfig) -> Result<Self> {
        let dir = manifest.model_dir(&run.model);
        Self::load(&dir, manifest, config, run.batch_size, run.learning_rate)
    }

    /// Loads the SavedModel in `dir` to predict, evaluate, save or restore; training it needs
    /// [`Model::load`].
    pub fn load_for_inference(
        dir: &Path,
        manifest: &Manifest,
        config: &SessionConfig,
    ) -> Result<Self> {
        ensure!(
            dir.join(SAVED_MODEL_FILE).is_file(),
            "{} not found; run `make models` to export the article's models",
            dir.join(SAVED_MODEL_FILE).display()
        );
        check_graph_file(dir, manifest)?;
        // Thread counts not given on the command line come from the manifest's measured
        // defaults for this model; python/train.py applies the same ones.
        let threads = manifest.session_threads(
            dir,
            ThreadCounts {
                intra_op_threads: config.intra_op_threads,
                inter_op_threads: config.inter_op_threads,
            },
        );
        let config = &SessionConfig {
            intra_op_threads: threads.intra_op_threads,
            inter_op_threads: threads.inter_op_threads,
            ..config.clone()
        };
        let mut graph = Graph::new();
        let mut remote_saver = None;
        let session = match &config.remote {
            None => {
                let options = session::options(config)?;
                let bundle = SavedModelBundle::load(&options, &manifest.tags, &mut graph, dir)
                    .map_err(tf_err(format!(
                        "cannot load the SavedModel in {} (tags {:?}); re-export it with \
                         `make models`",
                        dir.display(),
                        manifest.tags
                    )))?;
                bundle.session
            }
            Some(remote) => {
                let (session, saver) =
                    remote_saver::load(dir, manifest, config, remote, &mut graph)?;
                remote_saver = Some(saver);
                session
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            session,
            remote: config.remote.clone(),
            remote_saver,
            ops: Ops::resolve(&graph, manifest, dir)?,
            drop_on: Tensor::from(true),
            drop_off: Tensor::from(false),
            train: None,
            graph,
            evaluated: None,
        })
    }

    /// Logits and softmax probabilities of `images` ([n, 784]) in one run with dropout off,
    /// each `n * 10` values, row by row.
    pub fn predict(&mut self, images: &[f32]) -> Result<Scores> {
        let n = images.len() / IMAGE_PIXELS;
        ensure!(
            n > 0 && images.len() == n * IMAGE_PIXELS,
            "prediction needs [n, 784] images, got {} values",
            images.len()
        );
        let images = rows(images, n, IMAGE_PIXELS, "prediction images")?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &images);
        args.add_feed(&self.ops.should_drop, 0, &self.drop_off);
        let logits = args.request_fetch(&self.ops.logits, 0);
        let probabilities = args.request_fetch(&self.ops.probabilities, 0);
        self.run(&mut args, "prediction")?;
        let mut fetch = |token, what: &str| -> Result<Vec<f32>> {
            let values = fetch(&mut args, token, what)?;
            ensure!(
                values.len() == n * NUM_CLASSES,
                "{what} of {} has {} values for {n} images; expected [n, {NUM_CLASSES}]",
                self.dir.display(),
                values.len()
            );
            Ok(values.to_vec())
        };
        Ok(Scores {
            logits: fetch(logits, "logits")?,
            probabilities: fetch(probabilities, "probabilities")?,
        })
    }

    /// The loaded graph, for a second session that runs ops the training never needs.
    pub(crate) fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The SavedModel folder this model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The training feeds, or an error for a model loaded for inference.
    fn train_feeds(&self) -> Result<&TrainFeeds> {
        match &self.train {
            Some(feeds) => Ok(feeds),
            None => bail!(
                "the model in {} was loaded for inference (Model::load_for_inference); \
                 load it with Model::load to train it",
                self.dir.display()
            ),
        }
    }

    /// The four feeds of a training step: the current batch, `dropout`, the learning rate.
    pub(super) fn training_feeds(&self, dropout: bool) -> Result<SessionRunArgs<'_>> {
        let feeds = self.train_feeds()?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &feeds.images);
        args.add_feed(&self.ops.labels, 0, &feeds.labels);
        let drop = if dropout {
            &self.drop_on
        } else {
            &self.drop_off
        };
        args.add_feed(&self.ops.should_drop, 0, drop);
        args.add_feed(&self.ops.learning_rate, 0, &feeds.learning_rate);
        Ok(args)
    }

    /// Runs `args` in the model's session; `what` names the run in the error.
    pub(super) fn run(&self, args: &mut SessionRunArgs<'_>, what: &str) -> Result<()> {
        self.session.run(args).map_err(|status| match &self.remote {
            None => anyhow!("{what} failed in {}: {status}", self.dir.display()),
            Some(remote) => remote_error(remote, what, &self.dir, status),
        })
    }

    /// Accuracy and loss of `images` against `labels` with dropout off, in one run.
    fn accuracy_and_loss(
        &self,
        images: &Tensor<f32>,
        labels: &Tensor<f32>,
        what: &str,
    ) -> Result<BatchMetrics> {
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, images);
        args.add_feed(&self.ops.labels, 0, labels);
        args.add_feed(&self.ops.should_drop, 0, &self.drop_off);
        let accuracy = args.request_fetch(&self.ops.accuracy, 0);
        let loss = args.request_fetch(&self.ops.loss, 0);
        self.run(&mut args, what)?;
        Ok(BatchMetrics {
            accuracy: scalar(&mut args, accuracy, "accuracy")?,
            loss: scalar(&mut args, loss, "loss")?,
        })
    }

    /// [`Engine::evaluate`] on tensors of `n` images and their one-hot labels.
    fn evaluate_tensors(&self, images: &Tensor<f32>, labels: &Tensor<f32>) -> Result<Evaluation> {
        let n = labels.dims().first().copied().unwrap_or(0);
        ensure!(n > 0, "cannot evaluate an empty split");
        let metrics = self.accuracy_and_loss(images, labels, "evaluation")?;
        Ok(Evaluation {
            accuracy: metrics.accuracy,
            loss: metrics.loss,
            correct: (f64::from(metrics.accuracy) * n as f64).round() as u64,
            total: n,
        })
    }

    /// Saves the variables under `prefix` (`save`) or restores them from it, through the
    /// graph's saver ops; with a remote server, through their local mirror.
    fn run_saver(&self, prefix: &Path, save: bool) -> Result<()> {
        if let Some(saver) = &self.remote_saver {
            return if save {
                saver.save(&self.session, prefix, &self.dir)
            } else {
                saver.restore(&self.session, prefix, &self.dir)
            };
        }
        let (target, what) = if save {
            (
                &self.ops.saver_save,
                "TensorFlow's saver could not write the variables to",
            )
        } else {
            (
                &self.ops.saver_restore,
                "TensorFlow could not restore the variables (damaged, or from another model) \
                 from",
            )
        };
        let filename = prefix_tensor(prefix)?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.saver_filename, 0, &filename);
        args.add_target(target);
        self.session
            .run(&mut args)
            .map_err(tf_err(format!("{what} {}", prefix.display())))
    }
}

/// What [`Model::predict`] returns: `n * 10` values each, one row per image.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub logits: Vec<f32>,
    pub probabilities: Vec<f32>,
}

impl Engine for Model {
    /// The training feeds; empty for a model loaded for inference.
    fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]) {
        match &mut self.train {
            Some(feeds) => (&mut feeds.images[..], &mut feeds.labels[..]),
            None => (&mut [], &mut []),
        }
    }

    fn train_batch(&mut self, dropout: bool) -> Result<()> {
        let mut args = self.training_feeds(dropout)?;
        args.add_target(&self.ops.train_step);
        self.run(&mut args, "train_step")
    }

    fn batch_metrics(&mut self) -> Result<BatchMetrics> {
        let feeds = self.train_feeds()?;
        self.accuracy_and_loss(&feeds.images, &feeds.labels, "accuracy")
    }

    fn evaluate(&mut self, images: &[f32], labels: &[f32]) -> Result<Evaluation> {
        let n = labels.len() / NUM_CLASSES;
        ensure!(
            n > 0 && images.len() == n * IMAGE_PIXELS,
            "evaluation needs [n, 784] images and [n, 10] labels, got {} and {} values",
            images.len(),
            labels.len()
        );
        let images = rows(images, n, IMAGE_PIXELS, "evaluation images")?;
        let labels = rows(labels, n, NUM_CLASSES, "evaluation labels")?;
        self.evaluate_tensors(&images, &labels)
    }

    /// Copies the rows into tensors once per split (31 MB for the test set: about as long as
    /// evaluating `dense` on it) and feeds the same tensors on every later call.
    fn evaluate_split(&mut self, split: &DataSet, rows: Range<usize>) -> Result<Evaluation> {
        let cached = self
            .evaluated
            .take()
            .filter(|t| t.split == split.id() && t.rows == rows);
        let tensors = match cached {
            Some(tensors) => tensors,
            None => {
                let (images, labels) = split.rows(rows.clone());
                SplitTensors {
                    images: self::rows(images, rows.len(), IMAGE_PIXELS, "evaluation images")?,
                    labels: self::rows(labels, rows.len(), NUM_CLASSES, "evaluation labels")?,
                    split: split.id(),
                    rows,
                }
            }
        };
        let evaluation = self.evaluate_tensors(&tensors.images, &tensors.labels);
        self.evaluated = Some(tensors);
        evaluation
    }

    fn save_variables(&mut self, prefix: &Path) -> Result<()> {
        self.run_saver(prefix, true)
    }

    fn restore_variables(&mut self, prefix: &Path) -> Result<()> {
        self.run_saver(prefix, false)
    }
}

/// `values` as an `[n, width]` tensor; `what` names it in the error.
fn rows(values: &[f32], n: usize, width: usize, what: &str) -> Result<Tensor<f32>> {
    Tensor::new(&[n as u64, width as u64])
        .with_values(values)
        .map_err(tf_err(format!("cannot build the {what} tensor")))
}

/// A fetched `f32` tensor; `what` names it in the error.
fn fetch(args: &mut SessionRunArgs<'_>, token: FetchToken, what: &str) -> Result<Tensor<f32>> {
    args.fetch(token)
        .map_err(tf_err(format!("cannot fetch {what}")))
}

/// The first value of a fetched `f32` tensor (a scalar such as the accuracy).
fn scalar(args: &mut SessionRunArgs<'_>, token: FetchToken, what: &str) -> Result<f32> {
    fetch(args, token, what)?
        .first()
        .copied()
        .with_context(|| format!("{what} came back empty"))
}
