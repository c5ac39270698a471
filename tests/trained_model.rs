//! A trained model (`train --save`) records the size and CRC-32 of every file it wrote in
//! `tflayers.json`; `evaluate`, `predict` and `train --resume` check them before TensorFlow
//! or the data loader reads anything, naming the damaged file and what to do. A garbage
//! `saved_model.pb` among the exported graphs names the file and `make models`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Trains `dense` for two steps and saves it into `root/model`.
fn saved_model(root: &Path, data: &Path) -> PathBuf {
    let model = root.join("model");
    common::train_dense_briefly(data)
        .arg("--save")
        .arg(&model)
        .assert()
        .success();
    model
}

fn evaluate(model: &Path, data: &Path) -> std::process::Output {
    let mut cmd = common::tflayers();
    cmd.args(["evaluate", "--model-dir"]).arg(model);
    common::tiny_data_flags(&mut cmd, data);
    cmd.output().unwrap()
}

/// Exit 1, every needle in stderr, and nothing loaded: the check ran first.
fn assert_refused(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("Loaded MNIST"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_damaged_trained_model_is_named_before_anything_loads() {
    let data = common::tiny_mnist();
    let root = tempfile::tempdir().unwrap();
    let model = saved_model(root.path(), data.path());
    let info: Value =
        serde_json::from_str(&fs::read_to_string(model.join("tflayers.json")).unwrap()).unwrap();
    let names: Vec<&str> = info["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "saved_model.pb",
            "variables/variables.index",
            "variables/variables.data-00000-of-00001"
        ]
    );
    // Intact, it evaluates.
    assert!(evaluate(&model, data.path()).status.success());

    // A truncated variables file.
    let variables = model.join("variables/variables.data-00000-of-00001");
    let bytes = fs::read(&variables).unwrap();
    fs::write(&variables, &bytes[..bytes.len() / 2]).unwrap();
    let file = variables.display().to_string();
    let remedy = "the trained model is damaged: save it again from a checkpoint";
    assert_refused(
        &evaluate(&model, data.path()),
        &[&file, "bytes but", remedy, "or retrain it"],
    );
    let image = root.path().join("digit.png");
    image::GrayImage::new(28, 28).save(&image).unwrap();
    let mut predict = common::tflayers();
    predict
        .args(["predict", "--model-dir"])
        .arg(&model)
        .arg("--models-dir")
        .arg(common::models_dir())
        .arg(&image);
    assert_refused(&predict.output().unwrap(), &[&file, remedy]);
    let mut resume = common::train("dense", 4, 10, data.path());
    resume.arg("--offline").arg("--resume").arg(&model);
    assert_refused(&resume.output().unwrap(), &[&file, remedy]);
    fs::write(&variables, &bytes).unwrap();

    // One byte of the graph changed, same size.
    let graph = model.join("saved_model.pb");
    let mut pb = fs::read(&graph).unwrap();
    let last = pb.len() - 1;
    pb[last] ^= 0xff;
    fs::write(&graph, &pb).unwrap();
    assert_refused(
        &evaluate(&model, data.path()),
        &[
            &format!(
                "{} does not match its CRC-32 in tflayers.json",
                graph.display()
            ),
            remedy,
        ],
    );
}

#[test]
fn resume_from_an_intact_trained_model_says_it_needs_a_checkpoint() {
    let data = common::tiny_mnist();
    let root = tempfile::tempdir().unwrap();
    let model = saved_model(root.path(), data.path());
    let mut resume = common::train("dense", 4, 10, data.path());
    resume.arg("--offline").arg("--resume").arg(&model);
    assert_refused(
        &resume.output().unwrap(),
        &["this is a trained model (`train --save`), not a checkpoint folder"],
    );
}

#[test]
fn a_model_saved_before_the_checksums_loads_with_a_note() {
    let data = common::tiny_mnist();
    let root = tempfile::tempdir().unwrap();
    let model = saved_model(root.path(), data.path());
    let info_path = model.join("tflayers.json");
    let mut info: Value = serde_json::from_str(&fs::read_to_string(&info_path).unwrap()).unwrap();
    info.as_object_mut().unwrap().remove("files");
    fs::write(&info_path, serde_json::to_string(&info).unwrap()).unwrap();
    let output = evaluate(&model, data.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "note: {} records no checksums (saved by an earlier tflayers), so the files of {} \
             could not be verified",
            info_path.display(),
            model.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_garbage_exported_graph_names_the_file_and_make_models() {
    let data = common::tiny_mnist();
    let models = tempfile::tempdir().unwrap();
    let project = common::models_dir();
    fs::copy(
        project.join("manifest.json"),
        models.path().join("manifest.json"),
    )
    .unwrap();
    let dense = models.path().join("dense");
    fs::create_dir_all(dense.join("variables")).unwrap();
    for name in [
        "variables/variables.index",
        "variables/variables.data-00000-of-00001",
    ] {
        fs::copy(project.join("dense").join(name), dense.join(name)).unwrap();
    }
    fs::write(
        dense.join("saved_model.pb"),
        b"this is not a protobuf message",
    )
    .unwrap();
    let mut cmd = common::tflayers();
    cmd.args([
        "train",
        "--model",
        "dense",
        "--steps",
        "1",
        "--batch-size",
        "10",
    ])
    .arg("--offline")
    .arg("--validation-size")
    .arg(common::TINY_VALIDATION.to_string())
    .arg("--data-dir")
    .arg(data.path())
    .arg("--models-dir")
    .arg(models.path());
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} is not a SavedModel TensorFlow can read",
            dense.join("saved_model.pb").display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("`make models`"), "{stderr}");
    // Checked before the data is loaded.
    assert!(!stderr.contains("Loaded MNIST"), "{stderr}");
}
