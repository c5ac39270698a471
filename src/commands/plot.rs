//! `tflayers plot`: training curves of one or more runs' metrics files, as PNG or SVG.

use anyhow::Result;

use crate::figures::curves::plot_curves;
use crate::fsx::{check_output, Output};
use crate::metrics::Run;
use crate::options::PlotOptions;

pub fn run(args: &PlotOptions) -> Result<()> {
    check_output("--out", &args.out, Output::File(&["png", "svg"]))?;
    let runs = args
        .runs
        .iter()
        .map(|path| Run::read(path))
        .collect::<Result<Vec<_>>>()?;
    plot_curves(
        &runs,
        &args.out,
        (args.width, args.height),
        args.title.as_deref(),
    )?;
    eprintln!(
        "Plotted {} run(s) into {} ({}x{})",
        runs.len(),
        args.out.display(),
        args.width,
        args.height
    );
    Ok(())
}
