//! tflayers: the MNIST classifiers of "Building deep learning neural networks using TensorFlow
//! layers" (B. Fusinska, 2017), trained from Rust through libtensorflow.
//!
//! Python exports each model's graph as a SavedModel (`python/export.py`); this crate loads it
//! ([`tf`]), feeds MNIST ([`mnist`]) through the article's loop ([`train`]) and prints the
//! article's lines and tables ([`output`]).

pub mod bench;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod figures;
pub mod fsx;
pub mod interrupt;
pub mod manifest;
pub mod metrics;
pub mod mnist;
pub mod output;
pub mod persist;
pub mod preprocess;
pub mod run;
pub mod tf;
pub mod train;
