//! Ctrl-C and SIGTERM on real `train` processes, at each stage of a run: the first signal
//! while training finishes the step, checkpoints, prints how to resume and exits with 128 +
//! the signal (130, 143), and resuming then prints exactly what an uninterrupted run prints; a
//! first signal after the last step lets the test-set evaluation finish and says so; a second
//! signal, while training or while evaluating, quits at once, leaving every file under its
//! name complete.
//!
//! Every wait is bounded (`common::process`): a child that does not print or exit in time is
//! killed and the test fails, so a broken handler cannot hang the suite. The bound after a
//! signal is the program's own promise, counted from the signal, not from the start.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::process::{Running, SIGNAL_BOUND, START_BOUND};
use tflayers::mnist::fixtures::write_synthetic_mnist;

fn base_command(data: &Path, steps: u64) -> Command {
    let mut cmd = common::train_command("dense", steps, 10, data);
    cmd.args(["--log-every", "5"]);
    cmd
}

/// Starts `cmd`, waits for its first article line, sends `signal`; returns (status, stdout,
/// stderr).
fn interrupt(mut cmd: Command, signal: libc::c_int) -> (Option<i32>, String, String) {
    let mut running = Running::start(&mut cmd);
    running.wait_for_stdout("Step 0,", START_BOUND);
    running.signal(signal);
    let (status, stdout, stderr) = running.finish(SIGNAL_BOUND);
    (status.code(), stdout, stderr)
}

fn run_ok(mut cmd: Command) -> String {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The step a stopped run names in "Interrupted after step N".
fn stopped_step(stderr: &str) -> u64 {
    stderr
        .split("Interrupted after step ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step in: {stderr}"))
}

/// Stops a long run with `signal`, checks the status, the checkpoint and the resume command,
/// and that resuming prints what one uninterrupted run prints.
fn stop_checkpoint_and_resume(signal: libc::c_int, status: i32, named: &str) {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let mut cmd = base_command(data.path(), 10_000_000);
    cmd.arg("--checkpoint-dir").arg(&ckpt);
    let (code, stdout, stderr) = interrupt(cmd, signal);
    assert_eq!(code, Some(status), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("Test accuracy"), "{stdout}");
    assert!(
        stderr.contains("stopping after the current step"),
        "{stderr}"
    );
    let step = stopped_step(&stderr);
    assert!(step >= 1, "{stderr}");
    assert!(stderr.contains(&format!("({named}).")), "{stderr}");
    assert!(stderr.contains("Resume with:"), "{stderr}");
    assert!(
        stderr.contains(&format!("--resume {}", ckpt.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("--checkpoint-dir"), "{stderr}");
    assert!(ckpt.join(format!("ckpt-{step}/state.json")).is_file());

    // Resume up to a total a little past the stop, and compare with one uninterrupted run.
    let total = step + 12;
    let mut resume = base_command(data.path(), total);
    resume.arg("--resume").arg(&ckpt);
    let resumed = run_ok(resume);
    let full = run_ok(base_command(data.path(), total));
    assert_eq!(format!("{stdout}{resumed}"), full);
}

#[test]
fn sigint_checkpoints_exits_130_and_the_run_resumes_where_it_stopped() {
    stop_checkpoint_and_resume(libc::SIGINT, 130, "Ctrl-C");
}

#[test]
fn sigterm_checkpoints_exits_143_and_the_run_resumes_where_it_stopped() {
    stop_checkpoint_and_resume(libc::SIGTERM, 143, "SIGTERM");
}

#[test]
fn sigint_without_a_checkpoint_folder_says_nothing_was_saved() {
    let data = common::tiny_mnist();
    let (code, _, stderr) = interrupt(base_command(data.path(), 10_000_000), libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("Nothing was checkpointed"), "{stderr}");
    assert!(stderr.contains("--checkpoint-dir"), "{stderr}");
}

/// A run of one step whose test set is long to evaluate (20,000 images, one per run), so
/// that a signal sent once the step's line is out and a second has passed lands in the
/// evaluation. `extra` flags are added.
fn long_evaluation(data: &Path, extra: &[&std::ffi::OsStr]) -> Running {
    write_synthetic_mnist(data, common::TINY_TRAIN, 20_000, 7).unwrap();
    let mut cmd = base_command(data, 1);
    cmd.args(["--eval-batch-size", "1"]).args(extra);
    let mut running = Running::start(&mut cmd);
    running.wait_for_stdout("Step 0,", START_BOUND);
    thread::sleep(Duration::from_secs(1));
    running
}

/// What the first signal after the last step says, for Ctrl-C and SIGTERM alike.
const FINISHING: &str = "the training steps are done; finishing the test-set evaluation";

/// A first signal once every step is trained: the run says the evaluation finishes, finishes
/// it and exits 0.
fn first_signal_during_the_final_evaluation(signal: libc::c_int) {
    let data = tempfile::tempdir().unwrap();
    let running = long_evaluation(data.path(), &[]);
    running.signal(signal);
    // The evaluation of 20,000 images one by one is the run's work, not a reaction to the
    // signal: it gets the start-up bound.
    let (status, stdout, stderr) = running.finish(START_BOUND);
    assert!(stderr.contains(FINISHING), "{stderr}");
    assert!(
        !stderr.contains("stopping after the current step"),
        "{stderr}"
    );
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Test accuracy"), "{stdout}");
}

#[test]
fn sigint_during_the_final_evaluation_lets_it_finish() {
    first_signal_during_the_final_evaluation(libc::SIGINT);
}

#[test]
fn sigterm_during_the_final_evaluation_lets_it_finish() {
    first_signal_during_the_final_evaluation(libc::SIGTERM);
}

/// A second signal during the final evaluation quits at once (status 128 + that signal, the
/// message of `twice`), and every file under a name the run uses is complete: the
/// checkpoint's state reads back and the run resumes from it, the metrics file exists only as
/// its `.partial`, the `--save` folder not at all.
fn second_signal_during_the_evaluation(signal: libc::c_int, status: i32, twice: &str) {
    let data = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let metrics = runs.path().join("run.jsonl");
    let saved = runs.path().join("trained");
    let mut running = long_evaluation(
        data.path(),
        &[
            "--checkpoint-dir".as_ref(),
            ckpt.as_os_str(),
            "--metrics".as_ref(),
            metrics.as_os_str(),
            "--save".as_ref(),
            saved.as_os_str(),
        ],
    );
    running.signal(signal);
    running.wait_for_stderr(FINISHING, SIGNAL_BOUND);
    running.signal(signal);
    let (code, stdout, stderr) = running.finish(SIGNAL_BOUND);
    assert_eq!(code.code(), Some(status), "{stderr}");
    assert!(stderr.contains(twice), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("Test accuracy"), "{stdout}");
    assert!(!metrics.exists(), "a metrics file under its final name");
    assert!(runs.path().join("run.jsonl.partial").is_file());
    assert!(!saved.exists(), "a --save folder from an unfinished run");
    let state = fs::read_to_string(ckpt.join("ckpt-1/state.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&state).unwrap();
    let mut resume = base_command(data.path(), 6);
    resume.arg("--resume").arg(&ckpt);
    let resumed = run_ok(resume);
    assert!(resumed.contains("Test accuracy"), "{resumed}");
}

#[test]
fn a_second_sigterm_during_the_evaluation_quits_at_once_without_a_half_written_file() {
    second_signal_during_the_evaluation(libc::SIGTERM, 143, "Terminated twice: quitting now");
}

#[test]
fn a_second_sigint_during_the_evaluation_quits_at_once_without_a_half_written_file() {
    second_signal_during_the_evaluation(libc::SIGINT, 130, "Interrupted twice: quitting now");
}

/// A second Ctrl-C while a training step runs quits at once, before the step ends and before
/// any checkpoint: status 130, no resume command, no checkpoint folder under its final name.
/// The steps are long (`conv2` on batches of 2,000 images) so that the second signal, sent as
/// soon as the first one's message is out, lands inside the step.
#[test]
fn a_second_sigint_during_a_training_step_quits_at_once() {
    let data = tempfile::tempdir().unwrap();
    write_synthetic_mnist(data.path(), 2_100, 100, 7).unwrap();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let mut cmd = common::train_command("conv2", 10_000_000, 2_000, data.path());
    cmd.args(["--log-every", "1", "--checkpoint-dir"])
        .arg(&ckpt);
    let mut running = Running::start(&mut cmd);
    running.wait_for_stdout("Step 0,", START_BOUND);
    running.signal(libc::SIGINT);
    running.wait_for_stderr("stopping after the current step", SIGNAL_BOUND);
    running.signal(libc::SIGINT);
    let (status, stdout, stderr) = running.finish(SIGNAL_BOUND);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("Interrupted twice: quitting now"),
        "{stderr}"
    );
    assert!(!stderr.contains("Resume with:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("Test accuracy"), "{stdout}");
    let finished: Vec<_> = fs::read_dir(&ckpt)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("ckpt-"))
        .collect();
    assert!(finished.is_empty(), "checkpoints written: {finished:?}");
}
