//! Reads metrics files back, `.jsonl` or `.csv`, from this binary or `python/train.py`:
//! [`Run`] for `tflayers plot` and the reproduce report, [`FinishedRun`] for `compare`.
//!
//! Every reader checks the same structure: the header first and only once, a schema this
//! program knows, nothing after the final record. A run still training (`FILE.partial`, or any
//! file without a final record) is a [`Run`] too: the curves are there, only the final figures
//! are missing. A [`FinishedRun`] must also be complete, log its steps in increasing order and
//! hold every accuracy and loss as an exact float32 value (the schema stores them widened), which
//! is what makes a bit-for-bit comparison possible.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{Map, Value};

use super::schema::{
    without_partial, FinalRecord, Format, Header, Record, StepRecord, CSV_TEXT_COLUMNS,
    SCHEMA_VERSION,
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

/// A complete run whose accuracies and losses are exact float32 values (see [`float32`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub header: Header,
    /// In increasing step order.
    pub steps: Vec<StepRecord>,
    pub last: FinalRecord,
}

/// A value of a [`FinishedRun`] back as the float32 TensorFlow returned (reading checked that
/// it is one); `null`, the schema's NaN, as NaN.
pub fn float32(value: Option<f64>) -> f32 {
    value.map_or(f32::NAN, |v| v as f32)
}

/// What a reader asks of a file beyond its structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Any run, finished or still training.
    Curves,
    /// A finished run with exact float32 values and steps in order.
    Exact,
}

impl Run {
    /// Reads a metrics file; the format follows the extension (`FILE.partial` counts as FILE).
    pub fn read(path: &Path) -> Result<Self> {
        Self::load(path, Need::Curves)
    }

    /// The file name without folders and extensions (`runs/dense.jsonl` -> `dense`).
    pub fn stem(&self) -> String {
        let path = without_partial(&self.path);
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }

    fn load(path: &Path, need: Need) -> Result<Self> {
        let format = Format::from_path(&without_partial(path))?;
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the metrics file {}", path.display()))?;
        Self::parse(path, format, &text, need)
            .with_context(|| format!("{} is not a tflayers metrics file", path.display()))
    }

    fn parse(path: &Path, format: Format, text: &str, need: Need) -> Result<Self> {
        let records = match format {
            Format::JsonLines => parse_jsonl(text),
            Format::Csv => parse_csv(text),
        }?;
        let mut records = records.into_iter();
        let Some((place, first)) = records.next() else {
            bail!("no header record: the file is empty or was not written by a tflayers program")
        };
        let Record::Header(header) = first else {
            bail!("{place}: the first record must be the header");
        };
        ensure!(
            header.schema == SCHEMA_VERSION,
            "{place}: schema {} is not supported; this program reads schema {SCHEMA_VERSION}",
            header.schema
        );
        let mut run = Run {
            path: path.to_path_buf(),
            header,
            steps: Vec::new(),
            last: None,
        };
        for (place, record) in records {
            ensure!(
                run.last.is_none(),
                "{place}: a record follows the final record"
            );
            match record {
                Record::Header(_) => bail!("{place}: a second header record"),
                Record::Step(step) => {
                    if need == Need::Exact {
                        check_step(&step, run.steps.last()).context(place)?;
                    }
                    run.steps.push(step);
                }
                Record::Final(last) => {
                    if need == Need::Exact {
                        check_final(&last).context(place)?;
                    }
                    run.last = Some(last);
                }
            }
        }
        Ok(run)
    }
}

impl FinishedRun {
    /// Reads and checks a complete metrics file (see the module's introduction).
    pub fn read(path: &Path) -> Result<Self> {
        let run = Run::load(path, Need::Exact)?;
        let Some(last) = run.last else {
            bail!(
                "{} is not a tflayers metrics file: no final record: the run did not finish",
                path.display()
            )
        };
        Ok(Self {
            header: run.header,
            steps: run.steps,
            last,
        })
    }
}

/// A value the schema stores as a float32 widened to f64 must be one, and be there.
fn check_float32(value: Option<f64>, field: &str) -> Result<()> {
    let Some(value) = value else {
        bail!("{field} is null; a finished run has every value")
    };
    // NaN never equals itself; a NaN the writer produced is still a float32 NaN.
    ensure!(
        value.is_nan() || f64::from(value as f32) == value,
        "{field} = {value} is not a float32 value; the schema stores float32 results widened \
         to float64"
    );
    Ok(())
}

fn check_step(step: &StepRecord, previous: Option<&StepRecord>) -> Result<()> {
    if let Some(previous) = previous {
        ensure!(
            step.step > previous.step,
            "step {} does not follow step {}",
            step.step,
            previous.step
        );
    }
    check_float32(step.batch_accuracy, "batch_accuracy")?;
    check_float32(step.loss, "loss")
}

fn check_final(last: &FinalRecord) -> Result<()> {
    check_float32(last.test_accuracy, "test_accuracy")?;
    check_float32(last.test_loss, "test_loss")?;
    if last.validation_accuracy.is_some() {
        check_float32(last.validation_accuracy, "validation_accuracy")?;
    }
    Ok(())
}

/// Each record with where it is (`line N`).
fn parse_jsonl(text: &str) -> Result<Vec<(String, Record)>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let place = format!("line {}", i + 1);
            let record = serde_json::from_str(line)
                .with_context(|| format!("{place}: not a schema-{SCHEMA_VERSION} record"))?;
            Ok((place, record))
        })
        .collect()
}

/// Each record with where it is (`row N`, the header row being row 1).
fn parse_csv(text: &str) -> Result<Vec<(String, Record)>> {
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
        let place = format!("row {}", i + 2);
        let row = row.with_context(|| place.clone())?;
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
                    format!("{place}, column {column}: {cell:?} is not a number")
                })?
            };
            fields.insert(column.clone(), value);
        }
        let record = serde_json::from_value(Value::Object(fields))
            .with_context(|| format!("{place}: not a record"))?;
        records.push((place, record));
    }
    Ok(records)
}

#[cfg(test)]
mod tests;
