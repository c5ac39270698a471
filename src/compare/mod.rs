//! Rust against Python on one model: the verdict ([`verdict`]) and its report ([`report`]).

pub mod report;
pub mod run;
pub mod verdict;
