//! The main module that imports `tensorflow`: loads an exported SavedModel, resolves the
//! manifest's ops once, and runs training steps and evaluations in a `Session`, in-process or
//! on a remote server (`--target`; the remote loading and saving is in `remote_saver.rs`). Its
//! child [`probe`](super::probe) adds the calls `tflayers bench --breakdown` times.
//!
//! Feed tensors for one batch (`images`: [batch, 784] f32, `labels`: [batch, 10] f32) are
//! allocated once at load time; the training loop writes each batch straight into them through
//! [`Model::batch_buffers`], so a step copies the batch exactly once.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, ensure, Context, Result};
use tensorflow::{
    Code, Graph, Operation, SavedModelBundle, Session, SessionOptions, SessionRunArgs, Status,
    Tensor,
};

use crate::manifest::{Manifest, ThreadCounts, SAVED_MODEL_FILE};
use crate::mnist::dataset::{IMAGE_PIXELS, NUM_CLASSES};
use crate::tf::remote::{self, Failure, Remote};
use crate::tf::remote_saver::{self, RemoteSaver};
use crate::train::{BatchMetrics, Engine, Evaluation};

/// The version of the libtensorflow this binary is linked against.
pub fn tensorflow_version() -> String {
    tensorflow::version().unwrap_or_else(|_| "unknown".to_string())
}

/// Session settings, turned into a `ConfigProto`.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// Threads inside one op (`intra_op_parallelism_threads`); `None` lets TensorFlow choose.
    pub intra_op_threads: Option<u32>,
    /// Ops run concurrently (`inter_op_parallelism_threads`); `None` lets TensorFlow choose.
    pub inter_op_threads: Option<u32>,
    /// Log the device each op is placed on (`log_device_placement`).
    pub log_device_placement: bool,
    /// Run the graph on this remote TensorFlow server instead of in-process (`--target`).
    pub remote: Option<Remote>,
}

impl SessionConfig {
    /// The serialised `tensorflow.ConfigProto` for these settings.
    pub(crate) fn to_proto(&self) -> Vec<u8> {
        // ConfigProto fields: 2 intra_op_parallelism_threads, 5 inter_op_parallelism_threads,
        // 8 log_device_placement; all varints (wire type 0).
        let mut proto = Vec::new();
        if let Some(n) = self.intra_op_threads {
            push_varint_field(&mut proto, 2, u64::from(n));
        }
        if let Some(n) = self.inter_op_threads {
            push_varint_field(&mut proto, 5, u64::from(n));
        }
        if self.log_device_placement {
            push_varint_field(&mut proto, 8, 1);
        }
        // 11 operation_timeout_in_ms: without it a run against a server that died blocks for
        // ever; local sessions keep TensorFlow's default (no timeout).
        if let Some(remote) = &self.remote {
            let millis = u64::try_from(remote.operation_timeout.as_millis()).unwrap_or(u64::MAX);
            push_varint_field(&mut proto, 11, millis.max(1));
        }
        proto
    }
}

/// Session options for `config`: its `ConfigProto`, and the server's target when remote.
pub(crate) fn session_options(config: &SessionConfig) -> Result<SessionOptions> {
    if config.log_device_placement {
        // TensorFlow prints the placement with printf; stdout keeps only the article's lines.
        crate::tf::stdio::c_stdout_to_stderr()?;
    }
    let mut options = SessionOptions::new();
    options
        .set_config(&config.to_proto())
        .map_err(tf_err("TensorFlow rejected the session config"))?;
    if let Some(remote) = &config.remote {
        options
            .set_target(&remote.target.to_string())
            .with_context(|| format!("TensorFlow rejected the target {}", remote.target))?;
    }
    Ok(options)
}

fn push_varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    push_varint(out, field << 3);
    push_varint(out, value);
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Turns a TensorFlow status into an error that names what was being done.
pub(super) fn tf_err(what: impl std::fmt::Display) -> impl FnOnce(Status) -> anyhow::Error {
    move |status| anyhow!("{what}: {status}")
}

/// The manifest's ops, resolved once after loading.
pub(super) struct Ops {
    pub(super) images: Operation,
    pub(super) labels: Operation,
    pub(super) should_drop: Operation,
    pub(super) learning_rate: Operation,
    pub(super) train_step: Operation,
    pub(super) accuracy: Operation,
    pub(super) loss: Operation,
    pub(super) logits: Operation,
    pub(super) probabilities: Operation,
    pub(super) saver_filename: Operation,
    pub(super) saver_save: Operation,
    pub(super) saver_restore: Operation,
}

impl Ops {
    fn resolve(graph: &Graph, manifest: &Manifest, dir: &Path) -> Result<Self> {
        let op = |name: &str| -> Result<Operation> {
            graph.operation_by_name_required(name).map_err(|_| {
                anyhow!(
                    "{} has no op {name:?}, which models/manifest.json names; \
                     re-export the models with `make models`",
                    dir.display()
                )
            })
        };
        Ok(Self {
            images: op(&manifest.inputs.images.op)?,
            labels: op(&manifest.inputs.labels.op)?,
            should_drop: op(&manifest.inputs.should_drop.op)?,
            learning_rate: op(&manifest.inputs.learning_rate.op)?,
            train_step: op(&manifest.ops.train_step)?,
            accuracy: op(&manifest.ops.accuracy)?,
            loss: op(&manifest.ops.loss)?,
            logits: op(&manifest.ops.logits)?,
            probabilities: op(&manifest.ops.probabilities)?,
            saver_filename: op(&manifest.ops.saver_filename)?,
            saver_save: op(&manifest.ops.saver_save)?,
            saver_restore: op(&manifest.ops.saver_restore)?,
        })
    }
}

/// A loaded model with its session and preallocated feed tensors.
pub struct Model {
    pub(super) dir: PathBuf,
    pub(super) session: Session,
    /// The server the session runs on, for error messages; `None` in-process.
    pub(super) remote: Option<Remote>,
    /// With a remote server: the saver ops that keep the variables' files on this machine.
    pub(super) remote_saver: Option<RemoteSaver>,
    pub(super) ops: Ops,
    pub(super) images: Tensor<f32>,
    pub(super) labels: Tensor<f32>,
    pub(super) drop_on: Tensor<bool>,
    pub(super) drop_off: Tensor<bool>,
    pub(super) learning_rate: Tensor<f32>,
    /// Kept for side sessions on the same graph (TensorBoard, src/tensorboard.rs).
    pub(super) graph: Graph,
}

impl Model {
    /// Loads the SavedModel in `dir` and allocates feed tensors for `batch_size` examples.
    pub fn load(
        dir: &Path,
        manifest: &Manifest,
        config: &SessionConfig,
        batch_size: usize,
        learning_rate: f32,
    ) -> Result<Self> {
        ensure!(
            dir.join(SAVED_MODEL_FILE).is_file(),
            "{} not found; run `make models` to export the article's models",
            dir.join(SAVED_MODEL_FILE).display()
        );
        // Thread counts not given on the command line come from the manifest's measured
        // defaults for this model; python/train.py applies the same ones.
        let threads = manifest.session_threads(
            dir,
            ThreadCounts {
                intra_op_threads: config.intra_op_threads,
                inter_op_threads: config.inter_op_threads,
            },
        );
        let resolved = SessionConfig {
            intra_op_threads: threads.intra_op_threads,
            inter_op_threads: threads.inter_op_threads,
            ..config.clone()
        };
        let config = &resolved;
        let mut graph = Graph::new();
        let mut remote_saver = None;
        let session = match &config.remote {
            None => {
                let options = session_options(config)?;
                let bundle = SavedModelBundle::load(&options, &manifest.tags, &mut graph, dir)
                    .map_err(load_error(dir, manifest))?;
                bundle.session
            }
            Some(remote) => {
                let (session, saver) =
                    remote_saver::load(dir, manifest, config, remote, &mut graph)?;
                remote_saver = Some(saver);
                session
            }
        };
        let ops = Ops::resolve(&graph, manifest, dir)?;
        let batch = batch_size as u64;
        Ok(Self {
            dir: dir.to_path_buf(),
            session,
            remote: config.remote.clone(),
            remote_saver,
            ops,
            images: Tensor::new(&[batch, IMAGE_PIXELS as u64]),
            labels: Tensor::new(&[batch, NUM_CLASSES as u64]),
            drop_on: Tensor::from(true),
            drop_off: Tensor::from(false),
            learning_rate: Tensor::from(learning_rate),
            graph,
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
        let images = Tensor::new(&[n as u64, IMAGE_PIXELS as u64])
            .with_values(images)
            .map_err(tf_err("cannot build the prediction images tensor"))?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &images);
        args.add_feed(&self.ops.should_drop, 0, &self.drop_off);
        let logits = args.request_fetch(&self.ops.logits, 0);
        let probabilities = args.request_fetch(&self.ops.probabilities, 0);
        self.run(&mut args, "prediction")?;
        let fetch = |args: &mut SessionRunArgs<'_>, token, what: &str| -> Result<Vec<f32>> {
            let tensor: Tensor<f32> = args
                .fetch(token)
                .map_err(tf_err(format!("cannot fetch {what}")))?;
            ensure!(
                tensor.len() == n * NUM_CLASSES,
                "{what} of {} has {} values for {n} images; expected [n, {NUM_CLASSES}]",
                self.dir.display(),
                tensor.len()
            );
            Ok(tensor.to_vec())
        };
        Ok(Scores {
            logits: fetch(&mut args, logits, "logits")?,
            probabilities: fetch(&mut args, probabilities, "probabilities")?,
        })
    }

    /// Feeds `prefix` to the graph's saver and runs `target` (save or restore).
    fn run_saver(&self, prefix: &Path, target: &Operation, what: &str) -> Result<()> {
        let text = prefix.to_str().with_context(|| {
            format!(
                "{} is not valid UTF-8, which TensorFlow's saver needs; use another folder",
                prefix.display()
            )
        })?;
        let filename = Tensor::from(text.to_string());
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.saver_filename, 0, &filename);
        args.add_target(target);
        self.session
            .run(&mut args)
            .map_err(tf_err(format!("{what} {}", prefix.display())))
    }

    /// The loaded graph, for a second session that runs ops the training never needs.
    pub(crate) fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The SavedModel folder this model was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn run(&self, args: &mut SessionRunArgs<'_>, what: &str) -> Result<()> {
        self.session.run(args).map_err(|status| match &self.remote {
            None => anyhow!("{what} failed in {}: {status}", self.dir.display()),
            Some(remote) => remote_error(remote, what, &self.dir, status),
        })
    }
}

fn load_error(dir: &Path, manifest: &Manifest) -> impl FnOnce(Status) -> anyhow::Error {
    tf_err(format!(
        "cannot load the SavedModel in {} (tags {:?}); re-export it with `make models`",
        dir.display(),
        manifest.tags
    ))
}

/// How a remote run failed, in `remote`'s terms.
pub(crate) fn failure_kind(code: Code) -> Failure {
    match code {
        Code::DeadlineExceeded => Failure::Deadline,
        Code::Unavailable => Failure::Unavailable,
        _ => Failure::Other,
    }
}

/// A failed run on a remote server: what failed, where, TensorFlow's status, and whether the
/// server is still there.
pub(crate) fn remote_error(
    remote: &Remote,
    what: &str,
    dir: &Path,
    status: Status,
) -> anyhow::Error {
    let failure = failure_kind(status.code());
    anyhow!(
        "{what} failed on the TensorFlow server at {} (model {}): {status}; {}",
        remote.target,
        dir.display(),
        remote::diagnose_failure(remote, failure)
    )
}

/// What [`Model::predict`] returns: `n * 10` values each, one row per image.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub logits: Vec<f32>,
    pub probabilities: Vec<f32>,
}

impl Engine for Model {
    fn batch_buffers(&mut self) -> (&mut [f32], &mut [f32]) {
        (&mut self.images[..], &mut self.labels[..])
    }

    fn train_batch(&mut self, dropout: bool) -> Result<()> {
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &self.images);
        args.add_feed(&self.ops.labels, 0, &self.labels);
        let drop = if dropout {
            &self.drop_on
        } else {
            &self.drop_off
        };
        args.add_feed(&self.ops.should_drop, 0, drop);
        args.add_feed(&self.ops.learning_rate, 0, &self.learning_rate);
        args.add_target(&self.ops.train_step);
        self.run(&mut args, "train_step")
    }

    fn batch_metrics(&mut self) -> Result<BatchMetrics> {
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &self.images);
        args.add_feed(&self.ops.labels, 0, &self.labels);
        args.add_feed(&self.ops.should_drop, 0, &self.drop_off);
        let accuracy = args.request_fetch(&self.ops.accuracy, 0);
        let loss = args.request_fetch(&self.ops.loss, 0);
        self.run(&mut args, "accuracy")?;
        Ok(BatchMetrics {
            accuracy: scalar(&mut args, accuracy, "accuracy")?,
            loss: scalar(&mut args, loss, "loss")?,
        })
    }

    fn evaluate(&mut self, images: &[f32], labels: &[f32]) -> Result<Evaluation> {
        let n = labels.len() / NUM_CLASSES;
        ensure!(
            n > 0 && images.len() == n * IMAGE_PIXELS,
            "evaluation needs [n, 784] images and [n, 10] labels, got {} and {} values",
            images.len(),
            labels.len()
        );
        let images = Tensor::new(&[n as u64, IMAGE_PIXELS as u64]).with_values(images);
        let labels = Tensor::new(&[n as u64, NUM_CLASSES as u64]).with_values(labels);
        let images = images.map_err(tf_err("cannot build the evaluation images tensor"))?;
        let labels = labels.map_err(tf_err("cannot build the evaluation labels tensor"))?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.ops.images, 0, &images);
        args.add_feed(&self.ops.labels, 0, &labels);
        args.add_feed(&self.ops.should_drop, 0, &self.drop_off);
        let accuracy = args.request_fetch(&self.ops.accuracy, 0);
        let loss = args.request_fetch(&self.ops.loss, 0);
        self.run(&mut args, "evaluation")?;
        let accuracy = scalar(&mut args, accuracy, "accuracy")?;
        Ok(Evaluation {
            accuracy,
            loss: scalar(&mut args, loss, "loss")?,
            correct: (f64::from(accuracy) * n as f64).round() as u64,
            total: n as u64,
        })
    }

    fn save_variables(&mut self, prefix: &Path) -> Result<()> {
        if let Some(saver) = &self.remote_saver {
            return saver.save(&self.session, prefix, &self.dir);
        }
        self.run_saver(
            prefix,
            &self.ops.saver_save,
            "TensorFlow's saver could not write the variables to",
        )
    }

    fn restore_variables(&mut self, prefix: &Path) -> Result<()> {
        if let Some(saver) = &self.remote_saver {
            return saver.restore(&self.session, prefix, &self.dir);
        }
        self.run_saver(
            prefix,
            &self.ops.saver_restore,
            "TensorFlow could not restore the variables (damaged, or from another model) from",
        )
    }
}

pub(super) fn scalar(
    args: &mut SessionRunArgs<'_>,
    token: tensorflow::FetchToken,
    what: &str,
) -> Result<f32> {
    let tensor: Tensor<f32> = args
        .fetch(token)
        .map_err(tf_err(format!("cannot fetch {what}")))?;
    tensor
        .first()
        .copied()
        .with_context(|| format!("{what} came back empty"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_proto_encodes_thread_counts_and_placement_logging() {
        let config = SessionConfig {
            intra_op_threads: Some(2),
            inter_op_threads: Some(300),
            log_device_placement: true,
            ..SessionConfig::default()
        };
        // field 2 = 2; field 5 = 300 (varint ac 02); field 8 = 1
        assert_eq!(config.to_proto(), [0x10, 2, 0x28, 0xac, 0x02, 0x40, 1]);
        assert!(SessionConfig::default().to_proto().is_empty());
    }

    #[test]
    fn a_remote_config_bounds_every_operation() {
        let config = SessionConfig {
            remote: Some(Remote {
                target: "grpc://127.0.0.1:2222".parse().unwrap(),
                connect_timeout: std::time::Duration::from_secs(10),
                operation_timeout: std::time::Duration::from_secs(30),
            }),
            ..SessionConfig::default()
        };
        // field 11 (operation_timeout_in_ms) = 30000, varint b0 ea 01
        assert_eq!(config.to_proto(), [0x58, 0xb0, 0xea, 0x01]);
    }
}
