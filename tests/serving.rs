//! A model trained from Rust serves through TensorFlow's own tools: `saved_model_cli run` on
//! its `serving_default` signature, TF2's `tf.saved_model.load`, and the TFLite converter and
//! interpreter, each checked against what `tflayers predict` and `tflayers evaluate` print.

mod common;

use common::succeeded;

use std::path::{Path, PathBuf};
use std::process::Command;

use image::GrayImage;
use tflayers::mnist::dataset::pixel_to_f32;
use tflayers::mnist::fixtures::write_synthetic_mnist;

/// Test images of the dataset the accuracy tests use: as many as MNIST's test set.
const TEST_IMAGES: usize = 10_000;

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A program of the project's venv (`make setup` creates it; `make test` runs it first).
fn venv_program(name: &str) -> Command {
    let path = project().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make setup` before `cargo test`",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env("TF_CPP_MIN_LOG_LEVEL", "2");
    cmd
}

fn python_script(script: &str) -> Command {
    let mut cmd = venv_program("python");
    cmd.arg(project().join("python").join(script));
    cmd
}

/// `python/signature_eval.py` on `model` and the dataset in `data` (its tiny training split).
fn signature_eval(model: &Path, data: &Path) -> Command {
    let mut cmd = python_script("signature_eval.py");
    cmd.arg(model)
        .arg(data)
        .args(["--validation-size", &common::TINY_VALIDATION.to_string()]);
    cmd
}

/// A synthetic dataset with 10,000 test images.
fn dataset_with_full_test_set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_synthetic_mnist(dir.path(), common::TINY_TRAIN, TEST_IMAGES, 7).unwrap();
    dir
}

/// Trains `model` briefly on `data` and saves it into `out`. Few steps, so that the model is
/// far from perfect and its predictions differ from image to image.
fn train_and_save(model: &str, steps: u64, data: &Path, out: &Path) {
    succeeded(
        common::train_command(model, steps, 10, data)
            .args(["--log-every", "1000", "--offline", "--save"])
            .arg(out)
            .output()
            .unwrap(),
    );
}

/// The accuracy on the line of `stdout` that starts with `label`, then a number.
fn accuracy(stdout: &str, label: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in: {stdout}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?}: {line}"))
}

/// The float32 values of a little-endian `.npy` file written by NumPy (format 1.0 or 2.0).
fn read_npy_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = String::from_utf8_lossy(&bytes[start..start + header_len]);
    assert!(header.contains("'<f4'"), "not float32: {header}");
    bytes[start + header_len..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn saved_model_cli_gives_the_probabilities_predict_prints() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("model");
    train_and_save("dense", 30, data.path(), &model);

    // A digit drawn on a larger canvas, so that predict's preparation does real work.
    let mut digit = GrayImage::from_pixel(56, 40, image::Luma([255]));
    for y in 8..32 {
        for x in 24..30 {
            digit.put_pixel(x, y, image::Luma([20]));
        }
    }
    let image = work.path().join("one.png");
    digit.save(&image).unwrap();
    let inputs = work.path().join("inputs");
    let stdout = succeeded(
        common::tflayers()
            .args(["predict", "--json", "--model-dir"])
            .arg(&model)
            .arg("--save-inputs")
            .arg(&inputs)
            .arg(&image)
            .output()
            .unwrap(),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let predicted: Vec<f32> = report["predictions"][0]["probabilities"]
        .as_array()
        .unwrap_or_else(|| panic!("no probabilities in {stdout}"))
        .iter()
        .map(|p| p.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(predicted.len(), 10);

    // The 28x28 input the network saw, as the Python expression saved_model_cli evaluates.
    let seen = std::fs::read_dir(&inputs)
        .unwrap()
        .next()
        .expect("predict --save-inputs wrote no image")
        .unwrap()
        .path();
    let pixels: Vec<String> = image::open(&seen)
        .unwrap()
        .to_luma8()
        .pixels()
        .map(|p| format!("{:?}", pixel_to_f32(p.0[0])))
        .collect();
    assert_eq!(pixels.len(), 784);
    // A plain literal: saved_model_cli reads it with `ast.literal_eval`. Each value is the
    // shortest decimal of its float32, so the float32 fed is the one predict fed.
    let expression = format!("images=[[{}]]", pixels.join(","));
    let outdir = work.path().join("cli");
    let cli = succeeded(
        venv_program("saved_model_cli")
            .args(["run", "--dir"])
            .arg(&model)
            .args(["--tag_set", "serve", "--signature_def", "serving_default"])
            .arg("--input_exprs")
            .arg(&expression)
            .arg("--outdir")
            .arg(&outdir)
            .output()
            .unwrap(),
    );
    let served = read_npy_f32(&outdir.join("probabilities.npy"));
    assert_eq!(served.len(), 10, "{cli}");
    let largest = served
        .iter()
        .zip(&predicted)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    println!("saved_model_cli against predict --json: largest difference {largest:e}");
    // JSON carries each probability to the digits that name its float32 exactly.
    assert!(
        largest <= 1e-6,
        "served {served:?}, predicted {predicted:?}"
    );
}

#[test]
fn tf2_saved_model_load_gives_the_accuracy_evaluate_prints() {
    let data = dataset_with_full_test_set();
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("model");
    train_and_save("hidden", 3, data.path(), &model);

    let predictions = work.path().join("predictions.csv");
    let rust = evaluate_into(&model, data.path(), &predictions);
    let classes = work.path().join("classes.txt");
    let python = succeeded(
        signature_eval(&model, data.path())
            .arg("--classes")
            .arg(&classes)
            .output()
            .unwrap(),
    );
    let evaluated = accuracy(&rust, "Accuracy: ");
    let served = accuracy(&python, "Test accuracy: ");
    println!("evaluate: {evaluated}; tf.saved_model.load's signature: {served}");
    assert_eq!(evaluated, served);
    let (agree, total) = agreement(&predictions, &classes);
    assert_eq!((agree, total), (TEST_IMAGES, TEST_IMAGES));
    // Trained for three steps, the model is wrong on many images: equal accuracies mean
    // something.
    assert!(evaluated < 0.99, "{evaluated}");
}

/// `tflayers evaluate` of `model` on the test split of the dataset in `data`, with its
/// predictions written into `predictions`; returns what it printed.
fn evaluate_into(model: &Path, data: &Path, predictions: &Path) -> String {
    let mut evaluate = common::tflayers();
    evaluate.args(["evaluate", "--model-dir"]).arg(model);
    common::tiny_data_flags(&mut evaluate, data);
    succeeded(
        evaluate
            .arg("--predictions")
            .arg(predictions)
            .output()
            .unwrap(),
    )
}

/// How many of the images `evaluate --predictions` and `signature_eval.py --classes` classify
/// alike, and how many there are.
fn agreement(predictions: &Path, classes: &Path) -> (usize, usize) {
    let rust: Vec<String> = std::fs::read_to_string(predictions)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).unwrap().to_string())
        .collect();
    let python: Vec<String> = std::fs::read_to_string(classes)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(rust.len(), python.len());
    assert!(!rust.is_empty());
    let agree = rust.iter().zip(&python).filter(|(a, b)| a == b).count();
    (agree, rust.len())
}

#[test]
fn a_tflite_conv2_predicts_the_classes_evaluate_writes() {
    let data = dataset_with_full_test_set();
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("conv2");
    train_and_save("conv2", 5, data.path(), &model);
    let tflite: PathBuf = work.path().join("conv2.tflite");
    let converted = succeeded(
        python_script("export_tflite.py")
            .arg(&model)
            .arg(&tflite)
            .output()
            .unwrap(),
    );
    assert!(converted.contains("wrote"), "{converted}");
    assert!(std::fs::metadata(&tflite).unwrap().len() > 1_000_000);

    let predictions = work.path().join("predictions.csv");
    evaluate_into(&model, data.path(), &predictions);
    let classes = work.path().join("classes.txt");
    let lite = succeeded(
        signature_eval(&model, data.path())
            .arg("--tflite")
            .arg(&tflite)
            .arg("--classes")
            .arg(&classes)
            .output()
            .unwrap(),
    );
    let (agree, total) = agreement(&predictions, &classes);
    println!(
        "TFLite conv2: {agree} of {total} classes as evaluate's; accuracy {}",
        accuracy(&lite, "Test accuracy: ")
    );
    assert_eq!(total, TEST_IMAGES);
    // At least 99.9%: the interpreter's kernels may round differently on a near tie.
    assert!(agree * 1000 >= total * 999, "{agree} of {total}");
}

#[test]
fn the_tflite_exporter_refuses_a_folder_without_the_serving_signature() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("x.tflite");
    let output = python_script("export_tflite.py")
        .arg(work.path())
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("saved_model.pb not found"), "{stderr}");
    assert!(!out.exists());
}

#[test]
#[ignore = "needs the real MNIST files: make test-real REAL_MNIST=DIR"]
fn on_real_mnist_a_trained_conv2_serves_through_tf2_and_tflite_as_evaluate_measures_it() {
    let data = PathBuf::from(
        std::env::var_os("TFLAYERS_REAL_MNIST")
            .expect("set TFLAYERS_REAL_MNIST to the folder of the four .gz files"),
    );
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("conv2");
    succeeded(
        common::tflayers()
            .args([
                "train",
                "--model",
                "conv2",
                "--steps",
                "1000",
                "--quiet",
                "--offline",
            ])
            .arg("--data-dir")
            .arg(&data)
            .arg("--save")
            .arg(&model)
            .output()
            .unwrap(),
    );
    let predictions = work.path().join("predictions.csv");
    let rust = succeeded(
        common::tflayers()
            .args(["evaluate", "--offline", "--data-dir"])
            .arg(&data)
            .arg("--model-dir")
            .arg(&model)
            .arg("--predictions")
            .arg(&predictions)
            .output()
            .unwrap(),
    );
    let evaluated = accuracy(&rust, "Accuracy: ");

    let tf2_classes = work.path().join("tf2.txt");
    let tf2 = succeeded(
        python_script("signature_eval.py")
            .arg(&model)
            .arg(&data)
            .arg("--classes")
            .arg(&tf2_classes)
            .output()
            .unwrap(),
    );
    let tflite = work.path().join("conv2.tflite");
    succeeded(
        python_script("export_tflite.py")
            .arg(&model)
            .arg(&tflite)
            .output()
            .unwrap(),
    );
    let lite_classes = work.path().join("lite.txt");
    let lite = succeeded(
        python_script("signature_eval.py")
            .arg(&model)
            .arg(&data)
            .arg("--tflite")
            .arg(&tflite)
            .arg("--classes")
            .arg(&lite_classes)
            .output()
            .unwrap(),
    );
    let (tf2_agree, total) = agreement(&predictions, &tf2_classes);
    let (lite_agree, _) = agreement(&predictions, &lite_classes);
    println!(
        "ran on real data: conv2, 1000 steps, MNIST from {}\n\
         evaluate {evaluated}; tf.saved_model.load {} ({tf2_agree} of {total} classes alike); \
         TFLite {} ({lite_agree} of {total} alike)",
        data.display(),
        accuracy(&tf2, "Test accuracy: "),
        accuracy(&lite, "Test accuracy: "),
    );
    assert_eq!(total, TEST_IMAGES);
    assert_eq!(accuracy(&tf2, "Test accuracy: "), evaluated);
    assert_eq!(tf2_agree, total);
    assert!(lite_agree * 1000 >= total * 999, "{lite_agree} of {total}");
}
