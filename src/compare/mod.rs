//! Rust against Python on one model: both sides run ([`run`]), the verdict ([`verdict`]),
//! its report ([`report`]) and its plot ([`plot`]).

pub mod plot;
pub mod report;
pub mod run;
pub mod verdict;
