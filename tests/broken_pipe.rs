//! A reader that goes away (`tflayers ... | head -1`) stops every subcommand quietly: the
//! process ends by SIGPIPE as `grep` or `cat` do (status 141 in the shell), with no panic, no
//! "cannot write to stdout" and nothing on stderr about stdout.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The signal a write to a closed pipe raises.
const SIGPIPE: i32 = 13;
/// Long enough for a debug build to load TensorFlow and a tiny data set.
const TIMEOUT: Duration = Duration::from_secs(120);

fn command(args: &[&str]) -> Command {
    let mut cmd = common::tflayers_process();
    cmd.env("TFLAYERS_OFFLINE", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for `child` at most [`TIMEOUT`], killing it if it runs on; returns its stderr.
fn wait_bounded(mut child: Child, what: &str) -> (std::process::ExitStatus, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{what}: still running {TIMEOUT:?} after its stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

fn assert_quiet_stop(status: std::process::ExitStatus, stderr: &str, what: &str) {
    for bad in [
        "panicked",
        "Broken pipe",
        "cannot write to stdout",
        "error:",
    ] {
        assert!(
            !stderr.contains(bad),
            "{what}: stderr has {bad:?}:\n{stderr}"
        );
    }
    assert_eq!(
        status.signal(),
        Some(SIGPIPE),
        "{what}: expected to end by SIGPIPE, got {status:?}; stderr:\n{stderr}"
    );
}

/// Closes the reader before the command's first line: its first write meets a closed pipe.
fn closed_from_the_start(args: &[&str]) {
    let what = args.join(" ");
    let mut child = command(args).spawn().unwrap();
    drop(child.stdout.take());
    let (status, stderr) = wait_bounded(child, &what);
    assert_quiet_stop(status, &stderr, &what);
}

/// Reads one line, then closes the reader while the command still has lines to print.
fn closed_after_one_line(args: &[&str]) {
    let what = args.join(" ");
    let mut child = command(args).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty(), "{what}: printed nothing");
    let (status, stderr) = wait_bounded(child, &what);
    assert_quiet_stop(status, &stderr, &what);
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn training_commands_stop_quietly_mid_run() {
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let loop_flags = [
        "--steps",
        "100000",
        "--log-every",
        "1",
        "--batch-size",
        "10",
        "--validation-size",
        "100",
    ];
    let mut train = vec!["train", "--model", "dense", "--data-dir", path(data.path())];
    train.extend(["--models-dir", path(&models)]);
    train.extend(loop_flags);
    closed_after_one_line(&train);
    let mut reproduce = vec!["reproduce", "--data-dir", path(data.path())];
    reproduce.extend(["--models-dir", path(&models)]);
    reproduce.extend(loop_flags);
    closed_after_one_line(&reproduce);
}

#[test]
fn reporting_commands_stop_quietly() {
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("dense");
    let status = command(&[
        "train",
        "--model",
        "dense",
        "--steps",
        "20",
        "--batch-size",
        "10",
        "--validation-size",
        "100",
        "--data-dir",
        path(data.path()),
        "--models-dir",
        path(&models),
        "--save",
        path(&model),
    ])
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert!(status.success());
    let image = work.path().join("seven.png");
    image::GrayImage::from_fn(28, 28, |x, _| image::Luma([if x == 14 { 255 } else { 0 }]))
        .save(&image)
        .unwrap();

    closed_from_the_start(&[
        "evaluate",
        "--model-dir",
        path(&model),
        "--data-dir",
        path(data.path()),
        "--validation-size",
        "100",
        "--models-dir",
        path(&models),
    ]);
    closed_from_the_start(&[
        "predict",
        "--model-dir",
        path(&model),
        "--models-dir",
        path(&models),
        path(&image),
    ]);
    closed_from_the_start(&["data", "info", "--data-dir", path(data.path())]);
    closed_from_the_start(&["devices"]);
    closed_from_the_start(&["train", "--help"]);
}

#[test]
fn commands_with_a_python_side_stop_quietly() {
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let tiny = [
        "--data-dir",
        path(data.path()),
        "--validation-size",
        "100",
        "--models-dir",
        path(&models),
        "--steps",
        "2",
        "--batch-size",
        "10",
    ];
    let mut compare = vec!["compare", "--model", "dense"];
    compare.extend(tiny);
    closed_from_the_start(&compare);
    let mut bench = vec![
        "bench", "--models", "dense", "--repeat", "1", "--warmup", "0",
    ];
    bench.push("--no-processes");
    bench.extend(tiny);
    closed_from_the_start(&bench);
    closed_from_the_start(&[
        "data",
        "bench",
        "--data-dir",
        path(data.path()),
        "--validation-size",
        "100",
        "--repeat",
        "1",
    ]);
}
