//! `--metrics FILE`: one run's settings, logged steps and final figures as JSON Lines or CSV.
//!
//! The schema (version 1) is shared with `python/train.py --metrics`:
//!
//! 1. a header record with the run's settings (model, steps, batch size, learning rate, seed,
//!    TensorFlow version, thread settings, host, start time);
//! 2. one `step` record per logged step: `step`, `batch_accuracy`, `loss`, `elapsed_secs`
//!    since the training loop started and `images_per_sec` since the previous logged step
//!    (0.0 for the first);
//! 3. a `final` record: test (and validation) accuracy, loss and counts, and timings.
//!
//! Accuracies and losses are TensorFlow's float32 values widened to f64 and written as the
//! shortest decimal that round-trips (serde_json), as Python's `json.dumps(float(x))` writes
//! them, so files from both programs compare equal value by value. NaN is written as `null`.
//!
//! The CSV form has one header row ([`CSV_COLUMNS`], the union of the records' fields,
//! `record` first) and one row per record, with empty cells where a record has no value.
//!
//! While the run trains, records go to `FILE.partial`, flushed one by one, so
//! `tail -f FILE.partial` follows a run. The final record completes the file and it is renamed
//! to `FILE`: a file under the requested name is always complete, an existing `FILE` is only
//! replaced by a complete one, and a failed run leaves its records in `FILE.partial`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::train::{Evaluation, Observer, RunResult, StepLog};

/// The schema version written in every header.
pub const SCHEMA_VERSION: u32 = 1;

/// `program` in files this binary writes (`python/train.py` writes `"python"`).
pub const PROGRAM: &str = "tflayers";

/// The header record: what was run, where and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub schema: u32,
    pub program: String,
    pub model: String,
    pub steps: u64,
    pub batch_size: u64,
    pub learning_rate: f64,
    pub seed: u64,
    pub log_every: u64,
    pub data_dir: String,
    pub tensorflow_version: String,
    pub intra_op_threads: Option<u32>,
    pub inter_op_threads: Option<u32>,
    pub host: String,
    /// RFC 3339, UTC.
    pub started_at: String,
}

/// One logged step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: u64,
    pub batch_accuracy: Option<f64>,
    pub loss: Option<f64>,
    /// Seconds since the training loop started.
    pub elapsed_secs: f64,
    /// Images trained since the previous logged step per second since it (0.0 for the first).
    pub images_per_sec: f64,
}

/// The last record of a complete run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalRecord {
    pub steps: u64,
    pub test_accuracy: Option<f64>,
    pub test_correct: u64,
    pub test_total: u64,
    pub test_loss: Option<f64>,
    /// `null` when the validation split is empty or was not evaluated.
    pub validation_accuracy: Option<f64>,
    pub validation_correct: Option<u64>,
    pub validation_total: Option<u64>,
    /// The training loop, logging evaluations included.
    pub train_secs: f64,
    /// The test evaluation.
    pub eval_secs: f64,
    /// From the header to this record: training, test and validation evaluation.
    pub total_secs: f64,
    pub ms_per_step: f64,
}

/// One line of a metrics file; `"record"` names the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum Record {
    Header(Header),
    Step(StepRecord),
    Final(FinalRecord),
}

/// The CSV columns: `record`, then each record kind's fields in schema order, each once.
pub const CSV_COLUMNS: &[&str] = &[
    "record",
    "schema",
    "program",
    "model",
    "steps",
    "batch_size",
    "learning_rate",
    "seed",
    "log_every",
    "data_dir",
    "tensorflow_version",
    "intra_op_threads",
    "inter_op_threads",
    "host",
    "started_at",
    "step",
    "batch_accuracy",
    "loss",
    "elapsed_secs",
    "images_per_sec",
    "test_accuracy",
    "test_correct",
    "test_total",
    "test_loss",
    "validation_accuracy",
    "validation_correct",
    "validation_total",
    "train_secs",
    "eval_secs",
    "total_secs",
    "ms_per_step",
];

/// CSV columns that hold text; every other column holds a number.
pub const CSV_TEXT_COLUMNS: &[&str] = &[
    "record",
    "program",
    "model",
    "data_dir",
    "tensorflow_version",
    "host",
    "started_at",
];

/// The two forms of a metrics file, chosen by the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// `.jsonl` or `.csv` (any case); anything else is an error naming the file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl") => Ok(Format::JsonLines),
            Some("csv") => Ok(Format::Csv),
            _ => bail!(
                "{}: a metrics file must end in .jsonl (JSON Lines) or .csv",
                path.display()
            ),
        }
    }
}

/// A float32 from TensorFlow as the schema writes it: widened to f64, `None` for NaN/inf
/// (JSON has no such numbers).
pub fn metric(value: f32) -> Option<f64> {
    value.is_finite().then(|| f64::from(value))
}

/// The decimal a float32 setting was given as (`1e-4` is written 0.0001, not its binary
/// expansion 9.999999747378752e-05), so the header shows what was asked for.
pub fn setting(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

/// The CSV cells of one record, in [`CSV_COLUMNS`] order.
pub fn csv_cells(record: &Record) -> Result<Vec<String>> {
    let value = serde_json::to_value(record).context("cannot serialise a metrics record")?;
    let Some(fields) = value.as_object() else {
        bail!("a metrics record did not serialise to an object")
    };
    Ok(CSV_COLUMNS
        .iter()
        .map(|column| match fields.get(*column) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        })
        .collect())
}

enum Sink {
    JsonLines(BufWriter<File>),
    // Boxed: csv's writer carries its own buffer and state.
    Csv(Box<csv::Writer<File>>),
}

/// Writes one run's metrics file; an [`Observer`] for the step records.
///
/// [`MetricsWriter::create`] writes the header; each logged step adds a record;
/// [`MetricsWriter::finish`] adds the final record and renames `FILE.partial` to `FILE`.
pub struct MetricsWriter {
    path: PathBuf,
    partial: PathBuf,
    sink: Sink,
    batch_size: u64,
    /// (step, elapsed_secs) of the previous logged step.
    previous: Option<(u64, f64)>,
}

impl MetricsWriter {
    /// Starts `path` (as `path.partial`) with the header record. Parent folders are created.
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        let format = Format::from_path(path)?;
        let partial = partial_path(path);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder of {}", path.display()))?;
        }
        let file = File::create(&partial)
            .with_context(|| format!("cannot create the metrics file {}", partial.display()))?;
        let sink = match format {
            Format::JsonLines => Sink::JsonLines(BufWriter::new(file)),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(file);
                writer
                    .write_record(CSV_COLUMNS)
                    .with_context(|| format!("cannot write to {}", partial.display()))?;
                Sink::Csv(Box::new(writer))
            }
        };
        let mut writer = Self {
            path: path.to_path_buf(),
            partial,
            sink,
            batch_size: header.batch_size,
            previous: None,
        };
        writer.write(&Record::Header(header.clone()))?;
        Ok(writer)
    }

    /// The file's final name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and flushes it, so the file can be followed while the run trains.
    pub fn write(&mut self, record: &Record) -> Result<()> {
        let partial = &self.partial;
        let failed = || format!("cannot write to the metrics file {}", partial.display());
        match &mut self.sink {
            Sink::JsonLines(out) => {
                serde_json::to_writer(&mut *out, record).with_context(failed)?;
                out.write_all(b"\n").with_context(failed)?;
                out.flush().with_context(failed)
            }
            Sink::Csv(out) => {
                out.write_record(csv_cells(record)?).with_context(failed)?;
                out.flush().with_context(failed)
            }
        }
    }

    /// The step record of a logged step; remembers it for the next one's `images_per_sec`.
    pub fn step_record(&mut self, log: &StepLog) -> StepRecord {
        let images_per_sec = match self.previous {
            Some((step, elapsed)) if log.elapsed_secs > elapsed => {
                (log.step - step) as f64 * self.batch_size as f64 / (log.elapsed_secs - elapsed)
            }
            _ => 0.0,
        };
        self.previous = Some((log.step, log.elapsed_secs));
        StepRecord {
            step: log.step,
            batch_accuracy: metric(log.batch_accuracy),
            loss: metric(log.loss),
            elapsed_secs: log.elapsed_secs,
            images_per_sec,
        }
    }

    /// Writes the final record and gives the file its requested name.
    pub fn finish(mut self, record: &FinalRecord) -> Result<PathBuf> {
        self.write(&Record::Final(record.clone()))?;
        let file = match self.sink {
            Sink::JsonLines(out) => out
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("cannot write to {}", self.partial.display()))?,
            Sink::Csv(out) => out
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("cannot write to {}", self.partial.display()))?,
        };
        file.sync_all()
            .with_context(|| format!("cannot write to {}", self.partial.display()))?;
        drop(file);
        fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })?;
        Ok(self.path)
    }
}

impl Observer for MetricsWriter {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        let record = self.step_record(log);
        self.write(&Record::Step(record))
    }
}

/// `FILE.partial`: where a metrics file grows until its run is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".partial");
    PathBuf::from(name)
}

/// The final record of a finished run. `total_secs` is measured by the caller from the
/// header on; `validation` is `None` when the split is empty or was not evaluated.
pub fn final_record(
    result: &RunResult,
    validation: Option<&Evaluation>,
    total_secs: f64,
) -> FinalRecord {
    FinalRecord {
        steps: result.steps,
        test_accuracy: metric(result.test.accuracy),
        test_correct: result.test.correct,
        test_total: result.test.total,
        test_loss: metric(result.test.loss),
        validation_accuracy: validation.and_then(|v| metric(v.accuracy)),
        validation_correct: validation.map(|v| v.correct),
        validation_total: validation.map(|v| v.total),
        train_secs: result.train_secs,
        eval_secs: result.eval_secs,
        total_secs,
        ms_per_step: result.ms_per_step(),
    }
}

/// This machine's host name, for the header (`unknown` when the kernel does not say).
pub fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Now, as RFC 3339 in UTC to the second (`2017-06-01T12:00:00Z`).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            schema: SCHEMA_VERSION,
            program: PROGRAM.into(),
            model: "dense".into(),
            steps: 20,
            batch_size: 10,
            learning_rate: setting(1e-4),
            seed: 0,
            log_every: 10,
            data_dir: "data, \"mnist\"".into(),
            tensorflow_version: "2.21.0".into(),
            intra_op_threads: None,
            inter_op_threads: Some(2),
            host: "h".into(),
            started_at: "2017-06-01T12:00:00Z".into(),
        }
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(
            Format::from_path(Path::new("a/run.jsonl")).unwrap(),
            Format::JsonLines
        );
        assert_eq!(
            Format::from_path(Path::new("RUN.CSV")).unwrap(),
            Format::Csv
        );
        let err = Format::from_path(Path::new("run.json")).unwrap_err();
        assert!(err.to_string().contains("run.json"), "{err}");
    }

    #[test]
    fn values_are_widened_float32_and_settings_their_decimal() {
        assert_eq!(metric(0.04), Some(0.03999999910593033));
        assert_eq!(metric(f32::NAN), None);
        assert_eq!(setting(1e-4), 0.0001);
        assert_eq!(
            serde_json::to_string(&metric(0.04)).unwrap(),
            "0.03999999910593033"
        );
    }

    #[test]
    fn jsonl_records_start_with_their_kind_in_schema_order() {
        let line = serde_json::to_string(&Record::Header(header())).unwrap();
        assert!(
            line.starts_with(r#"{"record":"header","schema":1,"program":"tflayers","model":"dense","steps":20,"batch_size":10,"learning_rate":0.0001,"seed":0,"#),
            "{line}"
        );
        assert!(line.contains(r#""intra_op_threads":null,"inter_op_threads":2"#));
    }

    #[test]
    fn csv_columns_are_the_union_of_the_fields_and_text_columns_are_known() {
        let mut fields = vec!["record".to_string()];
        let records = [
            Record::Header(header()),
            Record::Step(StepRecord {
                step: 0,
                batch_accuracy: Some(0.5),
                loss: Some(2.0),
                elapsed_secs: 0.0,
                images_per_sec: 0.0,
            }),
            Record::Final(FinalRecord {
                steps: 1,
                test_accuracy: Some(0.5),
                test_correct: 1,
                test_total: 2,
                test_loss: Some(1.0),
                validation_accuracy: None,
                validation_correct: None,
                validation_total: None,
                train_secs: 0.0,
                eval_secs: 0.0,
                total_secs: 0.0,
                ms_per_step: 0.0,
            }),
        ];
        for record in &records {
            let value = serde_json::to_value(record).unwrap();
            for key in value.as_object().unwrap().keys() {
                if !fields.contains(key) {
                    fields.push(key.clone());
                }
            }
        }
        fields.sort();
        let mut columns: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
        columns.sort();
        assert_eq!(columns, fields);
        for text in CSV_TEXT_COLUMNS {
            assert!(CSV_COLUMNS.contains(text), "{text}");
        }
    }

    #[test]
    fn images_per_second_counts_the_images_since_the_previous_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = MetricsWriter::create(&dir.path().join("m.jsonl"), &header()).unwrap();
        let log = |step, elapsed_secs| StepLog {
            step,
            batch_accuracy: 0.5,
            loss: 1.0,
            elapsed_secs,
        };
        assert_eq!(writer.step_record(&log(0, 0.1)).images_per_sec, 0.0);
        // 10 steps of 10 images in 0.5 s.
        assert_eq!(writer.step_record(&log(10, 0.6)).images_per_sec, 200.0);
    }

    #[test]
    fn the_file_keeps_its_partial_name_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/run.csv");
        fs::create_dir_all(dir.path().join("sub")).unwrap();
        fs::write(&path, "good old file").unwrap();
        let mut writer = MetricsWriter::create(&path, &header()).unwrap();
        writer
            .on_log(&StepLog {
                step: 0,
                batch_accuracy: 0.25,
                loss: 2.5,
                elapsed_secs: 0.0,
            })
            .unwrap();
        let partial = fs::read_to_string(partial_path(&path)).unwrap();
        assert_eq!(partial.lines().count(), 3, "{partial}");
        assert!(partial.starts_with("record,schema,program,"), "{partial}");
        assert!(partial.contains("\"data, \"\"mnist\"\"\""), "{partial}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "good old file");
        drop(writer);
        // A run that never finishes leaves the good file alone.
        assert_eq!(fs::read_to_string(&path).unwrap(), "good old file");
    }
}
