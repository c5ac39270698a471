//! A 5x7 bitmap font for the few characters the heat map writes (digits, `.`, `:`, `%` and
//! the capitals of its axis titles), so pictures need no font file.

use image::{Rgb, RgbImage};

/// Glyph width and height in font pixels.
pub const GLYPH_WIDTH: u32 = 5;
pub const GLYPH_HEIGHT: u32 = 7;

/// The rows of `c`'s glyph, top first; bit 4 is the leftmost column. `None` for characters
/// the font lacks.
pub fn glyph(c: char) -> Option<[u8; 7]> {
    let rows = match c {
        '0' => [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
        '1' => [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
        '2' => [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
        '3' => [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
        '4' => [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
        '5' => [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
        '6' => [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
        '7' => [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
        '9' => [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
        'A' => [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
        'C' => [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
        'D' => [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
        'E' => [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f],
        'I' => [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
        'P' => [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
        'R' => [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
        'T' => [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
        'Y' => [0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c],
        ':' => [0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        ' ' => [0; 7],
        _ => return None,
    };
    Some(rows)
}

/// Whether font pixel (`x`, `y`) of `c` is set; false outside the glyph or the font.
pub fn is_set(c: char, x: u32, y: u32) -> bool {
    x < GLYPH_WIDTH
        && y < GLYPH_HEIGHT
        && glyph(c).is_some_and(|rows| rows[y as usize] & (0x10 >> x) != 0)
}

/// Width in image pixels of `text` drawn at `scale` (one font pixel of space between glyphs).
pub fn text_width(text: &str, scale: u32) -> u32 {
    let n = text.chars().count() as u32;
    if n == 0 {
        0
    } else {
        (n * (GLYPH_WIDTH + 1) - 1) * scale
    }
}

/// Draws `text` with its top-left corner at (`x`, `y`), each font pixel a `scale`-sized
/// square; pixels outside the image are skipped and unknown characters left blank.
pub fn draw_text(image: &mut RgbImage, x: u32, y: u32, text: &str, scale: u32, colour: Rgb<u8>) {
    for (i, c) in text.chars().enumerate() {
        let left = x + i as u32 * (GLYPH_WIDTH + 1) * scale;
        for gy in 0..GLYPH_HEIGHT {
            for gx in 0..GLYPH_WIDTH {
                if !is_set(c, gx, gy) {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = (left + gx * scale + dx, y + gy * scale + dy);
                        if px < image.width() && py < image.height() {
                            image.put_pixel(px, py, colour);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_digit_has_a_distinct_glyph() {
        let glyphs: Vec<[u8; 7]> = ('0'..='9').map(|c| glyph(c).unwrap()).collect();
        for (i, a) in glyphs.iter().enumerate() {
            assert!(a.iter().all(|row| *row < 0x20), "digit {i} is wider than 5");
            for b in &glyphs[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(glyph('z').is_none());
    }

    #[test]
    fn text_is_drawn_where_asked() {
        let mut image = RgbImage::new(40, 20);
        let white = Rgb([255, 255, 255]);
        draw_text(&mut image, 2, 3, "1", 2, white);
        // The stem of '1' is font column 2: image columns 6..8, rows 3..17.
        assert_eq!(*image.get_pixel(6, 10), white);
        assert_eq!(*image.get_pixel(0, 0), Rgb([0, 0, 0]));
        assert_eq!(text_width("10", 2), 22);
    }
}
