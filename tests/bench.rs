//! `tflayers bench` in its short mode, as CI runs it so that it cannot rot: a tiny generated
//! dataset, a few steps, one round, every phase (load, steps, evaluation, breakdown, whole
//! processes, and the reproduce comparison). Nothing here asserts a time or a ratio; the tests
//! check that every measurement is made, reported and saved, and that the two sides computed
//! the same values.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// `bench` on the tiny dataset with small batches, one round.
fn bench(data: &Path, args: &[&str]) -> Command {
    let mut cmd = common::tflayers();
    cmd.args(["bench", "--repeat", "1", "--batch-size", "20"])
        .arg("--validation-size")
        .arg(common::TINY_VALIDATION.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(common::models_dir())
        .args(args);
    cmd
}

/// The number at `json[key]`, which must be a finite non-negative number.
fn number(json: &Value, key: &str) -> f64 {
    let value = json[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {json}"));
    assert!(value.is_finite() && value >= 0.0, "{key} = {value}");
    value
}

/// A measured pair: both sides have `samples` samples and their spread, and the ratio.
fn check_pair(pair: &Value, samples: usize) {
    for side in ["rust", "python"] {
        let series = &pair[side];
        assert_eq!(
            series["samples"].as_array().map(Vec::len),
            Some(samples),
            "{side} in {pair}"
        );
        let (min, median, max) = (
            number(series, "min"),
            number(series, "median"),
            number(series, "max"),
        );
        assert!(min <= median && median <= max, "{series}");
    }
    number(pair, "ratio");
}

#[test]
fn short_mode_measures_and_saves_every_phase() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let json_path = out.path().join("bench.json");
    let output = bench(
        data.path(),
        &[
            "--models",
            "dense,conv1",
            "--steps",
            "5",
            "--warmup",
            "2",
            "--log-every",
            "2",
            "--breakdown",
            "--json",
        ],
    )
    .arg(&json_path)
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for heading in [
        "MNIST load, s",
        "Training step, ms (rounds of 5 steps, batch 20, after 2 warm-up steps)",
        "Test-set evaluation, s (200 images in one run)",
        "Whole process: start-up to the first step line, s, and peak RSS, MB",
        "Where a step goes, microseconds per call (5 calls each)",
        "Arithmetic rate: counted work per step over the median step time, against the probe",
        "  probe: 2048x2048 float32 MatMul through TensorFlow, ",
    ] {
        assert!(stdout.contains(heading), "{heading}: {stdout}");
    }
    // Both sides computed the same values: same batches, same graph, same session settings.
    assert!(!stdout.contains("DIFFERENT"), "{stdout}");
    assert_eq!(stdout.matches("identical").count(), 2, "{stdout}");

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["settings"]["steps"], 5);
    assert_eq!(json["settings"]["test_images"], common::TINY_TEST);
    assert!(json["machine"]["cpus"].as_u64().unwrap() >= 1);
    assert!(json["load_average_before"].is_array());
    check_pair(&json["load"]["secs"], 1);
    let models = json["models"].as_array().unwrap();
    let names: Vec<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dense", "conv1"]);
    for model in models {
        check_pair(&model["step_secs"], 1);
        check_pair(&model["eval_secs"], 1);
        assert_eq!(model["identical"], true, "{model}");
        assert!(model["difference"].is_null());
        let accuracy = number(model, "test_accuracy");
        assert!(accuracy <= 1.0);
        let process = &model["process"];
        for key in ["startup_secs", "wall_secs", "peak_rss_bytes"] {
            check_pair(&process[key], 1);
        }
        // Each side is a TensorFlow process holding the data: far more than a megabyte.
        assert!(number(&process["peak_rss_bytes"]["rust"], "median") > 1e6);
        assert!(number(&process["peak_rss_bytes"]["python"], "median") > 1e6);
        for side in ["rust", "python"] {
            let breakdown = &model["breakdown"][side];
            assert_eq!(breakdown["calls"], 5);
            for key in [
                "batch_secs",
                "empty_call_secs",
                "feed_call_secs",
                "train_call_secs",
                "metrics_call_secs",
            ] {
                number(breakdown, key);
            }
        }
    }
    assert!(json["reproduce"].is_null());
    // The machine's rate and each model's work per step (dense: 784 x 10 multiply-adds,
    // forward and weight gradient, for 20 images).
    assert!(number(&json["probe"]["gflops"], "median") > 0.0);
    assert_eq!(json["probe"]["n"], 2048);
    assert_eq!(models[0]["flops_per_step"], 2.0 * 2.0 * 7840.0 * 20.0);
    assert!(number(&models[1], "flops_per_step") > 1e8);
    assert!(json["onednn"]["enabled"].is_boolean(), "{json}");
}

#[test]
fn onednn_mode_times_each_model_with_onednn_off_and_on() {
    let data = common::tiny_mnist();
    let output = bench(
        data.path(),
        &["--onednn", "--models", "dense", "--steps", "4"],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let row: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("dense "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .split_whitespace()
        .collect();
    assert_eq!(row.len(), 5, "{stdout}");
    for cell in &row[1..4] {
        assert!(cell.parse::<f64>().unwrap() > 0.0, "{stdout}");
    }
    assert!(["on", "off"].contains(&row[4]), "{stdout}");
    // The entry it prints reads as the manifest's table.
    let entry = &stdout[stdout.find("\n{").unwrap()..];
    let measured: tflayers::onednn::Measured = serde_json::from_str(entry.trim()).unwrap();
    assert!(measured.ms_per_step["dense"].off > 0.0);
    assert!(measured.ms_per_step["dense"].on > 0.0);
}

#[test]
fn reproduce_mode_times_the_five_runs_against_python() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let json_path = out.path().join("reproduce.json");
    let output = bench(
        data.path(),
        &[
            "--reproduce",
            "--steps",
            "3",
            "--log-every",
            "2",
            "--eval-batch-size",
            "64",
            "--json",
        ],
    )
    .arg(&json_path)
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("The article's five runs, 3 steps each, whole processes"));
    assert!(stdout.contains("results: identical"), "{stdout}");
    assert!(!stdout.contains("Training step"), "{stdout}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let reproduce = &json["reproduce"];
    check_pair(&reproduce["wall_secs"], 1);
    check_pair(&reproduce["peak_rss_bytes"], 1);
    assert_eq!(reproduce["identical"], true);
    assert_eq!(json["models"].as_array().map(Vec::len), Some(0));
}

#[test]
fn bad_flags_are_refused_before_anything_runs() {
    for (args, flag) in [
        (&["--models", "dense,lenet"][..], "--models"),
        (&["--repeat", "0"][..], "--repeat"),
        (&["--reproduce", "--models", "dense"][..], "--models"),
        (&["--reproduce", "--breakdown"][..], "--breakdown"),
    ] {
        common::tflayers()
            .arg("bench")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag));
    }
}

#[test]
fn a_missing_python_is_named_with_what_to_do() {
    let data = common::tiny_mnist();
    bench(data.path(), &["--models", "dense", "--steps", "1"])
        .args(["--python", "/nonexistent/python3"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent/python3"))
        .stderr(predicate::str::contains("TFLAYERS_PYTHON"));
}
