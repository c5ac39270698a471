//! `--target`: the graph runs on a TensorFlow server (`python/serve.py`) on 127.0.0.1.
//!
//! A run against the server prints exactly what the local run prints, and its checkpoints,
//! resumed runs and saved models are written here, byte-identical to a local run's; a server
//! that dies mid-run, a refused connection, a silent port and a malformed target each fail with
//! a clear error, exit status 1 or 2, within a bound, and write nothing. A two-task cluster runs
//! a graph exported with `--cluster`.
//!
//! TensorFlow's server always listens on every interface; `serve.py` keeps it on 127.0.0.1 by
//! default (it preloads its `python/loopback_only.c`), and each test checks in /proc/net that
//! its server listens on loopback only, which is the test of that default. `--all-interfaces`
//! is tested with the same wrapper preloaded by the test, so that no test server is ever
//! reachable from the network. Servers are started with `--stop-on-stdin-eof` and killed by a
//! guard, so none outlives its test.

mod common;
mod servers;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{project, python, tensorboard_scalars};
use servers::{loopback_shim, one_at_a_time, Guard, Server};

fn tflayers() -> Command {
    common::tflayers_process()
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
    // Held for the whole test, so nothing else can start listening there.
    let refusing = common::ports::refusing_port();
    let port = refusing.port;
    let target = format!("grpc://127.0.0.1:{port}");
    // "At once": the failure comes long before a connect timeout that only a retrying or
    // waiting client would reach (the bound is that timeout, not the machine's speed).
    let (output, took, files) = train_against(&target, &["--connect-timeout", "600"]);
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
    assert!(took < Duration::from_secs(600), "{took:?}");
}

#[test]
fn a_port_that_never_answers_fails_after_the_operation_timeout() {
    // Accepts TCP connections but never speaks gRPC; notes when the first one arrived.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("grpc://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (connected_send, connected) = mpsc::channel();
    thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            if open.is_empty() {
                let _ = connected_send.send(Instant::now());
            }
            // Held open: a closed connection would fail the run for another reason.
            open.push(stream);
        }
    });
    let (output, _, files) = train_against(&target, &["--operation-timeout-secs", "2"]);
    let ended = Instant::now();
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
    // The program's promise: it gives up about 2 s after it reached the server, whatever the
    // time TensorFlow took to start before that.
    let first = connected
        .recv_timeout(Duration::from_secs(1))
        .expect("tflayers never connected to the silent port");
    let waited = ended.duration_since(first);
    assert!(
        waited < Duration::from_secs(20),
        "{waited:?} after connecting"
    );
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
    // Two free ports, held until both servers listen on them.
    let held: Vec<_> = (0..2).map(|_| common::ports::port_for_a_server()).collect();
    let ports: Vec<u16> = held.iter().map(|h| h.port).collect();
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
    drop(held);

    let data = common::tiny_mnist();
    let (local_board, remote_board) = (dir.path().join("tb-local"), dir.path().join("tb-remote"));
    let local = run(
        &train_args("dense", data.path(), &common::models_dir()),
        &["--tensorboard", local_board.to_str().unwrap()],
    );
    let remote = run(
        &train_args("dense", data.path(), &pinned),
        &[
            "--target",
            &first.target,
            "--log-device-placement",
            "--tensorboard",
            remote_board.to_str().unwrap(),
        ],
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
    // `--tensorboard` on the pinned graph: the summary ops run here, without the cluster's
    // device names, and write the local run's scalars.
    let local_events = tensorboard_scalars(&local_board);
    assert!(
        local_events["dense"]["test/accuracy"]["points"].is_array(),
        "{local_events}"
    );
    assert_eq!(tensorboard_scalars(&remote_board), local_events);
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

/// `--all-interfaces`, for a real cluster, warns that anyone who reaches the port can run any
/// op, and says so in its `serving` line. (The test preloads the loopback wrapper itself, so
/// that this server too stays on 127.0.0.1.)
#[test]
fn all_interfaces_is_explicit_and_warns() {
    let _one = one_at_a_time();
    let mut command = Command::new(python());
    command.env("LD_PRELOAD", loopback_shim());
    let server = Server::spawn(&["--port", "0", "--all-interfaces"], command);
    assert_eq!(
        server.serving,
        "every network interface, no authentication",
        "{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains("warning: --all-interfaces"), "{log}");
    assert!(log.contains("without authentication"), "{log}");
    assert!(log.contains("trusted network"), "{log}");
}
