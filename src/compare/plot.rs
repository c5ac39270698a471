//! The PNG of a comparison: batch accuracy and loss per logged step, Rust as a line and Python
//! as markers on top of it, so that identical runs show every marker sitting on the line.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::compare::verdict::{Comparison, LoggedStep};
use crate::figures::canvas::{self, drawn, Figure, ImageKind, FONT, PALETTE};
use crate::figures::legend::{draw_legend, Entry, Line, Marker};

/// Size of the picture in pixels.
const SIZE: (u32, u32) = (960, 720);
const RUST_COLOUR: RGBColor = PALETTE[0];
const PYTHON_COLOUR: RGBColor = RGBColor(230, 110, 20);

/// Writes the plot of `comparison` to `path` (a `.png`), complete or not at all.
pub fn write_plot(path: &Path, comparison: &Comparison) -> Result<()> {
    ensure!(
        !comparison.rust.steps.is_empty(),
        "{}: no logged steps to plot",
        comparison.settings.run.model
    );
    canvas::write(&Plot(comparison), path, ImageKind::Png, SIZE)
        .with_context(|| format!("cannot draw {}", path.display()))
}

/// The two panels of a comparison under its title.
struct Plot<'a>(&'a Comparison);

impl Figure for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let comparison = self.0;
        drawn(root.fill(&WHITE))?;
        let title = format!(
            "{}: Rust and Python, {} steps ({})",
            comparison.settings.run.model,
            comparison.settings.run.steps,
            comparison.verdict_word()
        );
        let root = drawn(root.titled(&title, (FONT, 26).into_font().style(FontStyle::Bold)))?;
        // The legend above both panels, where it cannot cover a value.
        let entries = [
            Entry {
                label: "Rust (libtensorflow)".to_string(),
                color: RUST_COLOUR,
                line: Line::Solid,
                marker: Marker::None,
            },
            Entry {
                label: "Python (tf.compat.v1)".to_string(),
                color: PYTHON_COLOUR,
                line: Line::None,
                marker: Marker::Cross,
            },
        ];
        let root = draw_legend(&root, &entries, 16.0)?;
        let (top, bottom) = root.split_vertically(SIZE.1 / 2 - 20);
        let accuracy = |s: &LoggedStep| f64::from(s.accuracy);
        let loss = |s: &LoggedStep| f64::from(s.loss);
        panel(
            &top,
            comparison,
            "batch accuracy",
            accuracy,
            Some((0.0, 1.0)),
        )?;
        panel(&bottom, comparison, "loss", loss, None)
    }
}

/// The value range of a panel: `fixed` if given, else the finite values with 5% room.
fn value_range(values: impl Iterator<Item = f64>, fixed: Option<(f64, f64)>) -> (f64, f64) {
    fixed.unwrap_or_else(|| {
        let (min, max) = values
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if min.is_finite() && max > min {
            let pad = (max - min) * 0.05;
            (min - pad, max + pad)
        } else if min.is_finite() {
            (min - 0.5, min + 0.5)
        } else {
            (0.0, 1.0)
        }
    })
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    comparison: &Comparison,
    label: &str,
    value: impl Fn(&LoggedStep) -> f64,
    fixed_range: Option<(f64, f64)>,
) -> Result<()> {
    let points = |steps: &[LoggedStep]| -> Vec<(f64, f64)> {
        steps.iter().map(|s| (s.step as f64, value(s))).collect()
    };
    let (rust, python) = (
        points(&comparison.rust.steps),
        points(&comparison.python.steps),
    );
    let (low, high) = value_range(rust.iter().chain(&python).map(|p| p.1), fixed_range);
    let last_step = rust.last().map_or(1.0, |p| p.0).max(1.0);
    // A little room on both sides so the first and last markers are not cut in half.
    let pad = last_step * 0.02;
    let mut chart = drawn(
        ChartBuilder::on(area)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(-pad..last_step + pad, low..high),
    )?;
    drawn(
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc(label)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .light_line_style(WHITE.mix(0.0))
            .draw(),
    )?;
    drawn(chart.draw_series(LineSeries::new(rust, RUST_COLOUR.stroke_width(2))))?;
    let cross = |p: (f64, f64)| Cross::new(p, 6, PYTHON_COLOUR.stroke_width(2));
    drawn(chart.draw_series(python.into_iter().map(cross)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::verdict::{Settings, Side};
    use std::fs;

    fn side(offset: f32) -> Side {
        Side {
            steps: (0..20)
                .map(|i| LoggedStep {
                    step: i * 10,
                    accuracy: (i as f32 / 20.0 + offset).min(1.0),
                    loss: 2.3 / (1.0 + i as f32) + offset,
                })
                .collect(),
            test_accuracy: 0.9,
            test_loss: 0.3,
            validation_accuracy: None,
            lines: vec![],
            train_secs: 1.0,
            ms_per_step: 5.0,
            wall_secs: 2.0,
        }
    }

    fn comparison(model: &str) -> Comparison {
        let settings = Settings {
            run: crate::config::RunConfig {
                model: model.into(),
                steps: 200,
                batch_size: 50,
                log_every: 10,
                ..Default::default()
            },
            python_seed: 0,
            tolerance: 0.0,
            onednn: crate::onednn::Setting {
                enabled: true,
                chosen_by: crate::onednn::ChosenBy::User,
            },
        };
        Comparison::new(settings, side(0.0), side(0.0)).unwrap()
    }

    #[test]
    fn writes_a_png_and_leaves_no_temporary_file() {
        let comparison = comparison("conv2");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compare-conv2.png");
        write_plot(&path, &comparison).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(bytes.len() > 10_000, "{} bytes", bytes.len());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn an_unwritable_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        // A folder that cannot be made, whoever runs the test: its parent is a file.
        let file = dir.path().join("file");
        fs::write(&file, b"").unwrap();
        let err = write_plot(&file.join("x.png"), &comparison("dense")).unwrap_err();
        assert!(format!("{err:#}").contains("x.png"), "{err:#}");
    }
}
