//! Messages that name the real problem once: a batch of images with bad ones in it, the
//! untrained export given to `evaluate`, and notes kept off stdout.

mod common;

use std::path::Path;

use predicates::prelude::*;

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 28x28 image of one light stroke on black, which `predict` accepts.
fn write_stroke(path: &Path) {
    image::GrayImage::from_fn(28, 28, |x, y| {
        image::Luma([if (12..16).contains(&x) && (4..24).contains(&y) {
            255
        } else {
            0
        }])
    })
    .save(path)
    .unwrap();
}

#[test]
fn one_bad_image_does_not_stop_the_batch_and_its_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("one.png");
    write_stroke(&good);
    let not_png = dir.path().join("notes.png");
    std::fs::write(&not_png, "these are notes, not an image\n".repeat(20)).unwrap();
    let also_good = dir.path().join("two.png");
    write_stroke(&also_good);
    let models = common::models_dir();
    let export = models.join("dense");
    let output = common::tflayers()
        .args(["predict", "--model-dir", path(&export), "--models-dir"])
        .arg(&models)
        .args([&good, &not_png, &also_good])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Both good images are classified, in order.
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("one.png") && stdout.contains("two.png"),
        "{stdout}"
    );
    // The bad one is named once, its decoder's text once, and the summary comes last.
    assert_eq!(stderr.matches("notes.png").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("Invalid PNG signature").count(),
        1,
        "{stderr}"
    );
    let last = stderr.lines().last().unwrap();
    assert!(last.contains("1 of 3 images could not be read"), "{stderr}");
    assert!(last.ends_with("the other 2 were classified"), "{stderr}");
    // The export's weights are not trained, and the user is told so.
    assert!(stderr.contains("untrained export of dense"), "{stderr}");
}

#[test]
fn evaluate_says_the_export_is_untrained_and_notes_stay_off_stdout() {
    let data = common::tiny_mnist();
    let models = common::models_dir();
    common::tflayers()
        .env("TFLAYERS_OFFLINE", "1")
        .args(["evaluate", "--model-dir"])
        .arg(models.join("dense"))
        .args([
            "--models-dir",
            path(&models),
            "--data-dir",
            path(data.path()),
        ])
        .args(["--validation-size", "100"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Model dense (untrained export) from ",
        ))
        .stdout(predicate::str::contains("without tflayers.json").not())
        .stderr(predicate::str::contains(
            "weights are the random initial ones",
        ));

    let out = tempfile::tempdir().unwrap();
    common::tflayers()
        .env("TFLAYERS_OFFLINE", "1")
        .args([
            "data",
            "show",
            "--data-dir",
            path(data.path()),
            "--validation-size",
            "100",
        ])
        .arg("--out")
        .arg(out.path().join("digits.png"))
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("wrote "));
}
