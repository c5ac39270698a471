//! The live progress bar on stderr while a model trains (`indicatif`).
//!
//! Shown only when stderr is a terminal and `--quiet` is not given; it never writes to stdout.
//! It shows step/total, elapsed time, ETA, images per second and the last logged batch
//! accuracy, then "evaluating" during the test evaluation, and is cleared when the run ends so
//! the terminal keeps only the article's lines. `NO_COLOR` (set and not empty) turns its
//! colours off. The article's lines, when stdout is the same terminal, are printed through
//! [`Suspended`], which lifts the bar while a line is written so the two never mix.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::output::format::format_g;
use crate::train::{Observer, RunResult, StepLog};

/// The bar's layout (fits 80 columns); `{images}` is filled in by this module.
const TEMPLATE: &str =
    "{prefix:.bold} [{bar:20.cyan/blue}] {pos}/{len} {elapsed_precise} (ETA {eta}) {images} {msg}";
/// The same without colour or bold, for `NO_COLOR`.
const PLAIN_TEMPLATE: &str =
    "{prefix} [{bar:20}] {pos}/{len} {elapsed_precise} (ETA {eta}) {images} {msg}";

/// Whether a bar is drawn: stderr is a terminal and the user did not ask for quiet.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// Whether `NO_COLOR` asks for no colour (<https://no-color.org>: set and not empty).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The bar's template, with or without colour.
pub fn template(color: bool) -> &'static str {
    if color {
        TEMPLATE
    } else {
        PLAIN_TEMPLATE
    }
}

/// A progress bar for one training run.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar on stderr for `steps` steps of `batch_size` images, labelled `label` (the model).
    pub fn new(label: &str, steps: u64, batch_size: u64) -> Result<Self> {
        let style = ProgressStyle::with_template(template(!no_color()))?
            .progress_chars("=> ")
            .with_key(
                "images",
                move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let rate = state.per_sec() * batch_size as f64;
                    let _ = write!(out, "{rate:.0} img/s");
                },
            );
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_prefix(label.to_string());
        // Redraws while a slow step or the evaluation runs, so elapsed time keeps moving.
        bar.enable_steady_tick(Duration::from_millis(250));
        Ok(Self { bar })
    }

    /// Wraps `inner` (the article's printer) so that its lines lift the bar while printed.
    pub fn around<'a>(&self, inner: &'a mut dyn Observer) -> Suspended<'a> {
        Suspended {
            bar: self.bar.clone(),
            inner,
        }
    }
}

impl Observer for Progress {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        self.bar
            .set_message(format!("acc {}", format_g(f64::from(log.batch_accuracy))));
        Ok(())
    }

    fn on_step(&mut self, done: u64) {
        self.bar.set_position(done);
    }

    fn on_evaluate(&mut self, images: u64, _chunks: u64) {
        self.bar.set_message(format!("testing {images}"));
    }

    fn on_finish(&mut self, _result: &RunResult) -> Result<()> {
        self.bar.finish_and_clear();
        Ok(())
    }
}

impl Drop for Progress {
    /// A run that fails part-way does not leave a half-drawn bar behind its error message.
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

/// An observer whose output is written with the progress bar lifted (see [`Progress::around`]).
pub struct Suspended<'a> {
    bar: ProgressBar,
    inner: &'a mut dyn Observer,
}

impl Observer for Suspended<'_> {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        let inner = &mut self.inner;
        self.bar.suspend(|| inner.on_log(log))
    }

    fn on_step(&mut self, done: u64) {
        self.inner.on_step(done);
    }

    fn on_evaluate(&mut self, images: u64, chunks: u64) {
        self.inner.on_evaluate(images, chunks);
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        let inner = &mut self.inner;
        self.bar.suspend(|| inner.on_finish(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_template_has_no_colour_or_bold() {
        assert!(template(true).contains(".cyan"));
        for style in [".cyan", ".blue", ".bold"] {
            assert!(!template(false).contains(style), "{style}");
        }
        for key in ["{pos}/{len}", "{eta}", "{images}", "{msg}"] {
            assert!(template(false).contains(key) && template(true).contains(key));
        }
    }

    #[test]
    fn quiet_means_no_bar() {
        assert!(!wanted(true));
    }

    #[test]
    fn a_hidden_bar_still_passes_every_event_through() {
        struct Count(u32);
        impl Observer for Count {
            fn on_log(&mut self, _: &StepLog) -> Result<()> {
                self.0 += 1;
                Ok(())
            }
        }
        let progress = Progress {
            bar: ProgressBar::hidden(),
        };
        let mut count = Count(0);
        let mut wrapped = progress.around(&mut count);
        let log = StepLog {
            step: 0,
            batch_accuracy: 0.5,
            loss: 1.0,
            elapsed_secs: 0.0,
        };
        wrapped.on_log(&log).unwrap();
        wrapped.on_log(&log).unwrap();
        assert_eq!(count.0, 2);
    }
}
