//! Session calls that isolate the parts of a training step, for `tflayers bench --breakdown`;
//! implemented on [`Model`] (loaded for training) beside its own calls.
//!
//! A training step is one `Session::run` that feeds four tensors and runs `train_step`. To see
//! where its time goes, [`Probe`] adds two calls that do less: one that runs the cheapest op in
//! the graph (the saver's file-name constant) and feeds nothing, which is the fixed cost of a
//! session call; and the same call feeding a training step's four tensors, which adds the
//! feeding. The training call minus the feeding call is then the graph itself.

use anyhow::Result;
use tensorflow::SessionRunArgs;

use super::model::Model;
use crate::train::Engine;

/// The extra session calls of the breakdown; implemented by [`Model`].
pub trait Probe: Engine {
    /// Runs the cheapest op of the graph, feeding nothing and fetching nothing.
    fn empty_call(&mut self) -> Result<()>;
    /// The same call, feeding the four tensors a training step feeds.
    fn feed_call(&mut self) -> Result<()>;
}

impl Probe for Model {
    fn empty_call(&mut self) -> Result<()> {
        let mut args = SessionRunArgs::new();
        args.add_target(&self.ops.saver_filename);
        self.run(&mut args, "an empty session call")
    }

    fn feed_call(&mut self) -> Result<()> {
        let mut args = self.training_feeds(true)?;
        args.add_target(&self.ops.saver_filename);
        self.run(&mut args, "a feeding session call")
    }
}
