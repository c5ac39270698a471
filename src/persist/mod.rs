//! What a training run keeps on disk beyond its logs: checkpoints to resume from
//! ([`checkpoint`]), trained SavedModels for `evaluate` and `predict` ([`trained`]), and the
//! lock that keeps two runs out of one checkpoint folder ([`lock`]). Single files such as
//! the checkpoint pointer go through [`crate::fsx`]; whole folders are built under a
//! temporary name and renamed into place.

pub mod checkpoint;
pub mod lock;
pub mod trained;
