//! Which TensorFlow build this binary loaded (CPU or CUDA) and which devices a session sees,
//! in this process or on a remote server; what `tflayers devices` prints.
//!
//! The build is read from the kernel registry: a CUDA build registers GPU kernels (for
//! `MatMul`, say) whether or not a GPU is present, so "CUDA build, CPU devices only" is the
//! fallback a CUDA wheel gives on a machine without a usable GPU.

use anyhow::{anyhow, Result};
use tensorflow::{Graph, Session};

use super::model::tensorflow_version;
use super::proto;
use super::remote;
use super::session::{self, diagnose, tf_err, SessionConfig};

/// What the loaded libtensorflow was built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub version: String,
    /// The device types that have a `MatMul` kernel, e.g. `["CPU"]` or `["CPU", "GPU"]`.
    pub kernel_devices: Vec<String>,
}

impl BuildInfo {
    /// True for a CUDA (GPU-enabled) build.
    pub fn has_gpu_kernels(&self) -> bool {
        self.kernel_devices.iter().any(|d| d == "GPU")
    }
}

/// One device of a session, as `Session::device_list` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Full name, e.g. `/job:localhost/replica:0/task:0/device:CPU:0`.
    pub name: String,
    /// `CPU`, `GPU`, ...
    pub device_type: String,
    /// The memory TensorFlow reports for the device (a nominal figure for CPUs); `None` when it
    /// reports none.
    pub memory_bytes: Option<u64>,
}

/// The version and kernel device types of the loaded libtensorflow.
pub fn build_info() -> Result<BuildInfo> {
    let kernels = tensorflow::get_registered_kernels_for_op("MatMul")
        .map_err(tf_err("cannot list TensorFlow's MatMul kernels"))?;
    let mut kernel_devices = proto::kernel_device_types(&kernels)
        .map_err(|err| anyhow!("cannot read TensorFlow's list of MatMul kernels: {err}"))?;
    kernel_devices.sort();
    kernel_devices.dedup();
    Ok(BuildInfo {
        version: tensorflow_version(),
        kernel_devices,
    })
}

/// The devices a session with `config` sees: this process's, or the remote cluster's.
pub fn list_devices(config: &SessionConfig) -> Result<Vec<DeviceInfo>> {
    if let Some(remote) = &config.remote {
        remote::check_reachable(&remote.target, remote.connect_timeout)?;
    }
    let options = session::options(config)?;
    let graph = Graph::new();
    let where_ = match &config.remote {
        Some(remote) => format!("on the TensorFlow server at {}", remote.target),
        None => "in this process".to_string(),
    };
    let session = Session::new(&options, &graph).map_err(tf_err(format!(
        "cannot create a TensorFlow session {where_}"
    )))?;
    let devices = session.device_list().map_err(|status| {
        let hint = config.remote.as_ref().map_or(String::new(), |remote| {
            format!("; {}", diagnose(remote, &status))
        });
        anyhow!("cannot list the devices {where_}: {status}{hint}")
    })?;
    Ok(devices
        .into_iter()
        .map(|d| DeviceInfo {
            name: d.name,
            device_type: d.device_type,
            memory_bytes: u64::try_from(d.memory_bytes).ok().filter(|&n| n > 0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_has_cpu_kernels() {
        let info = build_info().unwrap();
        assert!(info.kernel_devices.iter().any(|d| d == "CPU"), "{info:?}");
        assert!(!info.version.is_empty());
    }

    #[test]
    fn a_local_session_sees_a_cpu() {
        let devices = list_devices(&SessionConfig::default()).unwrap();
        assert!(
            devices
                .iter()
                .any(|d| d.device_type == "CPU" && d.name.ends_with("device:CPU:0")),
            "{devices:?}"
        );
    }
}
