//! Writes that fail part-way, as on a full disk: each run here has a file-size limit
//! (`RLIMIT_FSIZE`, set in the child before it starts, with SIGXFSZ ignored so that a write past
//! the limit fails with EFBIG instead of killing the process). A checkpoint, a trained model
//! (`--save`), a metrics file and a reproduce report whose write fails leave the previous good
//! file or folder byte for byte in place, leave no temporary file behind, and the run fails
//! (exit 1, no panic) naming what it could not write. The limit applies to root as to anyone,
//! so these tests hold whoever runs them.

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

/// The limit: above every small file a run writes (JSON, metrics lines, the lock), below
/// `dense`'s variables file (7,850 weights and Adam's two slots, about 94 KB).
const SMALL_LIMIT: u64 = 16 * 1024;

fn tflayers(args: &[&str], paths: &[(&str, &Path)]) -> Command {
    let mut cmd = common::tflayers_process();
    cmd.args(args);
    for (flag, path) in paths {
        cmd.arg(flag).arg(path);
    }
    cmd.arg("--models-dir").arg(common::models_dir());
    cmd
}

/// `dense` on batches of 10 for `steps` steps, logging every 5, with `paths` (flag, path).
fn train(data: &Path, steps: u64, paths: &[(&str, &Path)]) -> Command {
    let mut cmd = common::train_command("dense", steps, 10, data);
    cmd.args(["--log-every", "5"]);
    for (flag, path) in paths {
        cmd.arg(flag).arg(path);
    }
    cmd
}

/// Runs `cmd` with files limited to `bytes`.
fn run_limited(mut cmd: Command, bytes: u64) -> Output {
    // SAFETY: between fork and exec only async-signal-safe calls: signal(2), setrlimit(2).
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

fn run_ok(mut cmd: Command) {
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The run failed cleanly: exit status 1, an `error:` naming `named`, no panic.
fn assert_failed_naming(output: &Output, named: &str) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{stderr}"));
    assert!(error.contains(named), "{named} not named in: {error}");
    error.to_string()
}

/// Names in `dir` that look like an unfinished write.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".tmp") || name.ends_with(".old") {
            names.push(name);
        }
    }
    names
}

#[test]
fn a_checkpoint_that_cannot_be_written_leaves_the_previous_one() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let ckpt = runs.path().join("ckpt");
    run_ok(train(data.path(), 10, &[("--checkpoint-dir", &ckpt)]));
    let before = common::snapshot(&ckpt);
    let output = run_limited(train(data.path(), 20, &[("--resume", &ckpt)]), SMALL_LIMIT);
    let error = assert_failed_naming(&output, &ckpt.display().to_string());
    assert!(
        error.contains("the previous checkpoint there is untouched"),
        "{error}"
    );
    assert!(error.contains("File too large"), "{error}");
    assert_eq!(common::snapshot(&ckpt), before, "{}", text(&output.stderr));
    assert_eq!(leftovers(&ckpt), Vec::<String>::new());
    // The folder still resumes.
    run_ok(train(data.path(), 12, &[("--resume", &ckpt)]));
}

#[test]
fn a_trained_model_that_cannot_be_saved_leaves_the_previous_one() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let saved = runs.path().join("trained");
    run_ok(train(data.path(), 5, &[("--save", &saved)]));
    let before = common::snapshot(&saved);
    let mut cmd = train(data.path(), 10, &[("--save", &saved)]);
    cmd.arg("--overwrite");
    let output = run_limited(cmd, SMALL_LIMIT);
    let error = assert_failed_naming(&output, &saved.display().to_string());
    assert!(error.contains("nothing there was changed"), "{error}");
    assert!(error.contains("File too large"), "{error}");
    assert_eq!(common::snapshot(&saved), before);
    assert_eq!(leftovers(runs.path()), Vec::<String>::new());
}

#[test]
fn a_metrics_file_that_cannot_be_written_leaves_the_previous_one() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let metrics = runs.path().join("run.jsonl");
    run_ok(train(data.path(), 10, &[("--metrics", &metrics)]));
    let before = fs::read(&metrics).unwrap();
    // 500 logged steps of about 150 bytes each: well past the limit.
    let output = run_limited(
        train(data.path(), 2_500, &[("--metrics", &metrics)]),
        4 * 1024,
    );
    let error = assert_failed_naming(&output, &metrics.display().to_string());
    let unchanged = format!("{} itself is unchanged", metrics.display());
    assert!(error.contains(&unchanged), "{error}");
    assert!(error.contains("File too large"), "{error}");
    assert_eq!(fs::read(&metrics).unwrap(), before);
    assert!(!text(&output.stdout).contains("Test accuracy"));
}

#[test]
fn a_report_that_cannot_be_written_leaves_the_previous_one() {
    let data = common::tiny_mnist();
    let runs = tempfile::tempdir().unwrap();
    let report = runs.path().join("report");
    let reproduce = || {
        let mut cmd = tflayers(
            &[
                "reproduce",
                "--steps",
                "3",
                "--batch-size",
                "10",
                "--log-every",
                "1",
                "--validation-size",
                "100",
            ],
            &[("--report", &report)],
        );
        cmd.arg("--data-dir").arg(data.path());
        cmd
    };
    run_ok(reproduce());
    let before = common::snapshot(&report);
    let output = run_limited(reproduce(), SMALL_LIMIT);
    let error = assert_failed_naming(&output, &report.display().to_string());
    assert!(error.contains("File too large"), "{error}");
    let after = common::snapshot(&report);
    for (name, bytes) in &before {
        let now = after
            .get(name)
            .unwrap_or_else(|| panic!("{} is gone", name.display()));
        assert!(
            now == bytes || name.extension().is_some_and(|e| e == "jsonl" || e == "png"),
            "{} changed",
            name.display()
        );
    }
    assert_eq!(
        after[Path::new("summary.md")],
        before[Path::new("summary.md")]
    );
    assert_eq!(leftovers(&report), Vec::<String>::new());
}
