//! A small HTTP/1.1 server for the download tests: binds 127.0.0.1 on a free port, serves
//! scripted replies per path, records every request, and stops when dropped.
//!
//! Each path has a list of replies used in order; the last one repeats. Replies: a body
//! (200), a bare status, or a stall (headers and part of the body, then silence until the
//! server stops) to exercise the client's read timeout. Unknown paths get 404.

#![allow(dead_code)]

pub mod mirror;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// This status with a short text body.
    Status(u16),
    /// 200 announcing `total` bytes, sends the first `sent` of `body`, then nothing more.
    Stall { body: Vec<u8>, sent: usize },
    /// No response at all: the request is read, then silence.
    Silent,
}

struct Shared {
    routes: Mutex<HashMap<String, Vec<Reply>>>,
    hits: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// The running server; dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// Longest a stalled connection is held open if the server is not stopped earlier.
const STALL_LIMIT: Duration = Duration::from_secs(60);

impl Server {
    /// Starts serving `routes` (path -> replies in order, the last repeating).
    pub fn start(routes: Vec<(String, Vec<Reply>)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            routes: Mutex::new(routes.into_iter().collect()),
            hits: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The base URL of a mirror living under `/prefix/` on this server.
    pub fn mirror(&self, prefix: &str) -> String {
        format!("http://{}/{prefix}/", self.addr)
    }

    /// The paths requested so far, in order.
    pub fn hits(&self) -> Vec<String> {
        self.shared.hits.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn next_reply(shared: &Shared, path: &str) -> Reply {
    let mut routes = shared.routes.lock().unwrap();
    match routes.get_mut(path) {
        Some(replies) if replies.len() > 1 => replies.remove(0),
        Some(replies) => replies[0].clone(),
        None => Reply::Status(404),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
        return;
    }
    // Skip the headers.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    shared.hits.lock().unwrap().push(path.clone());
    let mut stream = stream;
    match next_reply(shared, &path) {
        Reply::Body(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body));
        }
        Reply::Status(status) => {
            let body = format!("{status} {}\n", reason(status));
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                reason(status),
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(body.as_bytes()));
        }
        Reply::Stall { body, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body[..sent.min(body.len())]))
                .and_then(|()| stream.flush());
            hold(shared);
        }
        Reply::Silent => hold(shared),
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Keeps a connection open and silent until the server stops (or a generous limit).
fn hold(shared: &Shared) {
    let start = Instant::now();
    while !shared.stop.load(Ordering::SeqCst) && start.elapsed() < STALL_LIMIT {
        std::thread::sleep(Duration::from_millis(20));
    }
}
