//! The metrics files of runs, in the schema (version 1) shared with `python/train.py
//! --metrics`: the writer `train --metrics` records a run with as it trains
//! ([`MetricsWriter`]), and the one reader `plot`, the reproduce report ([`Run`]) and `compare`
//! ([`FinishedRun`]) use.
//!
//! A metrics file holds, in order:
//!
//! 1. a header record with the run's settings (the fields of `config::RunConfig`: model,
//!    steps, batch size, learning rate, seed, data, thread settings...), TensorFlow version,
//!    host and start time;
//! 2. one `step` record per logged step: `step`, `batch_accuracy`, `loss`, `elapsed_secs`
//!    since the training loop started and `images_per_sec` since the previous logged step
//!    (0.0 for the first);
//! 3. a `final` record: test (and validation) accuracy, loss and counts, and timings.
//!
//! Accuracies and losses are TensorFlow's float32 values widened to f64 and written as the
//! shortest decimal that round-trips (serde_json), as Python's `json.dumps(float(x))` writes
//! them, so files from both programs compare equal value by value. NaN is written as `null`.
//!
//! The form follows the extension ([`Format`]). The CSV form has one header row
//! ([`CSV_COLUMNS`], the union of the records' fields, `record` first) and one row per record,
//! with empty cells where a record has no value.
//!
//! A file grows as `FILE.partial` ([`partial_path`]) while its run trains and is renamed to
//! `FILE` when its final record is written.

mod read;
mod schema;
mod write;

pub use read::{float32, FinishedRun, Run};
pub use schema::{
    metric, partial_path, FinalRecord, Format, Header, Record, StepRecord, CSV_COLUMNS,
    CSV_TEXT_COLUMNS, PROGRAM, SCHEMA_VERSION,
};
pub use write::{final_record, host_name, now_rfc3339, MetricsWriter};

/// A sample header and final record, for other modules' tests that write metrics files.
#[cfg(test)]
pub(crate) use schema::tests::{header as sample_header, last as sample_last};
