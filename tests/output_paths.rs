//! One rule for every output path, checked before any work: a wrong extension is refused
//! naming the flag, the path and the expected extension; a missing parent folder is created;
//! a path that cannot be written (here: under a regular file) is refused naming the flag and
//! the user's path, before the data is loaded or a session starts. No timing: the tests check
//! that the data load and the first step never happened.

mod common;

use std::fs;
use std::path::Path;

fn train(data: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    common::train_dense_briefly(data)
        .args(extra)
        .output()
        .unwrap()
}

/// Exit 1 with every needle in stderr, before the data load and the first step.
fn assert_refused_early(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("Loaded "), "{stderr}");
    assert!(!stderr.contains(".tmp-"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn train_outputs_that_cannot_be_written_fail_before_the_data_loads() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let under = |name: &str| file.join(name);
    for (flag, path) in [
        ("--metrics", under("m.jsonl")),
        ("--save", under("model")),
        ("--checkpoint-dir", under("ckpt")),
        ("--tensorboard", under("tb")),
    ] {
        let output = train(data.path(), &[flag.as_ref(), path.as_os_str()]);
        assert_refused_early(&output, &[&format!("{flag} {}", path.display())]);
    }
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn a_checkpoint_folder_in_use_is_refused_before_the_data_loads() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let ckpt = work.path().join("ckpt");
    fs::create_dir(&ckpt).unwrap();
    let _held = tflayers::persist::lock::DirLock::acquire(&ckpt, "--checkpoint-dir").unwrap();
    let output = train(
        data.path(),
        &["--checkpoint-dir".as_ref(), ckpt.as_os_str()],
    );
    assert_refused_early(&output, &["is in use: another tflayers run"]);
}

#[test]
fn missing_parent_folders_are_created_for_every_writer() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let metrics = work.path().join("new/deeper/m.jsonl");
    let model = work.path().join("models-out/dense");
    let output = train(
        data.path(),
        &[
            "--metrics".as_ref(),
            metrics.as_os_str(),
            "--save".as_ref(),
            model.as_os_str(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(metrics.is_file() && model.join("tflayers.json").is_file());

    let confusion = work.path().join("eval/c.png");
    let predictions = work.path().join("eval/more/p.csv");
    let mut evaluate = common::tflayers();
    evaluate
        .args(["evaluate", "--model-dir"])
        .arg(&model)
        .arg("--confusion-png")
        .arg(&confusion)
        .arg("--predictions")
        .arg(&predictions);
    common::tiny_data_flags(&mut evaluate, data.path());
    evaluate.assert().success();
    assert!(confusion.is_file() && predictions.is_file());

    let shown = work.path().join("show/d.png");
    common::tflayers()
        .args([
            "data",
            "show",
            "--validation-size",
            "5",
            "--index",
            "0",
            "--data-dir",
        ])
        .arg(data.path())
        .arg("--out")
        .arg(&shown)
        .assert()
        .success();
    assert!(shown.is_file());

    let plotted = work.path().join("plots/p.svg");
    common::tflayers()
        .arg("plot")
        .arg(&metrics)
        .arg("--out")
        .arg(&plotted)
        .assert()
        .success();
    assert!(plotted.is_file());
}

#[test]
fn a_wrong_extension_is_refused_the_same_way_by_every_writer() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let model = common::models_dir().join("dense");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["evaluate", "--model-dir", model.to_str().unwrap()],
            "--confusion-png",
            "c.jpg",
        ),
        (
            vec!["evaluate", "--model-dir", model.to_str().unwrap()],
            "--predictions",
            "p.txt",
        ),
        (vec!["data", "show", "--index", "0"], "--out", "x.jpg"),
        (vec!["plot", "run.jsonl"], "--out", "p.jpg"),
        (
            vec!["bench", "--models", "dense", "--steps", "1"],
            "--json",
            "b.txt",
        ),
    ];
    for (args, flag, name) in cases {
        let path = work.path().join(name);
        let mut cmd = common::tflayers();
        cmd.args(&args).arg(flag).arg(&path);
        if args[0] != "plot" {
            cmd.arg("--data-dir").arg(data.path());
        }
        let output = cmd.output().unwrap();
        let expected = match flag {
            "--predictions" => ".csv",
            "--json" => ".json",
            "--out" if args[0] == "plot" => ".png or .svg",
            _ => ".png",
        };
        // The flag, the path and the expected extension, before any work (`plot --out` is
        // checked while the flags are parsed, exit status 2).
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(matches!(output.status.code(), Some(1 | 2)), "{stderr}");
        for needle in [
            flag,
            &path.display().to_string(),
            &format!("must end in {expected}"),
        ] {
            assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
        }
        assert!(!stderr.contains("Loaded "), "{stderr}");
        assert!(!path.exists());
    }
}

#[test]
fn report_folders_under_a_file_are_refused_before_any_work() {
    let data = common::tiny_mnist();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let report = file.join("report");
    for command in [vec!["reproduce"], vec!["compare", "--model", "dense"]] {
        let mut cmd = common::tflayers();
        cmd.args(&command)
            .args(["--steps", "1", "--batch-size", "10", "--report"])
            .arg(&report);
        common::tiny_data_flags(&mut cmd, data.path());
        assert_refused_early(
            &cmd.output().unwrap(),
            &[&format!("--report {}", report.display())],
        );
    }
}
