//! `tflayers compare`: the same run from Rust and from the article's Python loop, checked
//! value by value ([`crate::compare::run`]).

use anyhow::Result;

use crate::fsx::{check_output, Output};
use crate::options::CompareOptions;

pub fn run(options: &CompareOptions) -> Result<()> {
    if let Some(dir) = &options.report {
        check_output("--report", dir, Output::Folder)?;
    }
    crate::compare::run::run(options)
}
