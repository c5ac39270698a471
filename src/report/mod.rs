//! What the program prints and writes about runs: the article's lines, summary tables,
//! and about the data: its tables and pictures.

pub mod article;
pub mod atomic;
pub mod compare;
pub mod compare_plot;
pub mod confusion;
pub mod data_info;
pub mod digits;
pub mod font;
pub mod format;
pub mod heatmap;
pub mod metrics;
pub mod metrics_read;
pub mod plot;
pub mod progress;
pub mod report_dir;
pub mod runs;
pub mod summary;
