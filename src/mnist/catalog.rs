//! The data sets the program knows: their files, published checksums, mirrors and classes.
//!
//! Owns the facts about MNIST and Fashion-MNIST that never change: the four standard file
//! names, the size and SHA-256 of each file's *decompressed* bytes (so any faithful `.gz`
//! wrapper is accepted), the public mirrors to download them from, in order, and the names
//! of the ten classes. Nothing here touches the disk or the network.

use std::path::PathBuf;

use super::dataset::{
    NUM_CLASSES, TEST_IMAGES_FILE, TEST_LABELS_FILE, TRAIN_IMAGES_FILE, TRAIN_LABELS_FILE,
};

/// Environment variable that replaces the built-in mirror list (comma-separated base URLs).
pub const MIRRORS_ENV: &str = "TFLAYERS_MIRRORS";

/// One of the four files of a data set, with its published integrity values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// File name, as served by the mirrors and stored in the data folder.
    pub name: &'static str,
    /// Size of the decompressed IDX bytes.
    pub size: u64,
    /// SHA-256 of the decompressed IDX bytes, lower-case hex.
    pub sha256: &'static str,
    /// Whether the file holds images (else labels).
    pub images: bool,
    /// Whether the file belongs to the training split (else the test split).
    pub train: bool,
}

/// The four standard files of a data set, given the SHA-256 values of their decompressed
/// bytes in the order train images, train labels, test images, test labels: names, sizes and
/// roles are the same for MNIST and Fashion-MNIST.
const fn standard_files(sha256: [&'static str; 4]) -> [FileSpec; 4] {
    const fn spec(
        (name, size, images, train): (&'static str, u64, bool, bool),
        sha256: &'static str,
    ) -> FileSpec {
        FileSpec {
            name,
            size,
            sha256,
            images,
            train,
        }
    }
    [
        spec((TRAIN_IMAGES_FILE, 47_040_016, true, true), sha256[0]),
        spec((TRAIN_LABELS_FILE, 60_008, false, true), sha256[1]),
        spec((TEST_IMAGES_FILE, 7_840_016, true, false), sha256[2]),
        spec((TEST_LABELS_FILE, 10_008, false, false), sha256[3]),
    ]
}

/// MNIST (LeCun, Cortes, Burges), decompressed sizes and SHA-256 values of the original
/// distribution, as listed in the project's data notes; the decompressed bytes served by
/// every public mirror are identical.
pub const MNIST_FILES: [FileSpec; 4] = standard_files([
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
]);

/// Fashion-MNIST (Zalando Research), decompressed sizes and SHA-256 values.
///
/// Where they come from: computed from the decompressed files of Debian's
/// `dataset-fashion-mnist` package (version 0.0~git20200523.55506a9-1, files under
/// `/usr/share/datasets/fashion-mnist/`). Debian recompressed the `.gz` files, so their MD5s
/// differ from the publisher's (`8d4fb7e6…`, `25c81989…`, `bef4ecab…`, `bb300cfd…` for the
/// `.gz`); the MD5s of the decompressed bytes (`f4a8712d…`, `9018921c…`, `8181f547…`,
/// `15d48437…`) match those other projects list for the decompressed publisher files, and
/// these SHA-256 values match independently published ones. Checking the decompressed bytes
/// is what lets both the publisher's and Debian's `.gz` files verify.
pub const FASHION_MNIST_FILES: [FileSpec; 4] = standard_files([
    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
]);

/// MNIST mirrors, tried in order: the one TensorFlow's own `input_data` used, then the one
/// torchvision uses.
pub const MNIST_MIRRORS: [&str; 2] = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
];

/// Fashion-MNIST mirrors, tried in order: the publisher's repository over HTTPS, Keras'
/// copy (what `tf.keras.datasets.fashion_mnist` downloads), then the publisher's download
/// links (plain HTTP: that S3 website endpoint has no HTTPS; the checksum still protects
/// the content).
pub const FASHION_MNIST_MIRRORS: [&str; 3] = [
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
];

/// Fashion-MNIST's class names, by label (from the publisher's README).
pub const FASHION_MNIST_CLASSES: [&str; NUM_CLASSES] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// MNIST's classes are the digits themselves.
pub const MNIST_CLASSES: [&str; NUM_CLASSES] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// A data set the program can download, verify and train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatasetKind {
    /// Handwritten digits, the article's data.
    #[default]
    Mnist,
    /// Zalando's clothing images, a drop-in replacement with the same format.
    FashionMnist,
}

impl DatasetKind {
    /// The name used on the command line (`--dataset`).
    pub fn id(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    /// The name used in reports.
    pub fn title(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST",
            DatasetKind::FashionMnist => "Fashion-MNIST",
        }
    }

    /// Where the files live unless `--data-dir` says otherwise.
    pub fn default_dir(self) -> PathBuf {
        PathBuf::from(match self {
            DatasetKind::Mnist => "data/mnist",
            DatasetKind::FashionMnist => "data/fashion-mnist",
        })
    }

    /// The four files with their published integrity values.
    pub fn files(self) -> &'static [FileSpec; 4] {
        match self {
            DatasetKind::Mnist => &MNIST_FILES,
            DatasetKind::FashionMnist => &FASHION_MNIST_FILES,
        }
    }

    /// The file named `name`, if it is one of the four.
    pub fn file(self, name: &str) -> Option<&'static FileSpec> {
        self.files().iter().find(|spec| spec.name == name)
    }

    /// The built-in mirrors, in the order they are tried.
    pub fn mirrors(self) -> &'static [&'static str] {
        match self {
            DatasetKind::Mnist => &MNIST_MIRRORS,
            DatasetKind::FashionMnist => &FASHION_MNIST_MIRRORS,
        }
    }

    /// Class names by label.
    pub fn class_names(self) -> &'static [&'static str; NUM_CLASSES] {
        match self {
            DatasetKind::Mnist => &MNIST_CLASSES,
            DatasetKind::FashionMnist => &FASHION_MNIST_CLASSES,
        }
    }

    /// The name of class `label` (the digit itself for MNIST); `?` past the last class.
    pub fn class_name(self, label: u8) -> &'static str {
        self.class_names()
            .get(usize::from(label))
            .copied()
            .unwrap_or("?")
    }
}

/// The download URL of `file` on the mirror `base` (a trailing slash is optional).
pub fn file_url(base: &str, file: &str) -> String {
    format!("{}/{file}", base.strip_suffix('/').unwrap_or(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_data_sets_list_the_four_standard_files() {
        for kind in [DatasetKind::Mnist, DatasetKind::FashionMnist] {
            let names: Vec<&str> = kind.files().iter().map(|spec| spec.name).collect();
            assert_eq!(
                names,
                [
                    TRAIN_IMAGES_FILE,
                    TRAIN_LABELS_FILE,
                    TEST_IMAGES_FILE,
                    TEST_LABELS_FILE
                ]
            );
            for spec in kind.files() {
                assert_eq!(spec.sha256.len(), 64, "{}", spec.name);
                assert!(spec.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
                // Header + one byte per label or 784 per image.
                let (header, per_item) = if spec.images { (16, 784) } else { (8, 1) };
                let items = if spec.train { 60_000 } else { 10_000 };
                assert_eq!(spec.size, header + items * per_item, "{}", spec.name);
            }
            assert!(kind.mirrors().iter().all(|m| m.ends_with('/')));
            assert_eq!(kind.file(TEST_LABELS_FILE), Some(&kind.files()[3]));
            assert_eq!(kind.file("nope.gz"), None);
        }
        assert_ne!(MNIST_FILES[0].sha256, FASHION_MNIST_FILES[0].sha256);
    }

    #[test]
    fn names_and_classes() {
        assert_eq!(DatasetKind::default(), DatasetKind::Mnist);
        assert_eq!(DatasetKind::FashionMnist.id(), "fashion-mnist");
        assert_eq!(DatasetKind::FashionMnist.title(), "Fashion-MNIST");
        assert_eq!(
            DatasetKind::FashionMnist.default_dir(),
            PathBuf::from("data/fashion-mnist")
        );
        assert_eq!(DatasetKind::Mnist.class_name(7), "7");
        assert_eq!(DatasetKind::FashionMnist.class_name(9), "Ankle boot");
        assert_eq!(DatasetKind::FashionMnist.class_name(10), "?");
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(file_url("http://h/a/", "f.gz"), "http://h/a/f.gz");
        assert_eq!(file_url("http://h/a", "f.gz"), "http://h/a/f.gz");
    }
}
