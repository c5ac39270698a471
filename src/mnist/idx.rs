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

use anyhow::{anyhow, bail, ensure, Context, Result};

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

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads and checks a header of `N` bytes starting with `magic` and the item count; returns
/// the header and the count.
fn read_header<const N: usize>(
    reader: &mut impl Read,
    name: &str,
    magic: u32,
    kind: &str,
) -> Result<([u8; N], usize)> {
    let mut header = Vec::with_capacity(N);
    let got = reader
        .take(N as u64)
        .read_to_end(&mut header)
        .with_context(|| {
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
    let header: [u8; N] = header.try_into().map_err(|_| {
        anyhow!(
            "{name}: truncated header: expected {N} header bytes but the data ends after \
             {got}; the file is incomplete: download it again"
        )
    })?;
    let count = be_u32(&header, 4) as usize;
    ensure!(
        count <= MAX_ITEMS,
        "{name}: implausible header: it announces {count} {kind}s, more than the maximum \
         of {MAX_ITEMS}; the file is damaged or not an MNIST {kind} file"
    );
    Ok((header, count))
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
    let (header, count) =
        read_header::<IMAGES_HEADER_LEN>(&mut reader, name, IMAGES_MAGIC, "image")?;
    let rows = be_u32(&header, 8) as usize;
    let cols = be_u32(&header, 12) as usize;
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
    let (_, count) = read_header::<LABELS_HEADER_LEN>(&mut reader, name, LABELS_MAGIC, "label")?;
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

/// Writes an IDX header (`magic`, then each dimension as a big-endian `u32`) and `body`.
fn write_idx(
    mut writer: impl Write,
    (magic, kind): (u32, &str),
    dims: &[(&str, usize)],
    body: &[u8],
) -> Result<()> {
    let mut header = magic.to_be_bytes().to_vec();
    for &(what, value) in dims {
        let value = u32::try_from(value).with_context(|| {
            format!("cannot write an IDX file with {what} = {value}: more than 2^32-1")
        })?;
        header.extend_from_slice(&value.to_be_bytes());
    }
    writer
        .write_all(&header)
        .and_then(|()| writer.write_all(body))
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write the IDX {kind} data"))
}

/// Writes `images` as an IDX image file (the inverse of [`parse_images`]).
pub fn write_idx_images(writer: impl Write, images: &Images) -> Result<()> {
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
    let dims = [
        ("count", images.count),
        ("rows", images.rows),
        ("cols", images.cols),
    ];
    write_idx(writer, (IMAGES_MAGIC, "image"), &dims, &images.pixels)
}

/// Writes `labels` as an IDX label file (the inverse of [`parse_labels`]).
pub fn write_idx_labels(writer: impl Write, labels: &[u8]) -> Result<()> {
    write_idx(
        writer,
        (LABELS_MAGIC, "label"),
        &[("count", labels.len())],
        labels,
    )
}

#[cfg(test)]
mod tests;
