//! Parsing and writing IDX streams: layouts, every rejected header and body, and readers that
//! deliver little at a time.

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
