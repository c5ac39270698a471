//! `reproduce --report DIR`: the summary table as Markdown and JSON, each model's training
//! curves, all five overlaid, and the test accuracies beside the article's.
//!
//! ```text
//! DIR/summary.md          the table and the figures, readable on any Markdown viewer
//! DIR/summary.json        the same figures for programs
//! DIR/accuracy.png        test accuracy of each model beside the article's
//! DIR/curves/all.png      the five models' curves in one figure
//! DIR/curves/<model>.png  one model's curves
//! DIR/metrics/<model>.jsonl  each model's metrics file (written while it trained)
//! ```
//!
//! The figures are drawn from the metrics files, read back, so the report shows exactly what
//! the files hold. Every file is written atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::figures::accuracy::{plot_accuracy_comparison, Comparison};
use crate::figures::curves::plot_curves;
use crate::fsx::write_atomically;
use crate::manifest::ModelEntry;
use crate::metrics::{metric, Run};
use crate::mnist::catalog::DatasetKind;
use crate::output::format::format_g;
use crate::output::summary::article_cell;
use crate::output::table::{self, Column};
use crate::train::{Evaluation, RunResult};

/// Figure sizes in the report, in pixels.
const CURVES_SIZE: (u32, u32) = (1200, 500);
const ACCURACY_SIZE: (u32, u32) = (1000, 560);

/// One model's finished run, as the report shows it.
pub struct ReportRow<'a> {
    pub model: &'a ModelEntry,
    pub result: &'a RunResult,
    pub validation: Option<Evaluation>,
    /// Its metrics file (complete).
    pub metrics: PathBuf,
}

/// Writes the report of a run on `dataset` into `dir`; returns the path of `summary.md`.
pub fn write_report(dir: &Path, rows: &[ReportRow<'_>], dataset: DatasetKind) -> Result<PathBuf> {
    let runs = rows
        .iter()
        .map(|row| Run::read(&row.metrics))
        .collect::<Result<Vec<_>>>()?;
    let relative = |path: &Path| {
        path.strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    };
    let mut curves = Vec::new();
    for (row, run) in rows.iter().zip(&runs) {
        let out = dir.join("curves").join(format!("{}.png", row.model.name));
        let title = format!(
            "{}: {} ({})",
            row.model.name, row.model.section, row.model.description
        );
        plot_curves(std::slice::from_ref(run), &out, CURVES_SIZE, Some(&title))?;
        curves.push(relative(&out));
    }
    let all = dir.join("curves").join("all.png");
    let article_five = rows.len() == 5 && rows.iter().all(|row| row.model.is_article());
    let all_title = if dataset == DatasetKind::Mnist && article_five {
        "MNIST, the article's five models: training batch accuracy and loss".to_string()
    } else {
        let names: Vec<&str> = rows.iter().map(|row| row.model.name.as_str()).collect();
        format!(
            "{}, {}: training batch accuracy and loss",
            dataset.title(),
            names.join(", ")
        )
    };
    plot_curves(&runs, &all, CURVES_SIZE, Some(&all_title))?;
    let steps = rows.first().map_or(0, |r| r.result.steps);
    let comparisons: Vec<Comparison> = rows
        .iter()
        .map(|row| Comparison {
            model: row.model.name.clone(),
            measured: f64::from(row.result.test.accuracy),
            article: row.model.article_accuracy,
        })
        .collect();
    let accuracy = dir.join("accuracy.png");
    // The article's bars are MNIST's; on another data set the figure has none.
    let accuracy_title = (dataset != DatasetKind::Mnist)
        .then(|| format!("{} test accuracy: this reproduction", dataset.title()));
    plot_accuracy_comparison(
        &comparisons,
        &format!("this reproduction ({steps} steps, from Rust)"),
        &accuracy,
        ACCURACY_SIZE,
        accuracy_title.as_deref(),
    )?;

    let settings = runs.first().map(settings_line).unwrap_or_default();
    let markdown = markdown(rows, &settings, &curves, &relative);
    let json = summary_json(rows, runs.first(), &curves, &relative);
    let json = serde_json::to_string_pretty(&json).context("cannot serialise summary.json")?;
    write_atomically(&dir.join("summary.json"), format!("{json}\n").as_bytes())?;
    let summary = dir.join("summary.md");
    write_atomically(&summary, markdown.as_bytes())?;
    Ok(summary)
}

/// The settings every model shared, in one line.
fn settings_line(run: &Run) -> String {
    let h = &run.header;
    let threads = |n: Option<u32>| n.map_or("default".to_string(), |n| n.to_string());
    let data = match &h.unpublished_data {
        Some(note) => format!("; trained on data that is not the published files: {note}"),
        None => String::new(),
    };
    format!(
        "{} steps, batch {}, learning rate {}, seed {}, logged every {} steps; \
         TensorFlow {} (intra-op threads {}, inter-op threads {}{}) on {}, started {}{data}",
        h.run.steps,
        h.run.batch_size,
        format_g(f64::from(h.run.learning_rate)),
        h.run.seed,
        h.run.log_every,
        h.tensorflow_version,
        threads(h.run.intra_op_threads),
        threads(h.run.inter_op_threads),
        match h.onednn {
            Some(true) => ", oneDNN on",
            Some(false) => ", oneDNN off",
            None => "",
        },
        h.host,
        h.started_at
    )
}

fn markdown(
    rows: &[ReportRow<'_>],
    settings: &str,
    curves: &[String],
    relative: &dyn Fn(&Path) -> String,
) -> String {
    let mut md = String::from(
        "# Building deep learning neural networks using TensorFlow layers: reproduction\n\n",
    );
    md.push_str(&format!("{settings}.\n\n"));
    let header = [
        "model",
        "the article's section",
        "test accuracy",
        "article",
        "validation accuracy",
        "test loss",
        "train s",
        "ms/step",
    ];
    let cells = rows.iter().map(|row| {
        let validation = row.validation.map(|v| f64::from(v.accuracy));
        [
            row.model.name.clone(),
            row.model.section.clone(),
            format_g(f64::from(row.result.test.accuracy)),
            article_cell(row.model),
            validation.map_or("-".to_string(), format_g),
            format_g(f64::from(row.result.test.loss)),
            format!("{:.1}", row.result.train_secs),
            format!("{:.2}", row.result.ms_per_step()),
        ]
    });
    let mut columns = table::columns(&header, true);
    columns[1] = Column::left(header[1]);
    md.push_str(&table::markdown(&columns, cells));
    let test_images = rows.first().map_or(0, |r| r.result.test.total);
    md.push_str(&format!(
        "\nTest accuracy is measured on the {test_images} test images after the last step; \
         the article's figures are rounded to two decimals.{}\n\n",
        article_words_note(rows)
    ));
    md.push_str(
        "\
         ![Test accuracy of each model beside the article's](accuracy.png)\n\n\
         ## Training curves\n\n\
         Batch accuracy and loss at each logged step (the batch about to be trained, dropout \
         off); the dots are the test accuracy and loss after the last step.\n\n\
         ![The five models' training curves](curves/all.png)\n",
    );
    for (row, curve) in rows.iter().zip(curves) {
        md.push_str(&format!(
            "\n### {}: {}\n\n{}. Metrics: [{metrics}]({metrics}).\n\n![{} training curves]({curve})\n",
            row.model.name,
            row.model.section,
            capitalise(&row.model.description),
            row.model.name,
            metrics = relative(&row.metrics),
        ));
    }
    md
}

/// What the article says of the models it gives no figure for (the dashes of the "article"
/// column), in its own words: ` The article gives no figure for dense ("not impressive"), ...`.
fn article_words_note(rows: &[ReportRow<'_>]) -> String {
    let described: Vec<String> = rows
        .iter()
        .filter(|row| row.model.article_accuracy.is_none())
        .map(|row| match &row.model.article_words {
            Some(words) => format!("{} (\"{words}\")", row.model.name),
            None => row.model.name.clone(),
        })
        .collect();
    if described.is_empty() {
        return String::new();
    }
    format!(
        " The article gives no figure for {}: a dash, with its own words in brackets.",
        described.join(", ")
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn summary_json(
    rows: &[ReportRow<'_>],
    first: Option<&Run>,
    curves: &[String],
    relative: &dyn Fn(&Path) -> String,
) -> Value {
    let settings = first.map_or(Value::Null, |run| {
        let mut value = serde_json::to_value(&run.header).unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.remove("model");
        }
        value
    });
    let models: Vec<Value> = rows
        .iter()
        .zip(curves)
        .map(|(row, curve)| {
            let test = &row.result.test;
            json!({
                "model": row.model.name,
                "section": row.model.section,
                "description": row.model.description,
                "parameters": row.model.parameters,
                "steps": row.result.steps,
                "test_accuracy": metric(test.accuracy),
                "test_correct": test.correct,
                "test_total": test.total,
                "test_loss": metric(test.loss),
                "validation_accuracy": row.validation.and_then(|v| metric(v.accuracy)),
                "validation_correct": row.validation.map(|v| v.correct),
                "validation_total": row.validation.map(|v| v.total),
                "article_accuracy": row.model.article_accuracy,
                "article_words": row.model.article_words,
                "expected_accuracy": row.model.expected_accuracy,
                "train_secs": row.result.train_secs,
                "eval_secs": row.result.eval_secs,
                "ms_per_step": row.result.ms_per_step(),
                "metrics": relative(&row.metrics),
                "curves": curve,
            })
        })
        .collect();
    json!({
        "settings": settings,
        "models": models,
        "figures": {"accuracy": "accuracy.png", "curves": "curves/all.png"},
    })
}
