//! Training curves of one or more runs (`plot`, and the report folder's curves): batch
//! accuracy and loss against the step, with the test figures as dots.
//!
//! PNG or SVG by the output's extension; drawing, font and writing are [`canvas`]'s.

use std::path::Path;

use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figures::canvas::{self, drawn, Figure, FONT, GREY, LIGHT, PALETTE};
use crate::metrics::{FinalRecord, Run, StepRecord};
use crate::output::format::format_g;

/// The figure formats, by extension (kept under this path for the command line).
pub use crate::figures::canvas::ImageKind;
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
    /// test figure); `legend` puts the runs' labels in the chart's legend.
    fn draw_runs<DB: DrawingBackend, CT>(
        &self,
        chart: &mut ChartContext<'_, DB, CT>,
        value: impl Fn(&StepRecord) -> Option<f64>,
        last: impl Fn(&FinalRecord) -> Option<f64>,
        legend: bool,
    ) -> Result<()>
    where
        CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
    {
        for series in &self.series {
            let points = series
                .run
                .steps
                .iter()
                .filter_map(|r| Some((r.step as f64, value(r)?)));
            let (color, style) = (series.color, series.color.stroke_width(2));
            let line = if series.dashed {
                drawn(chart.draw_series(DashedLineSeries::new(points, 8, 5, style)))?
            } else {
                drawn(chart.draw_series(LineSeries::new(points, style)))?
            };
            if legend {
                line.label(series.label.clone()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], color.stroke_width(2))
                });
            }
            let dot = series
                .run
                .last
                .as_ref()
                .and_then(|f| Some((f.steps as f64, last(f)?)));
            if let Some(dot) = dot {
                drawn(chart.draw_series([Circle::new(dot, 5, color.filled())]))?;
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
        self.draw_runs(&mut chart, |r| r.batch_accuracy, |f| f.test_accuracy, true)?;
        drawn(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .label_font((FONT, small))
                .background_style(WHITE.mix(0.85))
                .border_style(LIGHT)
                .draw(),
        )
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
        self.draw_runs(
            &mut chart,
            |r| positive(r.loss),
            |f| positive(f.test_loss),
            false,
        )
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

/// Ticks of a log axis from `low` to `high`: 1, 2 and 5 times each power of ten (labelled),
/// and the other multiples (grid lines only).
fn log_ticks(low: f64, high: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut labelled, mut others) = (Vec::new(), Vec::new());
    let first = low.log10().floor() as i32;
    let last = high.log10().ceil() as i32;
    for exponent in first..=last {
        for multiple in 1..10 {
            // Parsed from text, so 0.3 is 0.3 and not 3 * 0.1.
            let value: f64 = format!("{multiple}e{exponent}").parse().unwrap_or(f64::NAN);
            if value >= low * (1.0 - 1e-9) && value <= high {
                if matches!(multiple, 1 | 2 | 5) {
                    labelled.push(value);
                } else {
                    others.push(value);
                }
            }
        }
    }
    // A narrow range (say 1.2 to 2.5) would show one or two labels: label every tick then.
    if labelled.len() < 3 {
        labelled.append(&mut others);
        labelled.sort_by(f64::total_cmp);
    }
    (labelled, others)
}

#[cfg(test)]
mod tests;
