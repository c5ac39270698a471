//! What `tflayers bench` measured: the record of a run and the JSON it writes ([`text`] draws
//! the tables it prints).
//!
//! Every timing is a series of samples, one per round, kept with its median and its smallest
//! and largest value; a ratio is the Rust median over the Python median (below 1: Rust is
//! faster). The bench reports measurements and ratios only; what they are compared against
//! belongs to the reader.

pub mod text;

use anyhow::Result;
use serde::Serialize;

use crate::bench::probe::ProbeBench;
use crate::bench::Breakdown;
use crate::config::RunConfig;
use crate::host::Machine;
use crate::onednn::Setting;

/// One side's samples and their spread.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub samples: Vec<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Series {
    /// `None` when there are no samples.
    pub fn new(samples: Vec<f64>) -> Option<Self> {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        // The mean of the two middle values for an even count.
        let median = (sorted[(n.checked_sub(1)?) / 2] + sorted[n / 2]) / 2.0;
        Some(Self {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            samples,
        })
    }
}

/// The same measurement on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub rust: Series,
    pub python: Series,
    /// Rust median over Python median.
    pub ratio: f64,
}

impl Pair {
    /// `None` when either side has no samples.
    pub fn new(rust: Vec<f64>, python: Vec<f64>) -> Option<Self> {
        let rust = Series::new(rust)?;
        let python = Series::new(python)?;
        let ratio = rust.median / python.median;
        Some(Self {
            rust,
            python,
            ratio,
        })
    }
}

/// The settings of the run, as given on the command line: the run (its `steps` per round,
/// no model), flattened into the record, and the bench's own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    #[serde(flatten)]
    pub run: RunConfig,
    pub repeat: u64,
    pub warmup: u64,
    pub test_images: usize,
}

/// Loading MNIST on both sides, seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBench {
    pub secs: Pair,
    /// What the Python side ran to load the files.
    pub python_loader: String,
}

/// A whole program run as a child process, once per round on each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessBench {
    /// The commands, for the record (`tflayers train --model dense --steps 1 ...`).
    pub rust_command: String,
    pub python_command: String,
    /// From spawning to the first `Step 0` line.
    pub startup_secs: Pair,
    /// From spawning to exit.
    pub wall_secs: Pair,
    /// Peak resident memory.
    pub peak_rss_bytes: Pair,
}

/// Where one step's time goes on each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownPair {
    pub rust: Breakdown,
    pub python: Breakdown,
}

/// Everything measured for one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelBench {
    pub model: String,
    /// Training-loop time per step, seconds, one sample per round of `--steps` steps.
    pub step_secs: Pair,
    /// The test-set evaluation, seconds, one per round.
    pub eval_secs: Pair,
    /// Both sides logged the same accuracies and losses and evaluated the test set to the same
    /// accuracy and loss, in every round.
    pub identical: bool,
    /// The first difference, when not identical.
    pub difference: Option<String>,
    /// The test accuracy after the last round (both sides, when identical).
    pub test_accuracy: f32,
    pub process: Option<ProcessBench>,
    pub breakdown: Option<BreakdownPair>,
    /// Floating-point operations of one training step, counted from the graph's layers.
    pub flops_per_step: Option<f64>,
    /// The session's thread counts on both sides (given, else the manifest's defaults;
    /// `None`: TensorFlow's choice).
    pub intra_op_threads: Option<u32>,
    pub inter_op_threads: Option<u32>,
}

/// `tflayers reproduce` against `python/train.py` once per model, whole processes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReproduceBench {
    pub rust_command: String,
    pub python_command: String,
    /// Wall time of `reproduce` and of the five Python runs together, per round.
    pub wall_secs: Pair,
    /// Peak memory of `reproduce` and of the largest of the five Python runs, per round.
    pub peak_rss_bytes: Pair,
    /// The article's lines of every model are the same on both sides, in every round.
    pub identical: bool,
    pub difference: Option<String>,
}

/// A whole `tflayers bench` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub tensorflow_version: String,
    pub machine: Machine,
    /// 1-, 5- and 15-minute load averages before and after the run.
    pub load_average_before: Option<[f64; 3]>,
    pub load_average_after: Option<[f64; 3]>,
    pub command: String,
    pub settings: Settings,
    /// TensorFlow's oneDNN setting, the same on both sides.
    pub onednn: Setting,
    /// The machine's float32 rate through TensorFlow, measured before the models.
    pub probe: Option<ProbeBench>,
    pub load: Option<LoadBench>,
    pub models: Vec<ModelBench>,
    pub reproduce: Option<ReproduceBench>,
}

impl BenchReport {
    /// The report as pretty JSON, ending with a newline.
    pub fn json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

#[cfg(test)]
/// A sample run for the tests of the report and of its tables.
mod tests {
    use super::*;

    pub(super) fn pair(rust: &[f64], python: &[f64]) -> Pair {
        Pair::new(rust.to_vec(), python.to_vec()).unwrap()
    }

    pub(super) fn settings() -> Settings {
        Settings {
            run: RunConfig {
                model: String::new(),
                inter_op_threads: Some(2),
                ..RunConfig::default()
            },
            repeat: 3,
            warmup: 10,
            test_images: 10_000,
        }
    }

    pub(super) fn breakdown(scale: f64) -> Breakdown {
        Breakdown {
            calls: 100,
            batch_secs: 20e-6 * scale,
            empty_call_secs: 30e-6 * scale,
            feed_call_secs: 50e-6 * scale,
            train_call_secs: 450e-6 * scale,
            metrics_call_secs: 200e-6 * scale,
        }
    }

    pub(super) fn report() -> BenchReport {
        let dense = ModelBench {
            model: "dense".into(),
            step_secs: pair(&[0.45e-3, 0.44e-3, 0.47e-3], &[0.56e-3, 0.55e-3, 0.60e-3]),
            eval_secs: pair(&[0.03, 0.031, 0.029], &[0.04, 0.041, 0.039]),
            identical: true,
            difference: None,
            test_accuracy: 0.8581,
            process: Some(ProcessBench {
                rust_command: "tflayers train --steps 1".into(),
                python_command: "python python/train.py --steps 1".into(),
                startup_secs: pair(&[0.5, 0.6, 0.55], &[4.0, 4.2, 4.1]),
                wall_secs: pair(&[0.7, 0.8, 0.75], &[4.5, 4.6, 4.4]),
                peak_rss_bytes: pair(&[500e6, 501e6, 502e6], &[900e6, 901e6, 902e6]),
            }),
            breakdown: Some(BreakdownPair {
                rust: breakdown(1.0),
                python: breakdown(2.0),
            }),
            flops_per_step: Some(3.136e6),
            intra_op_threads: Some(1),
            inter_op_threads: None,
        };
        let mut conv2 = dense.clone();
        conv2.model = "conv2".into();
        conv2.identical = false;
        conv2.difference = Some("step 0: loss rust 2.3, python 2.4".into());
        BenchReport {
            tensorflow_version: "2.21.0".into(),
            machine: Machine {
                cpu: Some("AMD EPYC".into()),
                cpu_id: Some("AuthenticAMD family 25 model 1".into()),
                isa: vec!["AVX2".into(), "FMA".into()],
                cpus: Some(2),
                memory_bytes: Some(24 << 30),
            },
            load_average_before: Some([0.1, 0.2, 0.3]),
            load_average_after: Some([1.0, 0.5, 0.4]),
            command: "tflayers bench".into(),
            settings: settings(),
            onednn: Setting {
                enabled: true,
                chosen_by: crate::onednn::ChosenBy::Tflayers,
            },
            probe: Some(ProbeBench {
                n: 2048,
                gflops: Series::new(vec![150.0, 140.0, 145.0]).unwrap(),
                intra_op_threads: None,
                inter_op_threads: Some(1),
            }),
            load: Some(LoadBench {
                secs: pair(&[0.17, 0.16, 0.18], &[0.35, 0.34, 0.36]),
                python_loader: "python/numpy_dataset.py".into(),
            }),
            models: vec![dense, conv2],
            reproduce: None,
        }
    }

    #[test]
    fn sample_statistics() {
        let series = Series::new(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!((series.median, series.min, series.max), (2.0, 1.0, 3.0));
        assert_eq!(Series::new(vec![4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert_eq!(Series::new(vec![]), None);
        assert_eq!(pair(&[1.0], &[4.0]).ratio, 0.25);
    }

    #[test]
    fn a_pair_takes_the_ratio_of_medians() {
        let p = pair(&[1.0, 3.0, 2.0], &[4.0, 4.0, 8.0]);
        assert_eq!(p.ratio, 0.5);
        assert_eq!((p.rust.min, p.rust.max), (1.0, 3.0));
        assert!(Pair::new(vec![], vec![1.0]).is_none());
    }

    #[test]
    fn json_carries_every_measurement() {
        let json: serde_json::Value = serde_json::from_str(&report().json().unwrap()).unwrap();
        let dense = &json["models"][0];
        for key in [
            "step_secs",
            "eval_secs",
            "identical",
            "test_accuracy",
            "process",
            "breakdown",
        ] {
            assert!(!dense[key].is_null(), "{key} missing: {dense}");
        }
        assert_eq!(
            dense["step_secs"]["rust"]["samples"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(json["settings"]["steps"], 1000);
        assert_eq!(json["machine"]["cpus"], 2);
        assert_eq!(json["machine"]["isa"][0], "AVX2");
        assert_eq!(json["onednn"]["enabled"], true);
        assert_eq!(json["probe"]["gflops"]["median"], 145.0);
        assert_eq!(dense["flops_per_step"], 3.136e6);
        assert!(json["reproduce"].is_null());
    }
}
