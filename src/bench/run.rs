//! What `tflayers bench` does: Rust against the article's Python loop, on the same SavedModels and
//! batches, taking turns so that drift in the machine's load falls on both sides alike.
//!
//! Per model (the default):
//!
//! 1. *Steps.* The Rust side loads the model in this process ([`Stepper`]); the Python side
//!    is `python/bench_steps.py`, a child that loads the same model and data and then waits for
//!    commands. Each runs `--warmup` untimed steps; then, `--repeat` times, Rust runs `--steps`
//!    steps of the article's loop, then Python does, then each evaluates the test set. Both
//!    time only their own work. The logged accuracies and losses and the evaluations must be
//!    equal on both sides, or the table says DIFFERENT.
//! 2. *Breakdown* (`--breakdown`): each part of a step timed alone on each side.
//! 3. *Processes* (unless `--no-processes`): `tflayers train --steps 1` and
//!    `python/train.py --steps 1` as child processes, taking turns: spawn to the `Step 0`
//!    line, and peak memory (which the test-set evaluation sets).
//!
//! Before the models, MNIST is loaded on both sides, taking turns, with `tflayers data bench`'s
//! functions (`python/bench_load.py` on the Python side). With `--reproduce`,
//! `tflayers reproduce` is timed against `python/train.py` run once per model instead.
//!
//! The tables go to stdout, progress to stderr, and `--json FILE` gets every sample.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::bench::data::{run_load_bench, PYTHON_SCRIPT as LOAD_SCRIPT};
use crate::bench::onednn::run_onednn_bench;
use crate::bench::probe::{run_probe, step_flops};
use crate::bench::python_side::{loop_args, Worker, SCRIPTS, TRAIN_SCRIPT};
use crate::bench::report::{
    BenchReport, BreakdownPair, LoadBench, ModelBench, Pair, ProcessBench, ReproduceBench, Settings,
};
use crate::bench::rust_side::Stepper;
use crate::compare::verdict::{equal, first_line_difference, LoggedStep};
use crate::config::RunConfig;
use crate::fsx::write_atomically;
use crate::host::{load_average, Machine};
use crate::manifest::Manifest;
use crate::mnist::dataset::{read_data_sets_with, DataSets};
use crate::mnist::load::{verify_data, DataSource};
use crate::options::BenchOptions;
use crate::python::{run_child, ChildRun, Python};
use crate::tf::env::onednn_setting;
use crate::tf::model::{tensorflow_version, Model};

/// Times the models (or `reproduce`) on both sides, prints the tables and writes `--json`.
pub fn run(args: &BenchOptions) -> Result<()> {
    let common = &args.common;
    let run = &common.run;
    let manifest = Manifest::load(&common.models_dir)?;
    let models_dir = common.models_dir.clone();
    if args.onednn {
        let bench = run_onednn_bench(args)?;
        println!("{}", bench.text().trim_end());
        if let Some(path) = &args.json {
            let json = serde_json::to_string_pretty(&bench)? + "\n";
            write_atomically(path, json.as_bytes())
                .with_context(|| format!("cannot write --json {}", path.display()))?;
        }
        return Ok(());
    }
    let python = Python::locate(args.python.as_deref(), Some(&models_dir), &SCRIPTS)?;
    let load_average_before = load_average();
    let machine = Machine::describe();
    eprintln!("== bench on {}", machine.line());

    verify_data(&common.data)?;
    let (load, data) = load_data_both(args, &python)?;
    let probe = if args.reproduce {
        None
    } else {
        Some(run_probe(&manifest, run)?)
    };
    let mut models = Vec::new();
    let mut reproduce = None;
    if args.reproduce {
        reproduce = Some(bench_reproduce(args, &manifest, &models_dir, &python)?);
    } else {
        for model in &args.models {
            let entry = manifest.model(model)?;
            models.push(bench_model(
                args,
                &manifest,
                &entry.name,
                &data,
                &models_dir,
                &python,
            )?);
        }
    }
    let report = BenchReport {
        tensorflow_version: tensorflow_version(),
        machine,
        load_average_before,
        load_average_after: load_average(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        settings: Settings {
            run: run.clone(),
            repeat: args.repeat,
            warmup: args.warmup,
            test_images: data.test.len(),
        },
        onednn: onednn_setting(),
        probe,
        load: Some(load),
        models,
        reproduce,
    };
    println!("{}", report.text().trim_end());
    if let Some(path) = &args.json {
        write_atomically(path, report.json()?.as_bytes())
            .with_context(|| format!("cannot write --json {}", path.display()))?;
        eprintln!("Wrote {}", path.display());
    }
    Ok(())
}

/// Loads MNIST `--repeat` times on each side, taking turns (`tflayers data bench`'s
/// measurement), then once more for the Rust side's runs.
fn load_data_both(args: &BenchOptions, python: &Python) -> Result<(LoadBench, DataSets)> {
    let data_dir = &args.common.run.data_dir;
    let validation_size = args.common.run.validation_size;
    eprintln!("== MNIST load from {}", data_dir.display());
    let secs = run_load_bench(
        data_dir,
        validation_size,
        args.repeat as usize,
        python,
        |_, _, _| {},
    )?;
    let data = read_data_sets_with(data_dir, validation_size)?;
    Ok((
        LoadBench {
            secs,
            python_loader: format!("{LOAD_SCRIPT}, as tflayers data bench"),
        },
        data,
    ))
}

/// Steps, evaluation, breakdown and processes of one model.
fn bench_model(
    args: &BenchOptions,
    manifest: &Manifest,
    name: &str,
    data: &DataSets,
    models_dir: &Path,
    python: &Python,
) -> Result<ModelBench> {
    let common = &args.common;
    let run = common.run.for_model(name);
    eprintln!(
        "== {name}: {} round(s) of {} steps on each side",
        args.repeat, run.steps
    );
    // Both sides apply the manifest's defaults for thread counts not given (Model::load and
    // python/train.py's session_config); the table shows what they were.
    let threads = manifest.session_threads(&manifest.model_dir(name), run.thread_counts());
    let model = Model::load(
        &manifest.model_dir(name),
        manifest,
        &common.session_config(),
        run.batch_size,
        run.learning_rate,
    )?;
    let flops_per_step = step_flops(&model, manifest, run.batch_size);
    let mut rust = Stepper::new(model, data, run.seed, run.log_every, run.eval_batch_size)?;
    let (mut py, ready) = Worker::start(python, &run, models_dir)?;
    anyhow::ensure!(
        ready.tensorflow_version == tensorflow_version(),
        "the Python side runs TensorFlow {}, this binary links {}; run `make setup`",
        ready.tensorflow_version,
        tensorflow_version()
    );
    anyhow::ensure!(
        (ready.train, ready.validation, ready.test)
            == (data.train.len(), data.validation.len(), data.test.len()),
        "the Python side split MNIST into {} / {} / {} images, the Rust side into {} / {} / {}",
        ready.train,
        ready.validation,
        ready.test,
        data.train.len(),
        data.validation.len(),
        data.test.len()
    );
    let mut check = Check::default();
    if args.warmup > 0 {
        let r = rust.train(args.warmup)?;
        let p = py.train(args.warmup)?;
        check.compare_logs(&r.logs, &p.logs);
    }
    let (mut rust_steps, mut py_steps) = (Vec::new(), Vec::new());
    let (mut rust_eval, mut py_eval) = (Vec::new(), Vec::new());
    let mut test_accuracy = 0.0;
    for round in 1..=args.repeat {
        let r = rust.train(run.steps)?;
        let p = py.train(run.steps)?;
        check.compare_logs(&r.logs, &p.logs);
        rust_steps.push(r.secs / r.steps as f64);
        py_steps.push(p.secs / p.steps as f64);
        let re = rust.evaluate()?;
        let pe = py.evaluate()?;
        check.compare_eval(
            round,
            (re.evaluation.accuracy, re.evaluation.loss),
            (pe.accuracy, pe.loss),
        );
        rust_eval.push(re.secs);
        py_eval.push(pe.secs);
        test_accuracy = re.evaluation.accuracy;
        eprintln!(
            "   round {round}: rust {:.3} ms/step, python {:.3} ms/step",
            r.secs * 1000.0 / r.steps as f64,
            p.secs * 1000.0 / p.steps as f64
        );
    }
    let breakdown = if args.breakdown {
        eprintln!("== {name}: breakdown, {} calls per part", run.steps);
        Some(BreakdownPair {
            rust: rust.breakdown(run.steps)?,
            python: py.breakdown(run.steps)?,
        })
    } else {
        None
    };
    py.finish()?;
    // Free this model's session before the processes and the next model start.
    drop(rust);
    let process = if args.no_processes {
        None
    } else {
        Some(bench_processes(args, name, models_dir, python)?)
    };
    let step_secs = Pair::new(rust_steps, py_steps).context("no round was timed")?;
    Ok(ModelBench {
        model: name.to_string(),
        step_secs,
        eval_secs: Pair::new(rust_eval, py_eval).context("no evaluation was timed")?,
        identical: check.difference.is_none(),
        difference: check.difference,
        test_accuracy,
        process,
        breakdown,
        flops_per_step,
        intra_op_threads: threads.intra_op_threads,
        inter_op_threads: threads.inter_op_threads,
    })
}

/// The first place where the two sides computed different values, if any.
#[derive(Debug, Default)]
struct Check {
    difference: Option<String>,
}

impl Check {
    fn compare_logs(&mut self, rust: &[LoggedStep], python: &[LoggedStep]) {
        let same = |(r, p): (&LoggedStep, &LoggedStep)| {
            r.step == p.step && equal(r.accuracy, p.accuracy) && equal(r.loss, p.loss)
        };
        if self.difference.is_none() {
            self.difference = if rust.len() != python.len() {
                Some(format!(
                    "the sides logged {} and {} steps",
                    rust.len(),
                    python.len()
                ))
            } else {
                rust.iter()
                    .zip(python)
                    .find(|&pair| !same(pair))
                    .map(|(r, p)| {
                        format!(
                            "step {}: rust accuracy {} loss {}, python step {} accuracy {} loss {}",
                            r.step, r.accuracy, r.loss, p.step, p.accuracy, p.loss
                        )
                    })
            };
        }
    }

    fn compare_eval(&mut self, round: u64, rust: (f32, f32), python: (f32, f32)) {
        if self.difference.is_none() && !(equal(rust.0, python.0) && equal(rust.1, python.1)) {
            self.difference = Some(format!(
                "test set after round {round}: rust accuracy {} loss {}, python accuracy {} \
                 loss {}",
                rust.0, rust.1, python.0, python.1
            ));
        }
    }
}

/// One measurement of child runs on both sides; an error when a run lacks it.
fn child_pair(
    rust: &[ChildRun],
    python: &[ChildRun],
    value: impl Fn(&ChildRun) -> Option<f64>,
) -> Result<Pair> {
    let series = |runs: &[ChildRun]| -> Result<Vec<f64>> {
        runs.iter()
            .map(|r| value(r).context("a training process never printed its `Step 0` line"))
            .collect()
    };
    Pair::new(series(rust)?, series(python)?).context("no process was timed")
}

/// This binary as a child: `subcommand` with the loop settings of `run` (its steps included).
pub(super) fn tflayers(
    subcommand: &[&str],
    run: &RunConfig,
    data: &DataSource,
    models_dir: &Path,
) -> Result<Command> {
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let mut command = Command::new(exe);
    // The child keeps this run's oneDNN setting as if the user had set it, like the Python
    // side, instead of choosing (and restarting) for its own model.
    command
        .env_remove(crate::onednn::DEFAULT_MARK)
        .args(subcommand)
        .args(["--steps", &run.steps.to_string()])
        .args(run.child_flags(run.seed, models_dir))
        .args(data.child_flags());
    Ok(command)
}

/// `python/train.py` with the loop settings of `run` (its model and steps included).
fn python_train(python: &Python, run: &RunConfig, models_dir: &Path) -> Command {
    let mut command = python.command(TRAIN_SCRIPT);
    loop_args(&mut command, run, models_dir);
    command.args(["--steps", &run.steps.to_string()]);
    command
}

/// This binary's `train` and `python/train.py`, `--steps 1`, as whole processes.
fn bench_processes(
    args: &BenchOptions,
    name: &str,
    models_dir: &Path,
    python: &Python,
) -> Result<ProcessBench> {
    eprintln!(
        "== {name}: whole processes, train --steps 1, {} round(s) on each side",
        args.repeat
    );
    let mut one_step = args.common.run.for_model(name);
    one_step.steps = 1;
    let train = ["train", "--model", name, "--quiet"];
    let is_first_step = |line: &str| line.starts_with("Step 0,");
    let (mut rust_runs, mut py_runs) = (Vec::new(), Vec::new());
    for _ in 0..args.repeat {
        let mut rust = tflayers(&train, &one_step, &args.common.data, models_dir)?;
        rust_runs.push(run_child(&mut rust, "tflayers train", is_first_step)?);
        let mut py = python_train(python, &one_step, models_dir);
        py_runs.push(run_child(&mut py, TRAIN_SCRIPT, is_first_step)?);
    }
    Ok(ProcessBench {
        // The same for every model; the table names the model (M) on each row.
        rust_command: "tflayers train --model M --quiet --steps 1 (and the settings above)".into(),
        python_command: "python/train.py --model M --steps 1 (and the settings above)".into(),
        startup_secs: child_pair(&rust_runs, &py_runs, |r| r.first_line_secs)?,
        wall_secs: child_pair(&rust_runs, &py_runs, |r| Some(r.wall_secs))?,
        peak_rss_bytes: child_pair(&rust_runs, &py_runs, |r| Some(r.peak_rss_bytes as f64))?,
    })
}

/// `tflayers reproduce` against `python/train.py` once per model, taking turns.
fn bench_reproduce(
    args: &BenchOptions,
    manifest: &Manifest,
    models_dir: &Path,
    python: &Python,
) -> Result<ReproduceBench> {
    let run = &args.common.run;
    eprintln!(
        "== reproduce: {} round(s) of the five runs, {} steps each, on each side",
        args.repeat, run.steps
    );
    let (mut rust_runs, mut py_runs) = (Vec::new(), Vec::new());
    let mut difference = None;
    for round in 1..=args.repeat {
        let mut command = tflayers(
            &["reproduce", "--quiet"],
            run,
            &args.common.data,
            models_dir,
        )?;
        let rust = run_child(&mut command, "tflayers reproduce", |_| false)?;
        // The five Python runs as one: their wall times add up, their peak is the largest.
        let mut py = ChildRun {
            first_line_secs: None,
            wall_secs: 0.0,
            peak_rss_bytes: 0,
            stdout: Vec::new(),
        };
        // `tflayers reproduce` runs the article's five, so the Python side runs those.
        for name in manifest.article_names() {
            let mut command = python_train(python, &run.for_model(name), models_dir);
            let one = run_child(&mut command, TRAIN_SCRIPT, |_| false)?;
            py.wall_secs += one.wall_secs;
            py.peak_rss_bytes = py.peak_rss_bytes.max(one.peak_rss_bytes);
            py.stdout.extend(one.stdout);
        }
        let (rust_lines, py_lines) = (article_lines(&rust.stdout), article_lines(&py.stdout));
        if difference.is_none() {
            difference = first_line_difference(&rust_lines, &py_lines).map(|at| {
                format!(
                    "reproduce round {round}, article line {}: rust {:?}, python {:?}",
                    at + 1,
                    rust_lines.get(at),
                    py_lines.get(at)
                )
            });
        }
        eprintln!(
            "   round {round}: reproduce {:.1} s, python {:.1} s",
            rust.wall_secs, py.wall_secs
        );
        rust_runs.push(rust);
        py_runs.push(py);
    }
    Ok(ReproduceBench {
        rust_command: "tflayers reproduce --quiet --steps N (and the settings above)".into(),
        python_command: "python/train.py --model M --steps N (and the settings above), for each \
                         of the five models"
            .into(),
        wall_secs: child_pair(&rust_runs, &py_runs, |r| Some(r.wall_secs))?,
        peak_rss_bytes: child_pair(&rust_runs, &py_runs, |r| Some(r.peak_rss_bytes as f64))?,
        identical: difference.is_none(),
        difference,
    })
}

/// The article's lines among a program's output (reproduce adds headings and a table).
fn article_lines(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("Step ") || l.starts_with("Test accuracy: "))
        .collect()
}
