//! A legend in a strip of its own above a figure's charts, so that it never covers a line or
//! a marker: one entry per series (a sample of its line and marker, then its label), centred,
//! in as many rows as the width needs.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::canvas::{drawn, text_at, text_width};

/// How a series' line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Solid,
    Dashed,
    /// Markers only.
    None,
}

/// The marker at the end of an entry's line sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A filled dot (the training curves' test value).
    Dot,
    /// A cross (compare's Python values).
    Cross,
    None,
}

/// One series as the legend shows it.
pub struct Entry {
    pub label: String,
    pub color: RGBColor,
    pub line: Line,
    pub marker: Marker,
}

/// The length of an entry's line sample, the space before its label, between entries.
const SWATCH: i32 = 30;
const BEFORE_LABEL: i32 = 8;
const BETWEEN: i32 = 28;
const INK: RGBColor = RGBColor(30, 30, 30);

/// Entries (by index) in rows that fit `width` pixels, with each row's width.
fn rows(entries: &[Entry], size: f64, width: i32) -> Result<Vec<(Vec<usize>, i32)>> {
    let mut rows: Vec<(Vec<usize>, i32)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let wide = SWATCH + BEFORE_LABEL + text_width(&entry.label, size)? as i32;
        match rows.last_mut() {
            Some((row, used)) if *used + BETWEEN + wide <= width => {
                row.push(i);
                *used += BETWEEN + wide;
            }
            _ => rows.push((vec![i], wide)),
        }
    }
    Ok(rows)
}

/// Draws the legend of `entries` at text size `size` across the top of `area` and returns
/// the area below it.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    size: f64,
) -> Result<DrawingArea<DB, Shift>> {
    let (width, _) = area.dim_in_pixel();
    let rows = rows(entries, size, width as i32 - 2 * BETWEEN)?;
    let row_height = (size * 1.7).round() as i32;
    let height = row_height * rows.len() as i32 + (size * 0.5).round() as i32;
    let (strip, rest) = area.split_vertically(height.max(0) as u32);
    for (r, (row, used)) in rows.iter().enumerate() {
        let y = row_height * r as i32 + row_height / 2;
        let mut x = (width as i32 - used) / 2;
        for &i in row {
            let entry = &entries[i];
            let style = entry.color.stroke_width(2);
            match entry.line {
                Line::Dashed => {
                    for start in (0..SWATCH - 6).step_by(13) {
                        let end = (start + 8).min(SWATCH - 6);
                        let dash = PathElement::new([(x + start, y), (x + end, y)], style);
                        drawn(strip.draw(&dash))?;
                    }
                }
                Line::Solid => {
                    drawn(strip.draw(&PathElement::new([(x, y), (x + SWATCH - 6, y)], style)))?;
                }
                Line::None => {}
            }
            let end = (x + SWATCH - 5, y);
            match entry.marker {
                Marker::Dot => drawn(strip.draw(&Circle::new(end, 4, entry.color.filled())))?,
                Marker::Cross => drawn(strip.draw(&Cross::new(end, 6, style)))?,
                Marker::None => {}
            }
            text_at(
                &strip,
                &entry.label,
                (x + SWATCH + BEFORE_LABEL, y),
                HPos::Left,
                (size, INK),
            )?;
            x += SWATCH + BEFORE_LABEL + text_width(&entry.label, size)? as i32 + BETWEEN;
        }
    }
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(label: &str) -> Entry {
        Entry {
            label: label.to_string(),
            color: RGBColor(0, 0, 0),
            line: Line::Solid,
            marker: Marker::Dot,
        }
    }

    #[test]
    fn entries_wrap_into_rows_that_fit() {
        let entries: Vec<Entry> = (0..5)
            .map(|i| entry(&format!("model {i}: test 0.9")))
            .collect();
        let one = rows(&entries, 12.0, 5000).unwrap();
        assert_eq!(one.len(), 1);
        let narrow = rows(&entries, 12.0, 300).unwrap();
        assert!(narrow.len() >= 2, "{}", narrow.len());
        for (row, used) in &narrow {
            assert!(!row.is_empty());
            assert!(*used <= 300 || row.len() == 1, "{used}");
        }
        let order: Vec<usize> = narrow.iter().flat_map(|(row, _)| row.clone()).collect();
        assert_eq!(order, [0, 1, 2, 3, 4]);
    }
}
