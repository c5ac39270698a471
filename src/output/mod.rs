//! Text the program prints: the article's lines, `%g`, the progress bar, summary and
//! confusion tables and the data reports, all drawn by [`table`].

pub mod article;
pub mod confusion;
pub mod data_info;
pub mod error_chain;
pub mod format;
pub mod model_label;
pub mod progress;
pub mod summary;
pub mod table;
pub mod words;
