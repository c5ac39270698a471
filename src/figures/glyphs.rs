//! The bitmap backend every PNG figure is drawn on: plotters' `BitMapBackend` with its text
//! drawn glyph by glyph at the positions the font gives.
//!
//! plotters 0.3.7 rasterises text through `ab_glyph` but places each glyph's pixels at the pen
//! position, dropping the glyph's left side bearing, so a narrow letter after a wide one is
//! drawn into it ("Training" drew its T over the r). [`Glyphs`] passes every other call to
//! the bitmap backend unchanged and draws text itself: the same layout box and anchors as
//! plotters (so charts lay out as before), the font's kerning, each glyph at its own bounds.
//! SVG figures are unaffected: the SVG backend writes text as text.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

/// The embedded DejaVu Sans, regular and bold (the same faces `canvas` registers).
fn faces() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let regular = FontRef::try_from_slice(dejavu::sans::regular()).ok()?;
            let bold = FontRef::try_from_slice(dejavu::sans::bold()).ok()?;
            Some((regular, bold))
        })
        .as_ref()
}

/// A drawing backend that draws text with correctly placed glyphs over `inner`.
pub struct Glyphs<B> {
    inner: B,
}

impl<B> Glyphs<B> {
    pub fn new(inner: B) -> Self {
        Self { inner }
    }
}

impl<B: DrawingBackend> DrawingBackend for Glyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        let Some((regular, bold)) = faces() else {
            return self.inner.draw_text(text, style, pos);
        };
        if color.alpha == 0.0 {
            return Ok(());
        }
        let face = if matches!(style.style(), FontStyle::Bold) {
            bold
        } else {
            regular
        };
        // The anchors exactly as plotters' default `draw_text` computes them.
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let size = style.size() as f32;
        let font = face.as_scaled(size);
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut pen = 0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(before) = previous {
                pen += font.kern(before, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(font.scale(), point(pen, 0.0));
            pen += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            // plotters puts the baseline half a font size below the top of the layout box.
            let (left, top) = (bounds.min.x as i32, (size / 2.0 + bounds.min.y) as i32);
            let mut covered = Vec::new();
            outline.draw(|x, y, coverage| covered.push((x as i32, y as i32, coverage)));
            for (x, y, coverage) in covered {
                let (x, y) = transform.transform(left + x + dx - min_x, top + y + dy - min_y);
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                    let ink = BackendColor {
                        alpha: color.alpha * f64::from(coverage),
                        rgb: color.rgb,
                    };
                    self.inner.draw_pixel((x, y), ink)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use plotters::coord::Shift;
    use plotters::prelude::*;

    use super::*;
    use crate::figures::canvas::FONT;

    const SIZE: f64 = 40.0;
    const LEFT: i32 = 10;

    fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, text: &str) {
        let style = (FONT, SIZE).into_font().color(&BLACK);
        root.draw(&Text::new(text, (LEFT, 5), style)).unwrap();
        root.present().unwrap();
    }

    /// The columns holding ink when `text` is drawn from x = LEFT, through [`Glyphs`] or
    /// through plotters' own text drawing.
    fn ink_columns(text: &str, glyphs: bool) -> Vec<u32> {
        crate::figures::canvas::text_width("x", 10.0).unwrap(); // registers the font
        let (w, h) = (240u32, 60u32);
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        {
            let bitmap = BitMapBackend::with_buffer(&mut pixels, (w, h));
            if glyphs {
                draw(Glyphs::new(bitmap).into_drawing_area(), text);
            } else {
                draw(bitmap.into_drawing_area(), text);
            }
        }
        (0..w)
            .filter(|&x| (0..h).any(|y| pixels[((y * w + x) * 3) as usize] < 128))
            .collect()
    }

    #[test]
    fn a_glyph_starts_at_its_side_bearing() {
        let (regular, _) = faces().unwrap();
        let font = regular.as_scaled(SIZE as f32);
        let bearing = font.h_side_bearing(font.glyph_id('r'));
        assert!(
            bearing >= 2.0,
            "DejaVu's r has a visible left bearing: {bearing}"
        );
        let first = ink_columns("r", true)[0] as f32;
        assert!(
            (first - (LEFT as f32 + bearing)).abs() <= 1.0,
            "r's ink starts at {first}, its bearing puts it at {}",
            LEFT as f32 + bearing
        );
        // plotters' own drawing starts the ink at the pen position: the bug this avoids.
        assert!(ink_columns("r", false)[0] as f32 <= LEFT as f32 + 1.0);
    }

    #[test]
    fn text_keeps_its_layout_width() {
        // The glyphs end where the layout box plotters measured says they end, so anchors
        // and chart layout stay right.
        let columns = ink_columns("Training", true);
        let width = crate::figures::canvas::text_width("Training", SIZE).unwrap() as i64;
        let last = i64::from(*columns.last().unwrap()) - i64::from(LEFT);
        // Inside the box, short of its end by at most the last glyph's right side bearing.
        assert!(
            (0..=6).contains(&(width - last)),
            "ink ends at {last}, layout width {width}"
        );
    }
}
