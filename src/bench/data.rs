//! Timing the data loading, in this process and in Python, side by side.
//!
//! Owns the loading benchmark's measurements (not their presentation): [`time_rust_load`]
//! times [`read_data_sets_with`] in process; [`time_python_load`] runs
//! `python/bench_load.py` (gzip + NumPy, the fastest reasonable NumPy code) as a
//! subprocess that times its own load and prints the seconds as JSON; [`run_load_bench`]
//! alternates the two so that both see the same machine conditions, after one untimed
//! warm-up each, and returns the samples. [`Samples`] gives median, minimum and maximum.
//! The functions are plain library code so that other benchmarks can reuse them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use serde::Deserialize;

use crate::mnist::dataset::read_data_sets_with;

/// Environment variable naming the Python interpreter for the benchmark.
pub const PYTHON_ENV: &str = "TFLAYERS_PYTHON";
/// The Python loader, relative to the project root.
pub const PYTHON_SCRIPT: &str = "python/bench_load.py";

/// Timings in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// The median (mean of the two middle values for an even count); 0 when empty.
    pub fn median(&self) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        }
    }

    /// The smallest value; 0 when empty.
    pub fn min(&self) -> f64 {
        self.0.iter().copied().reduce(f64::min).unwrap_or(0.0)
    }

    /// The largest value; 0 when empty.
    pub fn max(&self) -> f64 {
        self.0.iter().copied().reduce(f64::max).unwrap_or(0.0)
    }
}

/// Both sides' timings of the same load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadBench {
    /// This crate's `read_data_sets_with`, in process.
    pub rust: Samples,
    /// `python/bench_load.py`, timed by itself.
    pub python: Samples,
}

impl LoadBench {
    /// Median Rust time over median Python time (below 1: Rust is faster).
    pub fn ratio(&self) -> f64 {
        self.rust.median() / self.python.median()
    }
}

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
    python: &Path,
    script: &Path,
    dir: &Path,
    validation_size: usize,
    expected: Option<(usize, usize, usize)>,
) -> Result<f64> {
    let output = Command::new(python)
        .arg(script)
        .arg("--data-dir")
        .arg(dir)
        .arg("--validation-size")
        .arg(validation_size.to_string())
        .output()
        .with_context(|| {
            format!(
                "cannot run {} {}; set {PYTHON_ENV} to a Python with NumPy (the project's \
                 `.venv/bin/python`, made by `make setup`)",
                python.display(),
                script.display()
            )
        })?;
    ensure!(
        output.status.success(),
        "{} {} failed ({}): {}",
        python.display(),
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let timing: PythonTiming = serde_json::from_str(line).with_context(|| {
        format!(
            "{} printed {line:?}, expected one JSON line with the seconds",
            script.display()
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

/// The Python interpreter: `TFLAYERS_PYTHON`, else the project's `.venv/bin/python` (in
/// the current folder or the project the binary was built from).
pub fn find_python() -> Result<PathBuf> {
    if let Some(python) = std::env::var_os(PYTHON_ENV) {
        return Ok(PathBuf::from(python));
    }
    let candidates = [
        PathBuf::from(".venv/bin/python"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    ];
    match candidates.iter().find(|path| path.exists()) {
        Some(found) => Ok(found.clone()),
        None => bail!(
            "no Python found for the benchmark: neither {} nor {} exists; run `make setup` \
             or set {PYTHON_ENV}",
            candidates[0].display(),
            candidates[1].display()
        ),
    }
}

/// `python/bench_load.py`, in the current folder or the project the binary was built from.
pub fn find_script() -> Result<PathBuf> {
    let candidates = [
        PathBuf::from(PYTHON_SCRIPT),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(PYTHON_SCRIPT),
    ];
    match candidates.iter().find(|path| path.is_file()) {
        Some(found) => Ok(found.clone()),
        None => bail!(
            "cannot find {PYTHON_SCRIPT} (looked for {} and {}); run from the project folder",
            candidates[0].display(),
            candidates[1].display()
        ),
    }
}

/// Alternates Rust and Python loads `repeat` times after one untimed warm-up of each;
/// `on_round(round, rust_seconds, python_seconds)` is called after every timed pair.
pub fn run_load_bench(
    dir: &Path,
    validation_size: usize,
    repeat: usize,
    python: &Path,
    script: &Path,
    mut on_round: impl FnMut(usize, f64, f64),
) -> Result<LoadBench> {
    ensure!(repeat > 0, "the benchmark needs at least one repetition");
    // The warm-up fills the page cache for both and checks that both load the same split.
    let data = read_data_sets_with(dir, validation_size)?;
    let split = (data.train.len(), data.validation.len(), data.test.len());
    drop(data);
    time_python_load(python, script, dir, validation_size, Some(split))?;
    let mut bench = LoadBench::default();
    for round in 0..repeat {
        let rust = time_rust_load(dir, validation_size)?;
        let python = time_python_load(python, script, dir, validation_size, None)?;
        bench.rust.0.push(rust);
        bench.python.0.push(python);
        on_round(round, rust, python);
    }
    Ok(bench)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_statistics() {
        let samples = Samples(vec![3.0, 1.0, 2.0]);
        assert_eq!(
            (samples.median(), samples.min(), samples.max()),
            (2.0, 1.0, 3.0)
        );
        assert_eq!(Samples(vec![4.0, 1.0, 2.0, 3.0]).median(), 2.5);
        assert_eq!(Samples::default().median(), 0.0);
        let bench = LoadBench {
            rust: Samples(vec![1.0]),
            python: Samples(vec![4.0]),
        };
        assert_eq!(bench.ratio(), 0.25);
    }

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
        let err = format!(
            "{:#}",
            time_python_load(Path::new("false"), Path::new("x.py"), dir.path(), 5, None)
                .unwrap_err()
        );
        assert!(err.contains("failed"), "{err}");
        let err = format!(
            "{:#}",
            time_python_load(
                &dir.path().join("no-python"),
                Path::new("x.py"),
                dir.path(),
                5,
                None
            )
            .unwrap_err()
        );
        assert!(err.contains("cannot run"), "{err}");
        assert!(err.contains(PYTHON_ENV), "{err}");
    }
}
