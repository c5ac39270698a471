//! The machine's practical float32 rate, measured through the same libtensorflow and session
//! settings as training: a graph of one square `MatMul` (fed, so that nothing is folded into a
//! constant when the graph is optimised) whose result is summed to a scalar, so that fetching
//! costs nothing. `tflayers bench` divides each model's counted arithmetic
//! ([`super::flops`]) by its step time and compares it with this rate.
//!
//! A matrix product of this size keeps every core busy with the best kernel the build has for
//! the CPU (oneDNN's or Eigen's, as oneDNN is on or off in the process), which makes it the
//! practical ceiling for the dense and convolution layers of the models.

use std::time::Instant;

use anyhow::Context;

type Result<T, E = anyhow::Error> = std::result::Result<T, E>;
use tensorflow::{DataType, Graph, Operation, Session, SessionRunArgs, Status, Tensor};

use super::session::{local_options, tf_err, SessionConfig};

/// One measurement: `n x n` times `n x n`, the seconds of each timed run.
#[derive(Debug, Clone, PartialEq)]
pub struct MatMulRuns {
    pub n: u64,
    pub secs: Vec<f64>,
}

impl MatMulRuns {
    /// Floating-point operations of one product: `2 n^3`.
    pub fn flops(&self) -> f64 {
        2.0 * (self.n as f64).powi(3)
    }

    /// GFLOP/s of each run.
    pub fn gflops(&self) -> Vec<f64> {
        self.secs.iter().map(|s| self.flops() / s / 1e9).collect()
    }
}

/// Times `runs` products of two `n x n` float32 matrices in a session with `config`'s thread
/// counts, after one untimed run (which builds the executor and warms the caches).
pub fn matmul(config: &SessionConfig, n: u64, runs: u32) -> Result<MatMulRuns> {
    let mut graph = Graph::new();
    let (a, b, total) = build(&mut graph).map_err(tf_err("cannot build the probe's graph"))?;
    let session = Session::new(&local_options(config)?, &graph)
        .map_err(tf_err("cannot create the probe's session"))?;
    // Values in [0, 1) with no pattern a kernel could exploit; the same on every run.
    let values: Vec<f32> = (0..n * n)
        .map(|i| ((i.wrapping_mul(2_654_435_761) % 1000) as f32) / 1000.0)
        .collect();
    let matrix = Tensor::<f32>::new(&[n, n])
        .with_values(&values)
        .context("cannot build the probe's matrix")?;
    let run = || -> Result<f64> {
        let mut args = SessionRunArgs::new();
        args.add_feed(&a, 0, &matrix);
        args.add_feed(&b, 0, &matrix);
        let token = args.request_fetch(&total, 0);
        let start = Instant::now();
        session
            .run(&mut args)
            .map_err(tf_err("the probe's MatMul failed"))?;
        let secs = start.elapsed().as_secs_f64();
        let _: Tensor<f32> = args
            .fetch(token)
            .map_err(tf_err("cannot fetch the probe's sum"))?;
        Ok(secs)
    };
    run()?;
    let secs = (0..runs.max(1)).map(|_| run()).collect::<Result<_>>()?;
    Ok(MatMulRuns { n, secs })
}

/// Two float32 placeholders, their product, and its sum over both axes.
fn build(graph: &mut Graph) -> Result<(Operation, Operation, Operation), Status> {
    let placeholder = |graph: &mut Graph, name: &str| -> Result<Operation, Status> {
        let mut op = graph.new_operation("Placeholder", name)?;
        op.set_attr_type("dtype", DataType::Float)?;
        op.finish()
    };
    let a = placeholder(graph, "a")?;
    let b = placeholder(graph, "b")?;
    let mut op = graph.new_operation("MatMul", "product")?;
    op.add_input(a.clone());
    op.add_input(b.clone());
    let product = op.finish()?;
    let mut op = graph.new_operation("Const", "axes")?;
    op.set_attr_type("dtype", DataType::Int32)?;
    op.set_attr_tensor("value", Tensor::<i32>::new(&[2]).with_values(&[0, 1])?)?;
    let axes = op.finish()?;
    let mut op = graph.new_operation("Sum", "total")?;
    op.add_input(product);
    op.add_input(axes);
    Ok((a, b, op.finish()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_product_runs_and_reports_its_rate() {
        let runs = matmul(&SessionConfig::default(), 64, 3).unwrap();
        assert_eq!(runs.secs.len(), 3);
        assert_eq!(runs.flops(), 2.0 * 64.0 * 64.0 * 64.0);
        assert!(runs.gflops().iter().all(|g| g.is_finite() && *g > 0.0));
    }
}
