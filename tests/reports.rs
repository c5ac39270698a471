//! The outputs around a run, as a user gets them: `--metrics` files that hold what was
//! printed, TensorBoard events read back by TensorBoard's own reader, `plot` figures, refused
//! output paths, and the observers' fan-out; stdout keeps only the article's lines through
//! all of it. `reproduce_report.rs` and `progress_bar.rs` hold the report folder and the
//! progress bar.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::bail;
use assert_cmd::Command;
use predicates::prelude::*;

use tflayers::metrics::partial_path;
use tflayers::metrics::Run;
use tflayers::output::format::format_g;
use tflayers::train::{Fanout, Observer, RunResult, StepLog};

fn tflayers() -> Command {
    let mut cmd = common::tflayers();
    cmd.env_remove("NO_COLOR");
    cmd
}

/// `tflayers train` on a tiny dataset: 30 steps of 20 images, logged every 10.
fn train(data: &Path, model: &str, seed: u32, extra: &[&std::ffi::OsStr]) -> Output {
    let output = common::train(model, 30, 20, data)
        .env_remove("NO_COLOR")
        .args(["--log-every", "10", "--seed", &seed.to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn os(path: &Path) -> &std::ffi::OsStr {
    path.as_os_str()
}

#[test]
fn metrics_files_hold_what_was_printed_in_both_forms() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let (jsonl, csv) = (out.path().join("m/run.jsonl"), out.path().join("m/run.csv"));
    let output = train(
        data.path(),
        "dense",
        0,
        &[
            "--metrics".as_ref(),
            os(&jsonl),
            "--metrics".as_ref(),
            os(&csv),
        ],
    );
    let lines = common::article_lines(&output.stdout);
    let run = Run::read(&jsonl).unwrap();
    let from_csv = Run::read(&csv).unwrap();
    assert_eq!(
        (&run.header, &run.steps, &run.last),
        (&from_csv.header, &from_csv.steps, &from_csv.last),
        "the CSV and JSONL files hold different data"
    );
    assert!(!partial_path(&jsonl).exists() && !partial_path(&csv).exists());

    let header = &run.header;
    assert_eq!(
        (
            header.run.model.as_str(),
            header.program.as_str(),
            header.run.steps
        ),
        ("dense", "tflayers", 30)
    );
    assert_eq!(
        (header.run.batch_size, header.run.log_every, header.run.seed),
        (20, 10, 0)
    );
    assert_eq!(header.run.learning_rate, 0.0001);
    assert_eq!(header.tensorflow_version, "2.21.0");

    // Every step record is a printed line, digit for digit.
    let printed: Vec<String> = run
        .steps
        .iter()
        .map(|s| {
            let accuracy = s.batch_accuracy.unwrap();
            // A widened float32, so it narrows back without loss.
            assert_eq!(f64::from(accuracy as f32), accuracy);
            format!(
                "Step {}, training batch accuracy {}",
                s.step,
                format_g(accuracy)
            )
        })
        .collect();
    assert_eq!(printed, lines[..3]);
    assert_eq!(
        run.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [0, 10, 20]
    );
    assert_eq!(run.steps[0].images_per_sec, 0.0);
    assert!(run.steps[1].images_per_sec > 0.0);
    assert!(run
        .steps
        .windows(2)
        .all(|w| w[0].elapsed_secs <= w[1].elapsed_secs));

    let last = run.last.expect("a final record");
    let accuracy = last.test_accuracy.unwrap();
    assert_eq!(format!("Test accuracy: {}", format_g(accuracy)), lines[3]);
    assert_eq!(last.test_total, common::TINY_TEST as u64);
    assert_eq!(
        last.test_correct,
        (accuracy * common::TINY_TEST as f64).round() as u64
    );
    assert_eq!(last.validation_total, Some(common::TINY_VALIDATION as u64));
    assert!(last.validation_accuracy.is_some());
    assert!(last.total_secs >= last.train_secs + last.eval_secs);
    assert!(String::from_utf8_lossy(&output.stderr).contains("Metrics written to"));
}

#[test]
fn tensorboard_events_hold_the_runs_scalars() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let (board, metrics) = (out.path().join("tb"), out.path().join("run.jsonl"));
    let output = train(
        data.path(),
        "hidden",
        0,
        &[
            "--tensorboard".as_ref(),
            os(&board),
            "--metrics".as_ref(),
            os(&metrics),
        ],
    );
    common::article_lines(&output.stdout);
    let events = common::tensorboard_scalars(&board);
    let runs = events.as_object().unwrap();
    assert_eq!(runs.keys().collect::<Vec<_>>(), ["hidden"], "{events}");
    let tags = runs["hidden"].as_object().unwrap();
    assert_eq!(
        tags.keys().collect::<Vec<_>>(),
        [
            "test/accuracy",
            "test/loss",
            "train/batch_accuracy",
            "train/loss"
        ]
    );
    for tag in tags.values() {
        assert_eq!(tag["plugin"], "scalars", "{tag}");
    }
    let points = |tag: &str| -> Vec<(u64, f64)> {
        tags[tag]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    // The very values of the metrics file (and so of the printed lines), at the same steps.
    let run = Run::read(&metrics).unwrap();
    let train: Vec<(u64, f64)> = run
        .steps
        .iter()
        .map(|s| (s.step, s.batch_accuracy.unwrap()))
        .collect();
    let loss: Vec<(u64, f64)> = run
        .steps
        .iter()
        .map(|s| (s.step, s.loss.unwrap()))
        .collect();
    assert_eq!(points("train/batch_accuracy"), train);
    assert_eq!(points("train/loss"), loss);
    let last = run.last.unwrap();
    assert_eq!(points("test/accuracy"), [(30, last.test_accuracy.unwrap())]);
    assert_eq!(points("test/loss"), [(30, last.test_loss.unwrap())]);
}

#[test]
fn plot_draws_two_runs_as_png_and_svg_of_the_requested_size() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = [0, 1]
        .iter()
        .map(|&seed| {
            let path = out.path().join(format!("seed{seed}.jsonl"));
            train(
                data.path(),
                "dense",
                seed,
                &["--metrics".as_ref(), os(&path)],
            );
            path
        })
        .collect();
    let png = out.path().join("figures/curves.png");
    tflayers()
        .arg("plot")
        .args(&runs)
        .arg("--out")
        .arg(&png)
        .args(["--width", "800", "--height", "420"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("Plotted 2 run(s)"));
    // The two runs' line colours (the first two of the palette) are both there.
    common::assert_png(&png, (800, 420), &[[31, 119, 180], [255, 127, 14]]);

    let svg = out.path().join("curves.svg");
    tflayers()
        .arg("plot")
        .args(&runs)
        .arg("--out")
        .arg(&svg)
        .args(["--width", "700", "--height", "400", "--title", "Two seeds"])
        .assert()
        .success();
    let text = fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        (root.attribute("width"), root.attribute("height")),
        (Some("700"), Some("400"))
    );
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    for expected in [
        "Two seeds",
        "training step",
        "seed 0: test ",
        "seed 1: test ",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(expected)),
            "no {expected:?} in {texts:?}"
        );
    }
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            n.attribute("points")
                .is_some_and(|p| p.split(' ').count() >= 3)
        })
        .count();
    assert!(
        lines >= 4,
        "{lines} curves: two runs in two charts expected"
    );
}

#[test]
fn bad_outputs_are_refused_naming_the_flag_or_file() {
    let out = tempfile::tempdir().unwrap();
    tflayers()
        .args(["train", "--model", "dense", "--metrics", "run.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--metrics").and(predicate::str::contains(".jsonl")));
    tflayers()
        .args(["plot", "a.jsonl", "--out", "a.jpg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out"));
    let not_metrics = out.path().join("notes.jsonl");
    fs::write(&not_metrics, "{\"hello\": 1}\n").unwrap();
    tflayers()
        .arg("plot")
        .arg(&not_metrics)
        .arg("--out")
        .arg(out.path().join("x.png"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("notes.jsonl"));
    assert!(!out.path().join("x.png").exists());
    tflayers()
        .args([
            "train",
            "--model",
            "dense",
            "--metrics",
            "a.csv",
            "--metrics",
            "a.csv",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("given twice"));
}

#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    fail_on_log: bool,
}

impl Observer for Recorder {
    fn on_log(&mut self, log: &StepLog) -> anyhow::Result<()> {
        self.events.push(format!("log {}", log.step));
        if self.fail_on_log {
            bail!("disk full");
        }
        Ok(())
    }
    fn on_step(&mut self, done: u64) {
        self.events.push(format!("step {done}"));
    }
    fn on_evaluate(&mut self, images: u64, chunks: u64) {
        self.events.push(format!("evaluate {images} {chunks}"));
    }
    fn on_finish(&mut self, result: &RunResult) -> anyhow::Result<()> {
        self.events.push(format!("finish {}", result.steps));
        Ok(())
    }
}

#[test]
fn a_fanout_passes_every_event_to_each_observer_and_stops_at_an_error() {
    let log = StepLog {
        step: 7,
        batch_accuracy: 0.5,
        loss: 1.0,
        elapsed_secs: 0.0,
    };
    let (mut a, mut b) = (Recorder::default(), Recorder::default());
    {
        let mut fan = Fanout::new(vec![&mut a, &mut b]);
        fan.on_log(&log).unwrap();
        fan.on_step(8);
        fan.on_evaluate(100, 1);
    }
    assert_eq!(a.events, ["log 7", "step 8", "evaluate 100 1"]);
    assert_eq!(a.events, b.events);

    let mut failing = Recorder {
        fail_on_log: true,
        ..Recorder::default()
    };
    let mut after = Recorder::default();
    let err = Fanout::new(vec![&mut failing, &mut after])
        .on_log(&log)
        .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert!(after.events.is_empty());
}
