//! Turns a photo or scan of one handwritten digit into the 28x28 input MNIST's networks
//! expect, the way MNIST itself was prepared: grey levels, light ink on a dark background,
//! the digit's bounding box scaled (keeping its aspect ratio) so its longer side is 20 pixels,
//! then placed in a 28x28 field so that its centre of mass is the field's centre.
//!
//! Steps: decode (PNG or JPEG, any size; transparency is laid over white); to grey in
//! `[0, 1]`; the background level is the mean of the image's border, and a light background
//! (above one half) means dark ink, so the image is inverted; grey levels are stretched so the
//! background is 0 and the darkest ink 1; the box holding every pixel above
//! [`INK_THRESHOLD`] is cut out, resized with a triangle (linear) filter, and placed by its
//! centre of mass. Pixels are rounded to bytes and scaled as the MNIST loader scales them.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use image::imageops::{self, FilterType};
use image::{DynamicImage, GrayImage, ImageBuffer, ImageReader, Luma};

use crate::mnist::dataset::{pixel_to_f32, IMAGE_PIXELS, IMAGE_SIDE};

/// The digit's longer side after scaling, as in MNIST.
pub const BOX_SIDE: u32 = 20;
/// Stretched grey levels above this count as ink when finding the digit's bounding box.
pub const INK_THRESHOLD: f32 = 0.25;
/// An image whose ink is less than this brighter than its background holds no digit.
const MIN_CONTRAST: f32 = 0.1;

/// A digit ready for the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The 28x28 image as bytes (0 background, 255 ink), row by row.
    pub bytes: Vec<u8>,
    /// Whether the image was inverted (dark ink on a light background).
    pub inverted: bool,
}

impl Prepared {
    /// The network's input: 784 values in `[0, 1]`, scaled as MNIST's loader does.
    pub fn pixels(&self) -> Vec<f32> {
        self.bytes.iter().map(|&b| pixel_to_f32(b)).collect()
    }

    /// The 28x28 input as a grey image, to look at.
    pub fn to_image(&self) -> GrayImage {
        GrayImage::from_raw(IMAGE_SIDE as u32, IMAGE_SIDE as u32, self.bytes.clone())
            .unwrap_or_default()
    }
}

/// Reads and prepares the image at `path`; errors name the file.
pub fn load(path: &Path) -> Result<Prepared> {
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("cannot open the image {}", path.display()))?
        .len();
    ensure!(
        bytes > 0,
        "the image file {} is empty (0 bytes); pass a PNG or JPEG of one digit",
        path.display()
    );
    let image = ImageReader::open(path)
        .with_context(|| format!("cannot open the image {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read the image {}", path.display()))?
        .decode()
        .with_context(|| {
            format!(
                "cannot decode {} as PNG or JPEG; pass an image of one digit",
                path.display()
            )
        })?;
    prepare(&image).with_context(|| format!("cannot use the image {}", path.display()))
}

/// Prepares a decoded image (see the module docs).
pub fn prepare(image: &DynamicImage) -> Result<Prepared> {
    let (width, height) = (image.width(), image.height());
    ensure!(
        width > 0 && height > 0,
        "the image is empty ({width}x{height} pixels)"
    );
    let grey_alpha = image.to_luma_alpha32f();
    let mut grey: Vec<f32> = grey_alpha
        .pixels()
        .map(|p| p.0[0] * p.0[1] + (1.0 - p.0[1]))
        .collect();
    let at = |x: u32, y: u32| (y * width + x) as usize;
    let xy = |index: usize| (index as u32 % width, index as u32 / width);
    let on_border = |(x, y): (u32, u32)| x == 0 || y == 0 || x == width - 1 || y == height - 1;
    let border: Vec<f64> = (0..grey.len())
        .filter(|&index| on_border(xy(index)))
        .map(|index| f64::from(grey[index]))
        .collect();
    let mut background = (border.iter().sum::<f64>() / border.len() as f64) as f32;
    let inverted = background > 0.5;
    if inverted {
        for v in &mut grey {
            *v = 1.0 - *v;
        }
        background = 1.0 - background;
    }
    let ink = grey.iter().copied().fold(0f32, f32::max);
    ensure!(
        ink - background >= MIN_CONTRAST,
        "no digit found: the image is blank (ink and background differ by {:.3} of the grey \
         range)",
        ink - background
    );
    for v in &mut grey {
        *v = ((*v - background) / (ink - background)).clamp(0.0, 1.0);
    }
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    for (x, y) in (0..grey.len()).filter(|&i| grey[i] > INK_THRESHOLD).map(xy) {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    // The maximum is 1 after stretching, so at least one pixel is ink.
    let (crop_w, crop_h) = (x1 + 1 - x0, y1 + 1 - y0);
    let crop: ImageBuffer<Luma<f32>, Vec<f32>> =
        ImageBuffer::from_fn(crop_w, crop_h, |x, y| Luma([grey[at(x0 + x, y0 + y)]]));
    let longer = crop_w.max(crop_h);
    let scaled_side = |side: u32| {
        ((f64::from(side) * f64::from(BOX_SIDE) / f64::from(longer)).round() as u32).max(1)
    };
    let (new_w, new_h) = (scaled_side(crop_w), scaled_side(crop_h));
    let scaled = imageops::resize(&crop, new_w, new_h, FilterType::Triangle);
    let (mut mass, mut mx, mut my) = (0f64, 0f64, 0f64);
    for (x, y, p) in scaled.enumerate_pixels() {
        let v = f64::from(p.0[0].clamp(0.0, 1.0));
        mass += v;
        mx += v * (f64::from(x) + 0.5);
        my += v * (f64::from(y) + 0.5);
    }
    let side = IMAGE_SIDE as u32;
    let offset = |centre: f64, size: u32| -> u32 {
        let wanted = (f64::from(side) / 2.0 - centre).round();
        wanted.clamp(0.0, f64::from(side - size)) as u32
    };
    let (cx, cy) = if mass > 0.0 {
        (mx / mass, my / mass)
    } else {
        (f64::from(new_w) / 2.0, f64::from(new_h) / 2.0)
    };
    let (ox, oy) = (offset(cx, new_w), offset(cy, new_h));
    let mut bytes = vec![0u8; IMAGE_PIXELS];
    for (x, y, p) in scaled.enumerate_pixels() {
        let value = (p.0[0].clamp(0.0, 1.0) * 255.0).round() as u8;
        bytes[((oy + y) * side + ox + x) as usize] = value;
    }
    Ok(Prepared { bytes, inverted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    /// A thick "L" on a dark background, 60x90 pixels, off-centre.
    fn l_shape(light_background: bool) -> DynamicImage {
        let (bg, ink) = if light_background {
            (240, 10)
        } else {
            (5, 250)
        };
        let image = GrayImage::from_fn(60, 90, |x, y| {
            let stroke = (10..20).contains(&x) && (15..75).contains(&y)
                || (10..40).contains(&x) && (65..75).contains(&y);
            Luma([if stroke { ink } else { bg }])
        });
        DynamicImage::ImageLuma8(image)
    }

    fn bounding_box(p: &Prepared) -> (usize, usize, usize, usize) {
        let (mut x0, mut y0, mut x1, mut y1) = (28, 28, 0, 0);
        for (i, &b) in p.bytes.iter().enumerate() {
            if b > 64 {
                let (x, y) = (i % 28, i / 28);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        (x0, y0, x1, y1)
    }

    #[test]
    fn the_digit_is_scaled_to_twenty_pixels_and_centred_by_mass() {
        let p = prepare(&l_shape(false)).unwrap();
        assert!(!p.inverted);
        let (x0, y0, x1, y1) = bounding_box(&p);
        assert_eq!(y1 - y0 + 1, 20, "height");
        assert_eq!(x1 - x0 + 1, 10, "width keeps the 30:60 aspect ratio");
        let (mut mass, mut mx, mut my) = (0f64, 0f64, 0f64);
        for (i, &b) in p.bytes.iter().enumerate() {
            let v = f64::from(b);
            mass += v;
            mx += v * ((i % 28) as f64 + 0.5);
            my += v * ((i / 28) as f64 + 0.5);
        }
        assert!((mx / mass - 14.0).abs() <= 0.75, "x {}", mx / mass);
        assert!((my / mass - 14.0).abs() <= 0.75, "y {}", my / mass);
    }

    #[test]
    fn dark_ink_on_light_paper_is_inverted_to_the_same_input() {
        let dark = prepare(&l_shape(false)).unwrap();
        let light = prepare(&l_shape(true)).unwrap();
        assert!(light.inverted);
        assert_eq!(light.bytes, dark.bytes);
        assert_eq!(light.bytes[0], 0, "the background is black after inversion");
    }

    #[test]
    fn a_scaled_copy_gives_nearly_the_same_input() {
        let small = l_shape(false);
        let big = small.resize_exact(180, 270, FilterType::Triangle);
        let a = prepare(&small).unwrap();
        let b = prepare(&big).unwrap();
        let diff: f64 = a
            .bytes
            .iter()
            .zip(&b.bytes)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
            .sum::<f64>()
            / (784.0 * 255.0);
        assert!(diff < 0.02, "mean difference {diff}");
    }

    #[test]
    fn blank_and_transparent_images_are_rejected() {
        let blank = DynamicImage::ImageLuma8(GrayImage::from_pixel(30, 30, Luma([200])));
        let err = prepare(&blank).unwrap_err().to_string();
        assert!(err.contains("no digit found"), "{err}");
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::new(10, 10));
        assert!(prepare(&clear).is_err());
        let empty = DynamicImage::ImageLuma8(GrayImage::new(0, 0));
        assert!(prepare(&empty).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn undecodable_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digit.png");
        std::fs::write(&path, b"not an image").unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("digit.png"), "{err}");
        std::fs::write(&path, b"").unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("digit.png is empty"), "{err}");
        let err = format!("{:#}", load(&dir.path().join("missing.png")).unwrap_err());
        assert!(err.contains("missing.png"), "{err}");
    }
}
