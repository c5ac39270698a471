//! The bench's measure of the machine: the practical float32 rate of a large matrix product
//! through libtensorflow ([`crate::tf::rate`]), with the thread settings the conv models train
//! with, and each model's work per step ([`crate::tf::flops`]) to set against it.

use anyhow::{Context, Result};
use serde::Serialize;

use super::report::Series;
use crate::config::RunConfig;
use crate::manifest::Manifest;
use crate::tf::flops;
use crate::tf::model::{Model, SessionConfig};
use crate::tf::rate::matmul;

/// Timed products, after one untimed.
const RUNS: u32 = 5;

/// What the probe measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeBench {
    /// The matrices were `n x n`.
    pub n: u64,
    /// GFLOP/s of each product.
    pub gflops: Series,
    /// The session's thread counts (`None`: TensorFlow's choice).
    pub intra_op_threads: Option<u32>,
    pub inter_op_threads: Option<u32>,
}

/// The matrix side: 2048 (17 GFLOP a product) keeps up to eight cores busy for a tenth of a
/// second each; larger machines get 4096.
fn side(cpus: usize) -> u64 {
    if cpus > 8 {
        4096
    } else {
        2048
    }
}

/// Runs the probe with the thread counts given on the command line, else those of the conv
/// models in the manifest (the models whose time the probe is meant to explain).
pub fn run_probe(manifest: &Manifest, run: &RunConfig) -> Result<ProbeBench> {
    let threads = manifest.session_threads(&manifest.model_dir("conv2"), run.thread_counts());
    let config = SessionConfig {
        intra_op_threads: threads.intra_op_threads,
        inter_op_threads: threads.inter_op_threads,
        ..SessionConfig::default()
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = side(cpus);
    eprintln!("== probe: {RUNS} products of {n}x{n} float32 matrices");
    let runs = matmul(&config, n, RUNS)?;
    Ok(ProbeBench {
        n,
        gflops: Series::new(runs.gflops()).context("the probe timed no product")?,
        intra_op_threads: threads.intra_op_threads,
        inter_op_threads: threads.inter_op_threads,
    })
}

/// Floating-point operations of one training step of `model` on `batch` images; `None` (with
/// a note) when the graph's shapes do not allow counting.
pub fn step_flops(model: &Model, manifest: &Manifest, batch: usize) -> Option<f64> {
    match flops::count(model, &manifest.inputs.images.op) {
        Ok(f) => Some(f.training * batch as f64),
        Err(err) => {
            eprintln!("note: the arithmetic of this model is not counted: {err:#}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_machines_get_larger_matrices() {
        assert_eq!(side(1), 2048);
        assert_eq!(side(8), 2048);
        assert_eq!(side(64), 4096);
    }
}
