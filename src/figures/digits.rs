//! A picture of the data: images in a grid, each with its label underneath, as a PNG.
//!
//! Owns `tflayers data show`'s output. Images are drawn as stored (white strokes on black,
//! 0.0 black and 1.0 white), enlarged by an integer factor; each cell has a caption strip
//! with the label in the figures' font, so a user can check at a glance that images and
//! labels belong together.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use crate::figures::canvas::{self, drawn, fill, text_at, text_width, Figure, ImageKind};
use crate::mnist::dataset::IMAGE_SIDE;

/// Pixels around each cell.
const GAP: usize = 4;
/// Height of the caption strip under each image.
const CAPTION: usize = 12;
/// Text size of the captions in pixels.
const CAPTION_FONT: f64 = 13.0;
/// Background between cells.
const BACKGROUND: RGBColor = RGBColor(40, 40, 40);
/// Caption strip and text.
const CAPTION_BACKGROUND: RGBColor = BLACK;
const TEXT: RGBColor = WHITE;
/// Room beside the widest caption, so that neighbouring captions never touch.
const CAPTION_MARGIN: usize = 4;

/// Images laid out in a grid with their captions, ready to draw; `width` x `height` pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitGrid<'a> {
    pub width: usize,
    pub height: usize,
    images: &'a [&'a [f32]],
    captions: &'a [String],
    columns: usize,
    scale: usize,
    cell_width: usize,
}

/// Lays out `images` (each `IMAGE_SIDE * IMAGE_SIDE` values in `[0, 1]`) with their
/// `captions`, `columns` per row, each image pixel drawn as `scale` x `scale` pixels.
pub fn digit_grid<'a>(
    images: &'a [&'a [f32]],
    captions: &'a [String],
    columns: usize,
    scale: usize,
) -> Result<DigitGrid<'a>> {
    ensure!(!images.is_empty(), "no images to draw");
    ensure!(
        images.len() == captions.len(),
        "{} images but {} captions",
        images.len(),
        captions.len()
    );
    ensure!(
        columns > 0 && scale > 0,
        "columns and scale must be positive"
    );
    for (index, image) in images.iter().enumerate() {
        ensure!(
            image.len() == IMAGE_SIDE * IMAGE_SIDE,
            "image {index} has {} values, expected {}",
            image.len(),
            IMAGE_SIDE * IMAGE_SIDE
        );
    }
    let mut widest = 0;
    for caption in captions {
        widest = widest.max(text_width(caption, CAPTION_FONT)? as usize);
    }
    let side = IMAGE_SIDE * scale;
    let cell_width = side.max(widest + CAPTION_MARGIN);
    let columns = columns.min(images.len());
    let rows = images.len().div_ceil(columns);
    Ok(DigitGrid {
        width: GAP + columns * (cell_width + GAP),
        height: GAP + rows * (side + CAPTION + GAP),
        images,
        captions,
        columns,
        scale,
        cell_width,
    })
}

impl Figure for DigitGrid<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        drawn(root.fill(&BACKGROUND))?;
        let side = IMAGE_SIDE * self.scale;
        let pixel = |x: usize, y: usize, (width, height): (usize, usize), colour: RGBColor| {
            let size = (width as i32, height as i32);
            fill(root, (x as i32, y as i32), size, colour)
        };
        for (index, (image, caption)) in self.images.iter().zip(self.captions).enumerate() {
            let x0 = GAP + (index % self.columns) * (self.cell_width + GAP);
            let y0 = GAP + (index / self.columns) * (side + CAPTION + GAP);
            let image_x = x0 + (self.cell_width - side) / 2;
            for (row, values) in image.chunks_exact(IMAGE_SIDE).enumerate() {
                for (col, &value) in values.iter().enumerate() {
                    let shade = (value.clamp(0.0, 1.0) * 255.0).round() as u8;
                    let (x, y) = (image_x + col * self.scale, y0 + row * self.scale);
                    pixel(
                        x,
                        y,
                        (self.scale, self.scale),
                        RGBColor(shade, shade, shade),
                    )?;
                }
            }
            pixel(
                x0,
                y0 + side,
                (self.cell_width, CAPTION),
                CAPTION_BACKGROUND,
            )?;
            let centre = (x0 + self.cell_width / 2, y0 + side + CAPTION / 2);
            let at = (centre.0 as i32, centre.1 as i32);
            text_at(root, caption, at, HPos::Center, (CAPTION_FONT, TEXT))?;
        }
        Ok(())
    }
}

/// Writes `grid` as a PNG at `path`, whose folder must exist (via a temporary file).
pub fn write_png(grid: &DigitGrid<'_>, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    ensure!(
        dir.is_dir(),
        "cannot write {}: the folder {} does not exist",
        path.display(),
        dir.display()
    );
    let width = u32::try_from(grid.width).context("picture too wide")?;
    let height = u32::try_from(grid.height).context("picture too tall")?;
    canvas::write(grid, path, ImageKind::Png, (width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    fn image(value: f32) -> Vec<f32> {
        vec![value; IMAGE_SIDE * IMAGE_SIDE]
    }

    fn render(grid: &DigitGrid<'_>) -> RgbImage {
        let size = (grid.width as u32, grid.height as u32);
        canvas::render_rgb(grid, size).unwrap()
    }

    #[test]
    fn grid_layout_and_pixels() {
        let (white, black) = (image(1.0), image(0.0));
        let images: Vec<&[f32]> = vec![&white, &black, &white];
        let captions: Vec<String> = ["7", "2", "1"].map(String::from).to_vec();
        let grid = digit_grid(&images, &captions, 2, 2).unwrap();
        let (cell_w, cell_h) = (56, 56 + CAPTION);
        assert_eq!(grid.width, GAP + 2 * (cell_w + GAP));
        assert_eq!(grid.height, GAP + 2 * (cell_h + GAP));
        let picture = render(&grid);
        let at = |x: usize, y: usize| picture.get_pixel(x as u32, y as u32).0;
        assert_eq!(at(GAP, GAP), [255; 3], "first image is white");
        assert_eq!(at(GAP + cell_w - 1, GAP + 55), [255; 3], "all of it");
        assert_eq!(at(GAP + cell_w + GAP, GAP), [0; 3], "second image is black");
        assert_eq!(at(0, 0), [40; 3]);
        assert_eq!(at(GAP, GAP + 56), [0; 3], "the caption strip");
        // The caption strip holds the label's ink, and only where there is a label.
        let ink = |picture: &RgbImage| {
            (GAP + 56..GAP + 56 + CAPTION)
                .flat_map(|y| (GAP..GAP + cell_w).map(move |x| (x, y)))
                .filter(|&(x, y)| picture.get_pixel(x as u32, y as u32).0[0] > 128)
                .count()
        };
        assert!(ink(&picture) > 5, "caption drawn");
        let unlabelled: Vec<String> = vec![String::new(); 3];
        assert_eq!(
            ink(&render(&digit_grid(&images, &unlabelled, 2, 2).unwrap())),
            0
        );
    }

    #[test]
    fn long_captions_widen_the_cells() {
        let img = image(0.5);
        let images: Vec<&[f32]> = vec![&img];
        let captions = ["Ankle boot".to_string()];
        let grid = digit_grid(&images, &captions, 8, 1).unwrap();
        let caption = text_width("Ankle boot", CAPTION_FONT).unwrap() as usize;
        assert!(caption > IMAGE_SIDE, "{caption}");
        assert_eq!(grid.width, GAP + caption + CAPTION_MARGIN + GAP);
        let centre = GAP + grid.width.saturating_sub(2 * GAP) / 2;
        assert_eq!(
            render(&grid).get_pixel(centre as u32, GAP as u32).0,
            [128; 3]
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let img = image(0.0);
        let one: Vec<&[f32]> = vec![&img];
        let short: Vec<&[f32]> = vec![&img[..10]];
        let label = ["x".to_string()];
        assert!(digit_grid(&[], &[], 1, 1).is_err());
        assert!(digit_grid(&one, &[], 1, 1).is_err());
        assert!(digit_grid(&short, &label, 1, 1).is_err());
    }

    #[test]
    fn png_round_trip_and_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let img = image(1.0);
        let images: Vec<&[f32]> = vec![&img];
        let captions = ["3".to_string()];
        let grid = digit_grid(&images, &captions, 1, 1).unwrap();
        let path = dir.path().join("d.png");
        write_png(&grid, &path).unwrap();
        let decoded = image::open(&path).unwrap().to_rgb8();
        assert_eq!(decoded, render(&grid));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
        let err = format!(
            "{:#}",
            write_png(&grid, &dir.path().join("no/d.png")).unwrap_err()
        );
        assert!(err.contains("does not exist"), "{err}");
    }
}
