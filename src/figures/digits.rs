//! A picture of the data: images in a grid, each with its label underneath, as a PNG.
//!
//! Owns `tflayers data show`'s output. Images are drawn as stored (white strokes on black,
//! 0.0 black and 1.0 white), enlarged by an integer factor; each cell has a caption strip
//! with the label in an 8x8 bitmap font, so a user can check at a glance that images and
//! labels belong together. The PNG is written to a temporary name and renamed, so a failed
//! write never leaves a half-written picture.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use font8x8::{UnicodeFonts, BASIC_FONTS};

use crate::mnist::dataset::IMAGE_SIDE;

/// Pixels around each cell.
const GAP: usize = 4;
/// Height of the caption strip under each image.
const CAPTION: usize = 12;
/// Background between cells.
const BACKGROUND: u8 = 40;
/// Caption strip and text.
const CAPTION_BACKGROUND: u8 = 0;
const TEXT: u8 = 255;
/// Glyph size of the bitmap font.
const GLYPH: usize = 8;
/// Room beside the widest caption, so that neighbouring captions never touch.
const CAPTION_MARGIN: usize = 4;

/// A grayscale picture, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Picture {
    fn filled(width: usize, height: usize, value: u8) -> Self {
        Self {
            width,
            height,
            pixels: vec![value; width * height],
        }
    }

    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, value: u8) {
        for row in y..(y + height).min(self.height) {
            let start = row * self.width + x.min(self.width);
            let end = row * self.width + (x + width).min(self.width);
            self.pixels[start..end].fill(value);
        }
    }

    /// Draws `text` with its top-left corner at (x, y); characters the font lacks show as
    /// `?`, and text past the right edge is cut.
    fn text(&mut self, x: usize, y: usize, text: &str) {
        for (index, ch) in text.chars().enumerate() {
            let glyph = BASIC_FONTS
                .get(ch)
                .or_else(|| BASIC_FONTS.get('?'))
                .unwrap_or([0; 8]);
            for (dy, row) in glyph.iter().enumerate() {
                for dx in 0..GLYPH {
                    // Bit 0 is the leftmost pixel of a row in font8x8.
                    if row & (1 << dx) != 0 {
                        let (px, py) = (x + index * GLYPH + dx, y + dy);
                        if px < self.width && py < self.height {
                            self.pixels[py * self.width + px] = TEXT;
                        }
                    }
                }
            }
        }
    }
}

/// Width in pixels of `text` in the bitmap font.
fn text_width(text: &str) -> usize {
    text.chars().count() * GLYPH
}

/// Lays out `images` (each `IMAGE_SIDE * IMAGE_SIDE` values in `[0, 1]`) with their
/// `captions`, `columns` per row, each image pixel drawn as `scale` x `scale` pixels.
pub fn digit_grid(
    images: &[&[f32]],
    captions: &[String],
    columns: usize,
    scale: usize,
) -> Result<Picture> {
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
    let side = IMAGE_SIDE * scale;
    let widest = captions.iter().map(|c| text_width(c)).max().unwrap_or(0);
    let cell_width = side.max(widest + CAPTION_MARGIN);
    let cell_height = side + CAPTION;
    let columns = columns.min(images.len());
    let rows = images.len().div_ceil(columns);
    let mut picture = Picture::filled(
        GAP + columns * (cell_width + GAP),
        GAP + rows * (cell_height + GAP),
        BACKGROUND,
    );
    for (index, (image, caption)) in images.iter().zip(captions).enumerate() {
        let x0 = GAP + (index % columns) * (cell_width + GAP);
        let y0 = GAP + (index / columns) * (cell_height + GAP);
        let image_x = x0 + (cell_width - side) / 2;
        for (row, values) in image.chunks_exact(IMAGE_SIDE).enumerate() {
            for (col, &value) in values.iter().enumerate() {
                let shade = (value.clamp(0.0, 1.0) * 255.0).round() as u8;
                picture.fill(image_x + col * scale, y0 + row * scale, scale, scale, shade);
            }
        }
        picture.fill(x0, y0 + side, cell_width, CAPTION, CAPTION_BACKGROUND);
        let text_x = x0 + (cell_width - text_width(caption).min(cell_width)) / 2;
        picture.text(text_x, y0 + side + (CAPTION - GLYPH) / 2, caption);
    }
    Ok(picture)
}

/// Writes `picture` as an 8-bit grayscale PNG at `path` (via a temporary file).
pub fn write_png(picture: &Picture, path: &Path) -> Result<()> {
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
    let file_name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = encode(picture, &temp).and_then(|()| {
        fs::rename(&temp, path).with_context(|| format!("cannot rename to {}", path.display()))
    });
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write the picture {}", path.display()))
}

fn encode(picture: &Picture, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let width = u32::try_from(picture.width).context("picture too wide")?;
    let height = u32::try_from(picture.height).context("picture too tall")?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&picture.pixels)?;
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(value: f32) -> Vec<f32> {
        vec![value; IMAGE_SIDE * IMAGE_SIDE]
    }

    #[test]
    fn grid_layout_and_pixels() {
        let (white, black) = (image(1.0), image(0.0));
        let images: Vec<&[f32]> = vec![&white, &black, &white];
        let captions: Vec<String> = ["7", "2", "1"].map(String::from).to_vec();
        let picture = digit_grid(&images, &captions, 2, 2).unwrap();
        let (cell_w, cell_h) = (56, 56 + CAPTION);
        assert_eq!(picture.width, GAP + 2 * (cell_w + GAP));
        assert_eq!(picture.height, GAP + 2 * (cell_h + GAP));
        let at = |x: usize, y: usize| picture.pixels[y * picture.width + x];
        assert_eq!(at(GAP, GAP), 255, "first image is white");
        assert_eq!(at(GAP + cell_w + GAP, GAP), 0, "second image is black");
        assert_eq!(at(0, 0), BACKGROUND);
        // The caption strip holds some text pixels.
        let strip = (GAP + 56..GAP + 56 + CAPTION)
            .flat_map(|y| (GAP..GAP + cell_w).map(move |x| (x, y)))
            .filter(|&(x, y)| at(x, y) == TEXT)
            .count();
        assert!(strip > 5, "caption drawn");
    }

    #[test]
    fn long_captions_widen_the_cells() {
        let img = image(0.5);
        let picture = digit_grid(&[&img], &["Ankle boot".to_string()], 8, 1).unwrap();
        assert_eq!(
            picture.width,
            GAP + text_width("Ankle boot") + CAPTION_MARGIN + GAP
        );
        assert_eq!(picture.pixels[GAP * picture.width + GAP + 42], 128);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let img = image(0.0);
        assert!(digit_grid(&[], &[], 1, 1).is_err());
        assert!(digit_grid(&[&img], &[], 1, 1).is_err());
        assert!(digit_grid(&[&img[..10]], &["x".into()], 1, 1).is_err());
    }

    #[test]
    fn png_round_trip_and_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let img = image(1.0);
        let picture = digit_grid(&[&img], &["3".to_string()], 1, 1).unwrap();
        let path = dir.path().join("d.png");
        write_png(&picture, &path).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        assert_eq!(
            (info.width as usize, info.height as usize),
            (picture.width, picture.height)
        );
        assert_eq!(&buffer[..info.buffer_size()], &picture.pixels[..]);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp left");
        let err = format!(
            "{:#}",
            write_png(&picture, &dir.path().join("no/d.png")).unwrap_err()
        );
        assert!(err.contains("does not exist"), "{err}");
    }
}
