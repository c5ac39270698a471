//! Writes `--metrics FILE` ([`MetricsWriter`]) in the schema of [`super`], record by record
//! as the run trains.
//!
//! While the run trains, records go to `FILE.partial`, flushed one by one, so
//! `tail -f FILE.partial` follows a run. The final record completes the file and it is renamed
//! to `FILE`: a file under the requested name is always complete, an existing `FILE` is only
//! replaced by a complete one, and a failed run leaves its records in `FILE.partial`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::schema::{
    metric, partial_path, FinalRecord, Format, Header, Record, StepRecord, CSV_COLUMNS,
};
use crate::train::{Evaluation, Observer, RunResult, StepLog};

/// The CSV cells of one record, in [`CSV_COLUMNS`] order.
fn csv_cells(record: &Record) -> Result<Vec<String>> {
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

/// What a failed write says: the file the user asked for, where its records were going, and
/// that an existing file under the requested name was not touched.
fn write_failed(path: &Path, partial: &Path) -> String {
    format!(
        "cannot write the metrics file {path} (its records go to {partial} until the run ends; \
         {path} itself is unchanged)",
        path = path.display(),
        partial = partial.display()
    )
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
            batch_size: header.run.batch_size as u64,
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
        let (path, partial) = (&self.path, &self.partial);
        let failed = || write_failed(path, partial);
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
        let failed = || write_failed(&self.path, &self.partial);
        let file = match self.sink {
            Sink::JsonLines(out) => out.into_inner().map_err(|e| e.into_error()),
            Sink::Csv(out) => out.into_inner().map_err(|e| e.into_error()),
        }
        .with_context(failed)?;
        file.sync_all().with_context(failed)?;
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
    use crate::metrics::schema::tests::header;

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
