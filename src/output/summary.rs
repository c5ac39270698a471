//! The table `reproduce` ends with: one row per model, beside the article's figure.

use crate::manifest::ModelEntry;
use crate::output::format::format_g;
use crate::train::RunResult;

/// One finished model run, as the summary shows it.
pub struct SummaryRow<'a> {
    pub model: &'a ModelEntry,
    pub result: &'a RunResult,
}

/// A fixed-width text table.
pub fn summary_table(rows: &[SummaryRow<'_>]) -> String {
    let mut out = format!(
        "{:<8} {:>6} {:>14} {:>8} {:>8} {:>9}\n",
        "model", "steps", "test accuracy", "article", "train s", "ms/step"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<8} {:>6} {:>14} {:>8} {:>8.1} {:>9.2}\n",
            row.model.name,
            row.result.steps,
            format_g(f64::from(row.result.test.accuracy)),
            format_g(row.model.article_accuracy),
            row.result.train_secs,
            row.result.ms_per_step(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Evaluation;

    #[test]
    fn table_has_a_header_and_one_aligned_row_per_model() {
        let model = ModelEntry {
            name: "dense".into(),
            section: "s".into(),
            description: "d".into(),
            parameters: 7850,
            article_accuracy: 0.84,
            expected_accuracy: 0.84,
        };
        let result = RunResult {
            steps: 1000,
            logs: vec![],
            test: Evaluation {
                accuracy: 0.8512,
                loss: 0.6,
                correct: 8512,
                total: 10000,
            },
            train_secs: 1.25,
            eval_secs: 0.1,
        };
        let table = summary_table(&[SummaryRow {
            model: &model,
            result: &result,
        }]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "model     steps  test accuracy  article  train s   ms/step"
        );
        assert_eq!(
            lines[1],
            "dense      1000         0.8512     0.84      1.2      1.25"
        );
    }
}
