//! IDX file format: the container of the MNIST images and labels.
//!
//! Owns decoding (and, for tests and demos, encoding) of the two IDX variants MNIST
//! uses, from and to any `Read`/`Write` — no paths, no decompression, no network:
//!
//! * images: magic `0x00000803` (unsigned bytes, 3 dimensions), then big-endian `u32`
//!   count, rows, cols, then `count * rows * cols` pixel bytes, row-major;
//! * labels: magic `0x00000801` (unsigned bytes, 1 dimension), then a big-endian `u32`
//!   count, then `count` label bytes, each a digit `0..=9`.
//!
//! The parser is strict: the stream must end exactly where the header says, and a
//! hostile header cannot make it allocate more than [`INITIAL_BODY_CAPACITY`] bytes
//! before the data to fill them has actually arrived. Every error names the stream
//! (the `name` argument, typically the file path), says what was expected and what to
//! do about it.

use std::io::{self, Read, Write};

use anyhow::{bail, ensure, Context, Result};

use super::convert::with_capacity_advised;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// IDX type code for unsigned bytes (third byte of the magic number).
pub const UNSIGNED_BYTE_TYPE: u8 = 0x08;
/// The first two bytes of any gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Bytes in an image file header: magic, count, rows, cols.
pub const IMAGES_HEADER_LEN: usize = 16;
/// Bytes in a label file header: magic, count.
pub const LABELS_HEADER_LEN: usize = 8;
/// Largest number of items (images or labels) a header may announce.
pub const MAX_ITEMS: usize = 10_000_000;
/// Largest image side (rows or cols) a header may announce.
pub const MAX_SIDE: usize = 1024;
/// Largest valid label: MNIST labels are the digits 0 to 9.
pub const MAX_LABEL: u8 = 9;
/// Most bytes reserved for a body before its data arrives; larger bodies grow as
/// they are read. Big enough for the MNIST training images (47 040 000 bytes).
pub const INITIAL_BODY_CAPACITY: usize = 64 << 20;

/// A decoded IDX image file: `count` images of `rows * cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count * rows * cols` pixel bytes, image after image, each row-major.
    pub pixels: Vec<u8>,
}

impl Images {
    /// Pixels in one image (`rows * cols`).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }
}

/// Reads into `buf` until it is full or the stream ends; returns the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads and checks a header of `N` bytes starting with `magic`.
fn read_header<const N: usize>(
    reader: &mut impl Read,
    name: &str,
    magic: u32,
    kind: &str,
) -> Result<[u8; N]> {
    let mut header = [0u8; N];
    let got = read_up_to(reader, &mut header).with_context(|| {
        format!(
            "{name}: cannot read the IDX {kind} header; the file is damaged or \
                 incomplete: download it again"
        )
    })?;
    if got == 0 {
        bail!(
            "{name}: is empty: expected an IDX {kind} file starting with a {N}-byte \
             header; download the file again"
        );
    }
    if got >= 2 && header[..2] == GZIP_MAGIC {
        bail!(
            "{name}: not an IDX {kind} file: it starts with the gzip signature 1f 8b, \
             so it is still compressed; decompress it first (read_data_sets reads the \
             .gz files itself)"
        );
    }
    if got >= 4 {
        let found = be_u32(&header, 0);
        if found != magic {
            bail!(
                "{name}: not an IDX {kind} file: expected magic number 0x{magic:08x} but \
                 found 0x{found:08x}{}; check that this is the MNIST {kind} file",
                magic_hint(found, kind)
            );
        }
    }
    ensure!(
        got == N,
        "{name}: truncated header: expected {N} header bytes but the data ends after \
         {got}; the file is incomplete: download it again"
    );
    Ok(header)
}

/// Explains a wrong magic number when it is recognisably something else.
fn magic_hint(found: u32, kind: &str) -> String {
    let [zero_a, zero_b, type_code, dims] = found.to_be_bytes();
    if found == LABELS_MAGIC && kind != "label" {
        " (the magic of an IDX label file: were images and labels swapped?)".to_string()
    } else if found == IMAGES_MAGIC && kind != "image" {
        " (the magic of an IDX image file: were images and labels swapped?)".to_string()
    } else if zero_a == 0 && zero_b == 0 && type_code == UNSIGNED_BYTE_TYPE {
        format!(" (unsigned bytes with {dims} dimensions, an unexpected dimension count)")
    } else if zero_a == 0 && zero_b == 0 {
        format!(" (element type 0x{type_code:02x} with {dims} dimensions; MNIST uses unsigned bytes, type 0x08)")
    } else {
        String::new()
    }
}

/// Reads exactly `expected` body bytes and checks that nothing follows them.
fn read_body(reader: &mut impl Read, name: &str, expected: usize, what: &str) -> Result<Vec<u8>> {
    // Huge-page advice: the training images are 47 MB of fresh memory (see `convert`).
    let mut body = with_capacity_advised(expected.min(INITIAL_BODY_CAPACITY));
    reader
        .by_ref()
        .take(expected as u64)
        .read_to_end(&mut body)
        .with_context(|| {
            format!(
                "{name}: cannot read the {what} after the IDX header; the file is damaged \
                 or incomplete: download it again"
            )
        })?;
    ensure!(
        body.len() == expected,
        "{name}: truncated: the header announces {expected} bytes of {what} but only {} \
         bytes follow; the file is incomplete: download it again",
        body.len()
    );
    let trailing = io::copy(reader, &mut io::sink()).with_context(|| {
        format!(
            "{name}: cannot read past the end of the {what}; the file is damaged or \
                 incomplete: download it again"
        )
    })?;
    ensure!(
        trailing == 0,
        "{name}: {trailing} unexpected trailing bytes after the {expected} bytes of {what} \
         the header announces; the header or the file is damaged: download it again"
    );
    Ok(body)
}

/// Parses an IDX image file (magic [`IMAGES_MAGIC`]) from `reader`; `name` (usually
/// the path) appears in every error message.
pub fn parse_images(mut reader: impl Read, name: &str) -> Result<Images> {
    let header = read_header::<IMAGES_HEADER_LEN>(&mut reader, name, IMAGES_MAGIC, "image")?;
    let count = be_u32(&header, 4) as usize;
    let rows = be_u32(&header, 8) as usize;
    let cols = be_u32(&header, 12) as usize;
    ensure!(
        count <= MAX_ITEMS,
        "{name}: implausible header: it announces {count} images, more than the maximum \
         of {MAX_ITEMS}; the file is damaged or not an MNIST image file"
    );
    ensure!(
        (1..=MAX_SIDE).contains(&rows) && (1..=MAX_SIDE).contains(&cols),
        "{name}: implausible header: it announces images of {rows}x{cols} pixels, but each \
         side must be between 1 and {MAX_SIDE} (MNIST images are 28x28); the file is \
         damaged or not an MNIST image file"
    );
    let expected = count
        .checked_mul(rows)
        .and_then(|pixels| pixels.checked_mul(cols))
        .with_context(|| format!("{name}: {count} images of {rows}x{cols} do not fit in memory"))?;
    let pixels = read_body(
        &mut reader,
        name,
        expected,
        &format!("pixels ({count} images of {rows}x{cols})"),
    )?;
    Ok(Images {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Parses an IDX label file (magic [`LABELS_MAGIC`]) from `reader`; every label must
/// be a digit `0..=9`. `name` (usually the path) appears in every error message.
pub fn parse_labels(mut reader: impl Read, name: &str) -> Result<Vec<u8>> {
    let header = read_header::<LABELS_HEADER_LEN>(&mut reader, name, LABELS_MAGIC, "label")?;
    let count = be_u32(&header, 4) as usize;
    ensure!(
        count <= MAX_ITEMS,
        "{name}: implausible header: it announces {count} labels, more than the maximum \
         of {MAX_ITEMS}; the file is damaged or not an MNIST label file"
    );
    let labels = read_body(
        &mut reader,
        name,
        count,
        &format!("labels ({count} labels)"),
    )?;
    if let Some(first_bad) = labels.iter().position(|&label| label > MAX_LABEL) {
        let bad = labels.iter().filter(|&&label| label > MAX_LABEL).count();
        bail!(
            "{name}: label {} at index {first_bad} is not a digit 0..={MAX_LABEL} ({bad} \
             labels out of range in total); the file is damaged or not an MNIST label file",
            labels[first_bad]
        );
    }
    Ok(labels)
}

fn dimension_u32(value: usize, what: &str) -> Result<[u8; 4]> {
    let value = u32::try_from(value).with_context(|| {
        format!("cannot write an IDX file with {what} = {value}: more than 2^32-1")
    })?;
    Ok(value.to_be_bytes())
}

/// Writes `images` as an IDX image file (the inverse of [`parse_images`]).
pub fn write_idx_images(mut writer: impl Write, images: &Images) -> Result<()> {
    let expected = images
        .count
        .checked_mul(images.pixels_per_image())
        .context("cannot write an IDX image file: count * rows * cols overflows")?;
    ensure!(
        images.pixels.len() == expected,
        "cannot write an IDX image file: {} images of {}x{} need {expected} pixel bytes but \
         {} were given",
        images.count,
        images.rows,
        images.cols,
        images.pixels.len()
    );
    let mut header = Vec::with_capacity(IMAGES_HEADER_LEN);
    header.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    header.extend_from_slice(&dimension_u32(images.count, "count")?);
    header.extend_from_slice(&dimension_u32(images.rows, "rows")?);
    header.extend_from_slice(&dimension_u32(images.cols, "cols")?);
    writer
        .write_all(&header)
        .and_then(|()| writer.write_all(&images.pixels))
        .and_then(|()| writer.flush())
        .context("cannot write the IDX image data")
}

/// Writes `labels` as an IDX label file (the inverse of [`parse_labels`]).
pub fn write_idx_labels(mut writer: impl Write, labels: &[u8]) -> Result<()> {
    let mut header = Vec::with_capacity(LABELS_HEADER_LEN);
    header.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    header.extend_from_slice(&dimension_u32(labels.len(), "count")?);
    writer
        .write_all(&header)
        .and_then(|()| writer.write_all(labels))
        .and_then(|()| writer.flush())
        .context("cannot write the IDX label data")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_bytes(count: u32, rows: u32, cols: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = IMAGES_MAGIC.to_be_bytes().to_vec();
        for value in [count, rows, cols] {
            bytes.extend_from_slice(&value.to_be_bytes());
        }
        bytes.extend_from_slice(body);
        bytes
    }

    fn label_bytes(count: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = LABELS_MAGIC.to_be_bytes().to_vec();
        bytes.extend_from_slice(&count.to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    fn image_error(bytes: &[u8]) -> String {
        format!("{:#}", parse_images(bytes, "imgs.idx").unwrap_err())
    }

    fn label_error(bytes: &[u8]) -> String {
        format!("{:#}", parse_labels(bytes, "lbls.idx").unwrap_err())
    }

    #[test]
    fn parses_images() {
        let body: Vec<u8> = (0..12).collect();
        let images = parse_images(&image_bytes(3, 2, 2, &body)[..], "x").unwrap();
        assert_eq!(
            images,
            Images {
                count: 3,
                rows: 2,
                cols: 2,
                pixels: body
            }
        );
        assert_eq!(images.pixels_per_image(), 4);
    }

    #[test]
    fn parses_zero_images_and_labels() {
        let images = parse_images(&image_bytes(0, 28, 28, &[])[..], "x").unwrap();
        assert_eq!((images.count, images.pixels.len()), (0, 0));
        assert!(parse_labels(&label_bytes(0, &[])[..], "x")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn parses_labels() {
        let labels = parse_labels(&label_bytes(4, &[5, 0, 4, 9])[..], "x").unwrap();
        assert_eq!(labels, vec![5, 0, 4, 9]);
    }

    #[test]
    fn round_trips_through_writers() {
        let images = Images {
            count: 2,
            rows: 3,
            cols: 2,
            pixels: (100..112).collect(),
        };
        let mut encoded = Vec::new();
        write_idx_images(&mut encoded, &images).unwrap();
        assert_eq!(encoded, image_bytes(2, 3, 2, &images.pixels));
        assert_eq!(parse_images(&encoded[..], "x").unwrap(), images);

        let mut encoded = Vec::new();
        write_idx_labels(&mut encoded, &[1, 2, 3]).unwrap();
        assert_eq!(encoded, label_bytes(3, &[1, 2, 3]));
        assert_eq!(parse_labels(&encoded[..], "x").unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn writer_rejects_inconsistent_images() {
        let images = Images {
            count: 2,
            rows: 2,
            cols: 2,
            pixels: vec![0; 7],
        };
        let err = format!("{:#}", write_idx_images(Vec::new(), &images).unwrap_err());
        assert!(err.contains("need 8 pixel bytes but 7 were given"), "{err}");
    }

    #[test]
    fn empty_stream() {
        let err = image_error(&[]);
        assert!(err.starts_with("imgs.idx: is empty"), "{err}");
        assert!(err.contains("16-byte header"), "{err}");
        let err = label_error(&[]);
        assert!(err.starts_with("lbls.idx: is empty"), "{err}");
        assert!(err.contains("8-byte header"), "{err}");
    }

    #[test]
    fn wrong_magic_names_what_was_found() {
        let mut bytes = image_bytes(1, 1, 1, &[0]);
        bytes[..4].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        let err = image_error(&bytes);
        assert!(err.starts_with("imgs.idx: not an IDX image file"), "{err}");
        assert!(err.contains("expected magic number 0x00000803"), "{err}");
        assert!(err.contains("found 0x12345678"), "{err}");
    }

    #[test]
    fn wrong_dimension_count_is_explained() {
        let mut bytes = image_bytes(1, 1, 1, &[0]);
        bytes[3] = 4;
        let err = image_error(&bytes);
        assert!(err.contains("found 0x00000804"), "{err}");
        assert!(err.contains("unsigned bytes with 4 dimensions"), "{err}");
        bytes[2] = 0x0d;
        let err = image_error(&bytes);
        assert!(err.contains("element type 0x0d"), "{err}");
    }

    #[test]
    fn swapped_files_are_explained() {
        let err = image_error(&label_bytes(2, &[1, 2]));
        assert!(err.contains("found 0x00000801"), "{err}");
        assert!(err.contains("were images and labels swapped?"), "{err}");
        let err = label_error(&image_bytes(1, 1, 1, &[0]));
        assert!(err.starts_with("lbls.idx: not an IDX label file"), "{err}");
        assert!(
            err.contains("expected magic number 0x00000801 but found 0x00000803"),
            "{err}"
        );
        assert!(err.contains("were images and labels swapped?"), "{err}");
    }

    #[test]
    fn gzip_data_is_reported_as_compressed() {
        let bytes = [
            0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        for err in [image_error(&bytes), label_error(&bytes)] {
            assert!(err.contains("gzip signature 1f 8b"), "{err}");
            assert!(err.contains("still compressed"), "{err}");
        }
        // Even two bytes are enough to tell.
        assert!(image_error(&GZIP_MAGIC).contains("still compressed"));
    }

    #[test]
    fn truncated_header() {
        let bytes = image_bytes(1, 28, 28, &[]);
        let err = image_error(&bytes[..10]);
        assert!(err.starts_with("imgs.idx: truncated header"), "{err}");
        assert!(
            err.contains("expected 16 header bytes but the data ends after 10"),
            "{err}"
        );
        let err = image_error(&bytes[..3]);
        assert!(
            err.contains("expected 16 header bytes but the data ends after 3"),
            "{err}"
        );
        let err = label_error(&label_bytes(3, &[])[..6]);
        assert!(
            err.contains("expected 8 header bytes but the data ends after 6"),
            "{err}"
        );
    }

    #[test]
    fn truncated_body_says_expected_and_got() {
        let err = image_error(&image_bytes(2, 28, 28, &[0; 1000]));
        assert!(err.starts_with("imgs.idx: truncated"), "{err}");
        assert!(
            err.contains("announces 1568 bytes of pixels (2 images of 28x28)"),
            "{err}"
        );
        assert!(err.contains("only 1000 bytes follow"), "{err}");
        let err = label_error(&label_bytes(5, &[1, 2]));
        assert!(
            err.contains("announces 5 bytes of labels (5 labels) but only 2"),
            "{err}"
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let err = image_error(&image_bytes(1, 2, 2, &[0; 7]));
        assert!(
            err.contains("imgs.idx: 3 unexpected trailing bytes after the 4 bytes"),
            "{err}"
        );
        let err = label_error(&label_bytes(1, &[1, 2]));
        assert!(
            err.contains("lbls.idx: 1 unexpected trailing bytes after the 1 bytes"),
            "{err}"
        );
    }

    #[test]
    fn implausible_counts_are_rejected_before_allocating() {
        // 4 billion images of 1024x1024 would be petabytes; the header alone is refused.
        let err = image_error(&image_bytes(u32::MAX, 1024, 1024, &[]));
        assert!(err.contains("announces 4294967295 images"), "{err}");
        assert!(err.contains("maximum of 10000000"), "{err}");
        let err = label_error(&label_bytes(10_000_001, &[]));
        assert!(err.contains("announces 10000001 labels"), "{err}");
    }

    #[test]
    fn large_but_plausible_header_without_data_is_truncated_not_allocated() {
        // 10 million 1024x1024 images (10 TB) pass the plausibility caps but the body
        // is read as it arrives, so this fails fast as truncated.
        let err = image_error(&image_bytes(10_000_000, 1024, 1024, &[1, 2, 3]));
        assert!(err.contains("announces 10485760000000 bytes"), "{err}");
        assert!(err.contains("only 3 bytes follow"), "{err}");
    }

    #[test]
    fn implausible_sides_are_rejected() {
        for (rows, cols) in [(0, 28), (28, 0), (1025, 28), (28, 70_000)] {
            let err = image_error(&image_bytes(1, rows, cols, &[]));
            assert!(
                err.contains(&format!("images of {rows}x{cols} pixels")),
                "{err}"
            );
            assert!(err.contains("between 1 and 1024"), "{err}");
        }
    }

    #[test]
    fn labels_above_nine_are_rejected() {
        let err = label_error(&label_bytes(5, &[1, 2, 10, 3, 255]));
        assert!(err.starts_with("lbls.idx: label 10 at index 2"), "{err}");
        assert!(err.contains("(2 labels out of range in total)"), "{err}");
    }

    #[test]
    fn read_errors_name_the_stream() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let err = format!("{:#}", parse_images(Failing, "broken.idx").unwrap_err());
        assert!(
            err.starts_with("broken.idx: cannot read the IDX image header"),
            "{err}"
        );
        assert!(err.contains("disk on fire"), "{err}");
    }

    #[test]
    fn reads_from_a_stream_delivering_one_byte_at_a_time() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((&byte, rest)), Some(slot)) => {
                        *slot = byte;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let bytes = image_bytes(2, 1, 3, &[9, 8, 7, 6, 5, 4]);
        let images = parse_images(Trickle(&bytes), "x").unwrap();
        assert_eq!(images.pixels, vec![9, 8, 7, 6, 5, 4]);
    }
}
