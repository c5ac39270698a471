//! The table `reproduce` ends with: one row per model, beside the article's figure where the
//! article states one (a dash where it does not: see [`article_cell`]).

use crate::manifest::ModelEntry;
use crate::output::format::format_g;
use crate::output::table::{self, Column};
use crate::train::RunResult;

/// One finished model run, as the summary shows it.
pub struct SummaryRow<'a> {
    pub model: &'a ModelEntry,
    pub result: &'a RunResult,
}

/// The "article" cell of `model`: the accuracy the article states, or a dash where it gives
/// none (it describes `dense` as "not impressive" and `conv2` and `dropout` as "better", words
/// that the reports quote beside the table rather than in a column of numbers).
pub fn article_cell(model: &ModelEntry) -> String {
    model
        .article_accuracy
        .map_or_else(|| "-".to_string(), format_g)
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
                article_cell(row.model),
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
    fn table_has_a_header_and_one_aligned_row_per_model_with_the_article_figure_or_a_dash() {
        let model = ModelEntry {
            name: "dense".into(),
            section: "s".into(),
            description: "d".into(),
            parameters: 7850,
            article_accuracy: None,
            article_words: Some("not impressive".into()),
            expected_accuracy: Some(0.85),
            source: None,
        };
        let hidden = ModelEntry {
            name: "hidden".into(),
            article_accuracy: Some(0.94),
            article_words: None,
            ..model.clone()
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
        let table = summary_table(&[
            SummaryRow {
                model: &model,
                result: &result,
            },
            SummaryRow {
                model: &hidden,
                result: &result,
            },
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "model     steps  test accuracy  article  train s   ms/step"
        );
        assert_eq!(
            lines[1],
            "dense      1000         0.8512        -      1.2      1.25"
        );
        assert_eq!(
            lines[2],
            "hidden     1000         0.8512     0.94      1.2      1.25"
        );
    }
}
