//! The confusion matrix as a PNG heat map (`evaluate --confusion-png`).
//!
//! Each cell is shaded by its share of its row (the true digit), on a square-root scale so
//! that the few confusions stand out beside the full diagonal, and carries its count. Rows
//! are the true digit, columns the predicted one.

use std::path::Path;

use anyhow::{Context, Result};
use image::{ImageFormat, Rgb, RgbImage};

use crate::figures::font::{draw_text, text_width, GLYPH_HEIGHT};
use crate::fsx::write_atomically;
use crate::mnist::dataset::NUM_CLASSES;
use crate::output::confusion::Confusion;

const CELL: u32 = 56;
const LEFT: u32 = 84;
const TOP: u32 = 84;
const MARGIN: u32 = 24;
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([20, 20, 20]);
/// The colour of a full cell; empty cells are white.
const FULL: [f64; 3] = [8.0, 48.0, 107.0];

/// The colour of a cell holding `share` (0..=1) of its row.
fn shade(share: f64) -> Rgb<u8> {
    let t = share.clamp(0.0, 1.0).sqrt();
    let mix = |full: f64| (255.0 + (full - 255.0) * t).round() as u8;
    Rgb([mix(FULL[0]), mix(FULL[1]), mix(FULL[2])])
}

/// Draws the heat map; `title` (capitals, digits, `.`, `:`, `%` only) goes above it.
pub fn render(confusion: &Confusion, title: &str) -> RgbImage {
    let side = CELL * NUM_CLASSES as u32;
    let mut image = RgbImage::from_pixel(LEFT + side + MARGIN, TOP + side + MARGIN, WHITE);
    draw_text(&mut image, LEFT, 10, title, 2, BLACK);
    let heading = "PREDICTED";
    draw_text(
        &mut image,
        LEFT + (side - text_width(heading, 2)) / 2,
        38,
        heading,
        2,
        BLACK,
    );
    // "TRUE" down the left side, one letter under the other.
    for (i, c) in "TRUE".chars().enumerate() {
        let y = TOP + side / 2 - 2 * 18 + i as u32 * 18;
        draw_text(&mut image, 8, y, &c.to_string(), 2, BLACK);
    }
    for k in 0..NUM_CLASSES as u32 {
        let label = k.to_string();
        let centre = k * CELL + CELL / 2;
        draw_text(&mut image, LEFT + centre - 5, TOP - 22, &label, 2, BLACK);
        draw_text(
            &mut image,
            LEFT - 24,
            TOP + centre - GLYPH_HEIGHT,
            &label,
            2,
            BLACK,
        );
    }
    for (truth, row) in confusion.counts.iter().enumerate() {
        let support: u64 = row.iter().sum();
        for (predicted, &count) in row.iter().enumerate() {
            let share = if support == 0 {
                0.0
            } else {
                count as f64 / support as f64
            };
            let colour = shade(share);
            let (x0, y0) = (LEFT + predicted as u32 * CELL, TOP + truth as u32 * CELL);
            for y in y0..y0 + CELL {
                for x in x0..x0 + CELL {
                    // A one-pixel light grid between cells.
                    let edge = x == x0 || y == y0;
                    image.put_pixel(x, y, if edge { Rgb([225, 225, 225]) } else { colour });
                }
            }
            if count > 0 {
                let text = count.to_string();
                let scale = if text_width(&text, 2) <= CELL - 6 {
                    2
                } else {
                    1
                };
                let ink = if share.sqrt() > 0.5 { WHITE } else { BLACK };
                draw_text(
                    &mut image,
                    x0 + (CELL - text_width(&text, scale)) / 2,
                    y0 + (CELL - GLYPH_HEIGHT * scale) / 2,
                    &text,
                    scale,
                    ink,
                );
            }
        }
    }
    image
}

/// Renders the heat map and writes it to `path` as PNG (through a temporary file).
pub fn write_png(path: &Path, confusion: &Confusion, title: &str) -> Result<()> {
    let image = render(confusion, title);
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, ImageFormat::Png)
        .context("cannot encode the confusion heat map as PNG")?;
    write_atomically(path, bytes.get_ref())
        .with_context(|| format!("--confusion-png {}: cannot write the file", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shaded_by_their_share_of_the_row() {
        let mut c = Confusion::default();
        for _ in 0..9 {
            c.add(2, 2);
        }
        c.add(2, 7);
        let image = render(&c, "TEST");
        let centre = |truth: u32, predicted: u32| {
            // A point inside the cell but away from its number.
            *image.get_pixel(LEFT + predicted * CELL + 4, TOP + truth * CELL + 4)
        };
        assert_eq!(centre(2, 2), shade(0.9));
        assert_eq!(centre(2, 7), shade(0.1));
        assert_eq!(centre(0, 0), WHITE);
        assert!(centre(2, 2).0[0] < centre(2, 7).0[0]);
        assert_eq!(shade(1.0), Rgb([8, 48, 107]));
    }
}
