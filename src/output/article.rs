//! The article's own output lines, formatted with C's `%g` exactly as Python prints them.
//!
//! Nothing else is written to stdout during training, so a piped run holds only these lines.

use std::io::Write;

use anyhow::{Context, Result};

use crate::output::format::format_g;
use crate::train::{Observer, RunResult, StepLog};

/// `Step %d, training batch accuracy %g`
pub fn step_line(log: &StepLog) -> String {
    format!(
        "Step {}, training batch accuracy {}",
        log.step,
        format_g(f64::from(log.batch_accuracy))
    )
}

/// `Test accuracy: %g`
pub fn test_line(accuracy: f32) -> String {
    format!("Test accuracy: {}", format_g(f64::from(accuracy)))
}

/// Prints the article's lines to a writer (stdout in the binary).
pub struct ArticlePrinter<W: Write> {
    out: W,
}

impl<W: Write> ArticlePrinter<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Observer for ArticlePrinter<W> {
    fn on_log(&mut self, log: &StepLog) -> Result<()> {
        writeln!(self.out, "{}", step_line(log)).context("cannot write to stdout")?;
        self.out.flush().context("cannot write to stdout")
    }

    fn on_finish(&mut self, result: &RunResult) -> Result<()> {
        writeln!(self.out, "{}", test_line(result.test.accuracy))
            .context("cannot write to stdout")?;
        self.out.flush().context("cannot write to stdout")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_the_articles_python_format() {
        let log = StepLog {
            step: 100,
            batch_accuracy: 0.8,
            loss: 0.5,
            elapsed_secs: 1.0,
        };
        // Python: "Step %d, training batch accuracy %g" % (100, numpy.float32(0.8))
        assert_eq!(step_line(&log), "Step 100, training batch accuracy 0.8");
        // Python: "Test accuracy: %g" % numpy.float32(0.9787)
        assert_eq!(test_line(0.9787), "Test accuracy: 0.9787");
        assert_eq!(test_line(1.0), "Test accuracy: 1");
    }
}
