//! Ctrl-C and SIGTERM on real `train` processes: the first signal finishes the step,
//! checkpoints, prints how to resume and exits with 128 + the signal (130, 143); resuming then
//! prints exactly what an uninterrupted run prints. A signal after the last step lets the
//! test-set evaluation finish and says so; a second signal quits at once, leaving every file
//! under its name complete.
//!
//! Every wait is bounded: a child that does not print or exit in time is killed and the test
//! fails, so a broken handler cannot hang the suite.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use tflayers::mnist::fixtures::write_synthetic_mnist;

/// The longest a child may take to print an awaited line or to exit after a signal.
const BOUND: Duration = Duration::from_secs(120);

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

/// A running `tflayers` whose stdout and stderr lines arrive on channels read by threads;
/// killed when dropped.
struct Running {
    child: Child,
    out: Stream,
    err: Stream,
}

/// One output of the child: its lines as they come, and the text received so far.
struct Stream {
    lines: Receiver<String>,
    text: String,
}

impl Stream {
    fn read(source: impl Read + Send + 'static) -> Stream {
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(source).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Stream {
            lines,
            text: String::new(),
        }
    }

    /// Waits until `deadline` for a line containing `wanted`.
    fn wait_for(&mut self, wanted: &str, deadline: Instant) -> bool {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.text.push_str(&line);
                    self.text.push('\n');
                    if line.contains(wanted) {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Everything, once the child has exited (the threads end at EOF).
    fn drain(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.text.push_str(&line);
            self.text.push('\n');
        }
        std::mem::take(&mut self.text)
    }
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Stream::read(child.stdout.take().unwrap());
        let err = Stream::read(child.stderr.take().unwrap());
        Running { child, out, err }
    }

    /// Waits (at most [`BOUND`]) for a stdout line containing `wanted`.
    fn wait_for_stdout(&mut self, wanted: &str) {
        if !self.out.wait_for(wanted, Instant::now() + BOUND) {
            let _ = self.child.kill();
            panic!(
                "no {wanted:?} on stdout within {BOUND:?}:\n{}",
                self.out.text
            );
        }
    }

    /// Waits (at most [`BOUND`]) for a stderr line containing `wanted`.
    fn wait_for_stderr(&mut self, wanted: &str) {
        if !self.err.wait_for(wanted, Instant::now() + BOUND) {
            let _ = self.child.kill();
            panic!(
                "no {wanted:?} on stderr within {BOUND:?}:\n{}",
                self.err.text
            );
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: plain kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    /// Waits (at most [`BOUND`]) for the exit; returns (status, all stdout, all stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the process did not exit within {BOUND:?}; stderr:\n{}",
                    self.err.drain()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        (status.code(), self.out.drain(), self.err.drain())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, waits for its first article line, sends `signal`; returns (status, stdout,
/// stderr).
fn interrupt(cmd: Command, signal: libc::c_int) -> (Option<i32>, String, String) {
    let mut running = Running::start(cmd);
    running.wait_for_stdout("Step 0,");
    running.signal(signal);
    running.finish()
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
    let mut running = Running::start(cmd);
    running.wait_for_stdout("Step 0,");
    thread::sleep(Duration::from_secs(1));
    running
}

const FINISHING: &str = "the training steps are done; finishing the test-set evaluation";

/// Ctrl-C once every step is trained: the run says the evaluation finishes, finishes it and
/// exits 0.
#[test]
fn sigint_during_the_final_evaluation_lets_it_finish() {
    let data = tempfile::tempdir().unwrap();
    let running = long_evaluation(data.path(), &[]);
    running.signal(libc::SIGINT);
    let (code, stdout, stderr) = running.finish();
    assert!(stderr.contains(FINISHING), "{stderr}");
    assert!(
        !stderr.contains("stopping after the current step"),
        "{stderr}"
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("Test accuracy"), "{stdout}");
}

/// A second signal quits at once (status 128 + that signal), and every file under a name the
/// run uses is complete: the checkpoint's state reads back and the run resumes from it, the
/// metrics file exists only as its `.partial`, the `--save` folder not at all.
#[test]
fn a_second_signal_quits_at_once_without_a_half_written_file() {
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
    running.signal(libc::SIGTERM);
    running.wait_for_stderr(FINISHING);
    running.signal(libc::SIGTERM);
    let (code, stdout, stderr) = running.finish();
    assert_eq!(code, Some(143), "{stderr}");
    assert!(
        stderr.contains("Terminated twice: quitting now"),
        "{stderr}"
    );
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
