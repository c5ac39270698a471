//! The metrics file schema shared with `python/train.py --metrics`: [`write`](mod@write) records a run
//! as it trains, [`read`] and [`runs`] read such files back for `compare`, `plot` and reports.

pub mod read;
pub mod runs;
pub mod write;
