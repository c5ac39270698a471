//! Whether TensorFlow runs its CPU kernels through oneDNN in this process: chosen per command
//! from the measurements in the manifest, unless the user set `TF_ENABLE_ONEDNN_OPTS`.
//!
//! TensorFlow 2.21 reads `TF_ENABLE_ONEDNN_OPTS` once, while libtensorflow loads, before
//! `main`; without it, oneDNN is on only on CPUs with AVX-512-VNNI, AVX-512-BF16 or AMX. On
//! other x86 CPUs it pays for the conv models and costs a little for `hidden` (the manifest's
//! `onednn` table, measured with `tflayers bench --onednn`). So `tf::env::settle_onednn`, called by `main`
//! once the command line says which models will run, compares the setting this process has
//! with the one it wants and, when they differ, starts the program again with the variable set
//! (one more load of libtensorflow). Child processes (the Python
//! side of `compare` and `bench`) inherit the variable, so both sides compute alike: results
//! with oneDNN on and off differ in the last digits, and each setting is repeatable.
//!
//! The rule ([`choose`]): a user's `TF_ENABLE_ONEDNN_OPTS` wins; where TensorFlow turns oneDNN
//! on by itself it stays on (no measurement here says otherwise); on a CPU with the features
//! a table was measured on, oneDNN is on when the run's models take at least 5% less time with
//! it, summed over the models (`reproduce` runs all five, so the conv models decide); anywhere else, or
//! for models the table does not list, TensorFlow's default stays.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The variable TensorFlow reads.
pub const VARIABLE: &str = "TF_ENABLE_ONEDNN_OPTS";
/// Set beside [`VARIABLE`] when this program chose it: TensorFlow's own default on this CPU
/// (`0` or `1`), which a process started with the variable set cannot see any more.
pub const DEFAULT_MARK: &str = "TFLAYERS_ONEDNN_DEFAULT";

/// Who decided the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChosenBy {
    /// `TF_ENABLE_ONEDNN_OPTS` was set by the user.
    User,
    /// This program, from the manifest's measurements for the models of the run.
    Tflayers,
    /// TensorFlow's default for this CPU, left alone (nothing measured applies).
    Tensorflow,
}

/// oneDNN on or off in this process, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub enabled: bool,
    pub chosen_by: ChosenBy,
}

impl fmt::Display for Setting {
    /// `oneDNN on (chosen by tflayers from measurements)`, as the headers print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.enabled { "on" } else { "off" };
        let why = match self.chosen_by {
            ChosenBy::User => format!("{VARIABLE} set by the user"),
            ChosenBy::Tflayers => "chosen by tflayers from the manifest's measurements".into(),
            ChosenBy::Tensorflow => "TensorFlow's default on this CPU".into(),
        };
        write!(f, "oneDNN {state} ({why})")
    }
}

/// One row of the table: milliseconds per training step with oneDNN off and on.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct StepTimes {
    pub off: f64,
    pub on: f64,
}

/// Step times measured on one kind of CPU (the manifest's `onednn.measured`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Measured {
    /// The machine, as `tflayers bench` names it.
    pub cpu: String,
    /// The instruction sets (as [`crate::host::ISA_FEATURES`] prints them) a CPU needs for
    /// this table to apply to it.
    pub needs: Vec<String>,
    pub tensorflow_version: String,
    pub ms_per_step: BTreeMap<String, StepTimes>,
}

/// The manifest's `onednn` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Table {
    #[serde(default)]
    pub measured: Vec<Measured>,
}

impl Table {
    /// The first table measured on a CPU with the features `isa` has.
    pub fn for_cpu(&self, isa: &[String]) -> Option<&Measured> {
        self.measured
            .iter()
            .find(|m| m.needs.iter().all(|need| isa.contains(need)))
    }
}

/// oneDNN replaces TensorFlow's default only when the table has it at least 5% faster: a
/// smaller gain is within the spread of repeated measurements, and turning it on costs a
/// restart and changes the last digits of the results.
pub const CLEAR_GAIN: f64 = 0.95;

/// What starting the program again costs, milliseconds: about one `tflayers --version` (load
/// libtensorflow, parse the command line), 0.2 to 0.3 s on the 2-core hosts measured.
pub const RESTART_MS: f64 = 300.0;

/// The run a setting is chosen for: its models, and the training steps of each (`None` for a
/// command that only evaluates or predicts).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub models: &'a [String],
    pub steps: Option<u64>,
}

/// The setting for `run` on a CPU with `isa`, given TensorFlow's default there (`user` is the
/// user's own value, if any). A training run must also save more time than the restart
/// costs: `dense` for 1,000 steps gains 30 ms from oneDNN on the AVX2 host measured.
pub fn choose(
    table: &Table,
    run: Run<'_>,
    isa: &[String],
    tensorflow_default: bool,
    user: Option<bool>,
) -> Setting {
    let models = run.models;
    if let Some(enabled) = user {
        return Setting {
            enabled,
            chosen_by: ChosenBy::User,
        };
    }
    let keep = Setting {
        enabled: tensorflow_default,
        chosen_by: ChosenBy::Tensorflow,
    };
    if tensorflow_default {
        return keep;
    }
    let Some(measured) = table.for_cpu(isa) else {
        return keep;
    };
    let times: Vec<&StepTimes> = models
        .iter()
        .filter_map(|m| measured.ms_per_step.get(m))
        .collect();
    if times.is_empty() {
        return keep;
    }
    let off: f64 = times.iter().map(|t| t.off).sum();
    let on: f64 = times.iter().map(|t| t.on).sum();
    let saved_ms = run
        .steps
        .map_or(f64::INFINITY, |steps| steps as f64 * (off - on));
    Setting {
        enabled: on < CLEAR_GAIN * off && saved_ms > RESTART_MS,
        chosen_by: ChosenBy::Tflayers,
    }
}

/// `TF_ENABLE_ONEDNN_OPTS` as TensorFlow parses it (`1`/`true` and `0`/`false`, any case);
/// `None` for anything else, which TensorFlow ignores.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let times = |off, on| StepTimes { off, on };
        Table {
            measured: vec![Measured {
                cpu: "test CPU".into(),
                needs: vec!["AVX2".into(), "FMA".into()],
                tensorflow_version: "2.21.0".into(),
                ms_per_step: BTreeMap::from([
                    ("hidden".to_string(), times(7.8, 9.1)),
                    ("conv2".to_string(), times(178.8, 91.1)),
                ]),
            }],
        }
    }

    fn isa(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn models(names: &[&str]) -> Vec<String> {
        isa(names)
    }

    #[test]
    fn the_measurements_decide_per_run_on_the_cpu_they_were_made_on() {
        let avx2 = isa(&["AVX", "AVX2", "FMA"]);
        let chosen = |m: &[&str]| {
            let models = models(m);
            let run = Run {
                models: &models,
                steps: Some(1000),
            };
            choose(&table(), run, &avx2, false, None)
        };
        assert_eq!(
            chosen(&["conv2"]),
            Setting {
                enabled: true,
                chosen_by: ChosenBy::Tflayers
            }
        );
        assert_eq!(
            chosen(&["hidden"]),
            Setting {
                enabled: false,
                chosen_by: ChosenBy::Tflayers
            }
        );
        // A whole run: the summed time decides.
        assert!(chosen(&["hidden", "conv2"]).enabled);
        // A gain within the measurements' spread does not count.
        let mut close = table();
        close.measured[0]
            .ms_per_step
            .insert("hidden".into(), StepTimes { off: 4.0, on: 3.9 });
        let hidden = models(&["hidden"]);
        let run = |steps| Run {
            models: &hidden,
            steps,
        };
        assert!(!choose(&close, run(Some(100_000)), &avx2, false, None).enabled);
        // A gain that does not pay for the restart neither: 7.8 ms - 4.0 ms a step.
        let mut fast = table();
        fast.measured[0]
            .ms_per_step
            .insert("hidden".into(), StepTimes { off: 7.8, on: 4.0 });
        assert!(!choose(&fast, run(Some(50)), &avx2, false, None).enabled);
        assert!(choose(&fast, run(Some(100)), &avx2, false, None).enabled);
        // Evaluating only: the ratio decides.
        assert!(choose(&fast, run(None), &avx2, false, None).enabled);
        // Nothing measured for the run's models: TensorFlow's default stays.
        assert_eq!(chosen(&["mine"]).chosen_by, ChosenBy::Tensorflow);
        assert!(!chosen(&["mine"]).enabled);
    }

    #[test]
    fn other_cpus_keep_tensorflows_default_and_the_user_wins() {
        let t = table();
        let conv2 = models(&["conv2"]);
        let hidden = models(&["hidden"]);
        let run = |models| Run {
            models,
            steps: Some(1000),
        };
        // Without the features the table was measured on.
        let old = choose(&t, run(&conv2), &isa(&["AVX"]), false, None);
        assert_eq!((old.enabled, old.chosen_by), (false, ChosenBy::Tensorflow));
        // Where TensorFlow turns it on (AVX-512-VNNI, AMX), even for a model it slows here.
        let vnni = isa(&["AVX2", "FMA", "AVX-512F", "AVX-512-VNNI"]);
        let on = choose(&t, run(&hidden), &vnni, true, None);
        assert_eq!((on.enabled, on.chosen_by), (true, ChosenBy::Tensorflow));
        // The user's value, either way.
        let user = choose(&t, run(&conv2), &isa(&["AVX2", "FMA"]), false, Some(false));
        assert_eq!((user.enabled, user.chosen_by), (false, ChosenBy::User));
    }

    #[test]
    fn the_variable_is_parsed_as_tensorflow_parses_it() {
        assert_eq!(parse_flag("1"), Some(true));
        assert_eq!(parse_flag("TRUE"), Some(true));
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag(" false "), Some(false));
        assert_eq!(parse_flag("yes"), None);
        assert_eq!(parse_flag(""), None);
    }

    #[test]
    fn settings_print_what_and_why() {
        let s = Setting {
            enabled: true,
            chosen_by: ChosenBy::Tflayers,
        };
        assert_eq!(
            s.to_string(),
            "oneDNN on (chosen by tflayers from the manifest's measurements)"
        );
        let user = Setting {
            enabled: false,
            chosen_by: ChosenBy::User,
        };
        assert_eq!(
            user.to_string(),
            "oneDNN off (TF_ENABLE_ONEDNN_OPTS set by the user)"
        );
    }
}
