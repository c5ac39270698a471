//! Pictures the program draws, all through `plotters` ([`canvas`] holds what they share):
//! training curves ([`curves`]), test accuracies beside the article's ([`accuracy`]), the
//! confusion heat map ([`heatmap`]) and digit grids ([`digits`]). The comparison's plot is
//! drawn with the same [`canvas`] in `compare::plot`, beside the verdict it shows.

pub mod accuracy;
pub mod canvas;
pub mod curves;
pub mod digits;
pub mod glyphs;
pub mod heatmap;
pub mod legend;
