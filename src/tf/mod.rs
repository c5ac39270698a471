//! Everything that touches TensorFlow: the only module that imports the `tensorflow` crate or
//! looks up libtensorflow symbols.
//!
//! * [`model`] loads an exported SavedModel and runs its training and evaluation ops;
//!   [`probe`] splits a training step into parts for `bench --breakdown`.
//! * [`remote`] and [`remote_saver`] run a model's session on a TensorFlow server.
//! * [`summaries`] writes TensorBoard events through the graph's own summary ops.
//! * [`devices`] says which build was loaded and which devices a session sees.
//! * [`env`](mod@env) and [`stdio`] set process-wide TensorFlow behaviour at start-up; [`proto`]
//!   reads the few protobuf fields the program needs.

pub mod devices;
pub mod env;
pub mod model;
pub mod probe;
pub mod proto;
pub mod remote;
pub mod remote_saver;
pub mod stdio;
pub mod summaries;
