//! Property tests: random and mutated bytes fed to the IDX parser, the gzip layer and the
//! whole loader must give an error or a valid result, never a panic. The number of cases is
//! bounded (256 per property, fewer for the ones that write files); `PROPTEST_CASES`
//! overrides it.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;

use tflayers::mnist::dataset::{read_data_sets_with, TRAIN_LABELS_FILE};
use tflayers::mnist::fixtures::write_synthetic_mnist;
use tflayers::mnist::idx::{
    parse_images, parse_labels, write_idx_images, write_idx_labels, Images, MAX_LABEL,
};
use tflayers::mnist::verify::digest_gz_file;

fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        // An explicit PROPTEST_CASES wins; otherwise the bound given here.
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            cases
        },
        failure_persistence: None,
        ..default
    }
}

/// A valid IDX image file of up to 4 images of up to 6x6 pixels.
fn image_file() -> impl Strategy<Value = Vec<u8>> {
    (0usize..4, 1usize..6, 1usize..6).prop_flat_map(|(count, rows, cols)| {
        proptest::collection::vec(any::<u8>(), count * rows * cols).prop_map(move |pixels| {
            let mut bytes = Vec::new();
            write_idx_images(
                &mut bytes,
                &Images {
                    count,
                    rows,
                    cols,
                    pixels,
                },
            )
            .unwrap();
            bytes
        })
    })
}

/// A valid IDX label file of up to 20 digits.
fn label_file() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0u8..=9, 0..20).prop_map(|labels| {
        let mut bytes = Vec::new();
        write_idx_labels(&mut bytes, &labels).unwrap();
        bytes
    })
}

/// Edits applied to a valid file: overwrite a byte, cut the end, append bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Truncate(usize),
    Append(Vec<u8>),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set(at, byte)),
            any::<usize>().prop_map(Mutation::Truncate),
            proptest::collection::vec(any::<u8>(), 1..8).prop_map(Mutation::Append),
        ],
        0..4,
    )
}

fn mutate(mut bytes: Vec<u8>, edits: &[Mutation]) -> Vec<u8> {
    for edit in edits {
        match edit {
            Mutation::Set(at, byte) if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] = *byte;
            }
            Mutation::Set(..) => {}
            Mutation::Truncate(at) => {
                let len = at % (bytes.len() + 1);
                bytes.truncate(len);
            }
            Mutation::Append(extra) => bytes.extend_from_slice(extra),
        }
    }
    bytes
}

fn check_images(bytes: &[u8]) {
    if let Ok(images) = parse_images(bytes, "prop") {
        assert_eq!(
            images.pixels.len(),
            images.count * images.rows * images.cols
        );
        assert_eq!(bytes.len(), 16 + images.pixels.len());
    }
}

fn check_labels(bytes: &[u8]) {
    if let Ok(labels) = parse_labels(bytes, "prop") {
        assert!(labels.iter().all(|&label| label <= MAX_LABEL));
        assert_eq!(bytes.len(), 8 + labels.len());
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_images(&bytes);
        check_labels(&bytes);
    }

    #[test]
    fn mutated_image_files_are_rejected_or_consistent(file in image_file(), edits in mutations()) {
        let pristine = parse_images(&file[..], "prop");
        prop_assert!(pristine.is_ok());
        check_images(&mutate(file, &edits));
    }

    #[test]
    fn mutated_label_files_are_rejected_or_consistent(file in label_file(), edits in mutations()) {
        prop_assert!(parse_labels(&file[..], "prop").is_ok());
        check_labels(&mutate(file, &edits));
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The whole loader, through gzip: one of the four files replaced by a mutated copy of a
    /// valid compressed file, or by mutated compressed bytes.
    #[test]
    fn the_loader_rejects_or_loads_damaged_files(
        file in label_file(),
        edits in mutations(),
        damage_compressed in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_mnist(dir.path(), 8, 3, 1).unwrap();
        let path = dir.path().join(TRAIN_LABELS_FILE);
        let bytes = if damage_compressed {
            mutate(gz(&file), &edits)
        } else {
            gz(&mutate(file, &edits))
        };
        std::fs::write(&path, bytes).unwrap();
        if let Ok(sets) = read_data_sets_with(dir.path(), 2) {
            // Only a label file that happens to hold 8 valid digits can load.
            prop_assert_eq!(sets.train.len() + sets.validation.len(), 8);
        }
        let _ = digest_gz_file(&path);
    }
}
