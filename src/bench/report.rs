//! What `tflayers bench` measured: the tables it prints and the JSON it writes.
//!
//! Every timing is a series of samples, one per round, shown as its median with the smallest
//! and largest value; a ratio is the Rust median over the Python median (below 1: Rust is
//! faster). The issue's targets are stated beside the ratios they apply to, with whether this
//! run met them; the bench reports them and never fails on them (machines are noisy).

use anyhow::Result;
use serde::Serialize;

use crate::bench::data::Samples;
use crate::bench::machine::Machine;
use crate::bench::Breakdown;

/// Largest Rust/Python ratio of the per-step time the project aims for, by model: the small
/// models spend a visible share of a step outside the graph, the conv models almost none.
pub fn step_target(model: &str) -> f64 {
    match model {
        "dense" | "hidden" => 0.85,
        _ => 1.0,
    }
}

/// Largest ratio of `reproduce`'s wall time to the five `python/train.py` runs'.
pub const REPRODUCE_TARGET: f64 = 0.95;
/// Largest peak memory of `reproduce` evaluating the test set in one run, in bytes (2.5 GB).
pub const REPRODUCE_RSS_TARGET: u64 = 2_500_000_000;
/// Largest peak memory of `reproduce --eval-batch-size 1000` (or smaller chunks), in bytes.
pub const REPRODUCE_CHUNKED_RSS_TARGET: u64 = 1_000_000_000;

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
        if samples.is_empty() {
            return None;
        }
        let stats = Samples(samples);
        Some(Self {
            median: stats.median(),
            min: stats.min(),
            max: stats.max(),
            samples: stats.0,
        })
    }

    /// `median (min-max)`, each value scaled by `scale` and printed by `number`.
    fn cell(&self, scale: f64) -> String {
        format!(
            "{} ({}-{})",
            number(self.median * scale),
            number(self.min * scale),
            number(self.max * scale)
        )
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

/// The settings of the run, as given on the command line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub steps: u64,
    pub repeat: u64,
    pub warmup: u64,
    pub batch_size: u64,
    pub learning_rate: f32,
    pub seed: u32,
    pub log_every: u64,
    pub eval_batch_size: Option<u64>,
    pub intra_op_threads: Option<u32>,
    pub inter_op_threads: Option<u32>,
    pub data_dir: String,
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
    /// The largest per-step ratio aimed for, and whether this run's ratio is within it.
    pub step_target: f64,
    pub step_target_met: bool,
    /// Both sides logged the same accuracies and losses and evaluated the test set to the same
    /// accuracy and loss, in every round.
    pub identical: bool,
    /// The first difference, when not identical.
    pub difference: Option<String>,
    /// The test accuracy after the last round (both sides, when identical).
    pub test_accuracy: f32,
    pub process: Option<ProcessBench>,
    pub breakdown: Option<BreakdownPair>,
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
    pub target: f64,
    pub target_met: bool,
    pub rss_target_bytes: u64,
    pub rss_target_met: bool,
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
    pub load: Option<LoadBench>,
    pub models: Vec<ModelBench>,
    pub reproduce: Option<ReproduceBench>,
}

impl BenchReport {
    /// The tables, as printed on stdout.
    pub fn text(&self) -> String {
        let s = &self.settings;
        let mut out = format!(
            "== tflayers bench: Rust against Python (TensorFlow {}), {} round{}\n",
            self.tensorflow_version,
            s.repeat,
            if s.repeat == 1 { "" } else { "s" }
        );
        out.push_str(&format!("machine: {}", self.machine.line()));
        if let Some([one, five, fifteen]) = self.load_average_before {
            out.push_str(&format!(
                "; load average before {one:.2} {five:.2} {fifteen:.2}"
            ));
        }
        if let Some([one, five, fifteen]) = self.load_average_after {
            out.push_str(&format!(", after {one:.2} {five:.2} {fifteen:.2}"));
        }
        out.push_str(&format!("\nsettings: {}\n", settings_line(s)));
        out.push_str("values: median (min-max) over the rounds; rust/python: ratio of medians\n");
        if let Some(load) = &self.load {
            out.push_str(&format!(
                "\nMNIST load, s (python: {})\n",
                load.python_loader
            ));
            out.push_str(&text_table(
                &["", "rust", "python", "rust/python"],
                &[vec![
                    "load".into(),
                    load.secs.rust.cell(1.0),
                    load.secs.python.cell(1.0),
                    ratio(load.secs.ratio),
                ]],
            ));
        }
        if !self.models.is_empty() {
            out.push('\n');
            out.push_str(&self.step_table());
            out.push('\n');
            out.push_str(&self.eval_table());
        }
        if self.models.iter().any(|m| m.process.is_some()) {
            out.push('\n');
            out.push_str(&self.process_table());
        }
        if self.models.iter().any(|m| m.breakdown.is_some()) {
            out.push('\n');
            out.push_str(&self.breakdown_table());
        }
        if let Some(reproduce) = &self.reproduce {
            out.push('\n');
            out.push_str(&reproduce_table(reproduce, s));
        }
        let different: Vec<String> = self
            .models
            .iter()
            .filter_map(|m| m.difference.as_ref().map(|d| format!("{}: {d}", m.model)))
            .chain(self.reproduce.iter().filter_map(|r| r.difference.clone()))
            .collect();
        if !different.is_empty() {
            out.push_str(&format!(
                "\nwarning: the two sides did not compute the same values, so the times compare \
                 different work:\n  {}\n",
                different.join("\n  ")
            ));
        }
        out
    }

    fn step_table(&self) -> String {
        let s = &self.settings;
        let rows: Vec<Vec<String>> = self
            .models
            .iter()
            .map(|m| {
                vec![
                    m.model.clone(),
                    m.step_secs.rust.cell(1000.0),
                    m.step_secs.python.cell(1000.0),
                    ratio(m.step_secs.ratio),
                    format!("<= {}", m.step_target),
                    yes_no(m.step_target_met).into(),
                    if m.identical {
                        "identical"
                    } else {
                        "DIFFERENT"
                    }
                    .into(),
                    format!(
                        "{}/{}",
                        thread_count(m.intra_op_threads),
                        thread_count(m.inter_op_threads)
                    ),
                ]
            })
            .collect();
        format!(
            "Training step, ms (rounds of {} steps, batch {}, after {} warm-up steps)\n{}",
            s.steps,
            s.batch_size,
            s.warmup,
            text_table(
                &[
                    "model",
                    "rust",
                    "python",
                    "rust/python",
                    "target",
                    "met",
                    "results",
                    "threads"
                ],
                &rows
            )
        )
    }

    fn eval_table(&self) -> String {
        let s = &self.settings;
        let how = match s.eval_batch_size {
            Some(n) => format!("in chunks of {n}"),
            None => "in one run".into(),
        };
        let rows: Vec<Vec<String>> = self
            .models
            .iter()
            .map(|m| {
                vec![
                    m.model.clone(),
                    m.eval_secs.rust.cell(1.0),
                    m.eval_secs.python.cell(1.0),
                    ratio(m.eval_secs.ratio),
                    crate::output::format::format_g(f64::from(m.test_accuracy)),
                ]
            })
            .collect();
        format!(
            "Test-set evaluation, s ({} images {how})\n{}",
            s.test_images,
            text_table(
                &["model", "rust", "python", "rust/python", "test accuracy"],
                &rows
            )
        )
    }

    fn process_table(&self) -> String {
        let mut rows = Vec::new();
        let mut commands = None;
        for m in &self.models {
            let Some(p) = &m.process else { continue };
            commands.get_or_insert_with(|| (p.rust_command.clone(), p.python_command.clone()));
            rows.push(vec![
                m.model.clone(),
                p.startup_secs.rust.cell(1.0),
                p.startup_secs.python.cell(1.0),
                ratio(p.startup_secs.ratio),
                p.peak_rss_bytes.rust.cell(1e-6),
                p.peak_rss_bytes.python.cell(1e-6),
                ratio(p.peak_rss_bytes.ratio),
            ]);
        }
        let (rust, python) = commands.unwrap_or_default();
        format!(
            "Whole process: start-up to the first step line, s, and peak RSS, MB\n  \
             rust:   {rust}\n  python: {python}\n  (M: the row's model)\n{}",
            text_table(
                &[
                    "model",
                    "start rust",
                    "start python",
                    "rust/python",
                    "RSS rust",
                    "RSS python",
                    "rust/python"
                ],
                &rows
            )
        )
    }

    fn breakdown_table(&self) -> String {
        let mut rows = Vec::new();
        let mut calls = 0;
        for m in &self.models {
            let Some(b) = &m.breakdown else { continue };
            calls = b.rust.calls;
            for (side, b) in [("rust", &b.rust), ("python", &b.python)] {
                let us = |secs: f64| number(secs * 1e6);
                rows.push(vec![
                    m.model.clone(),
                    side.into(),
                    us(b.batch_secs),
                    us(b.empty_call_secs),
                    us(b.feeding_secs()),
                    us(b.graph_secs()),
                    us(b.batch_secs + b.train_call_secs),
                    us(b.metrics_call_secs),
                ]);
            }
        }
        let table = text_table(
            &[
                "model", "side", "batch", "call", "feeding", "graph", "step", "fetch",
            ],
            &rows,
        );
        format!(
            "Where a step goes, microseconds per call ({calls} calls each)\n{table}  \
             batch: taking the batch; call: a session call that runs nothing; feeding: feeding \
             the four inputs;\n  graph: train_step itself; step: batch + the training call; \
             fetch: a logged step's extra call\n"
        )
    }

    /// The report as pretty JSON, ending with a newline.
    pub fn json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

fn reproduce_table(r: &ReproduceBench, s: &Settings) -> String {
    let table = text_table(
        &["", "rust", "python", "rust/python", "target", "met"],
        &[
            vec![
                "wall s".into(),
                r.wall_secs.rust.cell(1.0),
                r.wall_secs.python.cell(1.0),
                ratio(r.wall_secs.ratio),
                format!("<= {}", r.target),
                yes_no(r.target_met).into(),
            ],
            vec![
                "peak RSS MB".into(),
                r.peak_rss_bytes.rust.cell(1e-6),
                r.peak_rss_bytes.python.cell(1e-6),
                ratio(r.peak_rss_bytes.ratio),
                format!("rust <= {}", number(r.rss_target_bytes as f64 * 1e-6)),
                yes_no(r.rss_target_met).into(),
            ],
        ],
    );
    let results = if r.identical {
        "identical: the article's lines of every model are the same on both sides"
    } else {
        "DIFFERENT (see the warning below)"
    };
    format!(
        "The article's five runs, {} steps each, whole processes\n  rust:   {}\n  python: {}\n\
         {table}results: {results}\n",
        s.steps, r.rust_command, r.python_command,
    )
}

fn settings_line(s: &Settings) -> String {
    let threads = |n: Option<u32>| n.map_or("per model".to_string(), |n| n.to_string());
    format!(
        "batch {}, learning rate {}, seed {}, log every {}, intra-op threads {}, inter-op \
         threads {} (threads column: intra/inter, auto = TensorFlow's choice), data {}",
        s.batch_size,
        s.learning_rate,
        s.seed,
        s.log_every,
        threads(s.intra_op_threads),
        threads(s.inter_op_threads),
        s.data_dir
    )
}

/// A session thread count as the tables show it: the number, or `auto` for TensorFlow's.
fn thread_count(n: Option<u32>) -> String {
    n.map_or("auto".into(), |n| n.to_string())
}

fn yes_no(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "NO"
    }
}

fn ratio(value: f64) -> String {
    format!("{value:.2}")
}

/// Three significant digits or so, without exponents: 0.452, 4.45, 44.5, 445, 4450.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A text table: the first column left-aligned, the others right-aligned.
fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| -> String {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 {
                out.push_str(&format!("{cell:<width$}"));
            } else {
                out.push_str(&format!("  {cell:>width$}"));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(rust: &[f64], python: &[f64]) -> Pair {
        Pair::new(rust.to_vec(), python.to_vec()).unwrap()
    }

    fn settings() -> Settings {
        Settings {
            steps: 1000,
            repeat: 3,
            warmup: 10,
            batch_size: 100,
            learning_rate: 1e-4,
            seed: 0,
            log_every: 100,
            eval_batch_size: None,
            intra_op_threads: None,
            inter_op_threads: Some(2),
            data_dir: "data/mnist".into(),
            test_images: 10_000,
        }
    }

    fn breakdown(scale: f64) -> Breakdown {
        Breakdown {
            calls: 100,
            batch_secs: 20e-6 * scale,
            empty_call_secs: 30e-6 * scale,
            feed_call_secs: 50e-6 * scale,
            train_call_secs: 450e-6 * scale,
            metrics_call_secs: 200e-6 * scale,
        }
    }

    fn report() -> BenchReport {
        let dense = ModelBench {
            model: "dense".into(),
            step_secs: pair(&[0.45e-3, 0.44e-3, 0.47e-3], &[0.56e-3, 0.55e-3, 0.60e-3]),
            eval_secs: pair(&[0.03, 0.031, 0.029], &[0.04, 0.041, 0.039]),
            step_target: step_target("dense"),
            step_target_met: true,
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
            intra_op_threads: Some(1),
            inter_op_threads: None,
        };
        let mut conv2 = dense.clone();
        conv2.model = "conv2".into();
        conv2.step_target = step_target("conv2");
        conv2.identical = false;
        conv2.difference = Some("step 0: loss rust 2.3, python 2.4".into());
        BenchReport {
            tensorflow_version: "2.21.0".into(),
            machine: Machine {
                cpu: Some("AMD EPYC".into()),
                cpus: Some(2),
                memory_bytes: Some(24 << 30),
            },
            load_average_before: Some([0.1, 0.2, 0.3]),
            load_average_after: Some([1.0, 0.5, 0.4]),
            command: "tflayers bench".into(),
            settings: settings(),
            load: Some(LoadBench {
                secs: pair(&[0.17, 0.16, 0.18], &[0.35, 0.34, 0.36]),
                python_loader: "python/numpy_dataset.py".into(),
            }),
            models: vec![dense, conv2],
            reproduce: None,
        }
    }

    #[test]
    fn targets_are_the_issues() {
        assert_eq!(step_target("dense"), 0.85);
        assert_eq!(step_target("hidden"), 0.85);
        for model in ["conv1", "conv2", "dropout"] {
            assert_eq!(step_target(model), 1.0);
        }
    }

    #[test]
    fn a_pair_takes_the_ratio_of_medians() {
        let p = pair(&[1.0, 3.0, 2.0], &[4.0, 4.0, 8.0]);
        assert_eq!(p.ratio, 0.5);
        assert_eq!((p.rust.min, p.rust.max), (1.0, 3.0));
        assert!(Pair::new(vec![], vec![1.0]).is_none());
    }

    #[test]
    fn numbers_keep_about_three_digits() {
        assert_eq!(number(0.4523), "0.452");
        assert_eq!(number(4.453), "4.45");
        assert_eq!(number(44.53), "44.5");
        assert_eq!(number(445.3), "445");
        assert_eq!(number(4453.0), "4453");
    }

    #[test]
    fn the_text_has_every_table_aligned_and_warns_about_different_results() {
        let text = report().text();
        println!("{text}");
        assert!(text.contains("machine: AMD EPYC, 2 CPUs, 24.0 GiB; load average before 0.10"));
        assert!(text.contains("inter-op threads 2"), "{text}");
        let step = text
            .lines()
            .skip_while(|l| !l.starts_with("Training step, ms"))
            .nth(2)
            .unwrap();
        assert_eq!(
            step,
            "dense  0.450 (0.440-0.470)  0.560 (0.550-0.600)         0.80  <= 0.85  yes  identical   \
             1/auto"
        );
        assert!(text.contains("conv2  0.450 (0.440-0.470)"), "{text}");
        assert!(text.contains("0.80     <= 1  yes  DIFFERENT"), "{text}");
        assert!(text.contains("load  0.170 (0.160-0.180)  0.350 (0.340-0.360)         0.49"));
        // Start-up and RSS (MB) of the process table.
        assert!(text.contains("0.550 (0.500-0.600)"), "{text}");
        assert!(text.contains("501 (500-502)"), "{text}");
        // The breakdown: feeding = 50 - 30, graph = 450 - 50, step = 20 + 450.
        assert!(
            text.contains("dense    rust   20.0  30.0     20.0    400   470    200"),
            "{text}"
        );
        assert!(text.contains("warning: the two sides did not compute the same values"));
        assert!(text.contains("conv2: step 0: loss rust 2.3, python 2.4"));
    }

    #[test]
    fn json_carries_every_measurement() {
        let json: serde_json::Value = serde_json::from_str(&report().json().unwrap()).unwrap();
        let dense = &json["models"][0];
        for key in [
            "step_secs",
            "eval_secs",
            "step_target",
            "step_target_met",
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
        assert!(json["reproduce"].is_null());
    }

    #[test]
    fn the_reproduce_table_states_both_targets() {
        let mut r = report();
        r.models.clear();
        r.load = None;
        r.reproduce = Some(ReproduceBench {
            rust_command: "tflayers reproduce --steps 1000".into(),
            python_command: "python python/train.py --model M --steps 1000, for each model".into(),
            wall_secs: pair(&[100.0, 101.0, 102.0], &[120.0, 121.0, 122.0]),
            peak_rss_bytes: pair(&[2.0e9, 2.0e9, 2.0e9], &[1.9e9, 1.9e9, 1.9e9]),
            target: REPRODUCE_TARGET,
            target_met: true,
            rss_target_bytes: REPRODUCE_RSS_TARGET,
            rss_target_met: true,
            identical: true,
            difference: None,
        });
        let text = r.text();
        println!("{text}");
        assert!(text.contains(
            "wall s          101 (100-102)     121 (120-122)         0.83       <= 0.95  yes"
        ));
        assert!(text.contains("1.05  rust <= 2500  yes"), "{text}");
        assert!(text.contains("results: identical"), "{text}");
        assert!(!text.contains("Training step"));
    }
}
