//! What the program prints and writes about runs: the article's lines, summary tables.

pub mod article;
pub mod atomic;
pub mod format;
pub mod metrics;
pub mod plot;
pub mod progress;
pub mod report_dir;
pub mod runs;
pub mod summary;
