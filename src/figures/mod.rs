//! Pictures the program draws, all through `plotters` ([`canvas`] holds what they share):
//! training curves ([`curves`]), test accuracies beside the article's ([`accuracy`]), a
//! comparison's curves ([`compare`]), the confusion heat map ([`heatmap`]) and digit grids
//! ([`digits`]).

pub mod accuracy;
pub mod canvas;
pub mod compare;
pub mod curves;
pub mod digits;
pub mod heatmap;
