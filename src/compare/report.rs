//! The `compare` report: the side-by-side tables of a [`Comparison`] as text (printed) and
//! Markdown (`compare.md`), the `--all` summary, and the JSON report (`compare.json`).

use anyhow::Result;
use serde::Serialize;

use super::verdict::{format_diff, Comparison, Side};
use crate::output::table;

impl Comparison {
    fn title(&self) -> String {
        let s = &self.settings;
        let mut title = format!(
            "{}: Rust and Python, {} steps, batch {}, learning rate {}, seed {}",
            s.run.model, s.run.steps, s.run.batch_size, s.run.learning_rate, s.run.seed
        );
        if s.python_seed != s.run.seed {
            title.push_str(&format!(" (python seed {})", s.python_seed));
        }
        title.push_str(&format!("; both sides {}", s.onednn));
        title
    }

    fn step_rows(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "step",
            "rust accuracy",
            "python accuracy",
            "difference",
            "rust loss",
            "python loss",
            "difference",
        ];
        let rows = self
            .rust
            .steps
            .iter()
            .zip(&self.python.steps)
            .map(|(r, p)| {
                vec![
                    r.step.to_string(),
                    r.accuracy.to_string(),
                    p.accuracy.to_string(),
                    format_diff(f64::from(r.accuracy) - f64::from(p.accuracy)),
                    r.loss.to_string(),
                    p.loss.to_string(),
                    format_diff(f64::from(r.loss) - f64::from(p.loss)),
                ]
            })
            .collect();
        (header, rows)
    }

    fn result_rows(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let row = |label: &str, r: f32, p: f32| {
            vec![
                label.to_string(),
                r.to_string(),
                p.to_string(),
                format_diff(f64::from(r) - f64::from(p)),
            ]
        };
        let mut rows = vec![
            row(
                "test accuracy",
                self.rust.test_accuracy,
                self.python.test_accuracy,
            ),
            row("test loss", self.rust.test_loss, self.python.test_loss),
        ];
        if let (Some(r), Some(p)) = (
            self.rust.validation_accuracy,
            self.python.validation_accuracy,
        ) {
            rows.push(row("validation accuracy", r, p));
        }
        (vec!["", "rust", "python", "difference"], rows)
    }

    fn timing_rows(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let (r, p) = (&self.rust, &self.python);
        let side = |label: &str, s: &Side| {
            vec![
                label.to_string(),
                format!("{:.2}", s.train_secs),
                format!("{:.2}", s.ms_per_step),
                format!("{:.2}", s.wall_secs),
            ]
        };
        let rows = vec![
            side("rust", r),
            side("python", p),
            vec![
                "python/rust".to_string(),
                ratio(r.train_secs, p.train_secs),
                ratio(r.ms_per_step, p.ms_per_step),
                ratio(r.wall_secs, p.wall_secs),
            ],
        ];
        (vec!["", "train s", "ms/step", "wall s"], rows)
    }

    /// The three tables (logged steps, final results, timings), each drawn by `table`.
    fn tables(&self, table: fn(&[&str], &[Vec<String>]) -> String) -> String {
        let tables = [self.step_rows(), self.result_rows(), self.timing_rows()];
        let drawn: Vec<String> = tables.iter().map(|(h, rows)| table(h, rows)).collect();
        drawn.join("\n")
    }

    /// The plain-text report printed by `compare`.
    pub fn text(&self) -> String {
        format!(
            "== {} ==\n{}\nverdict: {}\n",
            self.title(),
            self.tables(text_table),
            self.verdict_line()
        )
    }

    /// The same report as a Markdown section, with the plot beside it.
    pub fn markdown(&self, plot_file: Option<&str>) -> String {
        let mut out = format!(
            "## {}\n\n**Verdict: {}**\n\n{}",
            self.title(),
            self.verdict_line(),
            self.tables(markdown_table)
        );
        if let Some(file) = plot_file {
            out.push_str(&format!(
                "\n![{}: Rust and Python]({file})\n",
                self.settings.run.model
            ));
        }
        out
    }
}

/// `python / rust` to two decimals, `-` when the Rust figure is 0.
fn ratio(rust: f64, python: f64) -> String {
    if rust > 0.0 {
        format!("{:.2}", python / rust)
    } else {
        "-".to_string()
    }
}

/// The `--all` summary: one row per model.
pub fn summary_table(comparisons: &[Comparison]) -> String {
    let rows: Vec<Vec<String>> = comparisons
        .iter()
        .map(|c| {
            vec![
                c.settings.run.model.clone(),
                c.verdict_word().to_string(),
                c.rust.test_accuracy.to_string(),
                c.python.test_accuracy.to_string(),
                format!("{:.2}", c.rust.ms_per_step),
                format!("{:.2}", c.python.ms_per_step),
                ratio(c.rust.ms_per_step, c.python.ms_per_step),
            ]
        })
        .collect();
    text_table(
        &[
            "model",
            "verdict",
            "rust test acc",
            "python test acc",
            "rust ms/step",
            "python ms/step",
            "python/rust",
        ],
        &rows,
    )
}

/// The Markdown report of every compared model; `plot_file` names each model's PNG.
pub fn markdown_report(comparisons: &[Comparison], plot_file: impl Fn(&str) -> String) -> String {
    let mut out = String::from("# Rust against Python\n\n");
    out.push_str(
        "Both sides load the same SavedModel and train it with the article's loop; \
         *identical* means equal float32 values at every logged step, for the test \
         results, and the same printed lines.\n\n",
    );
    for comparison in comparisons {
        out.push_str(&comparison.markdown(Some(&plot_file(&comparison.settings.run.model))));
        out.push('\n');
    }
    out
}

/// The JSON report of every compared model.
pub fn json_report(comparisons: &[Comparison], tensorflow_version: &str) -> Result<String> {
    #[derive(Serialize)]
    struct Report<'a> {
        tflayers_version: &'a str,
        tensorflow_version: &'a str,
        passed: bool,
        comparisons: &'a [Comparison],
    }
    let report = Report {
        tflayers_version: env!("CARGO_PKG_VERSION"),
        tensorflow_version,
        passed: comparisons.iter().all(|c| c.passed),
        comparisons,
    };
    Ok(serde_json::to_string_pretty(&report)? + "\n")
}

/// A text table: two spaces between columns, numbers right-aligned, and the first column
/// left-aligned when it holds labels.
fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let labels_first = header.first().is_some_and(|h| *h != "step");
    table::render(&table::columns(header, labels_first), 2, rows)
}

/// A Markdown table, cells unpadded, numbers right-aligned.
fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    table::markdown(&table::columns(header, true), rows)
}
