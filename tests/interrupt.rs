//! Ctrl-C on a real `train` process: it finishes the step, checkpoints, prints how to resume
//! and exits with 130; resuming then prints exactly what an uninterrupted run prints.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

fn base_command(data: &Path, steps: u64) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tflayers"));
    cmd.env_remove("TFLAYERS_DATA_DIR")
        .env_remove("TFLAYERS_MODELS_DIR")
        .args(["train", "--model", "dense", "--steps", &steps.to_string()])
        .args([
            "--batch-size",
            "10",
            "--log-every",
            "5",
            "--validation-size",
            "100",
        ])
        .arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(common::models_dir());
    cmd
}

/// Starts `cmd`, waits for its first article line, sends SIGINT; returns (status, stdout,
/// stderr).
fn interrupt(mut cmd: Command) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("Step 0,"), "{first}");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), first + &rest, stderr)
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

#[test]
fn sigint_checkpoints_exits_130_and_the_run_resumes_where_it_stopped() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    let mut cmd = base_command(data.path(), 10_000_000);
    cmd.arg("--checkpoint-dir").arg(&ckpt);
    let (code, stdout, stderr) = interrupt(cmd);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("Test accuracy"), "{stdout}");
    let step: u64 = stderr
        .split("Interrupted after step ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step in: {stderr}"));
    assert!(step >= 1, "{stderr}");
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
fn sigint_without_a_checkpoint_folder_says_nothing_was_saved() {
    let data = common::tiny_mnist();
    let (code, _, stderr) = interrupt(base_command(data.path(), 10_000_000));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("Nothing was checkpointed"), "{stderr}");
    assert!(stderr.contains("--checkpoint-dir"), "{stderr}");
}
