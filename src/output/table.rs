//! The one renderer of the text tables the program prints (`bench`, `reproduce`'s summary,
//! `data info` and `data bench`, `evaluate`'s confusion table), drawn by `comfy-table`.
//!
//! The tables are plain text for a terminal or a log: no borders and no rule under the header,
//! columns separated by a fixed number of spaces, each column left- or right-aligned and as
//! wide as its widest cell (or a minimum width), and no trailing spaces on any line.

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, ColumnConstraint, Table, Width};

/// One column: its header, alignment and the least width of its cells, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'a> {
    pub header: &'a str,
    pub align: CellAlignment,
    pub min_width: u16,
}

impl<'a> Column<'a> {
    /// A left-aligned column as wide as its widest cell.
    pub fn left(header: &'a str) -> Self {
        Self {
            header,
            align: CellAlignment::Left,
            min_width: 0,
        }
    }

    /// A right-aligned column as wide as its widest cell.
    pub fn right(header: &'a str) -> Self {
        Self {
            header,
            align: CellAlignment::Right,
            min_width: 0,
        }
    }

    /// The same column, at least `width` characters wide.
    pub fn min_width(self, width: u16) -> Self {
        Self {
            min_width: width,
            ..self
        }
    }
}

/// A table with `columns`, each separated from the one before it by `gap` spaces, holding
/// `rows` (one cell per column), drawn: the header and the rows, each line ending in a newline.
pub fn render<S: Into<String>>(
    columns: &[Column<'_>],
    gap: u16,
    rows: impl IntoIterator<Item = impl IntoIterator<Item = S>>,
) -> String {
    let mut table = Table::new();
    table
        .load_style(NOTHING)
        .set_header(columns.iter().map(|c| c.header).collect::<Vec<_>>());
    for row in rows {
        table.add_row(row.into_iter().map(Into::into).collect::<Vec<String>>());
    }
    for (i, (column, spec)) in table.column_iter_mut().zip(columns).enumerate() {
        let padding = (if i == 0 { 0 } else { gap }, 0);
        column.set_padding(padding);
        column.set_cell_alignment(spec.align);
        if spec.min_width > 0 {
            // comfy-table's widths include the padding.
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                spec.min_width + padding.0,
            )));
        }
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
}

/// Columns under `header`, right-aligned, but the first left-aligned when `labels_first`.
pub fn columns<'a>(header: &[&'a str], labels_first: bool) -> Vec<Column<'a>> {
    let column = |(i, h): (usize, &&'a str)| match i {
        0 if labels_first => Column::left(h),
        _ => Column::right(h),
    };
    header.iter().enumerate().map(column).collect()
}

/// A Markdown table of `rows` under `columns` (their alignment; cells unpadded).
pub fn markdown<S: AsRef<str>>(
    columns: &[Column<'_>],
    rows: impl IntoIterator<Item = impl IntoIterator<Item = S>>,
) -> String {
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = line(columns.iter().map(|c| c.header.to_string()).collect());
    out.push('|');
    for column in columns {
        out.push_str(match column.align {
            CellAlignment::Right => "---:|",
            _ => "---|",
        });
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(
            row.into_iter().map(|c| c.as_ref().to_string()).collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_with_a_fixed_gap_and_no_trailing_spaces() {
        let text = render(
            &[
                Column::left("name"),
                Column::right("n"),
                Column::left("note"),
            ],
            2,
            [["a", "1", "x"], ["longer", "100", ""]],
        );
        assert_eq!(text, "name      n  note\na         1  x\nlonger  100\n");
    }

    #[test]
    fn a_minimum_width_pads_narrow_columns_only() {
        let text = render(
            &[
                Column::right("").min_width(5),
                Column::right("k").min_width(4),
                Column::right("wide").min_width(2),
            ],
            1,
            [["3", "12", "123456"]],
        );
        assert_eq!(text, "         k   wide\n    3   12 123456\n");
    }
}
