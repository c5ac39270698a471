//! How the program's TensorFlow sessions are made and how their failures read: the session's
//! own settings ([`SessionConfig`], encoded as a `ConfigProto`), the `SessionOptions` built
//! from them, and the error mapping every session call shares (a TensorFlow status with what
//! was being done; on a remote server, whether the server is still there).
//!
//! Used by [`model`](super::model), [`remote_saver`](super::remote_saver),
//! [`summaries`](super::summaries) and [`devices`](super::devices); it depends on none of them.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use prost::Message;
use tensorflow::{Code, SessionOptions, Status, Tensor};

use super::proto::ConfigProto;
use super::remote::{self, Failure, Remote};

/// Session settings, turned into a `ConfigProto`.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// Threads inside one op (`intra_op_parallelism_threads`); `None` lets TensorFlow choose.
    pub intra_op_threads: Option<u32>,
    /// Ops run concurrently (`inter_op_parallelism_threads`); `None` lets TensorFlow choose.
    pub inter_op_threads: Option<u32>,
    /// Log the device each op is placed on (`log_device_placement`).
    pub log_device_placement: bool,
    /// Run the graph on this remote TensorFlow server instead of in-process (`--target`).
    pub remote: Option<Remote>,
}

impl SessionConfig {
    /// The serialised `tensorflow.ConfigProto` for these settings.
    pub(crate) fn to_proto(&self) -> Vec<u8> {
        let threads = |n: Option<u32>| n.map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX));
        ConfigProto {
            intra_op_parallelism_threads: threads(self.intra_op_threads),
            inter_op_parallelism_threads: threads(self.inter_op_threads),
            log_device_placement: self.log_device_placement,
            // Without a timeout a run against a server that died blocks for ever; local
            // sessions keep TensorFlow's default (none).
            operation_timeout_in_ms: self.remote.as_ref().map_or(0, |remote| {
                i64::try_from(remote.operation_timeout.as_millis())
                    .unwrap_or(i64::MAX)
                    .max(1)
            }),
        }
        .encode_to_vec()
    }
}

/// Options for a session in this process with `config`'s `ConfigProto` (its remote target,
/// if any, left out).
pub(crate) fn local_options(config: &SessionConfig) -> Result<SessionOptions> {
    if config.log_device_placement {
        // TensorFlow prints the placement with printf; stdout keeps only the article's lines.
        super::stdio::c_stdout_to_stderr()?;
    }
    let mut options = SessionOptions::new();
    options
        .set_config(&config.to_proto())
        .map_err(tf_err("TensorFlow rejected the session config"))?;
    Ok(options)
}

/// Session options for `config`: its `ConfigProto`, and the server's target when remote.
pub(crate) fn options(config: &SessionConfig) -> Result<SessionOptions> {
    let mut options = local_options(config)?;
    if let Some(remote) = &config.remote {
        options
            .set_target(&remote.target.to_string())
            .with_context(|| format!("TensorFlow rejected the target {}", remote.target))?;
    }
    Ok(options)
}

/// Turns a TensorFlow status into an error that names what was being done.
pub(crate) fn tf_err(what: impl std::fmt::Display) -> impl FnOnce(Status) -> anyhow::Error {
    move |status| anyhow!("{what}: {status}")
}

/// After a run on a remote server failed with `status`: is the server still there, and what
/// to do ([`remote::diagnose_failure`]).
pub(crate) fn diagnose(remote: &Remote, status: &Status) -> String {
    let failure = match status.code() {
        Code::DeadlineExceeded => Failure::Deadline,
        Code::Unavailable => Failure::Unavailable,
        _ => Failure::Other,
    };
    remote::diagnose_failure(remote, failure)
}

/// A failed run on a remote server: what failed, where, TensorFlow's status, and whether the
/// server is still there.
pub(crate) fn remote_error(
    remote: &Remote,
    what: &str,
    dir: &Path,
    status: Status,
) -> anyhow::Error {
    anyhow!(
        "{what} failed on the TensorFlow server at {} (model {}): {status}; {}",
        remote.target,
        dir.display(),
        diagnose(remote, &status)
    )
}

/// A saver's file prefix as the string tensor TensorFlow's saver ops are fed.
pub(crate) fn prefix_tensor(prefix: &Path) -> Result<Tensor<String>> {
    let text = prefix.to_str().with_context(|| {
        format!(
            "{} is not valid UTF-8, which TensorFlow's saver needs; use another folder",
            prefix.display()
        )
    })?;
    Ok(Tensor::from(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_proto_encodes_thread_counts_and_placement_logging() {
        let config = SessionConfig {
            intra_op_threads: Some(2),
            inter_op_threads: Some(300),
            log_device_placement: true,
            ..SessionConfig::default()
        };
        // field 2 = 2; field 5 = 300 (varint ac 02); field 8 = 1
        assert_eq!(config.to_proto(), [0x10, 2, 0x28, 0xac, 0x02, 0x40, 1]);
        assert!(SessionConfig::default().to_proto().is_empty());
    }

    #[test]
    fn a_remote_config_bounds_every_operation() {
        let config = SessionConfig {
            remote: Some(Remote {
                target: "grpc://127.0.0.1:2222".parse().unwrap(),
                connect_timeout: std::time::Duration::from_secs(10),
                operation_timeout: std::time::Duration::from_secs(30),
            }),
            ..SessionConfig::default()
        };
        // field 11 (operation_timeout_in_ms) = 30000, varint b0 ea 01
        assert_eq!(config.to_proto(), [0x58, 0xb0, 0xea, 0x01]);
    }
}
