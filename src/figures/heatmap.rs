//! The confusion matrix as a PNG heat map (`evaluate --confusion-png`).
//!
//! Each cell is shaded by its share of its row (the true digit), on a square-root scale so
//! that the few confusions stand out beside the full diagonal, and carries its count. Rows
//! are the true digit, columns the predicted one.

use std::path::Path;

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use crate::figures::canvas::{self, drawn, fill, text_at, text_width, Figure, ImageKind};
use crate::mnist::dataset::NUM_CLASSES;
use crate::output::confusion::Confusion;
use crate::output::format::format_g;

const CELL: u32 = 56;
const LEFT: u32 = 84;
const TOP: u32 = 84;
const MARGIN: u32 = 24;
const SIDE: u32 = CELL * NUM_CLASSES as u32;
/// The size of the picture in pixels.
const SIZE: (u32, u32) = (LEFT + SIDE + MARGIN, TOP + SIDE + MARGIN);
const INK: RGBColor = RGBColor(20, 20, 20);
/// The one-pixel grid between cells.
const GRID: RGBColor = RGBColor(225, 225, 225);
/// The colour of a full cell; empty cells are white.
const FULL: [f64; 3] = [8.0, 48.0, 107.0];
/// Text sizes in pixels: title and axis labels, counts, counts too wide for their cell.
const BIG: f64 = 20.0;
const COUNT: f64 = 18.0;
const COUNT_SMALL: f64 = 12.0;
/// The smallest size a long title shrinks to.
const MIN_TITLE: f64 = 11.0;

/// The colour of a cell holding `share` (0..=1) of its row.
fn shade(share: f64) -> RGBColor {
    let t = share.clamp(0.0, 1.0).sqrt();
    let mix = |full: f64| (255.0 + (full - 255.0) * t).round() as u8;
    RGBColor(mix(FULL[0]), mix(FULL[1]), mix(FULL[2]))
}

/// The heat map's title: which model, on which split of which data set, and its accuracy
/// (as the article prints it, `%g`).
pub fn title(model: &str, dataset: &str, split: &str, accuracy: f64) -> String {
    format!(
        "{model}, {dataset} {split} split: accuracy {}",
        format_g(accuracy)
    )
}

/// The heat map of `confusion` under `title`.
struct Heatmap<'a> {
    confusion: &'a Confusion,
    title: &'a str,
}

impl Figure for Heatmap<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        drawn(root.fill(&WHITE))?;
        let (left, top, side, cell) = (LEFT as i32, TOP as i32, SIDE as i32, CELL as i32);
        let big = (BIG, INK);
        // A long title (a model name, a data set, a split) shrinks to fit the width.
        let room = SIZE.0 - LEFT - MARGIN / 2;
        let mut title_size = BIG;
        while title_size > MIN_TITLE && text_width(self.title, title_size)? > room {
            title_size -= 1.0;
        }
        text_at(root, self.title, (left, 17), HPos::Left, (title_size, INK))?;
        text_at(root, "PREDICTED", (left + side / 2, 45), HPos::Center, big)?;
        // "TRUE" down the left side, one letter under the other.
        for (i, c) in "TRUE".chars().enumerate() {
            let y = top + side / 2 - 29 + i as i32 * 18;
            text_at(root, &c.to_string(), (13, y), HPos::Center, big)?;
        }
        for k in 0..NUM_CLASSES as i32 {
            let digit = k.to_string();
            let centre = k * cell + cell / 2;
            text_at(root, &digit, (left + centre, top - 15), HPos::Center, big)?;
            text_at(root, &digit, (left - 19, top + centre), HPos::Center, big)?;
        }
        for (truth, row) in self.confusion.counts.iter().enumerate() {
            let support: u64 = row.iter().sum();
            for (predicted, &count) in row.iter().enumerate() {
                let share = if support == 0 {
                    0.0
                } else {
                    count as f64 / support as f64
                };
                let corner = (left + predicted as i32 * cell, top + truth as i32 * cell);
                draw_cell(root, corner, count, share)?;
            }
        }
        Ok(())
    }
}

/// One cell with its top-left corner at `(x0, y0)`: shaded, bordered, and its count.
fn draw_cell<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    count: u64,
    share: f64,
) -> Result<()> {
    // A one-pixel light grid on the top and left edges, the share's colour inside.
    let cell = CELL as i32;
    fill(root, (x0, y0), (cell, cell), GRID)?;
    fill(root, (x0 + 1, y0 + 1), (cell - 1, cell - 1), shade(share))?;
    if count == 0 {
        return Ok(());
    }
    let text = count.to_string();
    let size = if text_width(&text, COUNT)? <= CELL - 6 {
        COUNT
    } else {
        COUNT_SMALL
    };
    let ink = if share.sqrt() > 0.5 { WHITE } else { INK };
    let centre = (x0 + cell / 2, y0 + cell / 2);
    text_at(root, &text, centre, HPos::Center, (size, ink))
}

/// Renders the heat map and writes it to `path` as PNG (through a temporary file).
pub fn write_png(path: &Path, confusion: &Confusion, title: &str) -> Result<()> {
    let figure = Heatmap { confusion, title };
    canvas::write(&figure, path, ImageKind::Png, SIZE)
        .with_context(|| format!("--confusion-png {}: cannot write the file", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn confusion() -> Confusion {
        let mut c = Confusion::default();
        for _ in 0..9 {
            c.add(2, 2);
        }
        c.add(2, 7);
        c
    }

    fn render(confusion: &Confusion, title: &str) -> RgbImage {
        canvas::render_rgb(&Heatmap { confusion, title }, SIZE).unwrap()
    }

    /// Pixels that differ between `a` and `b` inside the rectangle `[x0, x1) x [y0, y1)`.
    fn differing(a: &RgbImage, b: &RgbImage, (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> usize {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| a.get_pixel(x, y) != b.get_pixel(x, y))
            .count()
    }

    #[test]
    fn cells_are_shaded_by_their_share_of_the_row() {
        let image = render(&confusion(), "TEST");
        assert_eq!(image.dimensions(), (668, 668));
        let colour = |c: RGBColor| Rgb([c.0, c.1, c.2]);
        let centre = |truth: u32, predicted: u32| {
            // A point inside the cell but away from its number.
            *image.get_pixel(LEFT + predicted * CELL + 4, TOP + truth * CELL + 4)
        };
        assert_eq!(centre(2, 2), colour(shade(0.9)));
        assert_eq!(centre(2, 7), colour(shade(0.1)));
        assert_eq!(centre(0, 0), Rgb([255, 255, 255]));
        assert!(centre(2, 2).0[0] < centre(2, 7).0[0]);
        assert_eq!(shade(1.0), RGBColor(8, 48, 107));
        // The grid line on a cell's top-left edge; the fill reaches the next cell's.
        assert_eq!(*image.get_pixel(LEFT, TOP), colour(GRID));
        assert_eq!(*image.get_pixel(LEFT + CELL, TOP + 1), colour(GRID));
        assert_eq!(
            *image.get_pixel(LEFT + CELL - 1, TOP + 1),
            colour(shade(0.0))
        );
        let last = LEFT + SIDE - 1;
        assert_eq!(
            *image.get_pixel(last, TOP + 3 * CELL - 1),
            colour(shade(0.0))
        );
        assert_eq!(*image.get_pixel(last + 1, TOP), Rgb([255, 255, 255]));
    }

    #[test]
    fn the_title_axis_labels_and_counts_are_drawn() {
        let c = confusion();
        let full = render(&c, "ACCURACY 0.9");
        let untitled = render(&c, "");
        // The title strip above the matrix: ink only when there is a title.
        assert!(differing(&full, &untitled, (LEFT, SIZE.0), (0, 34)) > 50);
        let blank = canvas::render_rgb(&Blank, SIZE).unwrap();
        let white = |image: &RgbImage, xs, ys| differing(image, &blank, xs, ys);
        // "PREDICTED" and the column digits above the matrix, "TRUE" and the row digits left.
        assert!(white(&untitled, (LEFT, SIZE.0), (34, TOP)) > 200);
        assert!(white(&untitled, (0, 30), (TOP, TOP + SIDE)) > 60);
        assert!(white(&untitled, (30, LEFT), (TOP, TOP + SIDE)) > 100);
        // The counts: "9" in cell (2, 2) and "1" in cell (2, 7), nothing in an empty cell.
        let inside = |image: &RgbImage, truth: u32, predicted: u32| {
            let (x0, y0) = (LEFT + predicted * CELL, TOP + truth * CELL);
            let fill = *image.get_pixel(x0 + 4, y0 + 4);
            (x0 + 1..x0 + CELL)
                .flat_map(|x| (y0 + 1..y0 + CELL).map(move |y| (x, y)))
                .filter(|&(x, y)| *image.get_pixel(x, y) != fill)
                .count()
        };
        assert!(inside(&full, 2, 2) > 20);
        assert!(inside(&full, 2, 7) > 10);
        assert_eq!(inside(&full, 0, 0), 0);
    }

    #[test]
    fn the_title_names_model_split_and_data_set_and_fits() {
        let title = title("dense (1000 steps)", "MNIST", "test", 0.9114);
        assert_eq!(
            title,
            "dense (1000 steps), MNIST test split: accuracy 0.9114"
        );
        let long = super::title(
            "a SavedModel without tflayers.json",
            "Fashion-MNIST",
            "validation",
            0.1,
        );
        let drawn = render(&confusion(), &long);
        let untitled = render(&confusion(), "");
        // Ink in the title strip, none in the right margin beside it.
        assert!(differing(&drawn, &untitled, (LEFT, SIZE.0), (0, 34)) > 50);
        assert_eq!(
            differing(&drawn, &untitled, (SIZE.0 - MARGIN / 2, SIZE.0), (0, 34)),
            0
        );
    }

    /// A white picture of the heat map's size, to compare the labels' ink against.
    struct Blank;

    impl Figure for Blank {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
            drawn(root.fill(&WHITE))
        }
    }
}
