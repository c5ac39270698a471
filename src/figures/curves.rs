//! Figures (`plotters`): training curves of one or more runs, and the five test accuracies
//! beside the article's.
//!
//! Figures are PNG or SVG by the output's extension. Text is drawn with DejaVu Sans embedded
//! in the binary (the `dejavu` crate, through plotters' pure-Rust `ab_glyph` renderer), so
//! no system fonts, fontconfig or freetype are needed. Each figure is rendered in memory and
//! written with [`write_atomically`].

use std::fmt::Display;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::fsx::write_atomically;
use crate::metrics::Run;
use crate::output::format::format_g;

/// The font family name every text style here asks for.
const FONT: &str = "sans-serif";

/// Distinct, colour-blind-friendly line colours (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const GREY: RGBColor = RGBColor(90, 90, 90);
const LIGHT: RGBColor = RGBColor(170, 170, 170);

/// The image formats `plot` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Svg,
}

impl ImageKind {
    /// `.png` or `.svg` (any case); anything else is an error naming the file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(ImageKind::Png),
            Some("svg") => Ok(ImageKind::Svg),
            _ => bail!("{}: the figure must end in .png or .svg", path.display()),
        }
    }
}

/// Something that draws itself on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Turns a plotters error into ours.
fn drawn<T, E: Display>(result: std::result::Result<T, E>) -> Result<T> {
    result.map_err(|e| anyhow!("drawing the figure failed: {e}"))
}

/// Registers the embedded font once per process.
fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the embedded DejaVu Sans font is not a valid font".to_string())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// Renders `figure` at `size` and writes it to `out` (PNG or SVG by extension).
fn render(figure: &impl Figure, out: &Path, (width, height): (u32, u32)) -> Result<()> {
    let kind = ImageKind::from_path(out)?;
    register_fonts()?;
    let bytes = match kind {
        ImageKind::Png => {
            let mut pixels = vec![0u8; width as usize * height as usize * 3];
            {
                let root =
                    BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
                figure.draw(&root)?;
                drawn(root.present())?;
            }
            let image = image::RgbImage::from_raw(width, height, pixels)
                .context("the rendered figure has the wrong number of pixels")?;
            let mut png = Cursor::new(Vec::new());
            image
                .write_to(&mut png, image::ImageFormat::Png)
                .context("cannot encode the figure as PNG")?;
            png.into_inner()
        }
        ImageKind::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                figure.draw(&root)?;
                drawn(root.present())?;
            }
            svg.into_bytes()
        }
    };
    write_atomically(out, &bytes)
        .with_context(|| format!("cannot write the figure {}", out.display()))
}

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
        ("model", h.model.clone()),
        ("program", program),
        ("seed", format!("seed {}", h.seed)),
        ("batch", format!("batch {}", h.batch_size)),
        (
            "learning rate",
            format!("learning rate {}", format_g(h.learning_rate)),
        ),
        ("steps", format!("{} steps", h.steps)),
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
    let model = &runs[0].header.model;
    let title = match title {
        Some(title) => title.to_string(),
        None if runs.iter().all(|r| &r.header.model == model) => {
            format!("MNIST, {model} model: training batch accuracy and loss")
        }
        None => "MNIST: training batch accuracy and loss".to_string(),
    };
    let figure = Curves {
        series,
        title,
        subtitle: common.join(", "),
    };
    render(&figure, out, size)
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
    fn line<DB: DrawingBackend, CT>(
        &self,
        chart: &mut ChartContext<'_, DB, CT>,
        series: &Series<'_>,
        points: Vec<(f64, f64)>,
        legend: bool,
    ) -> Result<()>
    where
        CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
    {
        let style = series.color.stroke_width(2);
        let color = series.color;
        let drawn_series = if series.dashed {
            drawn(chart.draw_series(DashedLineSeries::new(points, 8, 5, style)))?
        } else {
            drawn(chart.draw_series(LineSeries::new(points, style)))?
        };
        if legend {
            drawn_series
                .label(series.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], color.stroke_width(2))
                });
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
            ChartBuilder::on(area)
                .caption(
                    "Training batch accuracy (dot: test accuracy)",
                    (FONT, big * 0.75),
                )
                .margin(12)
                .x_label_area_size(big * 2.2)
                .y_label_area_size(big * 2.8)
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
        for series in &self.series {
            let points: Vec<(f64, f64)> = series
                .run
                .steps
                .iter()
                .filter_map(|r| Some((r.step as f64, r.batch_accuracy?)))
                .collect();
            self.line(&mut chart, series, points, true)?;
            if let Some((steps, accuracy)) = series
                .run
                .last
                .as_ref()
                .and_then(|f| Some((f.steps as f64, f.test_accuracy?)))
            {
                drawn(chart.draw_series([Circle::new(
                    (steps, accuracy),
                    5,
                    series.color.filled(),
                )]))?;
            }
        }
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
            ChartBuilder::on(area)
                .caption("Training batch loss (dot: test loss)", (FONT, big * 0.75))
                .margin(12)
                .x_label_area_size(big * 2.2)
                .y_label_area_size(big * 2.8)
                .build_cartesian_2d(0.0..max_step * 1.02, {
                    let (labelled, others) = log_ticks(low, high);
                    (low..high)
                        .log_scale()
                        .with_key_points(labelled)
                        .with_light_points(others)
                }),
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
        for series in &self.series {
            let points: Vec<(f64, f64)> = series
                .run
                .steps
                .iter()
                .filter_map(|r| r.loss.filter(|l| *l > 0.0).map(|l| (r.step as f64, l)))
                .collect();
            self.line(&mut chart, series, points, false)?;
            if let Some((steps, loss)) = series
                .run
                .last
                .as_ref()
                .and_then(|f| Some((f.steps as f64, f.test_loss.filter(|l| *l > 0.0)?)))
            {
                drawn(chart.draw_series([Circle::new((steps, loss), 5, series.color.filled())]))?;
            }
        }
        Ok(())
    }
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

/// An accuracy in thousandths, the bar chart's vertical unit.
fn thousandths(value: f64) -> i32 {
    (value * 1000.0).round() as i32
}

/// One model's test accuracy beside the article's.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub model: String,
    pub measured: f64,
    pub article: f64,
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
    render(&figure, out, size)
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
        let ours = PALETTE[0];
        let theirs = LIGHT;
        let bar = |x0: f64, x1: f64, value: f64, color: RGBColor| {
            Rectangle::new([(x0, 0), (x1, thousandths(value))], color.filled())
        };
        drawn(
            chart
                .draw_series(
                    self.rows
                        .iter()
                        .enumerate()
                        .map(|(i, r)| bar(i as f64 - 0.36, i as f64 - 0.02, r.measured, ours)),
                )
                .map(|s| {
                    s.label(self.measured_label.clone()).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 6), (x + 16, y + 6)], ours.filled())
                    })
                }),
        )?;
        drawn(
            chart
                .draw_series(
                    self.rows
                        .iter()
                        .enumerate()
                        .map(|(i, r)| bar(i as f64 + 0.02, i as f64 + 0.36, r.article, theirs)),
                )
                .map(|s| {
                    s.label("the article (Fusinska, 2017)")
                        .legend(move |(x, y)| {
                            Rectangle::new([(x, y - 6), (x + 16, y + 6)], theirs.filled())
                        })
                }),
        )?;
        let value_style =
            TextStyle::from((FONT, small).into_font()).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Bottom,
            ));
        for (i, r) in self.rows.iter().enumerate() {
            for (x, value) in [(i as f64 - 0.19, r.measured), (i as f64 + 0.19, r.article)] {
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
    use crate::metrics::{FinalRecord, Header, StepRecord, PROGRAM, SCHEMA_VERSION};
    use std::path::PathBuf;

    fn run(model: &str, program: &str, seed: u64, path: &str) -> Run {
        Run {
            path: PathBuf::from(path),
            header: Header {
                schema: SCHEMA_VERSION,
                program: program.into(),
                model: model.into(),
                steps: 100,
                batch_size: 100,
                learning_rate: 0.0001,
                seed,
                log_every: 10,
                data_dir: "d".into(),
                tensorflow_version: "2.21.0".into(),
                intra_op_threads: None,
                inter_op_threads: None,
                host: "h".into(),
                started_at: "2017-06-01T12:00:00Z".into(),
            },
            steps: (0..10)
                .map(|i| StepRecord {
                    step: i * 10,
                    batch_accuracy: Some(0.1 + (0.04 + 0.04 * seed as f64) * i as f64),
                    loss: Some(2.3 / (1.0 + (1 + seed) as f64 * i as f64)),
                    elapsed_secs: i as f64,
                    images_per_sec: 100.0,
                })
                .collect(),
            last: Some(FinalRecord {
                steps: 100,
                test_accuracy: Some(f64::from(0.839f32)),
                test_correct: 839,
                test_total: 1000,
                test_loss: Some(0.5),
                validation_accuracy: None,
                validation_correct: None,
                validation_total: None,
                train_secs: 1.0,
                eval_secs: 0.1,
                total_secs: 1.2,
                ms_per_step: 10.0,
            }),
        }
    }

    #[test]
    fn labels_name_what_differs_and_the_subtitle_what_is_shared() {
        let runs = [
            run("dense", PROGRAM, 0, "a.jsonl"),
            run("dense", "python", 0, "b.jsonl"),
        ];
        let (named, common) = labels(&runs);
        assert_eq!(named, ["Rust (tflayers): test 0.839", "Python: test 0.839"]);
        assert_eq!(
            common,
            [
                "dense",
                "seed 0",
                "batch 100",
                "learning rate 0.0001",
                "100 steps"
            ]
        );
        let seeds = [
            run("dense", PROGRAM, 0, "a.jsonl"),
            run("dense", PROGRAM, 1, "b.jsonl"),
        ];
        assert_eq!(
            labels(&seeds).0,
            ["seed 0: test 0.839", "seed 1: test 0.839"]
        );
    }

    #[test]
    fn identical_settings_fall_back_to_file_names() {
        let mut second = run("dense", PROGRAM, 0, "runs/again.csv");
        second.last = None;
        let runs = [run("dense", PROGRAM, 0, "runs/first.jsonl"), second];
        assert_eq!(
            labels(&runs).0,
            ["first: test 0.839", "again: still training"]
        );
    }

    #[test]
    fn log_ticks_label_one_two_five() {
        let (labelled, others) = log_ticks(0.1, 3.0);
        assert_eq!(labelled, [0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(others[..2], [0.3, 0.4]);
        assert_eq!(others.last(), Some(&3.0));
        let (labelled, others) = log_ticks(1.0, 4.5);
        assert_eq!(labelled, [1.0, 2.0, 3.0, 4.0]);
        assert!(others.is_empty());
    }

    #[test]
    fn the_extension_picks_the_format() {
        assert_eq!(
            ImageKind::from_path(Path::new("a.PNG")).unwrap(),
            ImageKind::Png
        );
        assert_eq!(
            ImageKind::from_path(Path::new("a.svg")).unwrap(),
            ImageKind::Svg
        );
        let err = ImageKind::from_path(Path::new("a.jpg"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.jpg") && err.contains(".png or .svg"),
            "{err}"
        );
    }

    #[test]
    fn a_png_has_the_requested_size_and_is_not_blank() {
        let dir = tempfile::tempdir().unwrap();
        let out = std::env::var_os("KEEP_PLOT")
            .map(PathBuf::from)
            .unwrap_or(dir.path().join("c.png"));
        let runs = [
            run("dense", PROGRAM, 0, "a.jsonl"),
            run("hidden", PROGRAM, 1, "b.jsonl"),
        ];
        plot_curves(&runs, &out, (640, 360), None).unwrap();
        let image = image::open(&out).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (640, 360));
        let coloured = image.pixels().filter(|p| p.0 == [31, 119, 180]).count();
        assert!(
            coloured > 200,
            "only {coloured} pixels of the first line's colour"
        );
    }
}
