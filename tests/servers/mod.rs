//! `python/serve.py` for the integration tests: start a server (on loopback, its default) and
//! wait for its target, check in /proc/net where it listens, and kill it with the test.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::Duration;

pub use crate::common::{project, python};

/// One server-backed test at a time: each server is a TensorFlow process of ~0.5 GB.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `serve.py`'s loopback-only bind(2) wrapper, compiled once per test run with the C compiler
/// that links Rust programs on Linux, for the test of `--all-interfaces`.
pub fn loopback_shim() -> &'static Path {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libloopback_only.so");
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&out)
            .arg(project().join("python/loopback_only.c"))
            .arg("-ldl")
            .status()
            .expect("run cc");
        assert!(status.success(), "cc failed to build the loopback shim");
        out
    })
}

/// A child process killed (and reaped) when the guard drops, also when a test panics.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `python/serve.py`.
pub struct Server {
    process: Guard,
    /// Held open: the server stops by itself when it closes (if this test process dies).
    _stdin: ChildStdin,
    pub target: String,
    /// Where the `serving` line says it listens (in its brackets).
    pub serving: String,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `serve.py ARGS` (on loopback, its default) and waits for its `serving
    /// grpc://... (loopback only)` line.
    pub fn start(args: &[&str]) -> Server {
        let server = Server::spawn(args, Command::new(python()));
        assert_eq!(server.serving, "loopback only", "{}", server.log());
        assert!(
            server.log().contains("127.0.0.1 only (checked)"),
            "{}",
            server.log()
        );
        server
    }

    /// Starts `serve.py ARGS` from `command` (the venv's Python, with its environment) and
    /// waits for its `serving` line.
    pub fn spawn(args: &[&str], mut command: Command) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut child = command
            .arg(project().join("python/serve.py"))
            .arg("--stop-on-stdin-eof")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("start python/serve.py");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let process = Guard(child);
        let (send, receive) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        // Importing TensorFlow takes seconds, more on a busy machine.
        let line = receive
            .recv_timeout(Duration::from_secs(180))
            .unwrap_or_default();
        let (target, serving) = line
            .trim_end()
            .strip_prefix("serving ")
            .and_then(|rest| rest.split_once(" ("))
            .and_then(|(target, rest)| Some((target, rest.strip_suffix(')')?)))
            .unwrap_or_else(|| {
                panic!(
                    "serve.py printed {line:?}, not its target; its log:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                )
            });
        let (target, serving) = (target.to_string(), serving.to_string());
        let port = target.rsplit(':').next().unwrap().parse().unwrap();
        assert!(target.starts_with("grpc://127.0.0.1:"), "{target}");
        let server = Server {
            process,
            _stdin: stdin,
            target,
            serving,
            port,
            log,
            _dir: dir,
        };
        assert_listens_on_loopback_only(server.port);
        server
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        self.process.0.kill().unwrap();
        self.process.0.wait().unwrap();
    }
}

/// Every listening socket on `port` (from /proc/net/tcp and tcp6) has a loopback address.
pub fn assert_listens_on_loopback_only(port: u16) {
    let port_hex = format!("{port:04X}");
    let mut addresses = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            if *state == "0A" && local.ends_with(&format!(":{port_hex}")) {
                addresses.push(local.to_string());
            }
        }
    }
    assert!(!addresses.is_empty(), "nothing listens on port {port}");
    for address in addresses {
        let ip = address.split(':').next().unwrap();
        // 127.0.0.1, ::ffff:127.0.0.1 and ::1 as the kernel prints them.
        let loopback = [
            "0100007F",
            "0000000000000000FFFF00000100007F",
            "00000000000000000000000001000000",
        ];
        assert!(
            loopback.contains(&ip),
            "port {port} listens on {address}, not only on loopback"
        );
    }
}
