//! `--target`: the graph runs on a TensorFlow server (`python/serve.py`) on 127.0.0.1.
//!
//! A run against the server prints exactly what the local run prints, and its checkpoints,
//! resumed runs and saved models are written here, byte-identical to a local run's; a server
//! that dies mid-run, a refused connection, a silent port and a malformed target each fail with
//! a clear error, exit status 1 or 2, within a bound, and write nothing. A two-task cluster runs
//! a graph exported with `--cluster`.
//!
//! TensorFlow's server always listens on every interface, so the servers here run with
//! `tests/support/loopback_only.c` preloaded, which turns that into 127.0.0.1; each test checks
//! in /proc/net that its server listens on loopback only. Servers are started with
//! `--stop-on-stdin-eof` and killed by a guard, so none outlives its test.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let python = project().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make setup`",
        python.display()
    );
    python
}

/// One server-backed test at a time: each server is a TensorFlow process of ~0.5 GB.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The loopback-only bind(2) wrapper, compiled once per test run with the C compiler that
/// links Rust programs on Linux.
fn loopback_shim() -> &'static Path {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libloopback_only.so");
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&out)
            .arg(project().join("tests/support/loopback_only.c"))
            .arg("-ldl")
            .status()
            .expect("run cc");
        assert!(status.success(), "cc failed to build the loopback shim");
        out
    })
}

/// A child process killed (and reaped) when the guard drops, also when a test panics.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `python/serve.py`.
struct Server {
    process: Guard,
    /// Held open: the server stops by itself when it closes (if this test process dies).
    _stdin: ChildStdin,
    target: String,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `serve.py ARGS` and waits for its `serving grpc://...` line.
    fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut child = Command::new(python())
            .arg(project().join("python/serve.py"))
            .arg("--stop-on-stdin-eof")
            .args(args)
            .env("LD_PRELOAD", loopback_shim())
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
        let target = line
            .trim_end()
            .strip_prefix("serving ")
            .unwrap_or_else(|| {
                panic!(
                    "serve.py printed {line:?}, not its target; its log:\n{}",
                    fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_string();
        let port = target.rsplit(':').next().unwrap().parse().unwrap();
        assert!(target.starts_with("grpc://127.0.0.1:"), "{target}");
        let server = Server {
            process,
            _stdin: stdin,
            target,
            port,
            log,
            _dir: dir,
        };
        assert_listens_on_loopback_only(server.port);
        server
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    fn kill(&mut self) {
        self.process.0.kill().unwrap();
        self.process.0.wait().unwrap();
    }
}

/// Every listening socket on `port` (from /proc/net/tcp and tcp6) has a loopback address.
fn assert_listens_on_loopback_only(port: u16) {
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

fn tflayers() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tflayers"));
    cmd.env_remove("TFLAYERS_DATA_DIR")
        .env_remove("TFLAYERS_MODELS_DIR");
    cmd
}

/// `train MODEL` on the tiny dataset, a few steps, logging every other step.
fn train_args(model: &str, data: &Path, models: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "train",
        "--model",
        model,
        "--steps",
        "6",
        "--log-every",
        "2",
        "--batch-size",
        "20",
        "--validation-size",
        "100",
    ]
    .map(String::from)
    .to_vec();
    args.push("--data-dir".into());
    args.push(data.display().to_string());
    args.push("--models-dir".into());
    args.push(models.display().to_string());
    args
}

fn run(args: &[String], extra: &[&str]) -> Output {
    tflayers().args(args).args(extra).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn training_on_a_server_prints_what_the_local_run_prints() {
    let _one = one_at_a_time();
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let server = Server::start(&["--port", "0"]);

    let devices = tflayers()
        .args(["devices", "--target", &server.target])
        .output()
        .unwrap();
    assert!(devices.status.success(), "{}", text(&devices.stderr));
    assert!(
        text(&devices.stdout).contains("/job:worker/replica:0/task:0/device:CPU:0"),
        "{}",
        text(&devices.stdout)
    );

    // dense: the simplest graph; dropout: convolutions plus a seeded random op.
    for model in ["dense", "dropout"] {
        let args = train_args(model, data.path(), &models);
        let local = run(&args, &[]);
        let remote = run(&args, &["--target", &server.target]);
        assert!(local.status.success(), "{}", text(&local.stderr));
        assert!(
            remote.status.success(),
            "{}\nserver log:\n{}",
            text(&remote.stderr),
            server.log()
        );
        let (local, remote) = (text(&local.stdout), text(&remote.stdout));
        assert_eq!(local.lines().count(), 4, "{local}");
        assert!(local.ends_with('\n') && local.contains("Test accuracy: "));
        assert_eq!(remote, local, "{model}: the remote run printed other lines");
    }
}

#[test]
fn a_server_that_dies_mid_run_fails_within_a_bound_naming_the_target() {
    let _one = one_at_a_time();
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let workdir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&["--port", "0"]);
    let mut args = train_args("dense", data.path(), &models);
    // Far more steps than can finish: the run is killed from under it.
    args[4] = "10000000".into();
    args[6] = "1".into();
    let (checkpoints, saved) = (workdir.path().join("ckpt"), workdir.path().join("model"));
    args.extend(["--checkpoint-every", "1000000", "--checkpoint-dir"].map(String::from));
    args.push(checkpoints.display().to_string());
    args.push("--save".into());
    args.push(saved.display().to_string());
    let mut child = Guard(
        tflayers()
            .args(&args)
            .args(["--target", &server.target, "--operation-timeout-secs", "5"])
            .current_dir(workdir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut stderr = child.0.stderr.take().unwrap();
    let stderr_text = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // Wait until it trains on the server: a few article lines have come out.
    let mut first = String::new();
    for _ in 0..3 {
        first.clear();
        stdout.read_line(&mut first).unwrap();
        assert!(first.starts_with("Step "), "{first:?}");
    }
    server.kill();
    let killed = Instant::now();
    let deadline = Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            killed.elapsed() < deadline,
            "tflayers still runs {deadline:?} after its server died"
        );
        thread::sleep(Duration::from_millis(100));
    };
    let waited = killed.elapsed();
    let stderr = stderr_text.join().unwrap();
    println!("failed {waited:.1?} after the server was killed:\n{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "failed on the TensorFlow server at {}",
            server.target
        )),
        "{stderr}"
    );
    assert!(stderr.contains("no longer accepts connections"), "{stderr}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(
        rest.lines().all(|l| l.starts_with("Step ")),
        "stdout: {rest}"
    );
    assert!(!rest.contains("Test accuracy"), "{rest}");
    // No model, and no checkpoint, finished or half-written.
    assert!(!saved.exists(), "--save wrote {}", saved.display());
    let left: Vec<_> = fs::read_dir(workdir.path())
        .unwrap()
        .chain(fs::read_dir(&checkpoints).into_iter().flatten())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path != &checkpoints)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Runs `train` against `target` in an empty folder; returns the output, the time it took
/// and the number of files it left there.
fn train_against(target: &str, extra: &[&str]) -> (Output, Duration, usize) {
    let data = common::tiny_mnist();
    let workdir = tempfile::tempdir().unwrap();
    let args = train_args("dense", data.path(), &common::models_dir());
    let start = Instant::now();
    let output = tflayers()
        .args(&args)
        .args(["--target", target])
        .args(extra)
        .current_dir(workdir.path())
        .output()
        .unwrap();
    let files = fs::read_dir(workdir.path()).unwrap().count();
    (output, start.elapsed(), files)
}

#[test]
fn a_refused_connection_fails_at_once_with_what_to_do() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = format!("grpc://127.0.0.1:{port}");
    let (output, took, files) = train_against(&target, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&target), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(
        stderr.contains(&format!("python/serve.py --port {port}")),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty());
    assert_eq!(files, 0);
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn a_port_that_never_answers_fails_after_the_operation_timeout() {
    // Accepts TCP connections (the kernel does, into the backlog) but never speaks gRPC.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("grpc://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (output, took, files) = train_against(&target, &["--operation-timeout-secs", "2"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "sending the variables failed on the TensorFlow server at {target}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("longer than --operation-timeout-secs 2"),
        "{stderr}"
    );
    assert_eq!(files, 0);
    assert!(took < Duration::from_secs(30), "{took:?}");
    drop(listener);
}

#[test]
fn malformed_targets_are_rejected_before_tensorflow_starts() {
    for (target, needle) in [
        ("127.0.0.1:2222", "does not start with grpc://"),
        ("grpc://127.0.0.1", "no :PORT"),
        ("grpc://127.0.0.1:0", "1 to 65535"),
        ("grpc://127.0.0.1:70000", "1 to 65535"),
        ("grpc://bad host:2222", "not a host name"),
    ] {
        let output = tflayers()
            .args(["train", "--model", "dense", "--target", target])
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains("--target"), "{target}: {stderr}");
        assert!(stderr.contains(needle), "{target}: {stderr}");
    }
    // The operation timeout only means something with a target (the connect timeout also
    // bounds connections to download mirrors).
    let output = tflayers()
        .args(["train", "--model", "dense", "--operation-timeout-secs", "3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--target"));
}

#[test]
fn a_two_task_cluster_runs_a_graph_pinned_with_export_cluster() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    // Two free ports: bound, read and released just before the servers take them.
    let ports: Vec<u16> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect::<Vec<_>>()
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let cluster = dir.path().join("cluster.json");
    fs::write(
        &cluster,
        format!(
            r#"{{"worker": ["127.0.0.1:{}", "127.0.0.1:{}"]}}"#,
            ports[0], ports[1]
        ),
    )
    .unwrap();
    let pinned = dir.path().join("models");
    let export = Command::new(python())
        .arg(project().join("python/export.py"))
        .args(["--model", "dense", "--cluster"])
        .arg(&cluster)
        .arg("--out")
        .arg(&pinned)
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", text(&export.stderr));
    assert!(pinned.join("manifest.json").is_file());

    let cluster = cluster.display().to_string();
    let task =
        |i: &'static str| Server::start(&["--cluster", &cluster, "--job", "worker", "--task", i]);
    let (first, second) = (task("0"), task("1"));
    assert_eq!((first.port, second.port), (ports[0], ports[1]));

    let data = common::tiny_mnist();
    let local = run(
        &train_args("dense", data.path(), &common::models_dir()),
        &[],
    );
    let remote = run(
        &train_args("dense", data.path(), &pinned),
        &["--target", &first.target, "--log-device-placement"],
    );
    assert!(local.status.success(), "{}", text(&local.stderr));
    assert!(
        remote.status.success(),
        "{}\ntask 0:\n{}\ntask 1:\n{}",
        text(&remote.stderr),
        first.log(),
        second.log()
    );
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    // The master (task 0) logs the placement: compute there, a variable on task 1.
    let placement = first.log();
    assert!(
        placement.contains("dense/MatMul: (MatMul): /job:worker/replica:0/task:0/"),
        "{placement}"
    );
    assert!(
        placement.contains("dense/bias: (VarHandleOp): /job:worker/replica:0/task:1/"),
        "{placement}"
    );
}

#[test]
fn checkpoints_and_saved_models_of_a_remote_run_are_written_here() {
    let _one = one_at_a_time();
    let data = common::tiny_mnist();
    let models = common::models_dir();
    let out = tempfile::tempdir().unwrap();
    let server = Server::start(&["--port", "0"]);
    let train_into = |name: &str, extra: &[&str]| -> PathBuf {
        let dir = out.path().join(name);
        let mut args = train_args("dense", data.path(), &models);
        args.extend(["--checkpoint-every", "3", "--checkpoint-dir"].map(String::from));
        args.push(dir.join("ckpt").display().to_string());
        args.push("--save".into());
        args.push(dir.join("model").display().to_string());
        let output = run(&args, extra);
        assert!(
            output.status.success(),
            "{name}: {}\nserver log:\n{}",
            text(&output.stderr),
            server.log()
        );
        fs::write(dir.join("stdout.txt"), &output.stdout).unwrap();
        dir
    };
    let local = train_into("local", &[]);
    let remote = train_into("remote", &["--target", &server.target]);
    let read = |dir: &Path, file: &str| {
        fs::read(dir.join(file)).unwrap_or_else(|err| panic!("{}: {err}", dir.join(file).display()))
    };
    assert_eq!(read(&remote, "stdout.txt"), read(&local, "stdout.txt"));
    // TensorFlow's saver ran here, on the values from the server: the same bytes.
    for file in [
        "model/variables/variables.index",
        "model/variables/variables.data-00000-of-00001",
        "ckpt/ckpt-3/variables.index",
        "ckpt/ckpt-3/variables.data-00000-of-00001",
        "ckpt/ckpt-6/variables.data-00000-of-00001",
    ] {
        assert!(read(&remote, file) == read(&local, file), "{file} differs");
    }

    // Resuming through the server continues from the files here, as a local resume does.
    let resume = |dir: &Path, extra: &[&str]| {
        let mut args = train_args("dense", data.path(), &models);
        args[4] = "9".into();
        args.push("--resume".into());
        args.push(dir.join("ckpt").display().to_string());
        let output = run(&args, extra);
        assert!(output.status.success(), "{}", text(&output.stderr));
        output.stdout
    };
    assert_eq!(
        resume(&remote, &["--target", &server.target]),
        resume(&local, &[])
    );
    for file in [
        "ckpt/ckpt-9/variables.data-00000-of-00001",
        "ckpt/ckpt-9/variables.index",
    ] {
        assert!(read(&remote, file) == read(&local, file), "{file} differs");
    }

    // The saved model evaluates the same on the server as here.
    let evaluate = |extra: &[&str]| {
        let output = tflayers()
            .args(["evaluate", "--validation-size", "100", "--model-dir"])
            .arg(remote.join("model"))
            .arg("--data-dir")
            .arg(data.path())
            .arg("--models-dir")
            .arg(&models)
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let here = evaluate(&[]);
    assert!(here.contains("Accuracy: "), "{here}");
    assert_eq!(evaluate(&["--target", &server.target]), here);
}
