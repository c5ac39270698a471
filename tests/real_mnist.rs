//! Tests on the real MNIST files. They are `#[ignore]`d because the files are not part of the
//! repository; `make test-real REAL_MNIST=DIR` (which CI runs when a copy is present) runs
//! them with `TFLAYERS_REAL_MNIST` pointing at the folder, and each says it ran on real data.

mod common;

use std::path::PathBuf;

use tflayers::graph::{Model, SessionConfig};
use tflayers::mnist::dataset::{read_data_sets, DataSets};
use tflayers::train::{train, Observer, TrainConfig};

fn real_mnist() -> (PathBuf, DataSets) {
    let dir = PathBuf::from(
        std::env::var_os("TFLAYERS_REAL_MNIST")
            .expect("set TFLAYERS_REAL_MNIST to the folder of the four MNIST .gz files"),
    );
    let data = read_data_sets(&dir).expect("real MNIST loads");
    (dir, data)
}

#[test]
#[ignore = "needs the real MNIST files: make test-real REAL_MNIST=DIR"]
fn real_mnist_has_the_standard_split_and_labels() {
    let (dir, data) = real_mnist();
    assert_eq!(data.train.len(), 55_000);
    assert_eq!(data.validation.len(), 5_000);
    assert_eq!(data.test.len(), 10_000);
    // The first training labels belong to the validation split (its first 5,000 images).
    assert_eq!(
        &data.validation.labels()[..10],
        &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    );
    assert_eq!(&data.test.labels()[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    println!("ran on real data: MNIST from {}", dir.display());
}

struct Lines;
impl Observer for Lines {
    fn on_log(&mut self, log: &tflayers::train::StepLog) -> anyhow::Result<()> {
        println!("{}", tflayers::report::article::step_line(log));
        Ok(())
    }
}

#[test]
#[ignore = "needs the real MNIST files: make test-real REAL_MNIST=DIR"]
fn dense_reaches_the_articles_accuracy_on_real_mnist() {
    let (dir, data) = real_mnist();
    let manifest = common::manifest();
    let config = TrainConfig {
        steps: 1000,
        batch_size: 100,
        seed: 0,
        log_every: 100,
        eval_batch_size: None,
    };
    let mut model = Model::load(
        &manifest.model_dir("dense"),
        &manifest,
        &SessionConfig::default(),
        100,
        1e-4,
    )
    .unwrap();
    let result = train(&mut model, &data, &config, &mut Lines).unwrap();
    println!(
        "ran on real data: dense, 1,000 steps on MNIST from {}: test accuracy {}",
        dir.display(),
        result.test.accuracy
    );
    assert!(
        result.test.accuracy >= 0.80,
        "dense reached only {} on real MNIST (the article: about 0.84)",
        result.test.accuracy
    );
}
