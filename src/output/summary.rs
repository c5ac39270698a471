//! The table `reproduce` ends with: one row per model, beside the article's figure.

use crate::manifest::ModelEntry;
use crate::output::format::format_g;
use crate::output::table::{self, Column};
use crate::train::RunResult;

/// One finished model run, as the summary shows it.
pub struct SummaryRow<'a> {
    pub model: &'a ModelEntry,
    pub result: &'a RunResult,
}

/// The table: the model left-aligned, the figures right-aligned in columns of fixed least
/// widths, one space apart.
pub fn summary_table(rows: &[SummaryRow<'_>]) -> String {
    let columns = [
        Column::left("model").min_width(8),
        Column::right("steps").min_width(6),
        Column::right("test accuracy").min_width(14),
        Column::right("article").min_width(8),
        Column::right("train s").min_width(8),
        Column::right("ms/step").min_width(9),
    ];
    table::render(
        &columns,
        1,
        rows.iter().map(|row| {
            [
                row.model.name.clone(),
                row.result.steps.to_string(),
                format_g(f64::from(row.result.test.accuracy)),
                format_g(row.model.article_accuracy),
                format!("{:.1}", row.result.train_secs),
                format!("{:.2}", row.result.ms_per_step()),
            ]
        }),
    )
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
