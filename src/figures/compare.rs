//! The PNG of a comparison: batch accuracy and loss per logged step, Rust as a line and Python
//! as markers on top of it, so that identical runs show every marker sitting on the line.
//!
//! Drawn with `plotters`' bitmap backend; the text uses DejaVu Sans embedded in the binary
//! (the `dejavu` crate), so no system font is needed.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, ensure, Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::compare::verdict::{Comparison, LoggedStep};

/// Size of the picture in pixels.
const SIZE: (u32, u32) = (960, 720);
const RUST_COLOUR: RGBColor = RGBColor(31, 119, 180);
const PYTHON_COLOUR: RGBColor = RGBColor(230, 110, 20);

/// Registers the embedded font once; plotters looks fonts up by family name.
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    ensure!(ok, "the embedded DejaVu Sans font could not be loaded");
    Ok(())
}

/// Writes the plot of `comparison` to `path` (a `.png`), through a temporary file renamed into
/// place when complete.
pub fn write_plot(path: &Path, comparison: &Comparison) -> Result<()> {
    ensure!(
        !comparison.rust.steps.is_empty(),
        "{}: no logged steps to plot",
        comparison.settings.model
    );
    ensure_font()?;
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?
        .to_string_lossy();
    // The backend picks the encoder from the extension, so the temporary name keeps `.png`.
    let tmp = path.with_file_name(format!(".{file_name}.tmp.png"));
    let drawn = draw(&tmp, comparison);
    if let Err(err) = drawn {
        let _ = fs::remove_file(&tmp);
        return Err(err.context(format!("cannot draw {}", path.display())));
    }
    fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
}

fn plot_err(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("plotting failed: {err}")
}

fn draw(path: &Path, comparison: &Comparison) -> Result<()> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let title = format!(
        "{}: Rust and Python, {} steps ({})",
        comparison.settings.model,
        comparison.settings.steps,
        comparison.verdict_word()
    );
    let root = root
        .titled(
            &title,
            ("sans-serif", 26).into_font().style(FontStyle::Bold),
        )
        .map_err(plot_err)?;
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
    panel(&bottom, comparison, "loss", loss, None)?;
    root.present().map_err(plot_err)?;
    Ok(())
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    comparison: &Comparison,
    label: &str,
    value: impl Fn(&LoggedStep) -> f64,
    fixed_range: Option<(f64, f64)>,
) -> Result<()> {
    let rust: Vec<(f64, f64)> = comparison
        .rust
        .steps
        .iter()
        .map(|s| (s.step as f64, value(s)))
        .collect();
    let python: Vec<(f64, f64)> = comparison
        .python
        .steps
        .iter()
        .map(|s| (s.step as f64, value(s)))
        .collect();
    let finite = rust
        .iter()
        .chain(&python)
        .map(|p| p.1)
        .filter(|v| v.is_finite());
    let (low, high) = fixed_range.unwrap_or_else(|| {
        let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
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
    });
    let last_step = rust.last().map_or(1.0, |p| p.0).max(1.0);
    // A little room on both sides so the first and last markers are not cut in half.
    let pad = last_step * 0.02;
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(-pad..last_step + pad, low..high)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(LineSeries::new(
            rust.iter().copied(),
            RUST_COLOUR.stroke_width(2),
        ))
        .map_err(plot_err)?
        .label("Rust (libtensorflow)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RUST_COLOUR.stroke_width(2)));
    chart
        .draw_series(
            python
                .iter()
                .map(|&p| Cross::new(p, 6, PYTHON_COLOUR.stroke_width(2))),
        )
        .map_err(plot_err)?
        .label("Python (tf.compat.v1)")
        .legend(|(x, y)| Cross::new((x + 10, y), 6, PYTHON_COLOUR.stroke_width(2)));
    chart
        .configure_series_labels()
        // Training curves end high (accuracy) or low (loss) on the right: its middle is free.
        .position(SeriesLabelPosition::MiddleRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::verdict::{Settings, Side};

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

    #[test]
    fn writes_a_png_and_leaves_no_temporary_file() {
        let settings = Settings {
            model: "conv2".into(),
            steps: 200,
            batch_size: 50,
            learning_rate: 1e-4,
            seed: 0,
            python_seed: 0,
            log_every: 10,
            tolerance: 0.0,
        };
        let comparison = Comparison::new(settings, side(0.0), side(0.0)).unwrap();
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
        let settings = Settings {
            model: "dense".into(),
            steps: 200,
            batch_size: 50,
            learning_rate: 1e-4,
            seed: 0,
            python_seed: 0,
            log_every: 10,
            tolerance: 0.0,
        };
        let comparison = Comparison::new(settings, side(0.0), side(0.0)).unwrap();
        let err = write_plot(Path::new("/nonexistent-dir/x.png"), &comparison).unwrap_err();
        assert!(format!("{err:#}").contains("x.png"), "{err:#}");
    }
}
