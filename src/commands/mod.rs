//! One thin module per subcommand: each takes the options `cli` built, calls the feature
//! modules and prints what the subcommand prints.

pub mod bench;
pub mod compare;
pub mod data;
pub mod devices;
pub mod download;
pub mod evaluate;
pub mod plot;
pub mod predict;
pub mod reproduce;
pub mod train;
