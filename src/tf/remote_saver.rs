//! A model's session on a remote TensorFlow server, with its files kept on this machine:
//! [`load`] imports a SavedModel's graph, starts the session on the server and restores the
//! variables into it; [`RemoteSaver`] saves and restores them later. Used by
//! [`model`](super::model) when `--target` is given.
//!
//! TensorFlow's saver ops run where the session runs: on a remote server, `RestoreV2` would
//! read the SavedModel's variables and `SaveV2` would write checkpoints on the server's disk,
//! which need not be this machine's. So a remote model keeps its graph's saver ops unused and
//! mirrors them in a small local graph: the same `RestoreV2` and `SaveV2` ops with the same
//! tensor names, fed a prefix on this machine. Restoring reads the values here and runs the
//! remote saver's restore op with them fed in place of its file reads; saving fetches the values
//! the remote `SaveV2` would have written and writes them here. The files are byte-for-byte
//! what the saver writes in-process, and the server opens none.

use std::fs;
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use tensorflow::{
    DataType, Graph, ImportGraphDefOptions, Operation, OperationDescription, Output, Session,
    SessionOptions, SessionRunArgs, Tensor,
};

use super::proto;
use super::remote::{self, Remote};
use super::session::{self, prefix_tensor, remote_error, tf_err, SessionConfig};
use crate::manifest::{Manifest, SAVED_MODEL_FILE, VARIABLES_DIR, VARIABLES_PREFIX};

/// One `RestoreV2` of the model's graph and its local copy.
struct Reader {
    remote_op: Operation,
    local_op: Operation,
    outputs: usize,
}

/// The model's `SaveV2` and its local copy, fed through placeholders.
struct Writer {
    local_op: Operation,
    placeholders: Vec<Operation>,
    /// The tensors the model's `SaveV2` would write, fetched from the remote session.
    sources: Vec<(Operation, i32)>,
}

/// The local mirror of a graph's saver ops.
pub struct RemoteSaver {
    session: Session,
    prefix: Operation,
    readers: Vec<Reader>,
    writer: Writer,
    restore: Operation,
    remote: Remote,
}

/// Imports the SavedModel in `dir` into `graph`, creates a session on the server, and restores
/// the variables into it from the files here. Returns the session and the saver mirror.
pub fn load(
    dir: &Path,
    manifest: &Manifest,
    config: &SessionConfig,
    remote: &Remote,
    graph: &mut Graph,
) -> Result<(Session, RemoteSaver)> {
    // A plain TCP check first: TensorFlow itself would wait for a missing server for minutes.
    remote::check_reachable(&remote.target, remote.connect_timeout)?;
    let pb = dir.join(SAVED_MODEL_FILE);
    let saved_model = fs::read(&pb).with_context(|| format!("cannot read {}", pb.display()))?;
    // The graph as exported: device names kept, for graphs exported with `--cluster`.
    let graph_def = proto::saved_model_graph_def(&saved_model, &manifest.tags)
        .with_context(|| format!("{} is not a usable SavedModel; re-export it", pb.display()))?;
    graph
        .import_graph_def(&graph_def, &ImportGraphDefOptions::new())
        .map_err(tf_err(format!(
            "cannot import the graph of {}",
            pb.display()
        )))?;
    let saver = RemoteSaver::build(graph, dir, manifest, remote)?;
    let options = session::options(config)?;
    let session = Session::new(&options, graph).map_err(tf_err(format!(
        "cannot create a session on the TensorFlow server at {}",
        remote.target
    )))?;
    let variables = dir.join(VARIABLES_DIR).join(VARIABLES_PREFIX);
    saver.restore(&session, &variables, dir)?;
    Ok((session, saver))
}

/// Adds an op of `op_type` to `graph`: `inputs` first, then what `set` adds.
fn add_op(
    graph: &mut Graph,
    op_type: &str,
    name: &str,
    inputs: &[&Operation],
    set: impl FnOnce(&mut OperationDescription<'_>) -> Result<()>,
) -> Result<Operation> {
    let build = || -> Result<Operation> {
        let mut op = graph.new_operation(op_type, name)?;
        for &input in inputs {
            op.add_input(input.clone());
        }
        set(&mut op)?;
        Ok(op.finish()?)
    };
    build().map_err(|err| anyhow!("cannot build the local copy of the saver's ops: {err}"))
}

/// Adds a string constant to `graph`.
fn constant(graph: &mut Graph, name: &str, value: Tensor<String>) -> Result<Operation> {
    add_op(graph, "Const", name, &[], |op| {
        op.set_attr_type("dtype", DataType::String)?;
        op.set_attr_tensor("value", value)?;
        Ok(())
    })
}

/// Adds a placeholder of `dtype` to `graph`.
fn placeholder(graph: &mut Graph, name: &str, dtype: DataType) -> Result<Operation> {
    add_op(graph, "Placeholder", name, &[], |op| {
        Ok(op.set_attr_type("dtype", dtype)?)
    })
}

impl RemoteSaver {
    /// Copies `graph`'s `RestoreV2` and `SaveV2` ops into a local graph.
    fn build(graph: &Graph, dir: &Path, manifest: &Manifest, remote: &Remote) -> Result<Self> {
        let bad = |what: &str| anyhow!("{}: {what}; re-export the models", dir.display());
        let of_type = |wanted: &str| -> Vec<Operation> {
            graph
                .operation_iter()
                .filter(|op| op.op_type().is_ok_and(|t| t == wanted))
                .collect()
        };
        let float_types = |op: &Operation| -> Result<Vec<DataType>> {
            let dtypes = op
                .get_attr_type_list("dtypes")
                .map_err(|_| bad("a saver op has no dtypes"))?;
            if let Some(other) = dtypes.iter().find(|&&t| t != DataType::Float) {
                bail!(
                    "{}: a saved variable is {other:?}; only float32 variables can be kept \
                     on this machine for a remote server",
                    dir.display()
                );
            }
            Ok(dtypes)
        };
        // Inputs 1 and 2 of both ops: the tensor names and their slices, constants.
        let names_and_slices = |op: &Operation| -> Result<[Tensor<String>; 2]> {
            let value = |input: usize| {
                op.input(input)
                    .0
                    .get_attr_tensor::<String>("value")
                    .map_err(|_| bad("a saver op reads non-constant tensor names"))
            };
            Ok([value(1)?, value(2)?])
        };
        let restore = graph
            .operation_by_name_required(&manifest.ops.saver_restore)
            .map_err(|_| bad(&format!("no op {:?}", manifest.ops.saver_restore)))?;

        let mut local = Graph::new();
        let prefix = placeholder(&mut local, "prefix", DataType::String)?;
        let remote_readers = of_type("RestoreV2");
        ensure!(
            !remote_readers.is_empty(),
            bad("the graph has no RestoreV2 op")
        );
        let mut readers = Vec::new();
        for (i, remote_op) in remote_readers.into_iter().enumerate() {
            let dtypes = float_types(&remote_op)?;
            let [names, slices] = names_and_slices(&remote_op)?;
            let names = constant(&mut local, &format!("read{i}/names"), names)?;
            let slices = constant(&mut local, &format!("read{i}/slices"), slices)?;
            let local_op = add_op(
                &mut local,
                "RestoreV2",
                &format!("read{i}/restore"),
                &[&prefix, &names, &slices],
                |op| Ok(op.set_attr_type_list("dtypes", &dtypes)?),
            )?;
            readers.push(Reader {
                remote_op,
                local_op,
                outputs: dtypes.len(),
            });
        }

        let [remote_writer] = <[Operation; 1]>::try_from(of_type("SaveV2"))
            .map_err(|_| bad("the graph needs exactly one SaveV2 op (an unsharded saver)"))?;
        let dtypes = float_types(&remote_writer)?;
        let [names, slices] = names_and_slices(&remote_writer)?;
        let names = constant(&mut local, "write/names", names)?;
        let slices = constant(&mut local, "write/slices", slices)?;
        let mut placeholders = Vec::new();
        let mut sources = Vec::new();
        for (i, &dtype) in dtypes.iter().enumerate() {
            placeholders.push(placeholder(&mut local, &format!("write/value{i}"), dtype)?);
            let (op, index) = remote_writer.input(3 + i);
            sources.push((op, index as i32));
        }
        let values: Vec<Output> = placeholders.iter().map(|p| p.clone().into()).collect();
        let writer = Writer {
            local_op: add_op(
                &mut local,
                "SaveV2",
                "write/save",
                &[&prefix, &names, &slices],
                |op| {
                    op.add_input_list(&values);
                    Ok(op.set_attr_type_list("dtypes", &dtypes)?)
                },
            )?,
            placeholders,
            sources,
        };

        let session = Session::new(&SessionOptions::new(), &local).map_err(tf_err(
            "cannot start the local session that reads and writes variables",
        ))?;
        Ok(Self {
            session,
            prefix,
            readers,
            writer,
            restore,
            remote: remote.clone(),
        })
    }

    /// Reads the variables saved under `prefix` here and restores them on the server.
    pub fn restore(&self, remote_session: &Session, prefix: &Path, dir: &Path) -> Result<()> {
        let prefix_tensor = prefix_tensor(prefix)?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.prefix, 0, &prefix_tensor);
        let mut tokens = Vec::new();
        for reader in &self.readers {
            for slot in 0..reader.outputs as i32 {
                let token = args.request_fetch(&reader.local_op, slot);
                tokens.push((&reader.remote_op, slot, token));
            }
        }
        self.session.run(&mut args).map_err(tf_err(format!(
            "TensorFlow could not read the variables (damaged, or from another model) from {}",
            prefix.display()
        )))?;
        let mut values = Vec::with_capacity(tokens.len());
        for (remote_op, slot, token) in tokens {
            let value: Tensor<f32> = args
                .fetch(token)
                .map_err(tf_err("cannot fetch a saved variable"))?;
            values.push((remote_op, slot, value));
        }
        let mut args = SessionRunArgs::new();
        for (remote_op, slot, value) in &values {
            args.add_feed(remote_op, *slot, value);
        }
        args.add_target(&self.restore);
        remote_session
            .run(&mut args)
            .map_err(|status| remote_error(&self.remote, "sending the variables", dir, status))
    }

    /// Fetches the variables from the server and writes them under `prefix` here, as the
    /// graph's own saver would.
    pub fn save(&self, remote_session: &Session, prefix: &Path, dir: &Path) -> Result<()> {
        let prefix_tensor = prefix_tensor(prefix)?;
        let mut args = SessionRunArgs::new();
        let tokens: Vec<_> = self
            .writer
            .sources
            .iter()
            .map(|(op, index)| args.request_fetch(op, *index))
            .collect();
        remote_session
            .run(&mut args)
            .map_err(|status| remote_error(&self.remote, "fetching the variables", dir, status))?;
        let values = tokens
            .into_iter()
            .map(|token| args.fetch::<f32>(token))
            .collect::<Result<Vec<_>, _>>()
            .map_err(tf_err("cannot fetch a variable from the server"))?;
        let mut args = SessionRunArgs::new();
        args.add_feed(&self.prefix, 0, &prefix_tensor);
        for (placeholder, value) in self.writer.placeholders.iter().zip(&values) {
            args.add_feed(placeholder, 0, value);
        }
        args.add_target(&self.writer.local_op);
        self.session.run(&mut args).map_err(tf_err(format!(
            "TensorFlow's saver could not write the variables to {}",
            prefix.display()
        )))
    }
}
