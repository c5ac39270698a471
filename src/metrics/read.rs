//! Reads a metrics file in the shared JSON Lines schema (schema 1), as `python/train.py
//! --metrics` and `tflayers train --metrics` write it: a header, one record per logged step,
//! and a final record.
//!
//! Only reading lives here (the header record is the writer's own [`Header`]); `compare` uses
//! it to load the Python side's results. Accuracies and losses are float32 values widened to
//! f64, so they are checked to be exact float32 values and handed back as `f32`, which is what
//! makes a bit-for-bit comparison possible.

use std::fs;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use serde::Deserialize;

pub use super::write::Header;
/// The schema version this reader understands: the one this binary writes.
use super::write::SCHEMA_VERSION as SCHEMA;

/// One logged step, with its values as the float32 TensorFlow returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub step: u64,
    pub batch_accuracy: f32,
    pub loss: f32,
    pub elapsed_secs: f64,
    pub images_per_sec: f64,
}

/// The last line: test (and validation) results and timings.
#[derive(Debug, Clone, PartialEq)]
pub struct Final {
    pub steps: u64,
    pub test_accuracy: f32,
    pub test_correct: u64,
    pub test_total: u64,
    pub test_loss: f32,
    pub validation_accuracy: Option<f32>,
    pub validation_correct: Option<u64>,
    pub validation_total: Option<u64>,
    pub train_secs: f64,
    pub eval_secs: f64,
    pub total_secs: f64,
    pub ms_per_step: f64,
}

/// A whole metrics file.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsFile {
    pub header: Header,
    pub steps: Vec<Step>,
    pub last: Final,
}

#[derive(Deserialize)]
struct RawStep {
    step: u64,
    batch_accuracy: f64,
    loss: f64,
    elapsed_secs: f64,
    images_per_sec: f64,
}

#[derive(Deserialize)]
struct RawFinal {
    steps: u64,
    test_accuracy: f64,
    test_correct: u64,
    test_total: u64,
    test_loss: f64,
    validation_accuracy: Option<f64>,
    validation_correct: Option<u64>,
    validation_total: Option<u64>,
    train_secs: f64,
    eval_secs: f64,
    total_secs: f64,
    ms_per_step: f64,
}

#[derive(Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
enum Record {
    Header(Header),
    Step(RawStep),
    Final(RawFinal),
}

/// A value written as a float32 widened to f64, back as that float32.
fn exact_f32(value: f64, field: &str) -> Result<f32> {
    let narrow = value as f32;
    // NaN never equals itself; a NaN the writer produced is still a float32 NaN.
    ensure!(
        value.is_nan() || f64::from(narrow) == value,
        "{field} = {value} is not a float32 value; the schema stores float32 results widened \
         to float64"
    );
    Ok(narrow)
}

impl RawStep {
    fn into_step(self) -> Result<Step> {
        Ok(Step {
            step: self.step,
            batch_accuracy: exact_f32(self.batch_accuracy, "batch_accuracy")?,
            loss: exact_f32(self.loss, "loss")?,
            elapsed_secs: self.elapsed_secs,
            images_per_sec: self.images_per_sec,
        })
    }
}

impl RawFinal {
    fn into_final(self) -> Result<Final> {
        Ok(Final {
            steps: self.steps,
            test_accuracy: exact_f32(self.test_accuracy, "test_accuracy")?,
            test_correct: self.test_correct,
            test_total: self.test_total,
            test_loss: exact_f32(self.test_loss, "test_loss")?,
            validation_accuracy: self
                .validation_accuracy
                .map(|v| exact_f32(v, "validation_accuracy"))
                .transpose()?,
            validation_correct: self.validation_correct,
            validation_total: self.validation_total,
            train_secs: self.train_secs,
            eval_secs: self.eval_secs,
            total_secs: self.total_secs,
            ms_per_step: self.ms_per_step,
        })
    }
}

impl MetricsFile {
    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the metrics file {}", path.display()))?;
        Self::parse(&text)
            .with_context(|| format!("{} is not a valid metrics file", path.display()))
    }

    /// Parses the text of a metrics file: a header first, a final record last, steps between
    /// them in increasing order.
    pub fn parse(text: &str) -> Result<Self> {
        let mut header = None;
        let mut steps: Vec<Step> = Vec::new();
        let mut last = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            ensure!(
                last.is_none(),
                "line {number}: a record follows the final record"
            );
            let record: Record = serde_json::from_str(line)
                .with_context(|| format!("line {number}: not a schema-{SCHEMA} record"))?;
            match record {
                Record::Header(h) => {
                    ensure!(
                        header.is_none() && steps.is_empty(),
                        "line {number}: the header must be the first line, and only once"
                    );
                    ensure!(
                        h.schema == SCHEMA,
                        "line {number}: schema {} is not supported; this program reads schema \
                         {SCHEMA}",
                        h.schema
                    );
                    header = Some(h);
                }
                Record::Step(raw) => {
                    ensure!(header.is_some(), "line {number}: a step before the header");
                    let step = raw.into_step().with_context(|| format!("line {number}"))?;
                    if let Some(previous) = steps.last() {
                        ensure!(
                            step.step > previous.step,
                            "line {number}: step {} does not follow step {}",
                            step.step,
                            previous.step
                        );
                    }
                    steps.push(step);
                }
                Record::Final(raw) => {
                    ensure!(
                        header.is_some(),
                        "line {number}: the final record before the header"
                    );
                    last = Some(raw.into_final().with_context(|| format!("line {number}"))?);
                }
            }
        }
        let Some(header) = header else {
            bail!("no header record: the file is empty or was not written by a tflayers program")
        };
        let Some(last) = last else {
            bail!("no final record: the run did not finish")
        };
        Ok(Self {
            header,
            steps,
            last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"record":"header","schema":1,"program":"python","model":"dense","steps":3,"batch_size":100,"learning_rate":0.0001,"seed":0,"log_every":1,"data_dir":"data/mnist","tensorflow_version":"2.21.0","intra_op_threads":null,"inter_op_threads":2,"host":"h","started_at":"2025-01-01T00:00:00Z"}"#;
    const FINAL: &str = r#"{"record":"final","steps":3,"test_accuracy":0.8500000238418579,"test_correct":8500,"test_total":10000,"test_loss":0.7837887406349182,"validation_accuracy":null,"validation_correct":null,"validation_total":null,"train_secs":0.3,"eval_secs":0.05,"total_secs":1.2,"ms_per_step":0.1}"#;

    fn step(n: u64, accuracy: &str) -> String {
        format!(
            r#"{{"record":"step","step":{n},"batch_accuracy":{accuracy},"loss":2.342586040496826,"elapsed_secs":0.01,"images_per_sec":0.0}}"#
        )
    }

    #[test]
    fn reads_a_complete_file_and_keeps_float32_values() {
        let text = [
            HEADER.to_string(),
            step(0, "0.05000000074505806"),
            step(1, "0.33000001311302185"),
            FINAL.to_string(),
        ]
        .join("\n");
        let file = MetricsFile::parse(&text).unwrap();
        assert_eq!(file.header.program, "python");
        assert_eq!(file.header.inter_op_threads, Some(2));
        assert_eq!(file.steps.len(), 2);
        assert_eq!(file.steps[0].batch_accuracy, 0.05f32);
        assert_eq!(file.steps[1].batch_accuracy, 0.33f32);
        assert_eq!(file.steps[0].loss, 2.342586f32);
        assert_eq!(file.last.test_accuracy, 0.85f32);
        assert_eq!(file.last.validation_accuracy, None);
    }

    #[test]
    fn a_value_that_is_not_a_float32_is_rejected() {
        let text = [HEADER.to_string(), step(0, "0.05"), FINAL.to_string()].join("\n");
        let err = format!("{:#}", MetricsFile::parse(&text).unwrap_err());
        assert!(
            err.contains("line 2") && err.contains("not a float32"),
            "{err}"
        );
    }

    #[test]
    fn a_file_without_its_final_record_is_an_unfinished_run() {
        let text = [HEADER.to_string(), step(0, "0.5")].join("\n");
        let err = format!("{:#}", MetricsFile::parse(&text).unwrap_err());
        assert!(err.contains("did not finish"), "{err}");
    }

    #[test]
    fn order_and_schema_are_checked() {
        let out_of_order = [
            HEADER.to_string(),
            step(1, "0.5"),
            step(1, "0.5"),
            FINAL.to_string(),
        ]
        .join("\n");
        let err = format!("{:#}", MetricsFile::parse(&out_of_order).unwrap_err());
        assert!(err.contains("line 3"), "{err}");
        let schema2 = HEADER.replace("\"schema\":1", "\"schema\":2");
        let err = format!("{:#}", MetricsFile::parse(&schema2).unwrap_err());
        assert!(err.contains("schema 2"), "{err}");
        let err = format!("{:#}", MetricsFile::parse("").unwrap_err());
        assert!(err.contains("no header"), "{err}");
        let err = format!(
            "{:#}",
            MetricsFile::parse("{\"record\":\"other\"}").unwrap_err()
        );
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn missing_file_is_named() {
        let err = format!(
            "{:#}",
            MetricsFile::read(Path::new("no/such/metrics.jsonl")).unwrap_err()
        );
        assert!(err.contains("no/such/metrics.jsonl"), "{err}");
    }
}
