//! Rust against Python for one model: the two sides' values ([`Side`]), the settings they ran
//! with, and the verdict on them ([`Comparison`]).
//!
//! Both sides hand over what they measured as float32 values, exactly as TensorFlow returned
//! them, so the check is on the numbers themselves: with tolerance 0, "identical" means equal
//! float32 values at every logged step (batch accuracy and loss), for the test accuracy and
//! loss and the validation accuracy, and the same printed lines. A tolerance `t > 0` accepts
//! `|rust - python| <= t` for every value; the printed lines are then not required to match.
//! NaN on both sides counts as equal (the same result), NaN on one side as a divergence.

use anyhow::{ensure, Result};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::onednn::Setting;
use crate::output::format::format_g;
use crate::output::words::count;

/// One logged step of one side (read from `[step, accuracy, loss]` too, as serde reads a
/// struct from a sequence: the bench's Python worker answers so).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoggedStep {
    pub step: u64,
    /// Accuracy of the batch about to be trained, dropout off.
    pub accuracy: f32,
    /// Loss of that batch, dropout off.
    pub loss: f32,
}

/// What one side (the Rust program or `python/train.py`) measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub steps: Vec<LoggedStep>,
    pub test_accuracy: f32,
    pub test_loss: f32,
    pub validation_accuracy: Option<f32>,
    /// The article's lines the side printed, in order.
    pub lines: Vec<String>,
    /// Wall time of the training loop.
    pub train_secs: f64,
    pub ms_per_step: f64,
    /// Wall time of the whole side: reading the data, loading the model, training, evaluating
    /// (for Python, the whole process including TensorFlow's import).
    pub wall_secs: f64,
}

/// The settings both sides ran with: the run (its `seed` orders the Rust side's batches),
/// flattened into the record, and what only a comparison has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    #[serde(flatten)]
    pub run: RunConfig,
    /// Seed of the Python side's batch order (equal to `seed` unless deliberately changed).
    pub python_seed: u32,
    pub tolerance: f64,
    /// TensorFlow's oneDNN setting, the same on both sides (the Python child inherits it).
    pub onednn: Setting,
}

/// Which value differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    BatchAccuracy,
    Loss,
    TestAccuracy,
    TestLoss,
    ValidationAccuracy,
}

impl Quantity {
    pub fn label(self) -> &'static str {
        match self {
            Quantity::BatchAccuracy => "batch accuracy",
            Quantity::Loss => "loss",
            Quantity::TestAccuracy => "test accuracy",
            Quantity::TestLoss => "test loss",
            Quantity::ValidationAccuracy => "validation accuracy",
        }
    }
}

/// One value that is not identical on the two sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The logged step, or `None` for the final evaluations.
    pub step: Option<u64>,
    pub quantity: Quantity,
    pub rust: f32,
    pub python: f32,
    /// `rust - python` in f64 (NaN when exactly one side is NaN).
    pub difference: f64,
}

impl Difference {
    /// `at step 100: loss rust 2.04, python 2.05, difference -0.01`
    pub fn describe(&self) -> String {
        let place = match self.step {
            Some(step) => format!("at step {step}"),
            None => "at the final evaluation".to_string(),
        };
        format!(
            "{place}: {} rust {}, python {}, difference {}",
            self.quantity.label(),
            self.rust,
            self.python,
            format_diff(self.difference)
        )
    }
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every value equal and every printed line the same.
    Identical,
    /// Some values differ, all by at most the tolerance.
    WithinTolerance { largest: Difference },
    /// A value differs by more than the tolerance; the first one in run order.
    Diverged { first: Difference },
    /// Every value equal, but a printed line differs (a formatting fault on one side).
    LinesDiffer {
        line: usize,
        rust: Option<String>,
        python: Option<String>,
    },
}

/// One model, both sides, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub settings: Settings,
    pub verdict: Verdict,
    pub passed: bool,
    pub rust: Side,
    pub python: Side,
}

/// Whether two float32 results differ by more than `tolerance`.
fn beyond(rust: f32, python: f32, tolerance: f64) -> bool {
    if rust.is_nan() || python.is_nan() {
        return !(rust.is_nan() && python.is_nan());
    }
    // inf - inf is NaN, which is not > tolerance: equal infinities are equal.
    (f64::from(rust) - f64::from(python)).abs() > tolerance
}

/// Equal float32 values (NaN equals NaN: both sides diverged the same way).
pub(crate) fn equal(rust: f32, python: f32) -> bool {
    rust == python || (rust.is_nan() && python.is_nan())
}

impl Comparison {
    /// Compares the two sides. Fails when they did not log the same steps, which means they
    /// were not run with the same settings.
    pub fn new(settings: Settings, rust: Side, python: Side) -> Result<Self> {
        let rust_steps: Vec<u64> = rust.steps.iter().map(|s| s.step).collect();
        let python_steps: Vec<u64> = python.steps.iter().map(|s| s.step).collect();
        ensure!(
            rust_steps == python_steps,
            "{}: the two sides logged different steps (rust {:?}, python {:?}); they were not \
             run with the same --steps and --log-every",
            settings.run.model,
            rust_steps,
            python_steps
        );
        let mut values = Vec::new();
        for (r, p) in rust.steps.iter().zip(&python.steps) {
            values.push((
                Some(r.step),
                Quantity::BatchAccuracy,
                r.accuracy,
                p.accuracy,
            ));
            values.push((Some(r.step), Quantity::Loss, r.loss, p.loss));
        }
        values.push((
            None,
            Quantity::TestAccuracy,
            rust.test_accuracy,
            python.test_accuracy,
        ));
        values.push((None, Quantity::TestLoss, rust.test_loss, python.test_loss));
        if let (Some(r), Some(p)) = (rust.validation_accuracy, python.validation_accuracy) {
            values.push((None, Quantity::ValidationAccuracy, r, p));
        }
        let differences: Vec<Difference> = values
            .into_iter()
            .filter(|&(_, _, r, p)| !equal(r, p))
            .map(|(step, quantity, r, p)| Difference {
                step,
                quantity,
                rust: r,
                python: p,
                difference: f64::from(r) - f64::from(p),
            })
            .collect();
        let tolerance = settings.tolerance;
        let verdict = if let Some(first) = differences
            .iter()
            .find(|d| beyond(d.rust, d.python, tolerance))
        {
            Verdict::Diverged {
                first: first.clone(),
            }
        } else if let Some(largest) = differences
            .iter()
            .max_by(|a, b| a.difference.abs().total_cmp(&b.difference.abs()))
        {
            Verdict::WithinTolerance {
                largest: largest.clone(),
            }
        } else {
            match first_line_difference(&rust.lines, &python.lines) {
                Some(line) => Verdict::LinesDiffer {
                    line: line + 1,
                    rust: rust.lines.get(line).cloned(),
                    python: python.lines.get(line).cloned(),
                },
                None => Verdict::Identical,
            }
        };
        let passed = matches!(
            verdict,
            Verdict::Identical | Verdict::WithinTolerance { .. }
        );
        Ok(Self {
            settings,
            verdict,
            passed,
            rust,
            python,
        })
    }

    /// One line: `identical (...)`, `within tolerance ...` or `diverged at step ...`.
    pub fn verdict_line(&self) -> String {
        match &self.verdict {
            Verdict::Identical => format!(
                "identical: {} (accuracy and loss), the test accuracy and loss{} and {} \
                 equal",
                count(self.rust.steps.len(), "logged step"),
                if self.rust.validation_accuracy.is_some() {
                    ", the validation accuracy"
                } else {
                    ""
                },
                match self.rust.lines.len() {
                    1 => "1 printed line is".to_string(),
                    n => format!("{n} printed lines are"),
                }
            ),
            Verdict::WithinTolerance { largest } => format!(
                "within tolerance {}: the largest difference is {}",
                format_g(self.settings.tolerance),
                largest.describe()
            ),
            Verdict::Diverged { first } => format!(
                "diverged {} (tolerance {})",
                first.describe(),
                format_g(self.settings.tolerance)
            ),
            Verdict::LinesDiffer { line, rust, python } => format!(
                "diverged in printed line {line}: rust {:?}, python {:?}",
                rust.as_deref().unwrap_or("<none>"),
                python.as_deref().unwrap_or("<none>")
            ),
        }
    }

    /// The short form used in error messages and the `--all` summary.
    pub fn verdict_word(&self) -> &'static str {
        match self.verdict {
            Verdict::Identical => "identical",
            Verdict::WithinTolerance { .. } => "within tolerance",
            Verdict::Diverged { .. } | Verdict::LinesDiffer { .. } => "DIVERGED",
        }
    }
}

/// The index of the first line that differs, if any (a missing line differs).
pub(crate) fn first_line_difference<T: PartialEq>(rust: &[T], python: &[T]) -> Option<usize> {
    (0..rust.len().max(python.len())).find(|&i| rust.get(i) != python.get(i))
}

/// `0` for equal values, else `%g` of the difference.
pub(crate) fn format_diff(difference: f64) -> String {
    if difference == 0.0 {
        "0".to_string()
    } else {
        format_g(difference)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn settings(tolerance: f64) -> Settings {
        Settings {
            run: RunConfig {
                model: "dense".into(),
                steps: 3,
                batch_size: 10,
                log_every: 1,
                ..RunConfig::default()
            },
            python_seed: 0,
            tolerance,
            onednn: Setting {
                enabled: false,
                chosen_by: crate::onednn::ChosenBy::Tflayers,
            },
        }
    }

    pub(crate) fn side(values: &[(f32, f32)], test: f32) -> Side {
        let steps: Vec<LoggedStep> = values
            .iter()
            .enumerate()
            .map(|(i, &(accuracy, loss))| LoggedStep {
                step: i as u64,
                accuracy,
                loss,
            })
            .collect();
        let mut lines: Vec<String> = steps
            .iter()
            .map(|s| {
                format!(
                    "Step {}, training batch accuracy {}",
                    s.step,
                    format_g(f64::from(s.accuracy))
                )
            })
            .collect();
        lines.push(format!("Test accuracy: {}", format_g(f64::from(test))));
        Side {
            steps,
            test_accuracy: test,
            test_loss: 0.5,
            validation_accuracy: Some(0.75),
            lines,
            train_secs: 1.0,
            ms_per_step: 2.0,
            wall_secs: 3.0,
        }
    }

    pub(crate) const RUN: [(f32, f32); 3] = [(0.1, 2.3), (0.4, 1.9), (0.7, 1.2)];

    #[test]
    fn equal_runs_are_identical() {
        let c = Comparison::new(settings(0.0), side(&RUN, 0.8), side(&RUN, 0.8)).unwrap();
        assert_eq!(c.verdict, Verdict::Identical);
        assert!(c.passed);
        assert!(c.verdict_line().starts_with("identical: 3 logged steps"));
        let mut one = c.clone();
        one.rust.steps.truncate(1);
        one.rust.lines.truncate(1);
        let line = one.verdict_line();
        assert!(line.starts_with("identical: 1 logged step ("), "{line}");
        assert!(line.ends_with("1 printed line is equal"), "{line}");
    }

    #[test]
    fn the_first_diverging_step_is_reported() {
        let mut other = RUN;
        other[1].1 = 1.9000001; // the loss at step 1, one float32 ulp away
        other[2].0 = 0.6;
        let c = Comparison::new(settings(0.0), side(&RUN, 0.8), side(&other, 0.8)).unwrap();
        assert!(!c.passed);
        let Verdict::Diverged { first } = &c.verdict else {
            panic!("{:?}", c.verdict)
        };
        assert_eq!(first.step, Some(1));
        assert_eq!(first.quantity, Quantity::Loss);
        let line = c.verdict_line();
        assert!(
            line.starts_with("diverged at step 1: loss rust 1.9, python 1.9000001"),
            "{line}"
        );
        assert!(line.contains("tolerance 0"), "{line}");
    }

    #[test]
    fn a_tolerance_accepts_small_differences_and_names_the_largest() {
        let mut other = RUN;
        other[1].1 = 1.9000001;
        let c = Comparison::new(settings(1e-6), side(&RUN, 0.8), side(&other, 0.8)).unwrap();
        assert!(c.passed);
        assert!(matches!(c.verdict, Verdict::WithinTolerance { .. }));
        assert!(
            c.verdict_line().contains("at step 1: loss"),
            "{}",
            c.verdict_line()
        );
        // ... but not a large one.
        let c = Comparison::new(settings(1e-6), side(&RUN, 0.8), side(&RUN, 0.81)).unwrap();
        assert!(!c.passed);
        assert!(c
            .verdict_line()
            .contains("at the final evaluation: test accuracy"));
    }

    #[test]
    fn nan_on_both_sides_is_the_same_result_on_one_side_a_divergence() {
        let nan = [(0.1, f32::NAN), (0.4, 1.9), (0.7, 1.2)];
        let c = Comparison::new(settings(0.0), side(&nan, 0.8), side(&nan, 0.8)).unwrap();
        assert_eq!(c.verdict, Verdict::Identical);
        let c = Comparison::new(settings(1.0), side(&nan, 0.8), side(&RUN, 0.8)).unwrap();
        assert!(!c.passed);
    }

    #[test]
    fn a_differing_printed_line_is_a_divergence() {
        let mut python = side(&RUN, 0.8);
        python.lines[3] = "Test accuracy: 0.80".into();
        let c = Comparison::new(settings(0.0), side(&RUN, 0.8), python).unwrap();
        assert!(!c.passed);
        assert!(matches!(c.verdict, Verdict::LinesDiffer { line: 4, .. }));
    }

    #[test]
    fn different_logged_steps_are_an_error() {
        let mut python = side(&RUN, 0.8);
        python.steps.pop();
        let err = Comparison::new(settings(0.0), side(&RUN, 0.8), python).unwrap_err();
        assert!(err.to_string().contains("different steps"), "{err}");
    }
}
