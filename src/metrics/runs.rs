//! Reads metrics files back (`.jsonl` or `.csv`, from this binary or `python/train.py`) for
//! `tflayers plot` and the reproduce report.
//!
//! A file still being written (`FILE.partial`, or any file without a final record) is read
//! too: the curves are there, only the final figures are missing.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{Map, Value};

use crate::metrics::write::{
    FinalRecord, Format, Header, Record, StepRecord, CSV_TEXT_COLUMNS, SCHEMA_VERSION,
};

/// One run's metrics file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub path: PathBuf,
    pub header: Header,
    pub steps: Vec<StepRecord>,
    /// `None` while the run is still training (or if it failed).
    pub last: Option<FinalRecord>,
}

impl Run {
    /// Reads a metrics file; the format follows the extension (`FILE.partial` counts as FILE).
    pub fn read(path: &Path) -> Result<Self> {
        let format = Format::from_path(&without_partial(path))?;
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the metrics file {}", path.display()))?;
        let records = match format {
            Format::JsonLines => parse_jsonl(&text),
            Format::Csv => parse_csv(&text),
        }
        .with_context(|| format!("{} is not a tflayers metrics file", path.display()))?;
        Self::from_records(path, records)
            .with_context(|| format!("{} is not a tflayers metrics file", path.display()))
    }

    fn from_records(path: &Path, records: Vec<Record>) -> Result<Self> {
        let mut records = records.into_iter();
        let Some(Record::Header(header)) = records.next() else {
            bail!("the first record must be the header");
        };
        ensure!(
            header.schema == SCHEMA_VERSION,
            "schema {} is not supported (this program reads schema {SCHEMA_VERSION})",
            header.schema
        );
        let mut run = Run {
            path: path.to_path_buf(),
            header,
            steps: Vec::new(),
            last: None,
        };
        for record in records {
            ensure!(run.last.is_none(), "records follow the final record");
            match record {
                Record::Header(_) => bail!("a second header record"),
                Record::Step(step) => run.steps.push(step),
                Record::Final(last) => run.last = Some(last),
            }
        }
        Ok(run)
    }

    /// The file name without folders and extensions (`runs/dense.jsonl` -> `dense`).
    pub fn stem(&self) -> String {
        let path = without_partial(&self.path);
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// `FILE.partial` -> `FILE`; other paths unchanged.
fn without_partial(path: &Path) -> PathBuf {
    match path.to_str().and_then(|p| p.strip_suffix(".partial")) {
        Some(stripped) => PathBuf::from(stripped),
        None => path.to_path_buf(),
    }
}

fn parse_jsonl(text: &str) -> Result<Vec<Record>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).with_context(|| format!("line {}: not a record", i + 1))
        })
        .collect()
}

fn parse_csv(text: &str) -> Result<Vec<Record>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .context("no header row")?
        .iter()
        .map(str::to_string)
        .collect();
    ensure!(
        columns.first().map(String::as_str) == Some("record"),
        "the first column must be `record`"
    );
    let mut records = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.with_context(|| format!("row {}", i + 2))?;
        let mut fields = Map::new();
        for (column, cell) in columns.iter().zip(row.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = if CSV_TEXT_COLUMNS.contains(&column.as_str()) {
                Value::String(cell.to_string())
            } else {
                // Numbers keep their exact decimal; serde_json reads them as JSON would.
                serde_json::from_str(cell).with_context(|| {
                    format!("row {}, column {column}: {cell:?} is not a number", i + 2)
                })?
            };
            fields.insert(column.clone(), value);
        }
        let record = serde_json::from_value(Value::Object(fields))
            .with_context(|| format!("row {}: not a record", i + 2))?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::write::{MetricsWriter, PROGRAM};
    use crate::train::{Observer, StepLog};

    fn header() -> Header {
        Header {
            schema: SCHEMA_VERSION,
            program: PROGRAM.into(),
            model: "conv2".into(),
            steps: 3,
            batch_size: 7,
            learning_rate: 0.001,
            seed: 4,
            log_every: 1,
            data_dir: "1234".into(),
            tensorflow_version: "2.21.0".into(),
            intra_op_threads: Some(1),
            inter_op_threads: None,
            host: "a,b".into(),
            started_at: "2017-06-01T12:00:00Z".into(),
        }
    }

    fn last() -> FinalRecord {
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

    fn write(path: &Path) {
        let mut writer = MetricsWriter::create(path, &header()).unwrap();
        for step in 0..3u64 {
            writer
                .on_log(&StepLog {
                    step,
                    batch_accuracy: 0.1 + step as f32 / 7.0,
                    loss: 2.3 / (step as f32 + 1.0),
                    elapsed_secs: step as f64 * 0.1 + 1e-7,
                })
                .unwrap();
        }
        writer.finish(&last()).unwrap();
    }

    #[test]
    fn jsonl_and_csv_read_back_to_the_same_run() {
        let dir = tempfile::tempdir().unwrap();
        let (jsonl, csv) = (dir.path().join("r.jsonl"), dir.path().join("r.csv"));
        write(&jsonl);
        write(&csv);
        let a = Run::read(&jsonl).unwrap();
        let b = Run::read(&csv).unwrap();
        assert_eq!(a.header, header());
        assert_eq!(a.steps.len(), 3);
        assert_eq!(
            a.steps[1].batch_accuracy,
            Some(f64::from(0.1f32 + 1.0 / 7.0))
        );
        assert_eq!(a.last, Some(last()));
        assert_eq!((a.header, a.steps, a.last), (b.header, b.steps, b.last));
        assert_eq!(Run::read(&csv).unwrap().stem(), "r");
    }

    #[test]
    fn a_run_still_training_has_curves_but_no_final_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl.partial");
        fs::write(
            &path,
            format!(
                "{}\n{}\n",
                serde_json::to_string(&Record::Header(header())).unwrap(),
                r#"{"record":"step","step":0,"batch_accuracy":0.1,"loss":2.3,"elapsed_secs":0.0,"images_per_sec":0.0}"#
            ),
        )
        .unwrap();
        let run = Run::read(&path).unwrap();
        assert_eq!(run.steps.len(), 1);
        assert!(run.last.is_none());
        assert_eq!(run.stem(), "r");
    }

    #[test]
    fn files_that_are_not_metrics_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "a.jsonl",
                r#"{"record":"step","step":0,"batch_accuracy":0.1,"loss":2.3,"elapsed_secs":0.0,"images_per_sec":0.0}"#,
                "first record must be the header",
            ),
            ("b.jsonl", "not json\n", "line 1"),
            ("c.csv", "x,y\n1,2\n", "`record`"),
            ("d.txt", "", "must end in .jsonl"),
        ];
        for (name, text, expected) in cases {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            let err = format!("{:#}", Run::read(&path).unwrap_err());
            assert!(err.contains(name), "{err}");
            assert!(err.contains(expected), "{name}: {err}");
        }
        let err = format!("{:#}", Run::read(&dir.path().join("none.csv")).unwrap_err());
        assert!(err.contains("cannot read"), "{err}");
    }
}
