//! Remote TensorFlow servers, without TensorFlow types: the `grpc://HOST:PORT` target string,
//! the settings of a remote session ([`Remote`]) and the plain TCP checks made around it.
//!
//! TensorFlow's gRPC client waits for a server that is not there: against a closed port or a
//! server that died mid-run, `Session::run` blocks for minutes or for ever. So before a remote
//! session is created this module opens a TCP connection with a timeout the user sets
//! (`--connect-timeout`), and after a remote run fails it checks the port again to say
//! whether the server is gone or only slow. The run itself is bounded by TensorFlow's
//! `operation_timeout_in_ms` (set by [`session`](super::session)).

use std::fmt;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

/// The scheme TensorFlow's distributed runtime uses.
pub const SCHEME: &str = "grpc://";

/// A validated `grpc://HOST:PORT` address of a TensorFlow server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A host name, an IPv4 address, or an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = "expected grpc://HOST:PORT, e.g. grpc://127.0.0.1:2222";
        let Some(rest) = text.strip_prefix(SCHEME) else {
            return Err(format!("{text:?} does not start with {SCHEME}; {usage}"));
        };
        // IPv6 addresses are written in brackets, as in URLs: grpc://[::1]:2222.
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let Some((host, after)) = inner.split_once(']') else {
                return Err(format!("{text:?} opens '[' without closing it; {usage}"));
            };
            let Some(port) = after.strip_prefix(':') else {
                return Err(format!("{text:?} has no :PORT after the address; {usage}"));
            };
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("{host:?} in {text:?} is not an IPv6 address"));
            }
            (host, port)
        } else {
            let Some((host, port)) = rest.rsplit_once(':') else {
                return Err(format!("{text:?} has no :PORT; {usage}"));
            };
            let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
            if host.is_empty() || !host.chars().all(valid) {
                return Err(format!(
                    "{host:?} in {text:?} is not a host name or IPv4 address; {usage}"
                ));
            }
            (host, port)
        };
        let port = match port.parse::<u16>() {
            // The canonical digits only: `u16::from_str` also accepts `+80`.
            Ok(number) if number > 0 && number.to_string() == port => number,
            _ => {
                return Err(format!(
                    "{port:?} in {text:?} is not a port number from 1 to 65535; {usage}"
                ))
            }
        };
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{SCHEME}[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{SCHEME}{}:{}", self.host, self.port)
        }
    }
}

/// Where and how to run a session on a remote server (validated by the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub target: Target,
    /// How long the TCP check before the session may take (`--connect-timeout`).
    pub connect_timeout: Duration,
    /// The longest one TensorFlow run may take on the server (`--operation-timeout-secs`).
    pub operation_timeout: Duration,
}

/// Resolves the target's host, giving up after `timeout` (the system resolver has no timeout
/// of its own, and a dead DNS server would otherwise stall the check).
fn resolve(target: &Target, timeout: Duration) -> Result<Vec<SocketAddr>> {
    let (host, port) = (target.host.clone(), target.port);
    let (send, receive) = mpsc::channel();
    // The thread is left behind if the resolver hangs; the process ends soon after anyway.
    thread::spawn(move || {
        let _ = send.send((host.as_str(), port).to_socket_addrs().map(Vec::from_iter));
    });
    match receive.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => bail!("{target}: host {:?} has no address", target.host),
        Ok(Err(err)) => bail!(
            "{target}: cannot resolve host {:?}: {err}; check the name",
            target.host
        ),
        Err(_) => bail!(
            "{target}: resolving host {:?} took longer than {} s (--connect-timeout)",
            target.host,
            timeout.as_secs_f64()
        ),
    }
}

/// Opens (and closes) a TCP connection to the server, trying each of its addresses, all within
/// `timeout`. The error says what happened and what to do.
pub fn check_reachable(target: &Target, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    let addrs = resolve(target, timeout)?;
    let mut failures = Vec::new();
    let mut refused = 0;
    for addr in &addrs {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            failures.push(format!("{addr}: no time left"));
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(_) => return Ok(()),
            Err(err) if err.kind() == ErrorKind::ConnectionRefused => {
                refused += 1;
                failures.push(format!("{addr}: connection refused"));
            }
            Err(err) if matches!(err.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                failures.push(format!("{addr}: no answer"));
            }
            Err(err) => failures.push(format!("{addr}: {err}")),
        }
    }
    let tried = failures.join("; ");
    if refused == addrs.len() {
        bail!(
            "cannot connect to the TensorFlow server at {target} ({tried}): nothing listens on \
             port {}; start one there with `python/serve.py --port {}`",
            target.port,
            target.port
        )
    }
    bail!(
        "cannot connect to the TensorFlow server at {target} within {} s \
         (--connect-timeout) ({tried}): the host is down or unreachable, or a firewall \
         drops the connection",
        timeout.as_secs_f64()
    )
}

/// How a remote run failed, from TensorFlow's status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// `DEADLINE_EXCEEDED`: the run outlived `operation_timeout_in_ms`.
    Deadline,
    /// `UNAVAILABLE`: a task of the cluster could not be reached.
    Unavailable,
    /// Anything else.
    Other,
}

/// After a remote run failed: is the server gone, or did something else fail? Returns a
/// sentence to append to the error.
pub fn diagnose_failure(remote: &Remote, failure: Failure) -> String {
    let target = &remote.target;
    if check_reachable(target, remote.connect_timeout).is_err() {
        return format!(
            "the server at {target} no longer accepts connections: it stopped or crashed, or \
             the network to it failed; restart it and run again"
        );
    }
    match failure {
        Failure::Deadline => format!(
            "the server at {target} still accepts connections, so the run took longer than \
             --operation-timeout-secs {}: raise it for a slow server, or check that \
             {target} is a TensorFlow server (python/serve.py)",
            remote.operation_timeout.as_secs()
        ),
        Failure::Unavailable => format!(
            "the server at {target} still accepts connections, so another task of its cluster \
             failed (TensorFlow's message names it); restart that task and run again"
        ),
        Failure::Other => format!(
            "something still answers at {target}; check that it is a TensorFlow server \
             (python/serve.py) of the same TensorFlow version, and read its log"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn targets_parse_and_print_back() {
        for text in [
            "grpc://127.0.0.1:2222",
            "grpc://localhost:1",
            "grpc://gpu-box.example.org:65535",
            "grpc://[::1]:8470",
        ] {
            let target: Target = text.parse().unwrap();
            assert_eq!(target.to_string(), text);
        }
        let target: Target = "grpc://[::1]:8470".parse().unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 8470));
    }

    #[test]
    fn malformed_targets_say_what_is_wrong() {
        for (text, needle) in [
            ("127.0.0.1:2222", "does not start with grpc://"),
            ("http://127.0.0.1:2222", "does not start with grpc://"),
            ("grpc://127.0.0.1", "no :PORT"),
            ("grpc://:2222", "not a host name"),
            ("grpc://host:0", "1 to 65535"),
            ("grpc://host:65536", "1 to 65535"),
            ("grpc://host:+80", "1 to 65535"),
            ("grpc://host:080", "1 to 65535"),
            ("grpc://host:port", "1 to 65535"),
            ("grpc://host:2222/path", "1 to 65535"),
            ("grpc://ho st:2222", "not a host name"),
            ("grpc://[::1:2222", "without closing"),
            ("grpc://[::1]", "no :PORT"),
            ("grpc://[zz]:1", "not an IPv6 address"),
        ] {
            let err = text.parse::<Target>().unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn a_listening_port_is_reachable_and_a_closed_one_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let target: Target = format!("grpc://127.0.0.1:{port}").parse().unwrap();
        check_reachable(&target, Duration::from_secs(5)).unwrap();
        drop(listener);
        let err = check_reachable(&target, Duration::from_secs(5))
            .unwrap_err()
            .to_string();
        assert!(err.contains("connection refused"), "{err}");
        assert!(err.contains(&format!("serve.py --port {port}")), "{err}");
        let remote = Remote {
            target,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(7),
        };
        assert!(
            diagnose_failure(&remote, Failure::Deadline).contains("no longer accepts connections")
        );
    }
}
