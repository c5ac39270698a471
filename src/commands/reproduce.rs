//! `tflayers reproduce`: the article's five models in its order (or the `--models` given), then
//! a summary table.

use anyhow::{bail, Context, Result};

use crate::fsx::{check_output, Output};
use crate::manifest::{Manifest, ModelEntry};
use crate::mnist::catalog::DatasetKind;
use crate::mnist::load::{announce_eval_chunks, load};
use crate::options::ReproduceOptions;
use crate::output::summary::{summary_table, SummaryRow};
use crate::run::outputs::{report_metrics_path, Requested, RunOutputs};
use crate::run::report::{write_report, ReportRow};
use crate::tf::model::{check_graph_file, Model};
use crate::train::{Outcome, RunControl};

pub fn run(args: &ReproduceOptions) -> Result<()> {
    let common = &args.common;
    if let Some(dir) = &args.report {
        check_output("--report", dir, Output::Folder)?;
    }
    Requested {
        tensorboard: args.outputs.tensorboard.clone(),
        ..Requested::default()
    }
    .check()?;
    let manifest = Manifest::load(&common.models_dir)?;
    let entries = args
        .models
        .iter()
        .map(|name| {
            manifest
                .model(name)
                .map(|entry| for_dataset(entry, common.data.dataset))
        })
        .collect::<Result<Vec<_>>>()?;
    for entry in &entries {
        check_graph_file(&manifest.model_dir(&entry.name), &manifest)?;
    }
    let (data, origin) = load(&common.data)?;
    announce_eval_chunks(common.run.eval_batch_size);
    let mut results = Vec::new();
    let mut validations = Vec::new();
    for entry in &entries {
        println!(
            "\n== {}: {} - {} ==",
            entry.name, entry.section, entry.description
        );
        let config = common.run.for_model(&entry.name);
        let session = common.session_config();
        let mut model = Model::for_run(&manifest, &session, &config)?;
        let requested = Requested {
            metrics: args
                .report
                .iter()
                .map(|dir| report_metrics_path(dir, &entry.name))
                .collect(),
            tensorboard: args.outputs.tensorboard.clone(),
            quiet: args.outputs.quiet,
            unpublished_data: origin.note(),
        };
        let mut outputs = RunOutputs::start(&model, &manifest, &session, &config, &requested)?;
        let outcome = outputs
            .train(&mut model, &data, RunControl::default())
            .with_context(|| format!("training {} failed", entry.name))?;
        // Without a stop flag the loop always runs to the end.
        let Outcome::Finished(result) = outcome else {
            bail!("training {} stopped before its last step", entry.name)
        };
        validations.push(outputs.finish(&mut model, &data, &result)?);
        results.push(result);
    }
    let rows: Vec<SummaryRow<'_>> = entries
        .iter()
        .zip(&results)
        .map(|(model, result)| SummaryRow { model, result })
        .collect();
    println!("\n{}", summary_table(&rows).trim_end());
    // The setting changes the last digits of the accuracies: say which one produced them.
    if common.remote.is_none() {
        println!("{}", crate::tf::env::onednn_setting());
    }
    if let Some(dir) = &args.report {
        let rows: Vec<ReportRow<'_>> = entries
            .iter()
            .zip(&results)
            .zip(validations)
            .map(|((model, result), validation)| ReportRow {
                model,
                result,
                validation,
                metrics: report_metrics_path(dir, &model.name),
            })
            .collect();
        let summary = write_report(dir, &rows, common.data.dataset)?;
        if !args.outputs.quiet {
            eprintln!("Report written to {}", summary.display());
        }
    }
    Ok(())
}

/// `entry` as the reports of a run on `dataset` show it: the article's figures and words, and
/// the accuracy this project expects, are MNIST's, so on another data set they are left out
/// rather than set beside figures they do not describe.
fn for_dataset(entry: &ModelEntry, dataset: DatasetKind) -> ModelEntry {
    match dataset {
        DatasetKind::Mnist => entry.clone(),
        DatasetKind::FashionMnist => ModelEntry {
            article_accuracy: None,
            article_words: None,
            expected_accuracy: None,
            ..entry.clone()
        },
    }
}
