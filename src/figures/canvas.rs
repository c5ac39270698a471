//! What every figure shares: the output format, the font, the colours, and the way a figure
//! becomes a file.
//!
//! Every picture is drawn with `plotters`, on its bitmap backend for PNG (encoded by the
//! `image` crate) or its SVG backend. Text is DejaVu Sans embedded in the binary (the `dejavu`
//! crate, through plotters' pure-Rust `ab_glyph` renderer), so no system fonts, fontconfig or
//! freetype are needed and a figure comes out the same on every machine. A figure is rendered
//! in memory and written with [`write_atomically`], so an interrupted run never leaves half a
//! picture under the requested name.

use std::fmt::Display;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context, Result};
use image::{ImageFormat, RgbImage};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::glyphs::Glyphs;
use crate::fsx::write_atomically;

/// The font family name every text style asks for.
pub const FONT: &str = "sans-serif";

/// Distinct, colour-blind-friendly line colours (Tableau 10).
pub const PALETTE: [RGBColor; 10] = [
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
/// Subtitles.
pub const GREY: RGBColor = RGBColor(90, 90, 90);
/// Grid lines, legend borders, the article's bars.
pub const LIGHT: RGBColor = RGBColor(170, 170, 170);
/// How far below the layout box's middle (in font sizes) the middle of a digit lies.
const CENTRE_DROP: f64 = 0.22;

/// The image formats a figure can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Svg,
}

impl ImageKind {
    /// `.png` or `.svg` (any case); anything else is an error naming the file.
    pub fn from_path(path: &Path) -> Result<Self> {
        match crate::fsx::lowercase_extension(path).as_deref() {
            Some("png") => Ok(ImageKind::Png),
            Some("svg") => Ok(ImageKind::Svg),
            _ => bail!("{}: the figure must end in .png or .svg", path.display()),
        }
    }
}

/// Something that draws itself on any plotters backend.
pub trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Turns a plotters error into ours.
pub fn drawn<T, E: Display>(result: std::result::Result<T, E>) -> Result<T> {
    result.map_err(|e| anyhow!("drawing the figure failed: {e}"))
}

/// Registers the embedded font (regular and bold) once per process.
fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if !ok {
        bail!("the embedded DejaVu Sans font is not a valid font");
    }
    Ok(())
}

/// The width in pixels of `text` in the figures' font at `size` pixels.
pub fn text_width(text: &str, size: f64) -> Result<u32> {
    register_fonts()?;
    Ok(drawn((FONT, size).into_font().box_size(text))?.0)
}

/// Renders `figure` at `(width, height)` pixels into an RGB image.
pub fn render_rgb(figure: &impl Figure, (width, height): (u32, u32)) -> Result<RgbImage> {
    register_fonts()?;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut pixels, (width, height));
        let root = Glyphs::new(bitmap).into_drawing_area();
        figure.draw(&root)?;
        drawn(root.present())?;
    }
    RgbImage::from_raw(width, height, pixels)
        .context("the rendered figure has the wrong number of pixels")
}

/// Renders `figure` at `size` pixels and encodes it as `kind`.
pub fn render(figure: &impl Figure, kind: ImageKind, size: (u32, u32)) -> Result<Vec<u8>> {
    match kind {
        ImageKind::Png => {
            let mut png = Cursor::new(Vec::new());
            render_rgb(figure, size)?
                .write_to(&mut png, ImageFormat::Png)
                .context("cannot encode the figure as PNG")?;
            Ok(png.into_inner())
        }
        ImageKind::Svg => {
            register_fonts()?;
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                figure.draw(&root)?;
                drawn(root.present())?;
            }
            Ok(svg.into_bytes())
        }
    }
}

/// Renders `figure` at `size` pixels as `kind` and writes it to `out`, complete or not at all.
pub fn write(figure: &impl Figure, out: &Path, kind: ImageKind, size: (u32, u32)) -> Result<()> {
    let bytes = render(figure, kind, size)?;
    write_atomically(out, &bytes)
        .with_context(|| format!("cannot write the figure {}", out.display()))
}

/// [`write()`] in the format `out`'s extension names (`.png` or `.svg`).
pub fn write_by_extension(figure: &impl Figure, out: &Path, size: (u32, u32)) -> Result<()> {
    write(figure, out, ImageKind::from_path(out)?, size)
}

/// Fills the `width` x `height` pixels whose top-left corner is `(x, y)` with `colour`.
pub fn fill<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (width, height): (i32, i32),
    colour: RGBColor,
) -> Result<()> {
    // The backends fill up to, not including, the second corner.
    let corners = [(x, y), (x + width, y + height)];
    drawn(area.draw(&Rectangle::new(corners, colour.filled())))
}

/// `text` on a bitmap with the middle of its digits and capitals at height `y`, and its left
/// end, centre or right end (`align`) at `x`.
pub fn text_at<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    align: HPos,
    (size, colour): (f64, RGBColor),
) -> Result<()> {
    // plotters centres the font's layout box, whose middle lies about a fifth of the font
    // size above the middle of a digit in DejaVu Sans.
    let drop = (size * CENTRE_DROP).round() as i32;
    let style = (FONT, size)
        .into_font()
        .color(&colour)
        .pos(Pos::new(align, VPos::Center));
    drawn(area.draw(&Text::new(text, (x, y + drop), style)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn text_is_measured_in_the_figures_font() {
        let one = text_width("8", 12.0).unwrap();
        assert!((4..=10).contains(&one), "{one}");
        assert!(text_width("88", 12.0).unwrap() >= 2 * one - 1);
        assert!(text_width("8", 24.0).unwrap() > one);
    }
}
