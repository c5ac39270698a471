//! What a training command does around the article's loop: checkpoints, `--save` and Ctrl-C
//! ([`persist`]); progress, metrics files and TensorBoard events ([`outputs`]); the
//! `reproduce --report` folder ([`report`]).

pub mod outputs;
pub mod persist;
pub mod report;
