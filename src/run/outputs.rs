//! What a training command writes around one model's run besides the article's lines: the
//! progress bar (stderr), `--metrics` files and `--tensorboard` events.
//!
//! The article's printer stays the first thing that writes stdout; every output here goes to
//! stderr or to files, so stdout is the same with and without them. The validation split is
//! evaluated (after the test line is printed) only when a metrics file asks for it, so a run
//! without `--metrics` costs exactly what it did.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context, Result};

use crate::config::RunConfig;
use crate::fsx::{check_output, Output};
use crate::manifest::Manifest;
use crate::metrics::{
    final_record, host_name, now_rfc3339, Header, MetricsWriter, PROGRAM, SCHEMA_VERSION,
};
use crate::mnist::dataset::DataSets;
use crate::output::article::ArticlePrinter;
use crate::output::progress::{self, Progress};
use crate::tf::env::onednn_setting;
use crate::tf::model::{tensorflow_version, Model, SessionConfig};
use crate::tf::summaries::TensorBoard;
use crate::train::{
    evaluate, train_from, Evaluation, Fanout, Observer, Outcome, RunControl, RunResult,
};

/// The extensions of the two metrics forms.
const METRICS_EXTENSIONS: &[&str] = &["jsonl", "csv"];

/// What the user asked for around a run.
#[derive(Debug, Clone, Default)]
pub struct Requested {
    /// Metrics files (`.jsonl` or `.csv`), each written with the same records.
    pub metrics: Vec<PathBuf>,
    /// TensorBoard root folder; the events go to `<root>/<model>/`.
    pub tensorboard: Option<PathBuf>,
    /// No progress bar.
    pub quiet: bool,
    /// What the metrics header records about data that is not the published files
    /// ([`crate::mnist::load::DataOrigin::note`]).
    pub unpublished_data: Option<String>,
}

impl Requested {
    /// Checks the outputs before any work ([`check_output`]): each metrics file once (two
    /// would share `FILE.partial`), named `.jsonl` or `.csv`, in a folder that accepts files;
    /// the TensorBoard folder likewise.
    pub fn check(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for path in &self.metrics {
            ensure!(
                seen.insert(path),
                "--metrics {} is given twice; name each file once",
                path.display()
            );
            check_output("--metrics", path, Output::File(METRICS_EXTENSIONS))?;
        }
        if let Some(root) = &self.tensorboard {
            check_output("--tensorboard", root, Output::Folder)?;
        }
        Ok(())
    }
}

/// The header record of `run`, stamped now.
pub fn header(run: &RunConfig, unpublished_data: Option<String>) -> Header {
    Header {
        unpublished_data,
        schema: SCHEMA_VERSION,
        program: PROGRAM.to_string(),
        run: run.clone(),
        tensorflow_version: tensorflow_version(),
        onednn: Some(onednn_setting().enabled),
        host: host_name(),
        started_at: now_rfc3339(),
    }
}

/// The outputs of one model's run, opened before the loop and finished after it.
pub struct RunOutputs {
    run: RunConfig,
    progress: Option<Progress>,
    metrics: Vec<MetricsWriter>,
    tensorboard: Option<TensorBoard>,
    started: Instant,
    quiet: bool,
}

impl RunOutputs {
    /// Opens what `requested` names for `model`'s run of `run` (its TensorBoard session with
    /// `session`'s settings).
    pub fn start(
        model: &Model,
        manifest: &Manifest,
        session: &SessionConfig,
        run: &RunConfig,
        requested: &Requested,
    ) -> Result<Self> {
        requested.check()?;
        let tensorboard = match &requested.tensorboard {
            Some(root) => Some(TensorBoard::open(
                model,
                manifest,
                session,
                &root.join(&run.model),
            )?),
            None => None,
        };
        // `total_secs` in the final record counts from the header on.
        let started = Instant::now();
        let mut header = header(
            &run.with_threads_used(manifest),
            requested.unpublished_data.clone(),
        );
        // On a remote server oneDNN is the server's business; this process's setting says
        // nothing about it.
        if session.remote.is_some() {
            header.onednn = None;
        }
        let metrics = requested
            .metrics
            .iter()
            .map(|path| MetricsWriter::create(path, &header))
            .collect::<Result<Vec<_>>>()?;
        let progress = if progress::wanted(requested.quiet) {
            Some(Progress::new(&run.model, run.steps, run.batch_size as u64)?)
        } else {
            None
        };
        Ok(Self {
            run: run.clone(),
            progress,
            metrics,
            tensorboard,
            started,
            quiet: requested.quiet,
        })
    }

    /// Runs the article's loop with its printer on stdout and these outputs.
    pub fn train(
        &mut self,
        model: &mut Model,
        data: &DataSets,
        control: RunControl<'_>,
    ) -> Result<Outcome> {
        let mut printer = ArticlePrinter::new(io::stdout().lock());
        let mut observers: Vec<&mut dyn Observer> = Vec::new();
        let mut lifted;
        match &mut self.progress {
            Some(progress) => {
                lifted = progress.around(&mut printer);
                observers.push(progress);
                observers.push(&mut lifted);
            }
            None => observers.push(&mut printer),
        }
        for writer in &mut self.metrics {
            observers.push(writer);
        }
        if let Some(board) = &mut self.tensorboard {
            observers.push(board);
        }
        train_from(model, data, &self.run, control, &mut Fanout::new(observers))
    }

    /// Completes the metrics files (evaluating the validation split for them) and closes the
    /// event file. Returns the validation figures when they were computed.
    pub fn finish(
        self,
        model: &mut Model,
        data: &DataSets,
        result: &RunResult,
    ) -> Result<Option<Evaluation>> {
        let validation = if self.metrics.is_empty() || data.validation.is_empty() {
            None
        } else {
            Some(
                evaluate(model, &data.validation, self.run.eval_batch_size)
                    .context("evaluating the validation split for --metrics failed")?,
            )
        };
        let record = final_record(
            result,
            validation.as_ref(),
            self.started.elapsed().as_secs_f64(),
        );
        for writer in self.metrics {
            let path = writer.finish(&record)?;
            if !self.quiet {
                eprintln!("Metrics written to {}", path.display());
            }
        }
        if let Some(board) = self.tensorboard {
            if !self.quiet {
                eprintln!("TensorBoard events written to {}", board.logdir().display());
            }
        }
        Ok(validation)
    }
}

/// `<dir>/metrics/<model>.jsonl`: where `reproduce --report DIR` keeps each model's metrics.
pub fn report_metrics_path(dir: &Path, model: &str) -> PathBuf {
    dir.join("metrics").join(format!("{model}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Record;

    /// The header line `--metrics` wrote before the header embedded `RunConfig` still reads,
    /// with the same values; a header written now reads back to itself and holds every field
    /// name of the old one (plus `eval_batch_size` and `validation_size`), the learning rate
    /// still as the f32's shortest decimal.
    #[test]
    fn the_header_keeps_its_format() {
        let run = RunConfig {
            model: "dense".into(),
            steps: 300,
            learning_rate: 3e-5,
            seed: 7,
            eval_batch_size: Some(1000),
            intra_op_threads: Some(2),
            ..RunConfig::default()
        };
        let mut header = header(&run, None);
        header.tensorflow_version = "2.21.0".into();
        header.host = "box".into();
        header.started_at = "2026-01-01T00:00:00Z".into();
        let old = r#"{"record":"header","schema":1,"program":"tflayers","model":"dense","steps":300,"batch_size":100,"learning_rate":0.00003,"seed":7,"log_every":100,"data_dir":"data/mnist","tensorflow_version":"2.21.0","intra_op_threads":2,"inter_op_threads":null,"host":"box","started_at":"2026-01-01T00:00:00Z"}"#;
        let read: Record = serde_json::from_str(old).unwrap();
        // The old format did not record the evaluation chunks or oneDNN.
        let mut unchunked = header.clone();
        unchunked.run.eval_batch_size = None;
        unchunked.onednn = None;
        assert_eq!(read, Record::Header(unchunked));

        let line = serde_json::to_string(&Record::Header(header.clone())).unwrap();
        assert!(line.contains(r#""learning_rate":0.00003,"#), "{line}");
        let read: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(read, Record::Header(header));
        let names = |text: &str| -> Vec<String> {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            value.as_object().unwrap().keys().cloned().collect()
        };
        let new_names = names(&line);
        for name in names(old) {
            assert!(new_names.contains(&name), "{name} is missing from {line}");
        }
    }
}
