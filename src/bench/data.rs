//! Timing the data loading, in this process and in Python, side by side.
//!
//! Owns the loading benchmark's measurements (not their presentation): [`time_rust_load`]
//! times [`read_data_sets_with`] in process; [`time_python_load`] runs
//! `python/bench_load.py` (gzip + NumPy, the fastest reasonable NumPy code) with the
//! project's Python ([`crate::python`]) as a subprocess that times its own load and prints
//! the seconds as JSON; [`run_load_bench`]
//! alternates the two so that both see the same machine conditions, after one untimed
//! warm-up each, and returns the samples as a [`Pair`] (medians, ranges and their ratio).
//! The functions are plain library code so that other benchmarks can reuse them.

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use serde::Deserialize;

use crate::bench::report::Pair;
use crate::mnist::dataset::read_data_sets_with;
use crate::python::{Python, PYTHON_ENV, VENV_PYTHON};

/// The Python loader, relative to the project root.
pub const PYTHON_SCRIPT: &str = "python/bench_load.py";

/// Seconds `read_data_sets_with(dir, validation_size)` takes (the data is dropped after
/// the clock stops, as Python's arrays are still alive when it reads its clock).
pub fn time_rust_load(dir: &Path, validation_size: usize) -> Result<f64> {
    let start = Instant::now();
    let data = read_data_sets_with(dir, validation_size)?;
    let seconds = start.elapsed().as_secs_f64();
    drop(data);
    Ok(seconds)
}

#[derive(Debug, Deserialize)]
struct PythonTiming {
    seconds: f64,
    train: usize,
    validation: usize,
    test: usize,
}

/// Runs the Python loader once and returns the seconds it measured for its load.
/// `expected` is the (train, validation, test) split the Rust side produced; the Python
/// side must report the same sizes.
pub fn time_python_load(
    python: &Python,
    dir: &Path,
    validation_size: usize,
    expected: Option<(usize, usize, usize)>,
) -> Result<f64> {
    let output = python
        .command(PYTHON_SCRIPT)
        .arg("--data-dir")
        .arg(dir)
        .arg("--validation-size")
        .arg(validation_size.to_string())
        .output()
        .with_context(|| {
            format!(
                "cannot run {}; set {PYTHON_ENV} to a Python with NumPy (the project's \
                 `{VENV_PYTHON}`, made by `make setup`)",
                python.describe(PYTHON_SCRIPT)
            )
        })?;
    ensure!(
        output.status.success(),
        "{} failed ({}): {}",
        python.describe(PYTHON_SCRIPT),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let timing: PythonTiming = serde_json::from_str(line).with_context(|| {
        format!(
            "{} printed {line:?}, expected one JSON line with the seconds",
            python.script(PYTHON_SCRIPT).display()
        )
    })?;
    if let Some(expected) = expected {
        let got = (timing.train, timing.validation, timing.test);
        ensure!(
            got == expected,
            "the Python loader produced a {got:?} split but the Rust loader {expected:?}; \
             they must load the same data"
        );
    }
    Ok(timing.seconds)
}

/// Alternates Rust and Python loads `repeat` times after one untimed warm-up of each;
/// `on_round(round, rust_seconds, python_seconds)` is called after every timed pair.
pub fn run_load_bench(
    dir: &Path,
    validation_size: usize,
    repeat: usize,
    python: &Python,
    mut on_round: impl FnMut(usize, f64, f64),
) -> Result<Pair> {
    ensure!(repeat > 0, "the benchmark needs at least one repetition");
    // The warm-up fills the page cache for both and checks that both load the same split.
    let data = read_data_sets_with(dir, validation_size)?;
    let split = (data.train.len(), data.validation.len(), data.test.len());
    drop(data);
    time_python_load(python, dir, validation_size, Some(split))?;
    let (mut rust_secs, mut python_secs) = (Vec::new(), Vec::new());
    for round in 0..repeat {
        let rust = time_rust_load(dir, validation_size)?;
        let python = time_python_load(python, dir, validation_size, None)?;
        rust_secs.push(rust);
        python_secs.push(python);
        on_round(round, rust, python);
    }
    Pair::new(rust_secs, python_secs).context("no load was timed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_load_is_timed_and_errors_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        crate::mnist::fixtures::write_synthetic_mnist(dir.path(), 20, 5, 1).unwrap();
        assert!(time_rust_load(dir.path(), 5).unwrap() > 0.0);
        let err = format!(
            "{:#}",
            time_rust_load(&dir.path().join("no"), 5).unwrap_err()
        );
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_failing_python_is_reported_with_its_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let python = |interpreter: &Path| Python {
            interpreter: interpreter.to_path_buf(),
            root: dir.path().to_path_buf(),
        };
        let err = format!(
            "{:#}",
            time_python_load(&python(Path::new("false")), dir.path(), 5, None).unwrap_err()
        );
        assert!(err.contains("failed"), "{err}");
        let missing = python(&dir.path().join("no-python"));
        let err = format!(
            "{:#}",
            time_python_load(&missing, dir.path(), 5, None).unwrap_err()
        );
        assert!(err.contains("cannot run"), "{err}");
        assert!(err.contains(PYTHON_ENV), "{err}");
    }
}
