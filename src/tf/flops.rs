//! The arithmetic of one training step, counted from a loaded graph's layer shapes: what
//! `tflayers bench` divides by the step time to get a model's achieved GFLOP/s.
//!
//! Only the convolutions (`Conv2D`) and matrix products (`MatMul`) of the forward pass are
//! counted, two floating-point operations per multiply-add; bias additions, ReLU, pooling,
//! softmax and Adam's update add well under 1% for these models (Adam: about ten operations per
//! parameter, 33 MFLOP a step for `conv2` against its 8 GFLOP). Training repeats each layer's
//! work twice more on the way back (the gradient of its weights and of its input), except that
//! the first layer's input, the images, needs no gradient: per example, 3 x forward - first
//! layer. This is the count TensorFlow's own cost model and the usual hand counts give.

use anyhow::{bail, Context, Result};
use tensorflow::{Graph, Operation, Output};

use super::model::Model;

/// Floating-point operations of one model, per example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flops {
    /// The forward pass of one image.
    pub forward: f64,
    /// Forward and backward pass of one image in a training step.
    pub training: f64,
}

/// The layer ops counted, and how deep to look above a layer for the images placeholder.
const LAYER_OPS: [&str; 2] = ["Conv2D", "MatMul"];
const INPUT_SEARCH_DEPTH: usize = 8;

/// Counts `model`'s arithmetic from its graph; `images_op` is the images placeholder.
pub fn count(model: &Model, images_op: &str) -> Result<Flops> {
    count_graph(model.graph(), images_op)
}

fn count_graph(graph: &Graph, images_op: &str) -> Result<Flops> {
    let mut forward = 0.0;
    let mut first = 0.0;
    for op in graph.operation_iter() {
        let name = op.name().unwrap_or_default();
        let kind = op.op_type().unwrap_or_default();
        // The gradient ops live under `gradients/`; their work is the 2x counted below.
        if !LAYER_OPS.contains(&kind.as_str()) || name.starts_with("gradients") {
            continue;
        }
        let flops = 2.0
            * multiply_adds(graph, &op, &kind).with_context(|| {
                format!("cannot count the arithmetic of {name} ({kind}) from its shapes")
            })?;
        forward += flops;
        if reads_images(&op, images_op) {
            first += flops;
        }
    }
    if forward == 0.0 {
        bail!("the graph has no Conv2D or MatMul outside its gradients");
    }
    Ok(Flops {
        forward,
        training: 3.0 * forward - first,
    })
}

/// Multiply-adds of one layer op for one example.
fn multiply_adds(graph: &Graph, op: &Operation, kind: &str) -> Result<f64> {
    let dims = |output: Output| -> Result<Vec<i64>> {
        let shape = graph.tensor_shape(output)?;
        let rank = shape.dims().context("unknown rank")?;
        // The batch dimension is unknown (-1); every other one must be known.
        (0..rank)
            .map(|i| shape[i].or(if i == 0 { Some(1) } else { None }))
            .map(|d| d.context("a dimension other than the batch is unknown"))
            .collect()
    };
    let product = |v: &[i64]| v.iter().map(|&d| d.max(1) as f64).product::<f64>();
    // The layer's weights: a convolution's filter or a product's matrix.
    let (weights, index) = op.input(1);
    let weights = dims(Output {
        operation: weights,
        index: index as i32,
    })?;
    if kind == "Conv2D" {
        // Output [batch, h, w, out], filter [kh, kw, in, out]: every output value takes
        // kh * kw * in multiply-adds.
        let out = dims(Output {
            operation: op.clone(),
            index: 0,
        })?;
        if out.len() != 4 || weights.len() != 4 {
            bail!("expected 4-D output and filter, got {out:?} and {weights:?}");
        }
        Ok(product(&out[1..]) * product(&weights[..3]))
    } else {
        // [batch, k] x [k, m] (the layers' products are not transposed): k * m.
        if weights.len() != 2 {
            bail!("expected a 2-D weight matrix, got {weights:?}");
        }
        Ok(product(&weights))
    }
}

/// Whether `op`'s input reaches the images placeholder without passing another layer.
fn reads_images(op: &Operation, images_op: &str) -> bool {
    let mut current = op.input(0).0;
    for _ in 0..INPUT_SEARCH_DEPTH {
        let kind = current.op_type().unwrap_or_default();
        if current.name().unwrap_or_default() == images_op {
            return true;
        }
        if LAYER_OPS.contains(&kind.as_str()) || current.num_inputs() == 0 {
            return false;
        }
        current = current.input(0).0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::tf::model::SessionConfig;

    fn flops(name: &str) -> Flops {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let manifest = Manifest::load(&dir).unwrap();
        let model = Model::load_for_inference(
            &manifest.model_dir(name),
            &manifest,
            &SessionConfig::default(),
        )
        .unwrap();
        count(&model, &manifest.inputs.images.op).unwrap()
    }

    #[test]
    fn the_article_models_are_counted_from_their_layer_shapes() {
        // dense: 784 x 10 multiply-adds, the first (and only) layer.
        let dense = flops("dense");
        assert_eq!(dense.forward, 2.0 * 7840.0);
        assert_eq!(dense.training, 2.0 * dense.forward);
        // conv2: conv 28x28x32 with 5x5x1 filters, conv 14x14x64 with 5x5x32, dense
        // 3136 -> 1024, dense 1024 -> 10.
        let conv1 = 28.0 * 28.0 * 32.0 * 25.0;
        let rest = 14.0 * 14.0 * 64.0 * 25.0 * 32.0 + 3136.0 * 1024.0 + 10240.0;
        let conv2 = flops("conv2");
        assert_eq!(conv2.forward, 2.0 * (conv1 + rest));
        assert_eq!(conv2.training, 2.0 * (2.0 * conv1 + 3.0 * rest));
        // dropout has conv2's layers.
        assert_eq!(flops("dropout"), conv2);
    }
}
