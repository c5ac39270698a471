//! What a training command does around the article's loop: checkpoints, `--save` and Ctrl-C
//! ([`persist`]); progress, metrics files and TensorBoard events ([`outputs`]).

pub mod outputs;
pub mod persist;
