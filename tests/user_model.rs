//! A model of one's own, end to end: one Python function in a file of the user's, exported
//! with `python/export.py --add`, then trained, reproduced, compared, timed, evaluated and
//! used for prediction by name, with no change to the Rust side.

mod common;

use common::succeeded;

use std::path::{Path, PathBuf};

use assert_cmd::Command as TestCommand;
use tflayers::manifest::Manifest;

/// The user's file: the article's style, placeholders in, logits out.
const USER_MODEL: &str = r#"
import tensorflow as tf

layers = tf.compat.v1.layers


def small_conv(x_input, should_drop):
    """Eight 3x3 filters, a pool and dropout before the output layer"""
    x_image = tf.reshape(x_input, [-1, 28, 28, 1])
    conv = layers.conv2d(x_image, filters=8, kernel_size=[3, 3], padding="same",
                         activation=tf.nn.relu)
    pool = layers.max_pooling2d(conv, pool_size=[2, 2], strides=2)
    flat = tf.reshape(pool, [-1, 14 * 14 * 8])
    dropped = layers.dropout(flat, rate=0.5, training=should_drop)
    return layers.dense(dropped, 10)
"#;
/// 3*3*8 + 8 (convolution) + 14*14*8*10 + 10 (output layer).
const PARAMETERS: u64 = 15_770;

/// A models folder holding a copy of the committed manifest and the user's model exported
/// into it, as `export.py --add` leaves the project's `models/`.
fn export_user_model(work: &Path) -> PathBuf {
    let models = work.join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::copy(
        common::models_dir().join("manifest.json"),
        models.join("manifest.json"),
    )
    .unwrap();
    let source = work.join("my_models.py");
    std::fs::write(&source, USER_MODEL).unwrap();
    let stdout = succeeded(
        common::program(&common::python())
            .arg(common::project().join("python/export.py"))
            .arg("--manifest")
            .arg(models.join("manifest.json"))
            .arg("--out")
            .arg(&models)
            .arg("--add")
            .arg(format!("{}:small_conv", source.display()))
            .env("TF_CPP_MIN_LOG_LEVEL", "2")
            .output()
            .unwrap(),
    );
    assert!(
        stdout.contains("tflayers train --model small_conv"),
        "{stdout}"
    );
    models
}

/// `tflayers` on the tiny dataset in `data` and the models folder `models`.
fn tflayers(data: &Path, models: &Path, args: &[&str]) -> TestCommand {
    let mut cmd = common::tflayers();
    common::tiny_data_flags_in(cmd.args(args), data, models);
    cmd
}

#[test]
fn a_users_model_is_exported_and_runs_in_every_command_by_name() {
    let work = tempfile::tempdir().unwrap();
    let models = export_user_model(work.path());
    let manifest = Manifest::load(&models).unwrap();
    let entry = manifest.model("small_conv").unwrap();
    assert_eq!(entry.parameters, PARAMETERS);
    assert!(!entry.is_article());
    assert_eq!(
        entry.description,
        "Eight 3x3 filters, a pool and dropout before the output layer"
    );
    let data = common::tiny_mnist();
    let data = data.path();
    let small = [
        "--model",
        "small_conv",
        "--steps",
        "40",
        "--batch-size",
        "20",
    ];

    // train, with the article's lines, and a saved model.
    let saved = work.path().join("trained");
    let mut train = tflayers(data, &models, &["train"]);
    let trained = succeeded(
        train
            .args(small)
            .arg("--save")
            .arg(&saved)
            .output()
            .unwrap(),
    );
    assert!(
        trained.contains("Step 0, training batch accuracy "),
        "{trained}"
    );
    assert!(trained.contains("Test accuracy: "), "{trained}");

    // evaluate and predict on the saved model.
    let evaluated = succeeded(
        tflayers(data, &models, &["evaluate"])
            .arg("--model-dir")
            .arg(&saved)
            .output()
            .unwrap(),
    );
    assert!(
        evaluated.contains("Model small_conv (40 steps)"),
        "{evaluated}"
    );
    let digit = work.path().join("digit.png");
    let mut image = image::GrayImage::from_pixel(28, 28, image::Luma([0]));
    for y in 6..22 {
        image.put_pixel(14, y, image::Luma([255]));
    }
    image.save(&digit).unwrap();
    let predicted = succeeded(
        common::tflayers()
            .args(["predict", "--json", "--model-dir"])
            .arg(&saved)
            .arg("--models-dir")
            .arg(&models)
            .arg(&digit)
            .output()
            .unwrap(),
    );
    let report: serde_json::Value = serde_json::from_str(&predicted).unwrap();
    assert_eq!(report["model"], "small_conv");
    assert_eq!(
        report["predictions"][0]["probabilities"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );

    // reproduce --models: its table has the model's row and no article figure.
    let reproduced = succeeded(
        tflayers(
            data,
            &models,
            &[
                "reproduce",
                "--models",
                "small_conv",
                "--steps",
                "20",
                "--quiet",
            ],
        )
        .args(["--batch-size", "20"])
        .output()
        .unwrap(),
    );
    let row = reproduced
        .lines()
        .find(|l| l.starts_with("small_conv "))
        .unwrap_or_else(|| panic!("no table row: {reproduced}"));
    assert!(row.contains(" - "), "{row}");
    assert!(!reproduced.contains("\n== dense"), "{reproduced}");

    // compare: Rust and Python on the same graph, bit for bit.
    let compared = succeeded(
        tflayers(data, &models, &["compare"])
            .args(small)
            .args(["--log-every", "10"])
            .output()
            .unwrap(),
    );
    assert!(
        compared.contains("verdict: identical: 4 logged steps"),
        "{compared}"
    );

    // bench: both sides timed.
    let benched = succeeded(
        tflayers(
            data,
            &models,
            &[
                "bench",
                "--models",
                "small_conv",
                "--steps",
                "3",
                "--repeat",
                "1",
            ],
        )
        .args(["--batch-size", "20", "--no-processes"])
        .output()
        .unwrap(),
    );
    assert!(
        benched.lines().any(|l| l.starts_with("small_conv ")),
        "{benched}"
    );
}

#[test]
fn the_users_model_is_listed_in_train_help_and_unknown_names_list_it() {
    let work = tempfile::tempdir().unwrap();
    let models = export_user_model(work.path());
    let help = succeeded(
        common::tflayers()
            .args(["train", "--help"])
            .env("TFLAYERS_MODELS_DIR", &models)
            .output()
            .unwrap(),
    );
    assert!(help.contains("small_conv: Eight 3x3 filters"), "{help}");
    let refused = common::tflayers()
        .args(["reproduce", "--models", "small_conv,lenet", "--models-dir"])
        .arg(&models)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("'lenet'"), "{stderr}");
    assert!(stderr.contains("small_conv"), "{stderr}");
}
