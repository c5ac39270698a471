//! `tflayers evaluate`: a trained model on a MNIST split: accuracy, per-class precision and
//! recall, the confusion matrix as text and, on request, as a PNG heat map and a CSV of
//! per-image predictions.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{ensure, Context, Result};

use crate::figures::heatmap;
use crate::fsx::{check_output, write_atomically, Output};
use crate::manifest::Manifest;
use crate::mnist::dataset::{IMAGE_PIXELS, NUM_CLASSES};
use crate::mnist::load::load_data;
use crate::options::EvaluateOptions;
use crate::output::confusion::{argmax, Confusion};
use crate::output::model_label::model_label;
use crate::persist::trained;
use crate::tf::model::{check_graph_file, Model, SessionConfig};
use crate::tf::remote::Remote;

pub fn run(args: &EvaluateOptions) -> Result<()> {
    if let Some(path) = &args.confusion_png {
        check_output("--confusion-png", path, Output::File(&["png"]))?;
    }
    if let Some(path) = &args.predictions {
        check_output("--predictions", path, Output::File(&["csv"]))?;
    }
    let info = trained::open(&args.model_dir)?;
    let manifest = Manifest::load(&args.models_dir)?;
    check_graph_file(&args.model_dir, &manifest).with_context(|| {
        format!(
            "--model-dir {}: cannot load the model; pass a folder written by `tflayers train \
             --save` with this project's models",
            args.model_dir.display()
        )
    })?;
    let data = load_data(&args.data)?;
    let (split_name, split) = super::data::split(&data, args.split);
    ensure!(
        !split.is_empty(),
        "the {split_name} split is empty: pass --validation-size N with N > 0"
    );
    let mut model = load_trained(&args.model_dir, &manifest, args.remote.clone())?;
    let mut confusion = Confusion::default();
    let mut csv = String::from("index,label,predicted,probability\n");
    let chunk = args.eval_batch_size;
    for start in (0..split.len()).step_by(chunk) {
        let end = (start + chunk).min(split.len());
        let scores = model.predict(&split.images()[start * IMAGE_PIXELS..end * IMAGE_PIXELS])?;
        let rows = scores
            .logits
            .chunks_exact(NUM_CLASSES)
            .zip(scores.probabilities.chunks_exact(NUM_CLASSES));
        for (i, (logits, probabilities)) in rows.enumerate() {
            let label = usize::from(split.labels()[start + i]);
            let predicted = argmax(logits);
            confusion.add(label, predicted);
            if args.predictions.is_some() {
                let _ = writeln!(
                    csv,
                    "{},{label},{predicted},{}",
                    start + i,
                    probabilities[predicted]
                );
            }
        }
    }
    let trained = info.as_ref().map(|i| (i.model.as_str(), i.steps));
    let label = model_label(trained, &args.model_dir, &manifest);
    if let Some(note) = &label.note {
        eprintln!("{note}");
    }
    println!(
        "Model {} from {}, {split_name} split: {} images\n",
        label.name,
        args.model_dir.display(),
        split.len()
    );
    print!("{}", confusion.to_text());
    if let Some(path) = &args.confusion_png {
        let accuracy = f64::from(confusion.accuracy());
        let title = heatmap::title(&label.name, args.data.dataset.title(), split_name, accuracy);
        heatmap::write_png(path, &confusion, &title)?;
        eprintln!("Wrote the confusion heat map to {}", path.display());
    }
    if let Some(path) = &args.predictions {
        write_atomically(path, csv.as_bytes())
            .with_context(|| format!("--predictions {}: cannot write the file", path.display()))?;
        eprintln!("Wrote {} predictions to {}", split.len(), path.display());
    }
    Ok(())
}

/// The model `tflayers train --save` wrote into `model_dir`, loaded for inference (`evaluate`
/// and `predict`), in this process or on `remote`.
pub(super) fn load_trained(
    model_dir: &Path,
    manifest: &Manifest,
    remote: Option<Remote>,
) -> Result<Model> {
    let session = SessionConfig {
        remote,
        ..SessionConfig::default()
    };
    Model::load_for_inference(model_dir, manifest, &session).with_context(|| {
        format!(
            "--model-dir {}: cannot load the model; pass a folder written by `tflayers train \
             --save` with this project's models",
            model_dir.display()
        )
    })
}
