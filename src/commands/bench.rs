//! `tflayers bench`: Rust against the article's Python loop, taking turns
//! ([`crate::bench::run`]).

use anyhow::Result;

use crate::fsx::{check_output, Output};
use crate::options::BenchOptions;

pub fn run(options: &BenchOptions) -> Result<()> {
    if let Some(path) = &options.json {
        check_output("--json", path, Output::File(&["json"]))?;
    }
    crate::bench::run::run(options)
}
