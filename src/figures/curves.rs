//! Training curves of one or more runs (`plot`, and the report folder's curves): batch
//! accuracy and loss against the step, with the test figures as dots.
//!
//! PNG or SVG by the output's extension; drawing, font and writing are [`canvas`]'s.

use std::path::Path;

use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figures::canvas::{self, drawn, Figure, FONT, GREY, LIGHT, PALETTE};
use crate::figures::legend::{draw_legend, Entry, Line, Marker};
use crate::metrics::{FinalRecord, Run, StepRecord};
use crate::output::format::format_g;

/// The figure formats, by extension (kept under this path for the command line).
pub use crate::figures::canvas::ImageKind;
/// The radius in pixels of the last run's test dot; each earlier run's is 3 more, up to
/// [`DOT_LARGEST`].
const DOT: u32 = 5;
const DOT_LARGEST: u32 = 17;

/// How a run is shown: a legend label and a line style.
struct Series<'a> {
    run: &'a Run,
    label: String,
    color: RGBColor,
    dashed: bool,
}

/// One setting of a run, as a legend or subtitle shows it.
fn settings(run: &Run) -> [(&'static str, String); 6] {
    let h = &run.header;
    let program = match h.program.as_str() {
        "tflayers" => "Rust (tflayers)".to_string(),
        "python" => "Python".to_string(),
        other => other.to_string(),
    };
    [
        ("model", h.run.model.clone()),
        ("program", program),
        ("seed", format!("seed {}", h.run.seed)),
        ("batch", format!("batch {}", h.run.batch_size)),
        (
            "learning rate",
            format!("learning rate {}", format_g(f64::from(h.run.learning_rate))),
        ),
        ("steps", format!("{} steps", h.run.steps)),
    ]
}

/// Legend labels that tell the runs apart, and the settings they all share (for a subtitle).
///
/// A label holds the settings that differ between the runs (the model; Rust or Python; the
/// seed...) and the run's test accuracy; runs that differ in nothing are told apart by file
/// name.
pub fn labels(runs: &[Run]) -> (Vec<String>, Vec<String>) {
    let all: Vec<[(&str, String); 6]> = runs.iter().map(settings).collect();
    let varies = |i: usize| all.iter().any(|s| s[i].1 != all[0][i].1);
    let common: Vec<String> = (0..6)
        .filter(|&i| !varies(i))
        .filter_map(|i| all.first().map(|s| s[i].1.clone()))
        .collect();
    let mut labels: Vec<String> = all
        .iter()
        .map(|s| {
            (0..6)
                .filter(|&i| varies(i))
                .map(|i| s[i].1.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let ambiguous = labels
        .iter()
        .enumerate()
        .any(|(i, l)| l.is_empty() || labels[..i].contains(l));
    if ambiguous {
        for (label, run) in labels.iter_mut().zip(runs) {
            *label = if label.is_empty() {
                run.stem()
            } else {
                format!("{label} ({})", run.stem())
            };
        }
    }
    for (label, run) in labels.iter_mut().zip(runs) {
        match run.last.as_ref().and_then(|f| f.test_accuracy) {
            Some(accuracy) => label.push_str(&format!(": test {}", format_g(accuracy))),
            None => label.push_str(": still training"),
        }
    }
    (labels, common)
}

/// Training curves: batch accuracy and loss against the step, one line per run.
struct Curves<'a> {
    series: Vec<Series<'a>>,
    title: String,
    subtitle: String,
}

/// Writes the training curves of `runs` to `out` (`.png` or `.svg`) at `size` pixels.
///
/// Left: the training batch accuracy at each logged step, with the test accuracy as a dot
/// at the last step. Right: the loss on a log scale, with the test loss as a dot. Python runs
/// are dashed, so a Python run on top of an identical Rust run stays visible.
pub fn plot_curves(runs: &[Run], out: &Path, size: (u32, u32), title: Option<&str>) -> Result<()> {
    if runs.is_empty() {
        bail!("no runs to plot");
    }
    for run in runs {
        if run.steps.is_empty() {
            bail!("{} has no logged steps to plot", run.path.display());
        }
    }
    let (labels, common) = labels(runs);
    let series = runs
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (run, label))| Series {
            run,
            label,
            color: PALETTE[i % PALETTE.len()],
            dashed: run.header.program == "python",
        })
        .collect();
    let model = &runs[0].header.run.model;
    let title = match title {
        Some(title) => title.to_string(),
        None if runs.iter().all(|r| &r.header.run.model == model) => {
            format!("MNIST, {model} model: training batch accuracy and loss")
        }
        None => "MNIST: training batch accuracy and loss".to_string(),
    };
    let figure = Curves {
        series,
        title,
        subtitle: common.join(", "),
    };
    canvas::write_by_extension(&figure, out, size)
}

impl Figure for Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        drawn(root.fill(&WHITE))?;
        let (_, height) = root.dim_in_pixel();
        let big = (height as f64 / 28.0).clamp(14.0, 30.0);
        let area = drawn(root.titled(&self.title, (FONT, big)))?;
        let area = if self.subtitle.is_empty() {
            area
        } else {
            drawn(area.titled(&self.subtitle, (FONT, big * 0.7).into_font().color(&GREY)))?
        };
        // The legend gets its own strip, so it never covers a line or a test dot.
        let entries: Vec<Entry> = self
            .series
            .iter()
            .map(|s| Entry {
                label: s.label.clone(),
                color: s.color,
                line: if s.dashed { Line::Dashed } else { Line::Solid },
                marker: Marker::Dot,
            })
            .collect();
        let area = draw_legend(&area, &entries, big * 0.6)?;
        let (width, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(width / 2);
        let max_step = self
            .series
            .iter()
            .map(|s| {
                let last = s.run.steps.last().map_or(0, |r| r.step);
                s.run.last.as_ref().map_or(last, |f| f.steps.max(last))
            })
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        self.accuracy_chart(&left, max_step, big)?;
        self.loss_chart(&right, max_step, big)
    }
}

impl Curves<'_> {
    /// Each run's line of `value` at its logged steps, with a dot at its `last` value (the
    /// test figure). The dots shrink from the first run to the last, each ringed in white,
    /// so runs that end on the same value show as concentric rings instead of hiding each
    /// other.
    fn draw_runs<DB: DrawingBackend, CT>(
        &self,
        chart: &mut ChartContext<'_, DB, CT>,
        value: impl Fn(&StepRecord) -> Option<f64>,
        last: impl Fn(&FinalRecord) -> Option<f64>,
    ) -> Result<()>
    where
        CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
    {
        let count = self.series.len() as u32;
        for (i, series) in self.series.iter().enumerate() {
            let points = series
                .run
                .steps
                .iter()
                .filter_map(|r| Some((r.step as f64, value(r)?)));
            let (color, style) = (series.color, series.color.stroke_width(2));
            if series.dashed {
                drawn(chart.draw_series(DashedLineSeries::new(points, 8, 5, style)))?;
            } else {
                drawn(chart.draw_series(LineSeries::new(points, style)))?;
            }
            let dot = series
                .run
                .last
                .as_ref()
                .and_then(|f| Some((f.steps as f64, last(f)?)));
            if let Some(dot) = dot {
                let radius = (DOT + 3 * (count - 1 - i as u32)).min(DOT_LARGEST);
                drawn(chart.draw_series([
                    Circle::new(dot, radius, color.filled()),
                    Circle::new(dot, radius, WHITE.stroke_width(1)),
                ]))?;
            }
        }
        Ok(())
    }

    fn accuracy_chart<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        max_step: f64,
        big: f64,
    ) -> Result<()> {
        let small = big * 0.6;
        let mut chart = drawn(
            panel("Training batch accuracy (dot: test accuracy)", area, big)
                .build_cartesian_2d(0.0..max_step * 1.02, 0.0..1.0),
        )?;
        drawn(
            chart
                .configure_mesh()
                .x_desc("training step")
                .y_desc("accuracy")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style((FONT, small))
                .axis_desc_style((FONT, small * 1.1))
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(LIGHT.mix(0.4))
                .draw(),
        )?;
        self.draw_runs(&mut chart, |r| r.batch_accuracy, |f| f.test_accuracy)
    }

    fn loss_chart<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        max_step: f64,
        big: f64,
    ) -> Result<()> {
        let small = big * 0.6;
        let losses = self.series.iter().flat_map(|s| {
            let test = s.run.last.as_ref().and_then(|f| f.test_loss);
            s.run.steps.iter().filter_map(|r| r.loss).chain(test)
        });
        let (low, high) = losses
            .filter(|l| *l > 0.0 && l.is_finite())
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
                (lo.min(l), hi.max(l))
            });
        let (low, high) = if low.is_finite() {
            (low / 1.3, (high * 1.3).max(low * 2.0))
        } else {
            (0.01, 10.0)
        };
        let mut chart = drawn(
            panel("Training batch loss (dot: test loss)", area, big).build_cartesian_2d(
                0.0..max_step * 1.02,
                {
                    let (labelled, others) = log_ticks(low, high);
                    (low..high)
                        .log_scale()
                        .with_key_points(labelled)
                        .with_light_points(others)
                },
            ),
        )?;
        drawn(
            chart
                .configure_mesh()
                .x_desc("training step")
                .y_desc("cross-entropy loss (log scale)")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format_g(*v))
                .label_style((FONT, small))
                .axis_desc_style((FONT, small * 1.1))
                .light_line_style(LIGHT.mix(0.15))
                .x_max_light_lines(0)
                .bold_line_style(LIGHT.mix(0.4))
                .draw(),
        )?;
        let positive = |loss: Option<f64>| loss.filter(|l| *l > 0.0);
        self.draw_runs(&mut chart, |r| positive(r.loss), |f| positive(f.test_loss))
    }
}

/// A chart on `area` under `caption`, with room for axis labels of text size `big`.
fn panel<'a, DB: DrawingBackend>(
    caption: &str,
    area: &'a DrawingArea<DB, Shift>,
    big: f64,
) -> ChartBuilder<'a, 'static, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FONT, big * 0.75))
        .margin(12)
        .x_label_area_size(big * 2.2)
        .y_label_area_size(big * 2.8);
    builder
}

/// Mantissas of a log axis's labels, roundest first: 1, 2 and 5 times a power of ten are
/// labelled whenever they fall in range, the others when they leave room (see [`log_ticks`]).
const LOG_MANTISSAS: [f64; 14] = [
    1.0, 2.0, 5.0, 3.0, 1.5, 4.0, 7.0, 2.5, 1.2, 6.0, 8.0, 9.0, 1.4, 1.8,
];
/// At most about this many labels on a log axis.
const LOG_LABELS: f64 = 10.0;

/// Ticks of a log axis from `low` to `high`: labelled ones, and grid lines only.
///
/// Every 1, 2 and 5 times a power of ten in range is labelled; then, roundest first, the other
/// mantissas of [`LOG_MANTISSAS`] whose label stays at least a tenth of the axis away from
/// every label already chosen. A narrow range (a loss from 1.1 to 3.5) so gets 1.2, 1.5, 2,
/// 2.5, 3 instead of the bare 2 and 3, and every plotted value has a label near it. The
/// remaining whole multiples of each power of ten are grid lines.
fn log_ticks(low: f64, high: f64) -> (Vec<f64>, Vec<f64>) {
    let first = low.log10().floor() as i32;
    let last = high.log10().ceil() as i32;
    // Parsed from text, so 0.3 is 0.3 and not 3 * 0.1.
    let value = |mantissa: f64, exponent: i32| -> f64 {
        format!("{mantissa}e{exponent}").parse().unwrap_or(f64::NAN)
    };
    let in_range = |v: f64| v >= low * (1.0 - 1e-9) && v <= high * (1.0 + 1e-9);
    let min_gap = (high / low).log10() / LOG_LABELS;
    let mut labelled: Vec<f64> = Vec::new();
    for (rank, &mantissa) in LOG_MANTISSAS.iter().enumerate() {
        for exponent in first..=last {
            let v = value(mantissa, exponent);
            let apart = labelled
                .iter()
                .all(|l| (v / l).log10().abs() >= min_gap * (1.0 - 1e-9));
            if in_range(v) && (rank < 3 || apart) {
                labelled.push(v);
            }
        }
    }
    labelled.sort_by(f64::total_cmp);
    let mut others = Vec::new();
    for exponent in first..=last {
        for multiple in 1..10 {
            let v = value(f64::from(multiple), exponent);
            if in_range(v) && !labelled.contains(&v) {
                others.push(v);
            }
        }
    }
    (labelled, others)
}

#[cfg(test)]
mod tests;
