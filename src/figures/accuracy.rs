//! The five test accuracies beside the article's, as a bar chart (the report folder's
//! `accuracy.png`).

use std::path::Path;

use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::canvas::{self, drawn, Figure, FONT, LIGHT, PALETTE};
use crate::output::format::format_g;

/// An accuracy in thousandths, the bar chart's vertical unit.
fn thousandths(value: f64) -> i32 {
    (value * 1000.0).round() as i32
}

/// One model's test accuracy beside the article's.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub model: String,
    pub measured: f64,
    /// The article's figure, where it states one (no bar otherwise).
    pub article: Option<f64>,
}

/// The test accuracies of the models beside the article's, as a bar chart.
struct AccuracyBars<'a> {
    rows: &'a [Comparison],
    title: String,
    measured_label: String,
}

/// Writes a bar chart of each model's test accuracy beside the article's figure.
pub fn plot_accuracy_comparison(
    rows: &[Comparison],
    measured_label: &str,
    out: &Path,
    size: (u32, u32),
    title: Option<&str>,
) -> Result<()> {
    if rows.is_empty() {
        bail!("no models to compare");
    }
    let figure = AccuracyBars {
        rows,
        title: title
            .unwrap_or("MNIST test accuracy: this reproduction and the article")
            .to_string(),
        measured_label: measured_label.to_string(),
    };
    canvas::write_by_extension(&figure, out, size)
}

impl Figure for AccuracyBars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        drawn(root.fill(&WHITE))?;
        let (_, height) = root.dim_in_pixel();
        let big = (height as f64 / 26.0).clamp(14.0, 30.0);
        let small = big * 0.6;
        let area = drawn(root.titled(&self.title, (FONT, big)))?;
        let n = self.rows.len();
        let mut chart = drawn(
            ChartBuilder::on(&area)
                .margin(14)
                .x_label_area_size(big * 2.2)
                .y_label_area_size(big * 2.8)
                // In thousandths (integers take fixed ticks), with headroom above 1.0 where the
                // legend sits clear of the bars and their labels.
                .build_cartesian_2d(
                    -0.5..n as f64 - 0.5,
                    (0..1250).with_key_points((0..=10).map(|i| i * 100).collect()),
                ),
        )?;
        let names: Vec<String> = self.rows.iter().map(|r| r.model.clone()).collect();
        let name_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        drawn(
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&name_of)
                .y_label_formatter(&|v| format!("{:.1}", f64::from(*v) / 1000.0))
                .y_desc("test accuracy")
                .x_desc("model (the article's order)")
                .label_style((FONT, small * 1.1))
                .axis_desc_style((FONT, small * 1.1))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(LIGHT.mix(0.4))
                .draw(),
        )?;
        // Ours left of each model's tick, the article's right of it.
        let sides = [
            (-0.36, self.measured_label.as_str(), PALETTE[0]),
            (0.02, "the article (Fusinska, 2017)", LIGHT),
        ];
        for (side, (offset, label, colour)) in sides.into_iter().enumerate() {
            let bars = self.rows.iter().enumerate().filter_map(|(i, r)| {
                let value = if side == 0 {
                    Some(r.measured)
                } else {
                    r.article
                }?;
                let x0 = i as f64 + offset;
                Some(Rectangle::new(
                    [(x0, 0), (x0 + 0.34, thousandths(value))],
                    colour.filled(),
                ))
            });
            drawn(chart.draw_series(bars))?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 16, y + 6)], colour.filled())
                });
        }
        let value_style =
            TextStyle::from((FONT, small).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
        for (i, r) in self.rows.iter().enumerate() {
            let bars = [
                (i as f64 - 0.19, Some(r.measured)),
                (i as f64 + 0.19, r.article),
            ];
            for (x, value) in bars.into_iter().filter_map(|(x, v)| Some((x, v?))) {
                drawn(chart.draw_series([Text::new(
                    format_g(value),
                    (x, thousandths(value) + 5),
                    value_style.clone(),
                )]))?;
            }
        }
        drawn(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font((FONT, small * 1.1))
                .background_style(WHITE.mix(0.9))
                .border_style(LIGHT)
                .draw(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_in_both_colours() {
        let rows = [
            Comparison {
                model: "dense".into(),
                measured: 0.9,
                article: Some(0.91),
            },
            Comparison {
                model: "conv2".into(),
                measured: 0.99,
                article: Some(0.98),
            },
        ];
        let figure = AccuracyBars {
            rows: &rows,
            title: "T".into(),
            measured_label: "this run".into(),
        };
        let image = canvas::render_rgb(&figure, (640, 360)).unwrap();
        let count = |c: RGBColor| image.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
        assert!(count(PALETTE[0]) > 2000, "{}", count(PALETTE[0]));
        assert!(count(LIGHT) > 2000, "{}", count(LIGHT));
        assert!(matches!(
            plot_accuracy_comparison(&[], "x", Path::new("a.png"), (10, 10), None),
            Err(e) if e.to_string().contains("no models")
        ));
    }
}
