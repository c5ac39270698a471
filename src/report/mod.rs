//! What the program prints and writes about runs: the article's lines, summary tables,
//! and about the data: its tables and pictures.

pub mod article;
pub mod data_info;
pub mod digits;
pub mod format;
pub mod summary;
