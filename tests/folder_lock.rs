//! One run at a time per checkpoint folder, between real processes: while a `train` writes
//! checkpoints into a folder, a second `tflayers` process is refused, naming the flag it used
//! and the folder (and quickly: the lock never waits); once the first is killed with SIGKILL,
//! which no handler sees, the kernel has dropped its lock and a new run resumes there.
//!
//! Every wait is bounded (`common::process`), so a lock that blocks fails the test instead of
//! hanging it.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::process::{Running, SIGNAL_BOUND, START_BOUND};

/// `dense` on batches of 10, logging every 5 steps.
fn train(data: &Path, steps: u64) -> Command {
    let mut cmd = common::train_command("dense", steps, 10, data);
    cmd.args(["--log-every", "5"]);
    cmd
}

/// Runs `cmd` to its end (bounded); returns (status code, stdout, stderr).
fn run(mut cmd: Command) -> (Option<i32>, String, String) {
    let (status, stdout, stderr) = Running::start(&mut cmd).finish(START_BOUND);
    (status.code(), stdout, stderr)
}

/// The highest N of the `ckpt-N` folders in `dir`.
fn newest_step(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix("ckpt-")?.parse().ok()
        })
        .max()
        .unwrap_or_else(|| panic!("no checkpoint in {}", dir.display()))
}

#[test]
fn a_second_process_is_refused_and_a_killed_run_leaves_no_stale_lock() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");

    let mut first = train(data.path(), 10_000_000);
    first
        .arg("--checkpoint-dir")
        .arg(&ckpt)
        .args(["--checkpoint-every", "5"]);
    let mut first = Running::start(&mut first);
    // Its first checkpoint is written: it holds the folder and has something to resume.
    first.wait_for_stderr("Checkpoint: step 5 ", START_BOUND);

    for flag in ["--resume", "--checkpoint-dir"] {
        let mut second = train(data.path(), 10_000_000);
        second.arg(flag).arg(&ckpt);
        let (code, stdout, stderr) = run(second);
        assert_eq!(code, Some(1), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("{flag} {} is in use", ckpt.display())),
            "{flag}: {stderr}"
        );
        assert!(
            stderr.contains("another tflayers run is writing checkpoints there"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stdout.is_empty(), "{flag} trained: {stdout}");
    }

    // SIGKILL: no handler runs, nothing is cleaned up; the kernel releases the lock.
    first.signal(libc::SIGKILL);
    let (status, _, _) = first.finish(SIGNAL_BOUND);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );

    let total = newest_step(&ckpt) + 2;
    let mut resume = train(data.path(), total);
    resume.arg("--resume").arg(&ckpt);
    let (code, stdout, stderr) = run(resume);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Test accuracy"), "{stdout}");
    assert!(
        ckpt.join(format!("ckpt-{total}/state.json")).is_file(),
        "{stderr}"
    );
}
