//! tflayers: the MNIST classifiers of "Building deep learning neural networks using TensorFlow
//! layers" (B. Fusinska, 2017), trained from Rust through libtensorflow.
//!
//! Python exports each model's graph as a SavedModel (`python/export.py`, names in
//! `models/manifest.json`); this crate loads it ([`tf`]), feeds MNIST ([`mnist`]) through the
//! article's loop ([`mod@train`]) and prints the article's lines and tables ([`output`]).
//!
//! # Library use
//!
//! The few items a Rust program needs are re-exported here: read the [`Manifest`], describe the
//! run with a [`RunConfig`] (the article's settings by default), load its [`Model`] with
//! [`Model::for_run`], read MNIST with [`read_data_sets`] and call [`train()`] with an
//! [`Observer`] that sees each logged step and the result. `examples/train.rs` trains `conv2` this way:
//!
//! ```no_run
//! use std::path::Path;
//! use tflayers::{read_data_sets, train, Manifest, Model, Observer, RunConfig, SessionConfig};
//!
//! struct Quiet;
//! impl Observer for Quiet {}
//!
//! let config = RunConfig { model: "conv2".into(), steps: 100, ..RunConfig::default() };
//! let manifest = Manifest::load(Path::new("models"))?;
//! let data = read_data_sets(&config.data_dir)?;
//! let mut model = Model::for_run(&manifest, &SessionConfig::default(), &config)?;
//! let result = train(&mut model, &data, &config, &mut Quiet)?;
//! println!("test accuracy {}", result.test.accuracy);
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! # Module map
//!
//! `main` parses with [`cli`] (the only user of clap) into [`config`] and [`options`], runs one of
//! [`commands`] (thin), which call the feature modules ([`run`], [`compare`], [`mod@bench`],
//! [`persist`], [`metrics`], [`figures`], [`output`]) on top of [`mod@train`], [`mnist`] and
//! [`tf`] (the only user of TensorFlow).

pub mod bench;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod figures;
pub mod fsx;
pub mod host;
pub mod interrupt;
pub mod manifest;
pub mod metrics;
pub mod mnist;
pub mod onednn;
pub mod options;
pub mod output;
pub mod persist;
pub mod preprocess;
pub mod python;
pub mod run;
pub mod tf;
pub mod train;

pub use config::RunConfig;
pub use manifest::Manifest;
pub use mnist::dataset::{read_data_sets, read_data_sets_with, DataSet, DataSets};
pub use output::article::{step_line, test_line};
pub use tf::model::{Model, SessionConfig};
pub use train::{
    evaluate, train, train_from, Engine, Evaluation, Observer, Outcome, RunControl, RunResult,
    StepLog, Stop,
};
