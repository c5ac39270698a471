//! Loads each exported SavedModel through libtensorflow and trains it from Rust on a tiny
//! synthetic dataset: the loss must fall, and two runs must be identical.

mod common;

use tflayers::mnist::dataset::read_data_sets_with;
use tflayers::tf::model::{Model, SessionConfig};
use tflayers::train::{train, Engine, Observer, RunConfig, RunResult};

struct Silent;
impl Observer for Silent {}

fn run(name: &str, steps: u64, learning_rate: f32) -> RunResult {
    let manifest = common::manifest();
    let data_dir = common::tiny_mnist();
    let data = read_data_sets_with(data_dir.path(), common::TINY_VALIDATION).unwrap();
    let config = RunConfig {
        steps,
        batch_size: 20,
        seed: 0,
        log_every: 1,
        eval_batch_size: None,
        ..RunConfig::default()
    };
    let mut model = Model::load(
        &manifest.model_dir(name),
        &manifest,
        &SessionConfig::default(),
        config.batch_size,
        learning_rate,
    )
    .unwrap();
    train(&mut model, &data, &config, &mut Silent).unwrap()
}

fn mean_loss(result: &RunResult, range: std::ops::Range<usize>) -> f32 {
    let logs = &result.logs[range];
    logs.iter().map(|l| l.loss).sum::<f32>() / logs.len() as f32
}

#[test]
fn every_model_learns_the_tiny_dataset() {
    for entry in &common::manifest().models {
        let result = run(&entry.name, 40, 1e-3);
        assert_eq!(result.logs.len(), 40);
        assert_eq!(result.test.total, common::TINY_TEST as u64);
        let first = mean_loss(&result, 0..5);
        let last = mean_loss(&result, 35..40);
        println!(
            "{}: loss {first:.4} -> {last:.4}, test accuracy {}",
            entry.name, result.test.accuracy
        );
        assert!(
            last < first * 0.7,
            "{}: the loss did not fall ({first} -> {last})",
            entry.name
        );
    }
}

#[test]
fn two_runs_of_the_same_settings_are_identical() {
    for name in ["hidden", "dropout"] {
        let a = run(name, 15, 1e-4);
        let b = run(name, 15, 1e-4);
        let accs = |r: &RunResult| -> Vec<(f32, f32)> {
            r.logs.iter().map(|l| (l.batch_accuracy, l.loss)).collect()
        };
        assert_eq!(accs(&a), accs(&b), "{name}");
        assert_eq!(a.test, b.test, "{name}");
    }
}

#[test]
fn chunked_evaluation_equals_one_run() {
    let manifest = common::manifest();
    let data_dir = common::tiny_mnist();
    let data = read_data_sets_with(data_dir.path(), common::TINY_VALIDATION).unwrap();
    let mut model = Model::load(
        &manifest.model_dir("hidden"),
        &manifest,
        &SessionConfig::default(),
        10,
        1e-4,
    )
    .unwrap();
    let whole = tflayers::train::evaluate(&mut model, &data.test, None).unwrap();
    let chunked = tflayers::train::evaluate(&mut model, &data.test, Some(64)).unwrap();
    assert_eq!(whole.correct, chunked.correct);
    assert_eq!(whole.accuracy, chunked.accuracy);
    assert!((whole.loss - chunked.loss).abs() < 1e-4);
}

#[test]
fn a_missing_model_names_the_file_and_the_command() {
    let manifest = common::manifest();
    let dir = tempfile::tempdir().unwrap();
    let err = Model::load(dir.path(), &manifest, &SessionConfig::default(), 10, 1e-4)
        .err()
        .expect("loading an empty folder fails");
    let text = format!("{err:#}");
    assert!(text.contains("saved_model.pb not found"), "{text}");
    assert!(text.contains("make models"), "{text}");
}

#[test]
fn an_inference_model_evaluates_like_a_training_one_and_refuses_to_train() {
    let manifest = common::manifest();
    let data_dir = common::tiny_mnist();
    let data = read_data_sets_with(data_dir.path(), common::TINY_VALIDATION).unwrap();
    let dir = manifest.model_dir("hidden");
    let config = SessionConfig::default();
    let mut inference = Model::load_for_inference(&dir, &manifest, &config).unwrap();
    let mut training = Model::load(&dir, &manifest, &config, 10, 1e-4).unwrap();
    let evaluate = |model: &mut Model| tflayers::train::evaluate(model, &data.test, None).unwrap();
    assert_eq!(evaluate(&mut inference), evaluate(&mut training));
    let scores = inference.predict(&data.test.images()[..3 * 784]).unwrap();
    assert_eq!(scores.logits.len(), 3 * 10);
    let err = inference.train_batch(true).unwrap_err();
    assert!(
        format!("{err:#}").contains("loaded for inference"),
        "{err:#}"
    );
}
