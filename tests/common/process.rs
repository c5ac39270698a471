//! A `tflayers` process watched from the test: its stdout and stderr lines arrive on channels
//! filled by reader threads, so every wait has a deadline. A child that does not print or exit
//! in time is killed and the test fails; a broken signal handler or lock fails the suite
//! instead of hanging it. The child is killed when the handle is dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The longest a child may take to reach a line it prints early (start-up included: loading
/// libtensorflow and the model takes a while on a loaded two-core machine).
pub const START_BOUND: Duration = Duration::from_secs(180);

/// The longest a child may take to exit once a signal asked it to (finish one step of a tiny
/// model and write one small checkpoint, or quit at once): the program's own promise, measured
/// from the signal, not from the start.
pub const SIGNAL_BOUND: Duration = Duration::from_secs(30);

/// One output of the child: its lines as they come, and the text received so far.
pub struct Stream {
    lines: Receiver<String>,
    pub text: String,
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

    /// Everything, once the child has exited (the threads end at end of file).
    fn drain(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.text.push_str(&line);
            self.text.push('\n');
        }
        std::mem::take(&mut self.text)
    }
}

/// A running child with its two output streams.
pub struct Running {
    pub child: Child,
    pub out: Stream,
    pub err: Stream,
}

impl Running {
    /// Starts `cmd` with stdin closed and both outputs piped to reader threads.
    pub fn start(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Stream::read(child.stdout.take().unwrap());
        let err = Stream::read(child.stderr.take().unwrap());
        Running { child, out, err }
    }

    /// Waits (at most `bound`) for a stdout line containing `wanted`.
    pub fn wait_for_stdout(&mut self, wanted: &str, bound: Duration) {
        if !self.out.wait_for(wanted, Instant::now() + bound) {
            self.kill();
            panic!(
                "no {wanted:?} on stdout within {bound:?}:\n{}\nstderr:\n{}",
                self.out.text,
                self.err.drain()
            );
        }
    }

    /// Waits (at most `bound`) for a stderr line containing `wanted`.
    pub fn wait_for_stderr(&mut self, wanted: &str, bound: Duration) {
        if !self.err.wait_for(wanted, Instant::now() + bound) {
            self.kill();
            panic!(
                "no {wanted:?} on stderr within {bound:?}:\n{}",
                self.err.text
            );
        }
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: plain kill(2) on our own child, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits (at most `bound`) for the exit; returns (status, all stdout, all stderr).
    pub fn finish(mut self, bound: Duration) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + bound;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the process did not exit within {bound:?}; stderr:\n{}",
                    self.err.drain()
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        (status, self.out.drain(), self.err.drain())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}
