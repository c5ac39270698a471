//! `tflayers bench`: Rust against the article's Python loop, taking turns
//! ([`crate::bench::run`]).

use anyhow::Result;

use crate::options::BenchOptions;

pub fn run(options: &BenchOptions) -> Result<()> {
    crate::bench::run::run(options)
}
