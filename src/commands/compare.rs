//! `tflayers compare`: the same run from Rust and from the article's Python loop, checked
//! value by value ([`crate::compare::run`]).

use anyhow::Result;

use crate::options::CompareOptions;

pub fn run(options: &CompareOptions) -> Result<()> {
    crate::compare::run::run(options)
}
