//! `tflayers bench --onednn`: each model's training step with TensorFlow's oneDNN off and on,
//! measured on this machine, and the entry for the manifest's `onednn` table that
//! [`crate::onednn`] chooses from.
//!
//! oneDNN is fixed when libtensorflow loads, so each measurement is a whole
//! `tflayers train --model M --steps N` process with `TF_ENABLE_ONEDNN_OPTS` set, the two
//! settings taking turns for `--repeat` rounds. The step time is that of the run's second
//! half: the run logs its middle step, and the time from there to the end of its training
//! loop (its metrics file records both) over the steps in between leaves out the first
//! steps, which build the session's executors.

use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;

use super::report::Series;
use super::run::tflayers;
use crate::host::Machine;
use crate::metrics::{FinalRecord, Run, StepRecord};
use crate::onednn::{StepTimes, VARIABLE};
use crate::options::BenchOptions;
use crate::output::table;
use crate::python::run_child;
use crate::tf::model::tensorflow_version;

/// One model's step times with oneDNN off and on, milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneDnnModel {
    pub model: String,
    pub off: Series,
    pub on: Series,
}

/// What `bench --onednn` measured, and the manifest entry made of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneDnnBench {
    pub machine: Machine,
    pub steps: u64,
    pub models: Vec<OneDnnModel>,
}

/// Times every model of `args` with oneDNN off and on, taking turns.
pub fn run_onednn_bench(args: &BenchOptions) -> Result<OneDnnBench> {
    let run = &args.common.run;
    let scratch = tempfile::tempdir().context("cannot make a folder for the runs' metrics")?;
    let mut models = Vec::new();
    for name in &args.models {
        let mut config = run.for_model(name);
        // Logged: step 0 and the middle step, from which the time is measured.
        config.log_every = (config.steps / 2).max(1);
        let (mut off, mut on) = (Vec::new(), Vec::new());
        for round in 1..=args.repeat {
            for (flag, times) in [("0", &mut off), ("1", &mut on)] {
                let metrics = scratch.path().join(format!("{name}-{round}-{flag}.jsonl"));
                let mut command = tflayers(
                    &["train", "--model", name, "--quiet"],
                    &config,
                    &args.common.data,
                    &args.common.models_dir,
                )?;
                command.env(VARIABLE, flag).arg("--metrics").arg(&metrics);
                let what = format!("tflayers train --model {name} with {VARIABLE}={flag}");
                run_child(&mut command, &what, |_| false)?;
                times.push(ms_per_step(&metrics).with_context(|| what.clone())?);
            }
            eprintln!(
                "   {name} round {round}: off {:.2} ms/step, on {:.2} ms/step",
                off[off.len() - 1],
                on[on.len() - 1]
            );
        }
        models.push(OneDnnModel {
            model: name.clone(),
            off: Series::new(off).context("no round was timed")?,
            on: Series::new(on).context("no round was timed")?,
        });
    }
    Ok(OneDnnBench {
        machine: Machine::describe(),
        steps: run.steps,
        models,
    })
}

/// Milliseconds per step from the last logged step to the end of the training loop, read
/// from a metrics file through the project's reader (the run's whole `ms_per_step` if its
/// last step was the one logged).
fn ms_per_step(path: &std::path::Path) -> Result<f64> {
    let run = Run::read(path)?;
    let last = run
        .last
        .with_context(|| format!("{}: the run did not finish", path.display()))?;
    Ok(second_half_ms(run.steps.last(), &last))
}

/// [`ms_per_step`] from a run's last logged step and its final record.
fn second_half_ms(logged: Option<&StepRecord>, last: &FinalRecord) -> f64 {
    match logged {
        Some(log) if last.steps > log.step => {
            (last.train_secs - log.elapsed_secs) * 1000.0 / (last.steps - log.step) as f64
        }
        _ => last.ms_per_step,
    }
}

impl OneDnnBench {
    /// The table and the manifest entry, as printed on stdout.
    pub fn text(&self) -> String {
        let rows = self.models.iter().map(|m| {
            let ratio = m.on.median / m.off.median;
            vec![
                m.model.clone(),
                format!("{:.2}", m.off.median),
                format!("{:.2}", m.on.median),
                format!("{ratio:.2}"),
                if ratio < 1.0 { "on" } else { "off" }.to_string(),
            ]
        });
        let header = ["model", "off ms", "on ms", "on/off", "faster"];
        format!(
            "== oneDNN off against on: ms per training step (median of the rounds), \
             tflayers train --steps {} as whole processes\nmachine: {}\n{}\n\
             The entry for models/manifest.json (\"onednn\" > \"measured\"; the first entry \
             whose `needs` this CPU has is used):\n{}\n",
            self.steps,
            self.machine.line(),
            table::render(&table::columns(&header, true), 2, rows),
            self.manifest_entry()
        )
    }

    /// The manifest entry for this machine, as pretty JSON.
    pub fn manifest_entry(&self) -> String {
        let needs: Vec<&String> = self
            .machine
            .isa
            .iter()
            .filter(|f| ["AVX2", "FMA", "AVX-512F"].contains(&f.as_str()))
            .collect();
        let times: BTreeMap<&str, StepTimes> = self
            .models
            .iter()
            .map(|m| {
                let round = |v: f64| (v * 100.0).round() / 100.0;
                let t = StepTimes {
                    off: round(m.off.median),
                    on: round(m.on.median),
                };
                (m.model.as_str(), t)
            })
            .collect();
        let entry = serde_json::json!({
            "cpu": self.machine.line(),
            "needs": needs,
            "tensorflow_version": tensorflow_version(),
            "ms_per_step": times,
        });
        serde_json::to_string_pretty(&entry).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_time_is_that_of_the_runs_second_half() {
        use crate::metrics::{sample_header as header, sample_last as last};
        use crate::metrics::{MetricsWriter, Record};
        let step = |step, elapsed_secs| StepRecord {
            step,
            batch_accuracy: Some(0.5),
            loss: Some(1.0),
            elapsed_secs,
            images_per_sec: 0.0,
        };
        let last = FinalRecord {
            steps: 40,
            train_secs: 4.5,
            ms_per_step: 112.5,
            ..last()
        };
        assert_eq!(second_half_ms(Some(&step(20, 2.5)), &last), 100.0);
        let one = FinalRecord {
            steps: 1,
            ms_per_step: 3.0,
            ..last.clone()
        };
        assert_eq!(second_half_ms(None, &one), 3.0);
        // Through a metrics file, as the bench reads it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let mut writer = MetricsWriter::create(&path, &header()).unwrap();
        for record in [step(0, 0.5), step(20, 2.5)] {
            writer.write(&Record::Step(record)).unwrap();
        }
        writer.finish(&last).unwrap();
        assert_eq!(ms_per_step(&path).unwrap(), 100.0);
        std::fs::write(&path, "not json\n").unwrap();
        assert!(ms_per_step(&path).is_err());
    }

    #[test]
    fn the_table_says_which_setting_is_faster_and_gives_the_manifest_entry() {
        let bench = OneDnnBench {
            machine: Machine {
                cpu: Some("AMD EPYC".into()),
                cpu_id: None,
                isa: vec!["AVX".into(), "AVX2".into(), "FMA".into()],
                cpus: Some(2),
                memory_bytes: None,
            },
            steps: 40,
            models: vec![
                OneDnnModel {
                    model: "hidden".into(),
                    off: Series::new(vec![7.8, 7.9]).unwrap(),
                    on: Series::new(vec![9.1, 9.0]).unwrap(),
                },
                OneDnnModel {
                    model: "conv2".into(),
                    off: Series::new(vec![178.8]).unwrap(),
                    on: Series::new(vec![91.1]).unwrap(),
                },
            ],
        };
        let text = bench.text();
        let row = |name: &str| -> Vec<String> {
            let line = text.lines().find(|l| l.starts_with(name)).unwrap();
            line.split_whitespace().map(String::from).collect()
        };
        assert_eq!(row("hidden"), ["hidden", "7.85", "9.05", "1.15", "off"]);
        assert_eq!(row("conv2"), ["conv2", "178.80", "91.10", "0.51", "on"]);
        let entry: serde_json::Value = serde_json::from_str(&bench.manifest_entry()).unwrap();
        assert_eq!(entry["needs"], serde_json::json!(["AVX2", "FMA"]));
        assert_eq!(entry["ms_per_step"]["conv2"]["on"], 91.1);
        // The entry reads back as the manifest's table.
        let measured: crate::onednn::Measured = serde_json::from_value(entry).unwrap();
        assert_eq!(measured.ms_per_step["hidden"].off, 7.85);
    }
}
