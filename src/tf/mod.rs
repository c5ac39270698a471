//! Everything that touches TensorFlow: the only module that imports the `tensorflow` crate or
//! looks up libtensorflow symbols. The rest of the program sees [`model::Model`] (through the
//! TensorFlow-free [`Engine`](crate::train::Engine) trait when it trains), the settings in
//! [`session::SessionConfig`], and plain data.
//!
//! The map, each module depending only on those listed before it:
//!
//! * [`proto`]: the few TensorFlow protobuf messages written or read (`prost` derives).
//! * [`remote`]: `grpc://` targets and the TCP checks around a remote session (no TensorFlow).
//! * [`stdio`]: C's `stdout` sent to stderr, for TensorFlow's placement log.
//! * [`session`]: [`SessionConfig`](session::SessionConfig), session options and the errors
//!   session calls share.
//! * [`remote_saver`]: loading a model onto a TensorFlow server with its files kept here.
//! * [`model`]: a loaded SavedModel: training steps, evaluations, predictions, saving.
//! * [`probe`]: the extra session calls of `bench --breakdown`.
//! * [`summaries`]: TensorBoard events through the graph's own summary ops.
//! * [`devices`]: the loaded build (CPU or CUDA) and the devices a session sees.
//! * [`env`](mod@env): process-wide settings made at the start of `main` (allocator, thread
//!   pools, malloc, Abseil's log level).

/// Declares a struct of graph ops and its `resolve`, which looks each one up once by the name
/// the manifest gives it (`field = path.in.manifest`); a missing op is reported with the model
/// folder and the advice to re-export. `$kind` qualifies "op" in that message. The short
/// form `Name, kind, group { field, ... }` takes each field's name from `manifest.group`.
macro_rules! graph_ops {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $group:ident { $($field:ident),* $(,)? }) => {
        graph_ops! { $(#[$meta])* $name, $kind { $($field = $group.$field,)* } }
    };
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($field:ident = $($path:ident).+,)* }) => {
        $(#[$meta])*
        pub(super) struct $name {
            $(pub(super) $field: tensorflow::Operation,)*
        }

        impl $name {
            fn resolve(
                graph: &tensorflow::Graph,
                manifest: &crate::manifest::Manifest,
                dir: &std::path::Path,
            ) -> anyhow::Result<Self> {
                let op = |name: &str| {
                    graph.operation_by_name_required(name).map_err(|_| {
                        anyhow::anyhow!(
                            "{} has no {}op {name:?}, which models/manifest.json names; \
                             re-export the models with `make models`",
                            dir.display(),
                            $kind
                        )
                    })
                };
                Ok(Self {
                    $($field: op(&manifest.$($path).+)?,)*
                })
            }
        }
    };
}

pub mod devices;
pub mod env;
pub mod flops;
pub mod model;
pub mod probe;
pub mod proto;
pub mod rate;
pub mod remote;
pub mod remote_saver;
pub mod session;
pub mod stdio;
pub mod summaries;
