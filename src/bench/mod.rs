//! Measurements behind `tflayers bench`: Rust against Python on the same SavedModels and data.
//!
//! * [`rust_side`] runs the article's loop in this process, in portions, and times them;
//! * [`python_side`] drives `python/bench_steps.py`, the same loop in a Python child process
//!   that stays loaded between portions, so the two sides can take turns;
//! * [`crate::host`] describes the machine and how busy it was;
//! * [`onednn`] times each model with oneDNN off and on (`--onednn`);
//! * [`probe`] measures the machine's float32 rate with a matrix product through TensorFlow;
//! * [`data`] times loading MNIST on both sides (also `tflayers data bench`).
//!
//! The Python interpreter and scripts are found, and children started and measured (time to
//! their first line, wall time and peak memory), by [`crate::python`].
//! The command (`commands::bench`) decides the order; [`report`] holds what was measured, the
//! JSON it is saved as and the tables it is printed as.

pub mod data;
pub mod onednn;
pub mod probe;
pub mod python_side;
pub mod report;
pub mod run;
pub mod rust_side;

use serde::{Deserialize, Serialize};

/// Where one training step's time goes, in seconds per call, each part timed alone (also the
/// Python worker's answer to a `breakdown` command).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Calls timed per part (after one untimed call).
    pub calls: u64,
    /// Taking the next batch (Rust: gathering it into the feed tensors; Python: `next_batch`).
    pub batch_secs: f64,
    /// A session call that runs the cheapest op and feeds nothing: the fixed cost of a call.
    pub empty_call_secs: f64,
    /// The same call feeding a training step's four tensors.
    pub feed_call_secs: f64,
    /// The training call (`train_step`) on a fixed batch.
    pub train_call_secs: f64,
    /// A logged step's extra call: accuracy and loss of the batch, dropout off.
    pub metrics_call_secs: f64,
}

impl Breakdown {
    /// The feeding alone: the feeding call minus the empty call.
    pub fn feeding_secs(&self) -> f64 {
        self.feed_call_secs - self.empty_call_secs
    }

    /// The graph itself: the training call minus the feeding call.
    pub fn graph_secs(&self) -> f64 {
        self.train_call_secs - self.feed_call_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_parts_are_differences_of_calls() {
        let b = Breakdown {
            calls: 10,
            batch_secs: 1.0,
            empty_call_secs: 2.0,
            feed_call_secs: 5.0,
            train_call_secs: 12.0,
            metrics_call_secs: 4.0,
        };
        assert_eq!(b.feeding_secs(), 3.0);
        assert_eq!(b.graph_secs(), 7.0);
    }
}
