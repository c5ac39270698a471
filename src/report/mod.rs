//! What the program prints and writes about runs: the article's lines, summary tables.

pub mod article;
pub mod compare;
pub mod compare_plot;
pub mod format;
pub mod metrics_read;
pub mod summary;

pub mod confusion;
pub mod font;
pub mod heatmap;
