//! What `tflayers compare` does: the same model, data and settings run from Rust (in this process,
//! through `graph::Model` and `train::train`) and from the article's Python loop
//! (`python/train.py` in the project's venv, as a child process writing a metrics file), then
//! checked value by value.
//!
//! The two runs are sequential, so neither slows the other down and the timings are fair.
//! While they run, each side's article lines are echoed to stderr with a `rust   |` or
//! `python |` prefix; the tables and the verdict go to stdout. A divergence beyond
//! `--tolerance` makes the command fail, naming the first diverging step.

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

use crate::compare::plot::write_plot;
use crate::compare::report::{json_report, markdown_report, summary_table};
use crate::compare::verdict::{Comparison, LoggedStep, Settings, Side};
use crate::config::RunConfig;
use crate::fsx::write_atomically;
use crate::manifest::Manifest;
use crate::metrics::{float32, FinishedRun};
use crate::mnist::dataset::DataSets;
use crate::mnist::load::load_data;
use crate::options::{CompareOptions, LoopOptions};
use crate::output::article::{step_line, test_line};
use crate::python::Python;
use crate::tf::model::{tensorflow_version, Model};
use crate::train::{evaluate, train, Observer, RunResult, StepLog};

/// The reference script, relative to the project root.
const SCRIPT: &str = "python/train.py";

/// Compares each of `args.models` in turn, prints the tables and the verdict, and fails when
/// a model diverges beyond the tolerance.
pub fn run(args: &CompareOptions) -> Result<()> {
    let common = &args.common;
    let manifest = Manifest::load(&common.models_dir)?;
    let names: Vec<String> = args
        .models
        .iter()
        .map(|name| manifest.model(name).map(|entry| entry.name.clone()))
        .collect::<Result<_>>()?;
    let python = Python::locate(args.python.as_deref(), Some(&manifest.dir), &[SCRIPT])?;
    if let Some(dir) = &args.report {
        fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create the report folder {} (--report)",
                dir.display()
            )
        })?;
    }
    let data_start = Instant::now();
    let data = load_data(&common.data)?;
    let data_secs = data_start.elapsed().as_secs_f64();

    let mut comparisons = Vec::new();
    for name in &names {
        let settings = Settings {
            python_seed: args.python_seed.unwrap_or(common.run.seed),
            tolerance: args.tolerance,
            run: common.run.for_model(name),
            onednn: crate::tf::env::onednn_setting(),
        };
        eprintln!("== {name}: Rust");
        let mut rust = run_rust(&manifest, &settings.run, &data, common)?;
        rust.wall_secs += data_secs;
        eprintln!("== {name}: Python ({})", python.describe(SCRIPT));
        let python = run_python(&python, &settings, common)?;
        let comparison = Comparison::new(settings, rust, python)?;
        println!("{}", comparison.text());
        comparisons.push(comparison);
    }
    if comparisons.len() > 1 {
        println!("{}", summary_table(&comparisons).trim_end());
    }
    if let Some(dir) = &args.report {
        write_report(dir, &comparisons)?;
        eprintln!("Wrote the report to {}", dir.display());
    }
    let failed: Vec<String> = comparisons
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.settings.run.model, c.verdict_line()))
        .collect();
    if !failed.is_empty() {
        bail!(
            "Rust and Python disagree beyond --tolerance {}:\n  {}",
            args.tolerance,
            failed.join("\n  ")
        );
    }
    Ok(())
}

/// Collects the Rust side's article lines and echoes them to stderr as they come.
struct Lines(Vec<String>);

impl Observer for Lines {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        let line = step_line(log);
        eprintln!("rust   | {line}");
        self.0.push(line);
        Ok(())
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        let line = test_line(result.test.accuracy);
        eprintln!("rust   | {line}");
        self.0.push(line);
        Ok(())
    }
}

/// Trains `name` from Rust exactly as `tflayers train` does, then evaluates the validation
/// set (as the Python side does for its metrics file).
fn run_rust(
    manifest: &Manifest,
    config: &RunConfig,
    data: &DataSets,
    common: &LoopOptions,
) -> Result<Side> {
    let start = Instant::now();
    let name = &config.model;
    let mut model = Model::load(
        &manifest.model_dir(name),
        manifest,
        &common.session_config(),
        config.batch_size,
        config.learning_rate,
    )?;
    let mut lines = Lines(Vec::new());
    let result = train(&mut model, data, config, &mut lines)
        .with_context(|| format!("training {name} from Rust failed"))?;
    let validation = if data.validation.is_empty() {
        None
    } else {
        Some(evaluate(&mut model, &data.validation, config.eval_batch_size)?.accuracy)
    };
    Ok(Side {
        steps: result
            .logs
            .iter()
            .map(|log| LoggedStep {
                step: log.step,
                accuracy: log.batch_accuracy,
                loss: log.loss,
            })
            .collect(),
        test_accuracy: result.test.accuracy,
        test_loss: result.test.loss,
        validation_accuracy: validation,
        lines: lines.0,
        train_secs: result.train_secs,
        ms_per_step: result.ms_per_step(),
        wall_secs: start.elapsed().as_secs_f64(),
    })
}

/// Runs `python/train.py` with the same settings and reads its metrics file.
fn run_python(python: &Python, settings: &Settings, common: &LoopOptions) -> Result<Side> {
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let metrics_path = scratch.path().join("python.jsonl");
    let models_dir = &common.models_dir;
    let mut command = python.command(SCRIPT);
    command
        .args(["--model", &settings.run.model])
        .args(["--steps", &settings.run.steps.to_string()])
        .args(settings.run.child_flags(settings.python_seed, models_dir))
        .arg("--metrics")
        .arg(&metrics_path);
    let start = Instant::now();
    let child = python.spawn(&mut command, Stdio::null())?;
    let what = format!("the Python side ({})", python.describe(SCRIPT));
    let run = child.run_to_end(start, &what, |line| {
        eprintln!("python | {line}");
        false
    })?;
    let metrics = FinishedRun::read(&metrics_path)
        .context("the Python side finished but its metrics file is unusable")?;
    check_header(&metrics, settings)?;
    Ok(Side {
        steps: metrics
            .steps
            .iter()
            .map(|s| LoggedStep {
                step: s.step,
                accuracy: float32(s.batch_accuracy),
                loss: float32(s.loss),
            })
            .collect(),
        test_accuracy: float32(metrics.last.test_accuracy),
        test_loss: float32(metrics.last.test_loss),
        validation_accuracy: metrics.last.validation_accuracy.map(|v| v as f32),
        lines: run.stdout,
        train_secs: metrics.last.train_secs,
        ms_per_step: metrics.last.ms_per_step,
        wall_secs: run.wall_secs,
    })
}

/// The Python side must say it ran what was asked; otherwise the comparison means nothing.
fn check_header(metrics: &FinishedRun, settings: &Settings) -> Result<()> {
    let (h, run) = (&metrics.header, &settings.run);
    ensure!(
        h.program == "python"
            && h.run.model == run.model
            && h.run.steps == run.steps
            && h.run.batch_size == run.batch_size
            && h.run.seed == settings.python_seed
            && h.run.log_every == run.log_every
            && h.run.learning_rate == run.learning_rate
            && h.run.intra_op_threads == run.intra_op_threads
            && h.run.inter_op_threads == run.inter_op_threads,
        "the Python side's metrics header does not match the requested run: {h:?}"
    );
    ensure!(
        h.tensorflow_version == tensorflow_version(),
        "the Python side runs TensorFlow {}, this binary links {}; run `make setup`",
        h.tensorflow_version,
        tensorflow_version()
    );
    Ok(())
}

/// Writes compare.md, compare.json and one PNG per model, each complete before it appears.
fn write_report(dir: &Path, comparisons: &[Comparison]) -> Result<()> {
    let plot_name = |model: &str| format!("compare-{model}.png");
    for comparison in comparisons {
        write_plot(
            &dir.join(plot_name(&comparison.settings.run.model)),
            comparison,
        )?;
    }
    write_atomically(
        &dir.join("compare.md"),
        markdown_report(comparisons, plot_name).as_bytes(),
    )?;
    write_atomically(
        &dir.join("compare.json"),
        json_report(comparisons, &tensorflow_version())?.as_bytes(),
    )
}
