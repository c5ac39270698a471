//! Checkpoints and `--resume` through the binary: a resumed run prints exactly what the
//! uninterrupted run prints; a write killed half-way leaves the previous checkpoint usable; bad
//! checkpoints are refused naming the path and what to do, and nothing is overwritten.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

/// `train` on the tiny data with small batches; `extra` adds flags.
fn train(data: &Path, model: &str, steps: u64, extra: &[&str]) -> Output {
    common::train(model, steps, 12, data)
        .args(["--log-every", "10"])
        .args(extra)
        .output()
        .unwrap()
}

fn lines(output: &Output) -> Vec<String> {
    assert!(
        output.status.success(),
        "the run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Fails with `want` unless the run failed (status 1, no panic) saying all of `want`.
fn assert_refused(output: &Output, want: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    for w in want {
        assert!(text.contains(w), "missing {w:?} in: {text}");
    }
}

#[test]
fn two_hundred_steps_equal_one_hundred_then_resume_to_two_hundred() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let full = lines(&train(data.path(), "hidden", 200, &[]));
    assert_eq!(full.len(), 21);
    let first = lines(&train(
        data.path(),
        "hidden",
        100,
        &["--checkpoint-dir", path_arg(&ckpt)],
    ));
    // The first run ends with its own test accuracy after 100 steps.
    assert_eq!(first[..10], full[..10]);
    assert!(first[10].starts_with("Test accuracy: "));
    let output = train(data.path(), "hidden", 200, &["--resume", path_arg(&ckpt)]);
    assert!(
        stderr(&output).contains("at step 100 of 200"),
        "{}",
        stderr(&output)
    );
    let resumed = lines(&output);
    assert_eq!(
        resumed,
        full[10..],
        "the resumed run must print what the full run did"
    );
    // The resumed run checkpointed its end; the step-100 checkpoint is kept beside it.
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ckpt.join("checkpoint.json")).unwrap()).unwrap();
    assert_eq!(state["step"], 200);
    assert!(ckpt.join("ckpt-100").is_dir() && ckpt.join("ckpt-200").is_dir());
}

#[test]
fn a_checkpoint_killed_mid_write_still_resumes_from_the_previous_one() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let full = lines(&train(data.path(), "hidden", 40, &[]));
    lines(&train(
        data.path(),
        "hidden",
        20,
        &[
            "--checkpoint-dir",
            path_arg(&ckpt),
            "--checkpoint-every",
            "10",
        ],
    ));
    // What a process killed while writing the step-30 checkpoint leaves behind, at each
    // point of the write: a half-written temporary folder, a complete folder renamed into
    // place whose pointer update never happened (its content here is deliberately wrong), and
    // a half-written temporary pointer.
    let partial = ckpt.join(".tmp-ckpt-30-4242");
    fs::create_dir(&partial).unwrap();
    let data_file = fs::read(ckpt.join("ckpt-20/variables.data-00000-of-00001")).unwrap();
    fs::write(
        partial.join("variables.data-00000-of-00001"),
        &data_file[..data_file.len() / 2],
    )
    .unwrap();
    copy_dir(&ckpt.join("ckpt-10"), &ckpt.join("ckpt-30"));
    fs::write(
        ckpt.join(".tmp-checkpoint.json-4242"),
        b"{\"latest\": \"ckpt-3",
    )
    .unwrap();
    let output = train(
        data.path(),
        "hidden",
        40,
        &["--resume", path_arg(&ckpt), "--checkpoint-every", "10"],
    );
    assert!(
        stderr(&output).contains("at step 20 of 40"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        lines(&output),
        full[2..],
        "resumed from the step-20 checkpoint"
    );
    // The leftovers are gone and the orphan step-30 folder was rewritten by this run.
    let mut names: Vec<String> = fs::read_dir(&ckpt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["checkpoint.json", "ckpt-30", "ckpt-40"]);
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ckpt.join("ckpt-30/state.json")).unwrap())
            .unwrap();
    assert_eq!(state["step"], 30);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn bad_resume_folders_are_refused_naming_the_path_and_what_to_do() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let empty = runs.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_refused(
        &train(data.path(), "dense", 5, &["--resume", path_arg(&empty)]),
        &["empty", "holds no checkpoint", "--checkpoint-dir"],
    );
    let missing = runs.path().join("missing");
    assert_refused(
        &train(data.path(), "dense", 5, &["--resume", path_arg(&missing)]),
        &["missing", "no such folder"],
    );

    let ckpt = runs.path().join("ckpt");
    lines(&train(
        data.path(),
        "hidden",
        4,
        &[
            "--checkpoint-dir",
            path_arg(&ckpt),
            "--checkpoint-every",
            "2",
        ],
    ));
    let before = common::snapshot(&ckpt);
    // Another model.
    assert_refused(
        &train(data.path(), "dense", 8, &["--resume", path_arg(&ckpt)]),
        &["ckpt-4", "checkpoint of model \"hidden\"", "--model hidden"],
    );
    // Another batch size, or fewer total steps than the checkpoint holds.
    let output = common::train("hidden", 8, 20, data.path())
        .arg("--resume")
        .arg(&ckpt)
        .output()
        .unwrap();
    assert_refused(&output, &["--batch-size 12"]);
    // Another learning rate, or another validation size (the same data folder).
    assert_refused(
        &train(
            data.path(),
            "hidden",
            8,
            &["--learning-rate", "0.001", "--resume", path_arg(&ckpt)],
        ),
        &[
            "ckpt-4",
            "was trained with --learning-rate 0.0001",
            "resume with the same --learning-rate",
        ],
    );
    let mut other_validation = common::train_on("hidden", 8, 12, data.path());
    other_validation
        .args(["--validation-size", "50"])
        .arg("--resume")
        .arg(&ckpt);
    assert_refused(
        &other_validation.output().unwrap(),
        &[
            "ckpt-4",
            "was trained with --validation-size 100",
            "resume with the same --validation-size",
        ],
    );
    assert_refused(
        &train(data.path(), "hidden", 3, &["--resume", path_arg(&ckpt)]),
        &["step 4", "--steps 4 or more"],
    );
    // Another data set.
    let other_data = tempfile::tempdir().unwrap();
    tflayers::mnist::fixtures::write_synthetic_mnist(other_data.path(), 600, 200, 99).unwrap();
    assert_refused(
        &train(
            other_data.path(),
            "hidden",
            8,
            &["--resume", path_arg(&ckpt)],
        ),
        &["another data set", "--data-dir"],
    );
    // A new run into a folder that holds checkpoints.
    assert_refused(
        &train(
            data.path(),
            "hidden",
            8,
            &["--checkpoint-dir", path_arg(&ckpt)],
        ),
        &["already holds checkpoints", "--resume"],
    );
    assert_eq!(
        common::snapshot(&ckpt),
        before,
        "a refused run changed the checkpoints"
    );

    // A truncated checkpoint: the intact earlier one is suggested.
    let data_file = ckpt.join("ckpt-4/variables.data-00000-of-00001");
    let bytes = fs::read(&data_file).unwrap();
    fs::write(&data_file, &bytes[..bytes.len() / 3]).unwrap();
    assert_refused(
        &train(data.path(), "hidden", 8, &["--resume", path_arg(&ckpt)]),
        &[
            "variables.data-00000-of-00001",
            "truncated",
            "--resume",
            "ckpt-2",
        ],
    );
    // ... and resuming from it works.
    let output = train(
        data.path(),
        "hidden",
        6,
        &["--resume", path_arg(&ckpt.join("ckpt-2"))],
    );
    assert!(
        stderr(&output).contains("at step 2 of 6"),
        "{}",
        stderr(&output)
    );
    lines(&output);
}

#[test]
fn variables_of_another_model_are_refused_by_tensorflow_naming_the_checkpoint() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let hidden = runs.path().join("hidden");
    let dense = runs.path().join("dense");
    lines(&train(
        data.path(),
        "hidden",
        2,
        &["--checkpoint-dir", path_arg(&hidden)],
    ));
    lines(&train(
        data.path(),
        "dense",
        2,
        &["--checkpoint-dir", path_arg(&dense)],
    ));
    // Put dense's variables under hidden's state: sizes and CRCs are made to match, so only
    // TensorFlow can tell.
    let target = hidden.join("ckpt-2");
    for name in ["variables.index", "variables.data-00000-of-00001"] {
        fs::copy(dense.join("ckpt-2").join(name), target.join(name)).unwrap();
    }
    let state_path = target.join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state_path).unwrap()).unwrap();
    let dense_state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dense.join("ckpt-2/state.json")).unwrap())
            .unwrap();
    state["files"] = dense_state["files"].clone();
    fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    assert_refused(
        &train(data.path(), "hidden", 4, &["--resume", path_arg(&hidden)]),
        &[
            "cannot resume from",
            "ckpt-2",
            "do not load into model \"hidden\"",
        ],
    );
}

#[test]
fn save_refuses_a_non_empty_folder_before_training_and_overwrite_replaces_it() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let model = runs.path().join("model");
    fs::create_dir(&model).unwrap();
    fs::write(model.join("notes.txt"), b"mine").unwrap();
    let output = train(data.path(), "dense", 3, &["--save", path_arg(&model)]);
    assert_refused(&output, &["--save", "not empty", "--overwrite"]);
    assert!(output.stdout.is_empty(), "no training happened");
    assert_eq!(fs::read(model.join("notes.txt")).unwrap(), b"mine");
    lines(&train(
        data.path(),
        "dense",
        3,
        &["--save", path_arg(&model), "--overwrite"],
    ));
    assert!(!model.join("notes.txt").exists());
    assert!(model.join("saved_model.pb").is_file());
    assert!(model.join("variables/variables.index").is_file());
    let leftovers: Vec<_> = fs::read_dir(runs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "model")
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left: {leftovers:?}"
    );
}

#[test]
fn checkpoint_every_needs_a_checkpoint_folder() {
    common::tflayers()
        .args(["train", "--model", "dense", "--checkpoint-every", "5"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--checkpoint-every"));
    common::tflayers()
        .args([
            "train",
            "--model",
            "dense",
            "--checkpoint-dir",
            "a",
            "--resume",
            "b",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--resume"));
}
