//! The schema's records, CSV columns, file forms and float32 storage (described in
//! [`crate::metrics`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;

/// The schema version written in every header.
pub const SCHEMA_VERSION: u32 = 1;

/// `program` in files this binary writes (`python/train.py` writes `"python"`).
pub const PROGRAM: &str = "tflayers";

/// The header record: what was run (the run's settings, flattened into the record), where
/// and when.
///
/// `eval_batch_size` and `validation_size` were added with [`RunConfig`]; headers without
/// them (older files, `python/train.py`'s) read them as their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub schema: u32,
    pub program: String,
    #[serde(flatten)]
    pub run: RunConfig,
    pub tensorflow_version: String,
    /// Whether TensorFlow ran its CPU kernels through oneDNN (results differ in the last
    /// digits between the two); absent in older files, Python's and remote runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onednn: Option<bool>,
    pub host: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// The data files that were not the published ones and why they were used
    /// (`--allow-unpublished-data`, or generated test data); absent when all four were the
    /// published files, and in files written before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublished_data: Option<String>,
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
    "eval_batch_size",
    "data_dir",
    "validation_size",
    "intra_op_threads",
    "inter_op_threads",
    "tensorflow_version",
    "onednn",
    "host",
    "started_at",
    "unpublished_data",
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
    "unpublished_data",
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
        match crate::fsx::lowercase_extension(path).as_deref() {
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

/// `FILE.partial`: where a metrics file grows until its run is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".partial");
    PathBuf::from(name)
}

/// `FILE.partial` -> `FILE`; other paths unchanged.
pub fn without_partial(path: &Path) -> PathBuf {
    match path.to_str().and_then(|p| p.strip_suffix(".partial")) {
        Some(stripped) => PathBuf::from(stripped),
        None => path.to_path_buf(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header with a quoted text cell and one that looks like a number, for CSV round trips.
    pub(crate) fn header() -> Header {
        Header {
            unpublished_data: Some("a.gz, b.gz (generated test data)".into()),
            schema: SCHEMA_VERSION,
            program: PROGRAM.into(),
            run: RunConfig {
                model: "dense".into(),
                steps: 20,
                batch_size: 10,
                learning_rate: 1e-4,
                seed: 0,
                log_every: 10,
                data_dir: "data, \"mnist\"".into(),
                intra_op_threads: None,
                inter_op_threads: Some(2),
                ..RunConfig::default()
            },
            tensorflow_version: "2.21.0".into(),
            onednn: Some(true),
            host: "1234".into(),
            started_at: "2017-06-01T12:00:00Z".into(),
        }
    }

    /// A final record with fractions that only round-trip as shortest decimals.
    pub(crate) fn last() -> FinalRecord {
        FinalRecord {
            steps: 3,
            test_accuracy: Some(f64::from(0.9787f32)),
            test_correct: 9787,
            test_total: 10000,
            test_loss: Some(f64::from(0.0712f32)),
            validation_accuracy: None,
            validation_correct: None,
            validation_total: None,
            train_secs: 0.125,
            eval_secs: 1.0 / 3.0,
            total_secs: 2.5,
            ms_per_step: 41.666666666666664,
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
    fn partial_names_come_and_go() {
        let partial = partial_path(Path::new("runs/a.jsonl"));
        assert_eq!(partial, Path::new("runs/a.jsonl.partial"));
        assert_eq!(without_partial(&partial), Path::new("runs/a.jsonl"));
        assert_eq!(without_partial(Path::new("a.csv")), Path::new("a.csv"));
    }

    #[test]
    fn values_are_widened_float32_and_settings_their_decimal() {
        assert_eq!(metric(0.04), Some(0.03999999910593033));
        assert_eq!(metric(f32::NAN), None);
        let value = serde_json::to_value(Record::Header(header())).unwrap();
        assert_eq!(value["learning_rate"], 0.0001);
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
            Record::Final(last()),
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
}
