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
fn log_ticks_label_one_two_five_and_fill_narrow_ranges() {
    let (labelled, others) = log_ticks(0.1, 3.0);
    for round in [0.1, 0.2, 0.5, 1.0, 2.0] {
        assert!(labelled.contains(&round), "{round} in {labelled:?}");
    }
    assert!(
        others.contains(&0.4) && !others.contains(&0.5),
        "{others:?}"
    );
    // The case: a loss from 1.1 to 3.5 was labelled only 2 and 3, leaving a test
    // loss of 1.48 far from any label.
    let (labelled, _) = log_ticks(1.1, 3.5);
    assert!(labelled.len() >= 5, "{labelled:?}");
    assert!(labelled.contains(&1.5), "{labelled:?}");
    // Every value on such an axis lies within a quarter of the axis's span of a label, and
    // no two labels crowd each other.
    for (low, high) in [(1.1, 3.5), (0.22, 2.9), (0.05, 2.4), (0.01, 10.0)] {
        let (labelled, _) = log_ticks(low, high);
        let span = (high / low).log10();
        assert!(labelled.len() <= 12, "{low}..{high}: {labelled:?}");
        for pair in labelled.windows(2) {
            let gap = (pair[1] / pair[0]).log10();
            assert!(gap >= span / 10.0 - 1e-9, "{low}..{high}: {labelled:?}");
        }
        let mut v = low;
        while v <= high {
            let nearest = labelled
                .iter()
                .map(|l| (v / l).log10().abs())
                .fold(f64::INFINITY, f64::min);
            assert!(
                nearest <= span / 4.0,
                "{low}..{high}: {v} far from {labelled:?}"
            );
            v *= 1.05;
        }
    }
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

#[test]
fn runs_ending_on_the_same_test_value_stay_visible() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("same.png");
    // Both runs end on test accuracy 0.839 and test loss 0.5: one spot per chart.
    let runs = [
        run("dense", PROGRAM, 0, "a.jsonl"),
        run("hidden", PROGRAM, 1, "b.jsonl"),
    ];
    plot_curves(&runs, &out, (800, 400), None).unwrap();
    let image = image::open(&out).unwrap().to_rgb8();
    let (blue, orange) = ([31, 119, 180], [255, 127, 14]);
    // The second run's dot, on top: orange pixels at the right end of the accuracy chart.
    let spots: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(x, _, p)| (360..400).contains(x) && p.0 == orange)
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(!spots.is_empty(), "no orange dot found");
    let n = spots.len() as u32;
    let (cx, cy) = (
        spots.iter().map(|s| s.0).sum::<u32>() / n,
        spots.iter().map(|s| s.1).sum::<u32>() / n,
    );
    // The first run's dot shows as a ring around it.
    let ring = image
        .enumerate_pixels()
        .filter(|(x, y, p)| p.0 == blue && x.abs_diff(cx) <= 10 && y.abs_diff(cy) <= 10)
        .count();
    assert!(
        ring >= 20,
        "only {ring} blue pixels around the shared dot at ({cx}, {cy})"
    );
}
