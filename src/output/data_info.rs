//! The text reports about the data: `data info`'s tables and `data bench`'s comparison.
//!
//! Owns only formatting: the checksum status of each file, the size and label histogram of
//! each split (with the class names, which matter for Fashion-MNIST), and the loading
//! benchmark's medians, ranges and ratio. The tables go through [`crate::output::table`].

use crate::mnist::catalog::{DatasetKind, FileSpec};
use crate::mnist::dataset::{DataSet, DataSets, IMAGE_SIDE, NUM_CLASSES};
use crate::mnist::verify::FileStatus;
use crate::output::table::{self, Column};

/// Characters of a hash shown in the status column.
const SHORT_HASH: usize = 12;

/// One word or phrase for a file's checksum status.
pub fn status_text(spec: &FileSpec, status: &FileStatus) -> String {
    match status {
        FileStatus::Missing => "missing".to_string(),
        FileStatus::Verified { stamped: true } => {
            format!("verified, stamp ({}…)", &spec.sha256[..SHORT_HASH])
        }
        FileStatus::Verified { stamped: false } => {
            format!("verified, hashed now ({}…)", &spec.sha256[..SHORT_HASH])
        }
        FileStatus::Mismatch { actual } => format!(
            "MISMATCH: expected SHA-256 {} ({} bytes), found {} ({} bytes)",
            spec.sha256, spec.size, actual.sha256, actual.size
        ),
        FileStatus::Unreadable(reason) => format!("UNREADABLE: {reason}"),
    }
}

/// The checksum table: one row per file.
pub fn checksum_table(files: &[(FileSpec, FileStatus)]) -> String {
    table::render(
        &[
            Column::left("file"),
            Column::left("checksum of the decompressed bytes"),
        ],
        2,
        files
            .iter()
            .map(|(spec, status)| [spec.name.to_string(), status_text(spec, status)]),
    )
}

fn histogram(set: &DataSet) -> [usize; NUM_CLASSES] {
    let mut counts = [0; NUM_CLASSES];
    for &label in set.labels() {
        if let Some(count) = counts.get_mut(usize::from(label)) {
            *count += 1;
        }
    }
    counts
}

/// The split table (count and shape) and the label histogram with class names.
pub fn split_tables(kind: DatasetKind, data: &DataSets) -> String {
    let splits = [
        ("train", &data.train),
        ("validation", &data.validation),
        ("test", &data.test),
    ];
    let sizes = table::render(
        &[
            Column::left("split").min_width(10),
            Column::right("images").min_width(6),
            Column::left("shape"),
        ],
        2,
        splits.map(|(name, set)| {
            let n = set.len();
            [
                name.to_string(),
                n.to_string(),
                format!(
                    "{n} x {IMAGE_SIDE} x {IMAGE_SIDE} f32 in [0, 1], one-hot labels {n} x \
                     {NUM_CLASSES}"
                ),
            ]
        }),
    );
    let counts = splits.map(|(_, set)| histogram(set));
    let labels = table::render(
        &[
            Column::left("label"),
            Column::left("class"),
            Column::right("train").min_width(6),
            Column::right("validation"),
            Column::right("test").min_width(6),
        ],
        2,
        kind.class_names().iter().enumerate().map(|(label, class)| {
            [
                label.to_string(),
                class.to_string(),
                counts[0][label].to_string(),
                counts[1][label].to_string(),
                counts[2][label].to_string(),
            ]
        }),
    );
    format!("{sizes}\n{labels}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::catalog::FASHION_MNIST_FILES;
    use crate::mnist::verify::Digest;

    #[test]
    fn statuses_in_words() {
        let spec = FASHION_MNIST_FILES[0];
        assert_eq!(status_text(&spec, &FileStatus::Missing), "missing");
        assert!(status_text(&spec, &FileStatus::Verified { stamped: true })
            .starts_with("verified, stamp (c59f468a2f67"));
        let mismatch = status_text(
            &spec,
            &FileStatus::Mismatch {
                actual: Digest {
                    sha256: "ab".repeat(32),
                    size: 5,
                },
            },
        );
        assert!(mismatch.contains(spec.sha256) && mismatch.contains(&"ab".repeat(32)));
        assert!(mismatch.contains("(5 bytes)"));
        let table = checksum_table(&[(spec, FileStatus::Missing)]);
        assert!(table.starts_with("file  "), "{table}");
        assert!(
            table.contains("train-images-idx3-ubyte.gz  missing"),
            "{table}"
        );
    }

    #[test]
    fn split_tables_count_labels_with_class_names() {
        let set =
            |labels: &[u8]| DataSet::from_bytes(&vec![0; labels.len() * 784], labels, "x").unwrap();
        let data = DataSets {
            train: set(&[9, 9, 0]),
            validation: set(&[1]),
            test: set(&[9]),
        };
        let text = split_tables(DatasetKind::FashionMnist, &data);
        assert!(text.contains("train            3  3 x 28 x 28"), "{text}");
        let boots = text.lines().find(|l| l.starts_with("9 ")).unwrap();
        assert_eq!(
            boots.split_whitespace().collect::<Vec<_>>(),
            ["9", "Ankle", "boot", "2", "0", "1"]
        );
        let mnist = split_tables(DatasetKind::Mnist, &data);
        assert!(mnist
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["1", "1", "0", "1", "0"]));
    }
}
