//! Text the program prints: the article's lines, `%g`, the progress bar, summary and
//! confusion tables and the data reports, all drawn by [`table`].

pub mod article;
pub mod confusion;
pub mod data_info;
pub mod format;
pub mod progress;
pub mod summary;
pub mod table;
