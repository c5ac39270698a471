//! Tests of the training curves: legend labels, log ticks, a rendered PNG.

use super::*;
use crate::metrics::{FinalRecord, Header, StepRecord, PROGRAM, SCHEMA_VERSION};
use std::path::PathBuf;

fn run(model: &str, program: &str, seed: u32, path: &str) -> Run {
    Run {
        path: PathBuf::from(path),
        header: Header {
            schema: SCHEMA_VERSION,
            program: program.into(),
            run: crate::config::RunConfig {
                model: model.into(),
                steps: 100,
                seed,
                log_every: 10,
                data_dir: "d".into(),
                ..Default::default()
            },
            tensorflow_version: "2.21.0".into(),
            onednn: None,
            host: "h".into(),
            started_at: "2017-06-01T12:00:00Z".into(),
            unpublished_data: None,
        },
        steps: (0..10)
            .map(|i| StepRecord {
                step: i * 10,
                batch_accuracy: Some(0.1 + (0.04 + 0.04 * seed as f64) * i as f64),
                loss: Some(2.3 / (1.0 + (1 + seed) as f64 * i as f64)),
                elapsed_secs: i as f64,
                images_per_sec: 100.0,
            })
            .collect(),
        last: Some(FinalRecord {
            steps: 100,
            test_accuracy: Some(f64::from(0.839f32)),
            test_correct: 839,
            test_total: 1000,
            test_loss: Some(0.5),
            validation_accuracy: None,
            validation_correct: None,
            validation_total: None,
            train_secs: 1.0,
            eval_secs: 0.1,
            total_secs: 1.2,
            ms_per_step: 10.0,
        }),
    }
}

#[test]
fn labels_name_what_differs_and_the_subtitle_what_is_shared() {
    let runs = [
        run("dense", PROGRAM, 0, "a.jsonl"),
        run("dense", "python", 0, "b.jsonl"),
    ];
    let (named, common) = labels(&runs);
    assert_eq!(named, ["Rust (tflayers): test 0.839", "Python: test 0.839"]);
    assert_eq!(
        common,
        [
            "dense",
            "seed 0",
            "batch 100",
            "learning rate 0.0001",
            "100 steps"
        ]
    );
    let seeds = [
        run("dense", PROGRAM, 0, "a.jsonl"),
        run("dense", PROGRAM, 1, "b.jsonl"),
    ];
    assert_eq!(
        labels(&seeds).0,
        ["seed 0: test 0.839", "seed 1: test 0.839"]
    );
}

#[test]
fn identical_settings_fall_back_to_file_names() {
    let mut second = run("dense", PROGRAM, 0, "runs/again.csv");
    second.last = None;
    let runs = [run("dense", PROGRAM, 0, "runs/first.jsonl"), second];
    assert_eq!(
        labels(&runs).0,
        ["first: test 0.839", "again: still training"]
    );
}

#[test]
fn log_ticks_label_one_two_five() {
    let (labelled, others) = log_ticks(0.1, 3.0);
    assert_eq!(labelled, [0.1, 0.2, 0.5, 1.0, 2.0]);
    assert_eq!(others[..2], [0.3, 0.4]);
    assert_eq!(others.last(), Some(&3.0));
    let (labelled, others) = log_ticks(1.0, 4.5);
    assert_eq!(labelled, [1.0, 2.0, 3.0, 4.0]);
    assert!(others.is_empty());
}

#[test]
fn a_png_has_the_requested_size_and_is_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::env::var_os("KEEP_PLOT")
        .map(PathBuf::from)
        .unwrap_or(dir.path().join("c.png"));
    let runs = [
        run("dense", PROGRAM, 0, "a.jsonl"),
        run("hidden", PROGRAM, 1, "b.jsonl"),
    ];
    plot_curves(&runs, &out, (640, 360), None).unwrap();
    let image = image::open(&out).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (640, 360));
    let coloured = image.pixels().filter(|p| p.0 == [31, 119, 180]).count();
    assert!(
        coloured > 200,
        "only {coloured} pixels of the first line's colour"
    );
}
