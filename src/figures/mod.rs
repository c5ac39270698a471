//! Pictures the program draws: training curves and accuracy bars ([`curves`]), a comparison's
//! curves ([`compare`]), the confusion heat map ([`heatmap`]) and digit grids ([`digits`]).

pub mod compare;
pub mod curves;
pub mod digits;
pub mod font;
pub mod heatmap;
