//! `train --save` writes a SavedModel that Python's TF1 loader accepts with the same test
//! accuracy as Rust reported, and that `evaluate` reads back; checkpoints hold Adam's state.

mod common;

use common::succeeded;

use std::path::Path;

#[test]
fn python_loads_the_saved_model_with_the_accuracy_rust_reported() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let model = runs.path().join("model");
    let ckpt = runs.path().join("ckpt");
    let stdout = succeeded(
        common::train("hidden", 2, 10, data.path())
            .args(["--log-every", "10"])
            .arg("--save")
            .arg(&model)
            .arg("--checkpoint-dir")
            .arg(&ckpt)
            .output()
            .unwrap(),
    );
    let rust_line = stdout.lines().last().unwrap().to_string();
    assert!(rust_line.starts_with("Test accuracy: "), "{stdout}");
    let accuracy = rust_line.trim_start_matches("Test accuracy: ");
    // Not trivially 1 or 0 after 2 steps at the default learning rate, so equality means
    // something.
    assert!(accuracy != "1" && accuracy != "0", "{stdout}");

    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("tflayers.json")).unwrap())
            .unwrap();
    assert_eq!(info["model"], "hidden");
    assert_eq!(info["steps"], 2);

    let script = format!(
        "import sys; sys.path.insert(0, {python_dir:?})\n\
         import evaluate_saved, tensorflow as tf\n\
         print('Test accuracy: %g' % evaluate_saved.test_accuracy({model:?}, {data:?}, 100))\n\
         for name, shape in tf.train.list_variables({ckpt:?}):\n    print('variable', name)\n",
        python_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python"),
        model = model,
        data = data.path(),
        ckpt = ckpt.join("ckpt-2/variables"),
    );
    let output = std::process::Command::new(common::python())
        .args(["-c", &script])
        .env("TF_CPP_MIN_LOG_LEVEL", "2")
        .output()
        .unwrap();
    let python_out = succeeded(output);
    let mut lines = python_out.lines();
    assert_eq!(lines.next(), Some(rust_line.as_str()), "{python_out}");
    let variables: Vec<&str> = lines.filter_map(|l| l.strip_prefix("variable ")).collect();
    for name in [
        "beta1_power",
        "beta2_power",
        "dense/kernel",
        "dense/kernel/Adam",
        "dense/kernel/Adam_1",
        "dense_1/bias/Adam_1",
    ] {
        assert!(variables.contains(&name), "{name} not in {variables:?}");
    }

    // `evaluate` reads the same model back and measures the same accuracy.
    let evaluation = succeeded(
        common::tflayers()
            .args(["evaluate", "--model-dir"])
            .arg(&model)
            .args(["--validation-size", "100", "--data-dir"])
            .arg(data.path())
            .arg("--models-dir")
            .arg(common::models_dir())
            .output()
            .unwrap(),
    );
    assert!(
        evaluation.starts_with("Model hidden (2 steps) from "),
        "{evaluation}"
    );
    assert!(
        evaluation.contains(&format!("Accuracy: {accuracy} (")),
        "{evaluation}"
    );
}
