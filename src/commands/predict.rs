//! `tflayers predict`: classifies image files with a trained model and prints each image's
//! digit and top-3 probabilities, as text or JSON.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::Serialize;

use crate::fsx::{check_output, Output};
use crate::manifest::Manifest;
use crate::mnist::dataset::NUM_CLASSES;
use crate::options::PredictOptions;
use crate::output::confusion::argmax;
use crate::output::error_chain::error_chain;
use crate::output::model_label::model_label;
use crate::persist::trained;
use crate::preprocess::{self, Prepared};

/// One class and its probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ranked {
    pub digit: usize,
    pub probability: f32,
}

/// The prediction for one image, as `--json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub image: PathBuf,
    pub digit: usize,
    pub top3: Vec<Ranked>,
    pub probabilities: Vec<f32>,
    /// Whether the image had dark ink on a light background (and was inverted).
    pub inverted: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    model: Option<&'a str>,
    model_dir: &'a Path,
    predictions: &'a [Prediction],
}

/// The three most probable digits, most probable first (the lower digit first on ties).
pub fn top3(probabilities: &[f32]) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = probabilities
        .iter()
        .enumerate()
        .map(|(digit, &probability)| Ranked { digit, probability })
        .collect();
    ranked.sort_by(|a, b| {
        b.probability
            .total_cmp(&a.probability)
            .then(a.digit.cmp(&b.digit))
    });
    ranked.truncate(3);
    ranked
}

pub fn run(args: &PredictOptions) -> Result<()> {
    if let Some(dir) = &args.save_inputs {
        check_output("--save-inputs", dir, Output::Folder)?;
    }
    let info = trained::open(&args.model_dir)?;
    let manifest = Manifest::load(&args.models_dir)?;
    // Every image is read before TensorFlow starts. A bad one is reported and skipped; the
    // others are still classified, and the command fails at the end.
    let (images, prepared, unreadable) = read_images(&args.images)?;
    if let Some(dir) = &args.save_inputs {
        save_inputs(dir, &images, &prepared)?;
    }
    let trained = info.as_ref().map(|i| (i.model.as_str(), i.steps));
    if let Some(note) = model_label(trained, &args.model_dir, &manifest).note {
        eprintln!("{note}");
    }
    let mut model = super::evaluate::load_trained(&args.model_dir, &manifest, args.remote.clone())?;
    let pixels: Vec<f32> = prepared.iter().flat_map(Prepared::pixels).collect();
    let scores = model.predict(&pixels)?;
    let predictions: Vec<Prediction> = images
        .iter()
        .zip(&prepared)
        .zip(
            scores
                .logits
                .chunks_exact(NUM_CLASSES)
                .zip(scores.probabilities.chunks_exact(NUM_CLASSES)),
        )
        .map(|((image, input), (logits, probabilities))| Prediction {
            image: image.clone(),
            digit: argmax(logits),
            top3: top3(probabilities),
            probabilities: probabilities.to_vec(),
            inverted: input.inverted,
        })
        .collect();
    if args.json {
        let report = Report {
            model: info.as_ref().map(|i| i.model.as_str()),
            model_dir: &args.model_dir,
            predictions: &predictions,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("cannot serialise the predictions")?
        );
    } else {
        for p in &predictions {
            let top: Vec<String> = p
                .top3
                .iter()
                .map(|r| format!("{} {:.2}%", r.digit, f64::from(r.probability) * 100.0))
                .collect();
            println!(
                "{}: {}  (top 3: {})",
                p.image.display(),
                p.digit,
                top.join(", ")
            );
        }
    }
    ensure!(
        unreadable == 0,
        "{unreadable} of {} images could not be read (each is named above); {} classified",
        args.images.len(),
        match images.len() {
            1 => "the other one was".to_string(),
            n => format!("the other {n} were"),
        }
    );
    Ok(())
}

/// The images that could be read, prepared, and how many could not; each unreadable one is
/// reported on stderr. A single image, or a batch of which none could be read, is an error.
fn read_images(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Prepared>, usize)> {
    if let [path] = paths {
        return Ok((vec![path.clone()], vec![preprocess::load(path)?], 0));
    }
    let (mut images, mut prepared, mut unreadable) = (Vec::new(), Vec::new(), 0);
    for path in paths {
        match preprocess::load(path) {
            Ok(input) => {
                images.push(path.clone());
                prepared.push(input);
            }
            Err(err) => {
                eprintln!("error: {}", error_chain(&err));
                unreadable += 1;
            }
        }
    }
    ensure!(
        !images.is_empty(),
        "none of the {} images could be read (each is named above)",
        paths.len()
    );
    Ok((images, prepared, unreadable))
}

/// Writes each prepared input as `<name>.28x28.png` into `dir`.
fn save_inputs(dir: &Path, images: &[PathBuf], prepared: &[Prepared]) -> Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("--save-inputs {}: cannot create the folder", dir.display()))?;
    for (i, (image, input)) in images.iter().zip(prepared).enumerate() {
        let stem = image
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("image{i}"));
        let path = dir.join(format!("{stem}.28x28.png"));
        input
            .to_image()
            .save(&path)
            .with_context(|| format!("--save-inputs: cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top3_is_sorted_and_stable_on_ties() {
        let p = [0.05, 0.3, 0.05, 0.3, 0.0, 0.1, 0.0, 0.2, 0.0, 0.0];
        let digits: Vec<usize> = top3(&p).iter().map(|r| r.digit).collect();
        assert_eq!(digits, [1, 3, 7]);
    }
}
