//! `tflayers reproduce`: the article's five models in its order, then a summary table.

use std::io;

use anyhow::{Context, Result};

use crate::cli::ReproduceArgs;
use crate::commands::{announce_eval_chunks, load_data, load_manifest};
use crate::graph::Model;
use crate::report::article::ArticlePrinter;
use crate::report::summary::{summary_table, SummaryRow};
use crate::train::train;

pub fn run(args: &ReproduceArgs) -> Result<()> {
    let common = &args.common;
    let manifest = load_manifest(&common.paths)?;
    let data = load_data(&common.paths)?;
    let config = common.train_config();
    announce_eval_chunks(common);
    let mut results = Vec::new();
    for entry in &manifest.models {
        println!(
            "\n== {}: {} - {} ==",
            entry.name, entry.section, entry.description
        );
        let mut model = Model::load(
            &manifest.model_dir(&entry.name),
            &manifest,
            &common.session_config(),
            config.batch_size,
            common.learning_rate,
        )?;
        let mut printer = ArticlePrinter::new(io::stdout().lock());
        let result = train(&mut model, &data, &config, &mut printer)
            .with_context(|| format!("training {} failed", entry.name))?;
        results.push(result);
    }
    let rows: Vec<SummaryRow<'_>> = manifest
        .models
        .iter()
        .zip(&results)
        .map(|(model, result)| SummaryRow { model, result })
        .collect();
    println!("\n{}", summary_table(&rows).trim_end());
    Ok(())
}
