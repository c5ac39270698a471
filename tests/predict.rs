//! `evaluate` and `predict` on a trained model: `predict` on test digits written as image
//! files (some inverted, some scaled onto a larger canvas, some JPEG) agrees with `evaluate` on
//! the same digits; bad models and bad images are refused naming the path.

mod common;

use common::succeeded;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, Luma};

use tflayers::mnist::fixtures::{write_gz_idx_images, write_gz_idx_labels};
use tflayers::mnist::generated::record_generated;
use tflayers::mnist::{Images, NumpyRandomState};
use tflayers::preprocess::prepare;

const TRAIN: usize = 600;
const TEST: usize = 60;
const VALIDATION: &str = "100";

/// The digits of a 5x7 bitmap font: rows top first, bit 4 the leftmost column.
const GLYPHS: [[u8; 7]; 10] = [
    [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
    [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
    [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
    [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
    [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
    [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
    [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
    [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
    [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
    [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
];

/// A printed-looking digit: the 5x7 font glyph drawn with a random stroke width and slant on
/// a large canvas, then prepared exactly as MNIST was (20-pixel box, centred by mass).
fn glyph_digit(digit: u8, rng: &mut NumpyRandomState) -> Vec<u8> {
    let glyph = GLYPHS[usize::from(digit)];
    let cell = 8i64;
    let grow = rng.random_interval(2) as i64; // stroke 8..=12 pixels
    let slant = rng.random_interval(4) as f64 * 0.05 - 0.1; // -0.1..=0.1 pixels per row
    let mut canvas = GrayImage::new(80, 90);
    for gy in 0..7u32 {
        for gx in 0..5u32 {
            if glyph[gy as usize] & (0x10 >> gx) == 0 {
                continue;
            }
            let (left, top) = (i64::from(gx) * cell + 20, i64::from(gy) * cell + 20);
            for y in top - grow..top + cell + grow {
                // Rows lower down shift left or right: a slant.
                let shift = (slant * (76 - y) as f64).round() as i64;
                for x in left - grow + shift..left + cell + grow + shift {
                    canvas.put_pixel(x as u32, y as u32, Luma([255]));
                }
            }
        }
    }
    prepare(&DynamicImage::ImageLuma8(canvas)).unwrap().bytes
}

fn glyph_set(count: usize, seed: u32) -> (Images, Vec<u8>) {
    let mut rng = NumpyRandomState::new(seed);
    let mut pixels = Vec::with_capacity(count * 784);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        let digit = rng.random_interval(9) as u8;
        pixels.extend(glyph_digit(digit, &mut rng));
        labels.push(digit);
    }
    let images = Images {
        count,
        rows: 28,
        cols: 28,
        pixels,
    };
    (images, labels)
}

/// Writes the glyph digits as the four MNIST files; returns the test images and labels.
fn write_glyph_mnist(dir: &Path) -> (Images, Vec<u8>) {
    static SETS: OnceLock<[(Images, Vec<u8>); 2]> = OnceLock::new();
    let [(train, train_labels), (test, test_labels)] =
        SETS.get_or_init(|| [glyph_set(TRAIN, 11), glyph_set(TEST, 12)]);
    write_gz_idx_images(&dir.join("train-images-idx3-ubyte.gz"), train).unwrap();
    write_gz_idx_labels(&dir.join("train-labels-idx1-ubyte.gz"), train_labels).unwrap();
    write_gz_idx_images(&dir.join("t10k-images-idx3-ubyte.gz"), test).unwrap();
    write_gz_idx_labels(&dir.join("t10k-labels-idx1-ubyte.gz"), test_labels).unwrap();
    // Generated here, not MNIST: say so, so the training commands accept them.
    let names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    record_generated(dir, &names, "tests/predict.rs glyph digits").unwrap();
    (test.clone(), test_labels.clone())
}

/// Test image `i` as a file, in one of four forms.
fn write_image(dir: &Path, i: usize, pixels: &[u8]) -> PathBuf {
    let digit = GrayImage::from_raw(28, 28, pixels.to_vec()).unwrap();
    match i % 4 {
        // As stored: light ink on black, 28x28.
        0 => {
            let path = dir.join(format!("{i}.png"));
            digit.save(&path).unwrap();
            path
        }
        // Inverted: dark ink on white paper.
        1 => {
            let mut inverted = digit.clone();
            imageops::invert(&mut inverted);
            let path = dir.join(format!("{i}-inverted.png"));
            inverted.save(&path).unwrap();
            path
        }
        // Five times larger, dark on light grey paper, off-centre on a wide canvas.
        2 => {
            let mut big = imageops::resize(&digit, 140, 140, FilterType::Triangle);
            imageops::invert(&mut big);
            let mut canvas = GrayImage::from_pixel(260, 190, Luma([255]));
            imageops::overlay(&mut canvas, &big, 20 + i as i64, 30);
            for p in canvas.pixels_mut() {
                p.0[0] = (f32::from(p.0[0]) * 0.9) as u8 + 10;
            }
            let path = dir.join(format!("{i}-scaled.png"));
            canvas.save(&path).unwrap();
            path
        }
        // Three times larger, as JPEG.
        _ => {
            let big = imageops::resize(&digit, 84, 84, FilterType::Triangle);
            let path = dir.join(format!("{i}.jpg"));
            big.save(&path).unwrap();
            path
        }
    }
}

fn train_and_save(data: &Path, model: &Path) {
    succeeded(
        common::train_on("dense", 150, 20, data)
            .args(["--learning-rate", "0.003", "--log-every", "50"])
            .args(["--validation-size", VALIDATION])
            .arg("--save")
            .arg(model)
            .output()
            .unwrap(),
    );
}

#[test]
fn predict_on_image_files_agrees_with_evaluate_on_the_same_digits() {
    let data = tempfile::tempdir().unwrap();
    let (test, labels) = write_glyph_mnist(data.path());
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("model");
    train_and_save(data.path(), &model);

    let csv = work.path().join("predictions.csv");
    let png = work.path().join("confusion.png");
    let evaluation = succeeded(
        common::tflayers()
            .args(["evaluate", "--model-dir"])
            .arg(&model)
            .args(["--validation-size", VALIDATION, "--data-dir"])
            .arg(data.path())
            .arg("--models-dir")
            .arg(common::models_dir())
            .arg("--predictions")
            .arg(&csv)
            .arg("--confusion-png")
            .arg(&png)
            .output()
            .unwrap(),
    );
    assert!(evaluation.contains("Confusion matrix"), "{evaluation}");
    assert!(image::open(&png).unwrap().width() > 500);
    let evaluated: Vec<usize> = fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(evaluated.len(), TEST);
    let correct = evaluated
        .iter()
        .zip(&labels)
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    assert!(
        correct >= TEST * 9 / 10,
        "the model is too weak: {correct}/{TEST}"
    );
    assert!(
        evaluation.contains(&format!("({correct}/{TEST})")),
        "{evaluation}"
    );

    let images: Vec<PathBuf> = test
        .pixels
        .chunks_exact(784)
        .enumerate()
        .map(|(i, pixels)| write_image(work.path(), i, pixels))
        .collect();
    let json = succeeded(
        common::tflayers()
            .args(["predict", "--json", "--model-dir"])
            .arg(&model)
            .arg("--models-dir")
            .arg(common::models_dir())
            .args(&images)
            .output()
            .unwrap(),
    );
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["model"], "dense");
    let predictions = report["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), TEST);
    for (i, p) in predictions.iter().enumerate() {
        assert_eq!(p["image"], images[i].to_str().unwrap());
        assert_eq!(
            p["digit"].as_u64().unwrap() as usize,
            evaluated[i],
            "image {} disagrees with evaluate",
            images[i].display()
        );
        assert_eq!(
            p["inverted"],
            i % 4 == 1 || i % 4 == 2,
            "{}",
            images[i].display()
        );
        let top3 = p["top3"].as_array().unwrap();
        assert_eq!(top3.len(), 3);
        assert_eq!(top3[0]["digit"], p["digit"]);
        let sum: f64 = p["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    }

    // The text form: one line per image, digit then the top three.
    let text = succeeded(
        common::tflayers()
            .args(["predict", "--model-dir"])
            .arg(&model)
            .arg("--models-dir")
            .arg(common::models_dir())
            .args(&images[..2])
            .output()
            .unwrap(),
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!(
            "{}: {}  (top 3: ",
            images[0].display(),
            evaluated[0]
        )),
        "{text}"
    );
}

/// Fails unless the command failed (status 1, no panic) saying all of `want`.
fn assert_refused(output: Output, want: &[&str]) {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    for w in want {
        assert!(text.contains(w), "missing {w:?} in: {text}");
    }
}

fn predict(model: &Path, models_dir: &Path, image: &Path) -> Output {
    common::tflayers()
        .args(["predict", "--model-dir"])
        .arg(model)
        .arg("--models-dir")
        .arg(models_dir)
        .arg(image)
        .output()
        .unwrap()
}

#[test]
fn bad_models_and_bad_images_are_refused_naming_the_path() {
    let data = tempfile::tempdir().unwrap();
    let (test, _) = write_glyph_mnist(data.path());
    let work = tempfile::tempdir().unwrap();
    let models = common::models_dir();
    let model = work.path().join("model");
    train_and_save(data.path(), &model);
    let good = write_image(work.path(), 0, &test.pixels[..784]);

    // Missing model folder, for both commands.
    let missing = work.path().join("no-model");
    assert_refused(
        predict(&missing, &models, &good),
        &["no-model", "no such folder", "train"],
    );
    assert_refused(
        common::tflayers()
            .args(["evaluate", "--model-dir"])
            .arg(&missing)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap(),
        &["no-model", "no such folder"],
    );
    // Not a SavedModel.
    let not_model = work.path().join("not-model");
    fs::create_dir(&not_model).unwrap();
    fs::write(not_model.join("readme.txt"), b"hello").unwrap();
    assert_refused(
        predict(&not_model, &models, &good),
        &["not-model", "not a SavedModel"],
    );
    // A SavedModel whose graph lacks an op the manifest names.
    let other_models = work.path().join("other-models");
    fs::create_dir(&other_models).unwrap();
    let manifest = fs::read_to_string(models.join("manifest.json"))
        .unwrap()
        .replace(
            "\"probabilities\": \"probabilities\"",
            "\"probabilities\": \"softmax_v2\"",
        );
    fs::write(other_models.join("manifest.json"), manifest).unwrap();
    assert_refused(
        predict(&model, &other_models, &good),
        &["--model-dir", "model", "softmax_v2"],
    );
    // The graph of one model with the variables of another.
    let mixed = work.path().join("mixed");
    fs::create_dir_all(mixed.join("variables")).unwrap();
    fs::copy(
        models.join("hidden/saved_model.pb"),
        mixed.join("saved_model.pb"),
    )
    .unwrap();
    for name in ["variables.index", "variables.data-00000-of-00001"] {
        fs::copy(
            model.join("variables").join(name),
            mixed.join("variables").join(name),
        )
        .unwrap();
    }
    assert_refused(predict(&mixed, &models, &good), &["mixed", "cannot load"]);

    // Images: undecodable, empty, blank.
    let garbage = work.path().join("garbage.png");
    fs::write(&garbage, b"this is not a PNG").unwrap();
    assert_refused(
        predict(&model, &models, &garbage),
        &["garbage.png", "cannot decode"],
    );
    let empty = work.path().join("empty.jpg");
    fs::write(&empty, b"").unwrap();
    assert_refused(predict(&model, &models, &empty), &["empty.jpg", "empty"]);
    let blank = work.path().join("blank.png");
    GrayImage::from_pixel(40, 40, Luma([255]))
        .save(&blank)
        .unwrap();
    assert_refused(
        predict(&model, &models, &blank),
        &["blank.png", "no digit found"],
    );
    // An empty validation split.
    assert_refused(
        common::tflayers()
            .args([
                "evaluate",
                "--split",
                "validation",
                "--validation-size",
                "0",
            ])
            .arg("--model-dir")
            .arg(&model)
            .arg("--data-dir")
            .arg(data.path())
            .arg("--models-dir")
            .arg(&models)
            .output()
            .unwrap(),
        &["validation split is empty", "--validation-size"],
    );
}
