//! tflayers: the MNIST classifiers of "Building deep learning neural networks using TensorFlow
//! layers" (B. Fusinska, 2017), trained from Rust through libtensorflow.
//!
//! Python exports each model's graph as a SavedModel (`python/export.py`); this crate loads it
//! ([`graph`]), feeds MNIST ([`mnist`]) through the article's loop ([`train`]) and prints the
//! article's lines and tables ([`report`]).

pub mod cli;
pub mod commands;
pub mod devices;
pub mod graph;
pub mod manifest;
pub mod mnist;
pub mod proto;
pub mod remote;
pub mod remote_saver;
pub mod report;
pub mod stdio;
pub mod tensorboard;
pub mod train;

pub mod checkpoint;
pub mod dir_lock;
pub mod interrupt;
pub mod preprocess;
pub mod trained;

pub mod bench;
pub mod tf_env;
