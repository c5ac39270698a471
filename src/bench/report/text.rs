//! The tables `tflayers bench` prints on stdout, drawn from its [`BenchReport`].
//!
//! Each cell of a timing is `median (min-max)` over the rounds; each ratio is the Rust median
//! over the Python median, to two decimals. The tables go through the program's one table
//! renderer ([`crate::output::table`]): the first column left-aligned, the others right-aligned,
//! two spaces apart.

use super::{BenchReport, Pair, ReproduceBench, Series, Settings};
use crate::output::format::format_g;
use crate::output::table::{self, Column};

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
        out.push_str(&format!("{}, on both sides\n", self.onednn));
        out.push_str("values: median (min-max) over the rounds; rust/python: ratio of medians\n");
        if let Some(load) = &self.load {
            out.push_str(&format!(
                "\nMNIST load, s (python: {})\n",
                load.python_loader
            ));
            out.push_str(&text_table(
                &["", "rust", "python", "rust/python"],
                [row("load", [pair_cells(&load.secs, 1.0)], [])],
            ));
        }
        if !self.models.is_empty() {
            out.push('\n');
            out.push_str(&self.step_table());
            out.push('\n');
            out.push_str(&self.eval_table());
            if let Some(table) = self.rate_table() {
                out.push('\n');
                out.push_str(&table);
            }
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
        let rows = self.models.iter().map(|m| {
            let results = if m.identical {
                "identical"
            } else {
                "DIFFERENT"
            };
            let threads = format!(
                "{}/{}",
                thread_count(m.intra_op_threads),
                thread_count(m.inter_op_threads)
            );
            row(
                &m.model,
                [pair_cells(&m.step_secs, 1000.0)],
                [results.to_string(), threads],
            )
        });
        format!(
            "Training step, ms (rounds of {} steps, batch {}, after {} warm-up steps)\n{}",
            s.run.steps,
            s.run.batch_size,
            s.warmup,
            text_table(
                &[
                    "model",
                    "rust",
                    "python",
                    "rust/python",
                    "results",
                    "threads"
                ],
                rows
            )
        )
    }

    fn eval_table(&self) -> String {
        let s = &self.settings;
        let how = match s.run.eval_batch_size {
            Some(n) => format!("in chunks of {n}"),
            None => "in one run".into(),
        };
        let rows = self.models.iter().map(|m| {
            let accuracy = format_g(f64::from(m.test_accuracy));
            row(&m.model, [pair_cells(&m.eval_secs, 1.0)], [accuracy])
        });
        format!(
            "Test-set evaluation, s ({} images {how})\n{}",
            s.test_images,
            text_table(
                &["model", "rust", "python", "rust/python", "test accuracy"],
                rows
            )
        )
    }

    /// Each model's counted arithmetic per step over its median step time, against the
    /// probe's rate; `None` without a probe.
    fn rate_table(&self) -> Option<String> {
        let probe = self.probe.as_ref()?;
        let rate = probe.gflops.median;
        let rows = self.models.iter().filter_map(|m| {
            let flops = m.flops_per_step?;
            let achieved = |secs: f64| flops / secs / 1e9;
            let (rust, python) = (
                achieved(m.step_secs.rust.median),
                achieved(m.step_secs.python.median),
            );
            Some(vec![
                m.model.clone(),
                number(flops / 1e9),
                number(rust),
                format!("{:.0}%", 100.0 * rust / rate),
                number(python),
                format!("{:.0}%", 100.0 * python / rate),
            ])
        });
        let header = [
            "model",
            "GFLOP/step",
            "rust GFLOP/s",
            "of probe",
            "python GFLOP/s",
            "of probe",
        ];
        Some(format!(
            "Arithmetic rate: counted work per step over the median step time, against the \
             probe\n  probe: {n}x{n} float32 MatMul through TensorFlow, {} GFLOP/s (threads \
             {}/{})\n{}",
            cell(&probe.gflops, 1.0),
            thread_count(probe.intra_op_threads),
            thread_count(probe.inter_op_threads),
            text_table(&header, rows),
            n = probe.n,
        ))
    }

    fn process_table(&self) -> String {
        let measured: Vec<_> = self
            .models
            .iter()
            .filter_map(|m| Some((m, m.process.as_ref()?)))
            .collect();
        // The commands are the same for every model (M stands for the row's model).
        let (rust, python) = measured.first().map_or(("", ""), |(_, p)| {
            (p.rust_command.as_str(), p.python_command.as_str())
        });
        let rows = measured.iter().map(|(m, p)| {
            let cells = [
                pair_cells(&p.startup_secs, 1.0),
                pair_cells(&p.peak_rss_bytes, 1e-6),
            ];
            row(&m.model, cells, [])
        });
        let header = [
            "model",
            "start rust",
            "start python",
            "rust/python",
            "RSS rust",
            "RSS python",
            "rust/python",
        ];
        format!(
            "Whole process: start-up to the first step line, s, and peak RSS, MB\n  \
             rust:   {rust}\n  python: {python}\n  (M: the row's model)\n{}",
            text_table(&header, rows)
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
        let header = [
            "model", "side", "batch", "call", "feeding", "graph", "step", "fetch",
        ];
        format!(
            "Where a step goes, microseconds per call ({calls} calls each)\n{}  \
             batch: taking the batch; call: a session call that runs nothing; feeding: feeding \
             the four inputs;\n  graph: train_step itself; step: batch + the training call; \
             fetch: a logged step's extra call\n",
            text_table(&header, rows)
        )
    }
}

fn reproduce_table(r: &ReproduceBench, s: &Settings) -> String {
    let table = text_table(
        &["", "rust", "python", "rust/python"],
        [
            row("wall s", [pair_cells(&r.wall_secs, 1.0)], []),
            row("peak RSS MB", [pair_cells(&r.peak_rss_bytes, 1e-6)], []),
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
        s.run.steps, r.rust_command, r.python_command,
    )
}

fn settings_line(s: &Settings) -> String {
    let threads = |n: Option<u32>| n.map_or("per model".to_string(), |n| n.to_string());
    format!(
        "batch {}, learning rate {}, seed {}, log every {}, intra-op threads {}, inter-op \
         threads {} (threads column: intra/inter, auto = TensorFlow's choice), data {}",
        s.run.batch_size,
        s.run.learning_rate,
        s.run.seed,
        s.run.log_every,
        threads(s.run.intra_op_threads),
        threads(s.run.inter_op_threads),
        s.run.data_dir.display()
    )
}

/// A bench table: the first column left-aligned, the others right-aligned, two spaces apart.
fn text_table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    table::render(&table::columns(header, true), 2, rows)
}

/// A row: its name, then the cells of each pair, then `rest`.
fn row<const N: usize>(
    name: &str,
    pairs: [[String; 3]; N],
    rest: impl IntoIterator<Item = String>,
) -> Vec<String> {
    std::iter::once(name.to_string())
        .chain(pairs.into_iter().flatten())
        .chain(rest)
        .collect()
}

/// A pair's cells: the Rust side, the Python side (both scaled by `scale`) and their ratio.
fn pair_cells(pair: &Pair, scale: f64) -> [String; 3] {
    [
        cell(&pair.rust, scale),
        cell(&pair.python, scale),
        format!("{:.2}", pair.ratio),
    ]
}

/// `median (min-max)` of a series, each value scaled by `scale` and printed by [`number`].
fn cell(series: &Series, scale: f64) -> String {
    format!(
        "{} ({}-{})",
        number(series.median * scale),
        number(series.min * scale),
        number(series.max * scale)
    )
}

/// A session thread count as the tables show it: the number, or `auto` for TensorFlow's.
fn thread_count(n: Option<u32>) -> String {
    n.map_or("auto".into(), |n| n.to_string())
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

/// One line per timed round of the loading benchmark.
pub fn bench_round_line(round: usize, rust: f64, python: f64) -> String {
    format!(
        "round {:>2}: Rust {:>7.1} ms   Python {:>7.1} ms",
        round + 1,
        rust * 1e3,
        python * 1e3
    )
}

/// The benchmark's summary: medians and ranges in milliseconds, and the Rust/Python ratio.
pub fn bench_summary(bench: &Pair) -> String {
    let row = |name: &str, series: &Series| {
        [
            name.to_string(),
            format!("{:.1}", series.median * 1e3),
            format!("{:.1}", series.min * 1e3),
            format!("{:.1}", series.max * 1e3),
            series.samples.len().to_string(),
        ]
    };
    let table = table::render(
        &[
            Column::left("loader").min_width(7),
            Column::right("median ms").min_width(10),
            Column::right("min ms").min_width(10),
            Column::right("max ms").min_width(10),
            Column::right("runs").min_width(6),
        ],
        1,
        [row("Rust", &bench.rust), row("Python", &bench.python)],
    );
    format!(
        "{table}Rust/Python ratio of the medians: {:.2}\n",
        bench.ratio
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pair, report};
    use super::super::ReproduceBench;
    use super::*;

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
        assert!(text.contains(
            "machine: AMD EPYC (AuthenticAMD family 25 model 1), 2 CPUs, AVX2 FMA, 24.0 GiB; \
             load average before 0.10"
        ));
        assert!(text.contains(
            "\noneDNN on (chosen by tflayers from the manifest's measurements), on both sides\n"
        ));
        // 3.136 MFLOP a step in 0.45 ms (rust) and 0.56 ms (python), against 145 GFLOP/s.
        assert!(
            text.contains("probe: 2048x2048 float32 MatMul through TensorFlow, 145 (140-150) GFLOP/s (threads auto/1)"),
            "{text}"
        );
        let rate = text
            .lines()
            .skip_while(|l| !l.starts_with("Arithmetic rate"))
            .nth(3)
            .unwrap();
        let cells: Vec<&str> = rate.split_whitespace().collect();
        assert_eq!(
            cells,
            ["dense", "0.003", "6.97", "5%", "5.60", "4%"],
            "{text}"
        );
        assert!(text.contains("inter-op threads 2"), "{text}");
        let step = text
            .lines()
            .skip_while(|l| !l.starts_with("Training step, ms"))
            .nth(2)
            .unwrap();
        assert_eq!(
            step,
            "dense  0.450 (0.440-0.470)  0.560 (0.550-0.600)         0.80  identical   1/auto"
        );
        assert!(text.contains("conv2  0.450 (0.440-0.470)"), "{text}");
        assert!(text.contains("0.80  DIFFERENT"), "{text}");
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
    fn the_reproduce_table_compares_wall_time_and_peak_memory() {
        let mut r = report();
        r.models.clear();
        r.load = None;
        r.reproduce = Some(ReproduceBench {
            rust_command: "tflayers reproduce --steps 1000".into(),
            python_command: "python python/train.py --model M --steps 1000, for each model".into(),
            wall_secs: pair(&[100.0, 101.0, 102.0], &[120.0, 121.0, 122.0]),
            peak_rss_bytes: pair(&[2.0e9, 2.0e9, 2.0e9], &[1.9e9, 1.9e9, 1.9e9]),
            identical: true,
            difference: None,
        });
        let text = r.text();
        println!("{text}");
        assert!(text.contains("\nwall s          101 (100-102)     121 (120-122)         0.83\n"));
        assert!(
            text.contains("\npeak RSS MB  2000 (2000-2000)  1900 (1900-1900)         1.05\n"),
            "{text}"
        );
        assert!(text.contains("results: identical"), "{text}");
        assert!(!text.contains("Training step"));
    }

    #[test]
    fn bench_summary_reports_the_ratio() {
        let bench = Pair::new(vec![0.1, 0.09, 0.11], vec![0.2, 0.25, 0.19]).unwrap();
        let text = bench_summary(&bench);
        assert!(
            text.ends_with("\nRust/Python ratio of the medians: 0.50\n"),
            "{text}"
        );
        assert!(text.lines().nth(1).unwrap().starts_with("Rust"), "{text}");
        assert!(bench_round_line(0, 0.1, 0.2).contains("Rust   100.0 ms"));
    }
}
