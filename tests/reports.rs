//! The outputs around a run, as a user gets them: `--metrics` files that hold what was
//! printed, TensorBoard events read back by TensorBoard's own reader, `plot` figures, the
//! `reproduce --report` folder, the progress bar on a terminal, and stdout that keeps only the
//! article's lines through all of it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use anyhow::bail;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

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
    let output = tflayers()
        .args([
            "train",
            "--model",
            model,
            "--steps",
            "30",
            "--log-every",
            "10",
        ])
        .args(["--batch-size", "20", "--validation-size", "100"])
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(common::models_dir())
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

/// The article's lines of a `train` run's stdout, checked to be nothing else.
fn article_lines(stdout: &[u8]) -> Vec<String> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (steps, last) = lines.split_at(lines.len() - 1);
    for line in steps {
        assert!(
            line.starts_with("Step ") && line.contains(", training batch accuracy "),
            "not an article line: {line:?}\n{text}"
        );
    }
    assert!(last[0].starts_with("Test accuracy: "), "{text}");
    lines
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
    let lines = article_lines(&output.stdout);
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
    article_lines(&output.stdout);
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

fn assert_png(path: &Path, size: (u32, u32), colours: &[[u8; 3]]) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
        .to_rgb8();
    assert_eq!(image.dimensions(), size, "{}", path.display());
    let not_white = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    let total = (size.0 * size.1) as usize;
    assert!(
        not_white * 100 > total && not_white * 2 < total,
        "{}: {not_white} of {total} pixels are not white",
        path.display()
    );
    for colour in colours {
        let n = image.pixels().filter(|p| &p.0 == colour).count();
        assert!(n > 100, "{}: only {n} pixels of {colour:?}", path.display());
    }
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
    assert_png(&png, (800, 420), &[[31, 119, 180], [255, 127, 14]]);

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

/// Runs `command` under `script`, so that it gets a terminal (a pseudo-terminal of 100
/// columns) the way a user's shell would give it one.
fn on_a_terminal(command: &str, no_color: bool) -> Vec<u8> {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c"])
        .arg(format!("stty cols 100; {command}"))
        .arg("/dev/null")
        .env("TERM", "xterm-256color");
    // `script` passes its environment on to the binary it runs.
    common::without_program_vars(&mut cmd);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let output = cmd
        .output()
        .expect("`script` (util-linux) runs the command on a pseudo-terminal");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    output.stdout
}

#[test]
fn the_progress_bar_draws_on_a_terminal_and_never_on_stdout() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("tflayers");
    for (no_color, quiet) in [(false, false), (true, false), (false, true)] {
        let stdout_file = out.path().join("stdout.txt");
        let command = format!(
            "'{}' train --model conv1 --steps 60 --log-every 20 --batch-size 20 \
             --validation-size 100 --data-dir '{}' --models-dir '{}' --metrics '{}' \
             --tensorboard '{}' {} > '{}'",
            binary.display(),
            data.path().display(),
            common::models_dir().display(),
            out.path().join("m.csv").display(),
            out.path().join("tb").display(),
            if quiet { "--quiet" } else { "" },
            stdout_file.display()
        );
        let terminal = String::from_utf8_lossy(&on_a_terminal(&command, no_color)).into_owned();
        // stdout, piped to a file, holds the article's lines and nothing else.
        let lines = article_lines(&fs::read(&stdout_file).unwrap());
        assert_eq!(lines.len(), 4, "{lines:?}");
        let bar = terminal.contains("conv1") && terminal.contains("/60 00:00:");
        assert_eq!(bar, !quiet, "quiet {quiet}: {terminal:?}");
        if !quiet {
            assert!(terminal.contains(" img/s "), "{terminal:?}");
            // Cyan is the bar's colour; NO_COLOR takes colours and bold away.
            let coloured = terminal.contains("\u{1b}[36m");
            assert_eq!(coloured, !no_color, "NO_COLOR {no_color}: {terminal:?}");
        }
    }
}

#[test]
fn reproduce_report_writes_tables_and_figures() {
    let data = common::tiny_mnist();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report");
    let output = tflayers()
        .args([
            "reproduce",
            "--steps",
            "4",
            "--log-every",
            "2",
            "--batch-size",
            "10",
        ])
        .args(["--validation-size", "100", "--data-dir"])
        .arg(data.path())
        .arg("--models-dir")
        .arg(common::models_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("report"), "{stdout}");
    let models = ["dense", "hidden", "conv1", "conv2", "dropout"];

    let summary: Value =
        serde_json::from_str(&fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    let rows = summary["models"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(names, models);
    assert_eq!(summary["settings"]["steps"], 4);
    let tests: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Test accuracy: "))
        .collect();
    for ((row, printed), name) in rows.iter().zip(&tests).zip(models) {
        let accuracy = row["test_accuracy"].as_f64().unwrap();
        assert_eq!(&format_g(accuracy), printed, "{name}");
        let run = Run::read(&report.join(row["metrics"].as_str().unwrap())).unwrap();
        assert_eq!(run.header.run.model, name);
        assert_eq!(run.last.unwrap().test_accuracy, Some(accuracy));
        assert_eq!(row["validation_total"], 100);
        assert_png(
            &report.join(row["curves"].as_str().unwrap()),
            (1200, 500),
            &[],
        );
    }
    assert_png(&report.join("curves/all.png"), (1200, 500), &[]);
    assert_png(&report.join("accuracy.png"), (1000, 560), &[]);

    let markdown = fs::read_to_string(report.join("summary.md")).unwrap();
    let table: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(table.len(), 1 + models.len(), "{markdown}");
    let article = ["-", "0.94", "0.97", "-", "-"].map(|f| format!(" | {f} | "));
    for (i, (line, name)) in table[1..].iter().zip(models).enumerate() {
        assert!(line.starts_with(&format!("| {name} | ")), "{line}");
        assert!(
            line.contains(&format!(" | {}{}", tests[i], article[i])),
            "{line}"
        );
    }
    let note = r#"no figure for dense ("not impressive"), conv2 ("better"), dropout ("better")"#;
    assert!(markdown.contains(note), "{markdown}");
    assert!(rows[0]["article_accuracy"].is_null() && rows[0]["article_words"] == "not impressive");
    assert_eq!(rows[1]["article_accuracy"], 0.94);
    for figure in ["accuracy.png", "curves/all.png", "curves/dropout.png"] {
        assert!(markdown.contains(&format!("]({figure})")), "{figure}");
    }
    // The tiny data set is generated, not MNIST: the report says so, as the headers do.
    assert!(
        markdown.contains(
            "; trained on data that is not the published files: train-images-idx3-ubyte.gz, \
             train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz \
             (generated test data)."
        ),
        "{markdown}"
    );
    let note = summary["settings"]["unpublished_data"].as_str().unwrap();
    assert!(note.ends_with("(generated test data)"), "{note}");
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
