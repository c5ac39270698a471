//! The second module that imports `tensorflow`: which TensorFlow build this binary loaded (CPU
//! or CUDA) and which devices a session sees, in this process or on a remote server.
//!
//! The build is read from the kernel registry: a CUDA build registers GPU kernels (for
//! `MatMul`, say) whether or not a GPU is present, so "CUDA build, CPU devices only" is the
//! fallback a CUDA wheel gives on a machine without a usable GPU.

use anyhow::{anyhow, Result};
use tensorflow::{Graph, Session};

use crate::tf::model::{failure_kind, session_options, SessionConfig};
use crate::tf::proto;
use crate::tf::remote;

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
        .map_err(|status| anyhow!("cannot list TensorFlow's MatMul kernels: {status}"))?;
    let mut kernel_devices = kernel_device_types(&kernels)
        .map_err(|err| anyhow!("cannot read TensorFlow's list of MatMul kernels: {err}"))?;
    kernel_devices.sort();
    kernel_devices.dedup();
    Ok(BuildInfo {
        version: crate::tf::model::tensorflow_version(),
        kernel_devices,
    })
}

/// The devices a session with `config` sees: this process's, or the remote cluster's.
pub fn list_devices(config: &SessionConfig) -> Result<Vec<DeviceInfo>> {
    if let Some(remote) = &config.remote {
        remote::check_reachable(&remote.target, remote.connect_timeout)?;
    }
    let options = session_options(config)?;
    let graph = Graph::new();
    let where_ = match &config.remote {
        Some(remote) => format!("on the TensorFlow server at {}", remote.target),
        None => "in this process".to_string(),
    };
    let session = Session::new(&options, &graph)
        .map_err(|status| anyhow!("cannot create a TensorFlow session {where_}: {status}"))?;
    let devices = session.device_list().map_err(|status| {
        let hint = config
            .remote
            .as_ref()
            .map(|remote| {
                let failure = failure_kind(status.code());
                format!("; {}", remote::diagnose_failure(remote, failure))
            })
            .unwrap_or_default();
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

/// The `device_type` of every `KernelDef` in a serialised `KernelList` proto
/// (`KernelList.kernel` is field 1, `KernelDef.device_type` field 2).
fn kernel_device_types(kernel_list: &[u8]) -> Result<Vec<String>> {
    let mut types = Vec::new();
    for kernel_def in proto::bytes_fields(kernel_list, 1)? {
        for device_type in proto::bytes_fields(kernel_def, 2)? {
            types.push(String::from_utf8_lossy(device_type).into_owned());
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn kernel_list_parsing_finds_the_device_types() {
        let mut cpu = field(1, b"MatMul");
        cpu.extend(field(2, b"CPU"));
        cpu.extend([0x30, 0x96, 0x01]); // field 6 varint 150 (priority), skipped
        let mut gpu = field(1, b"MatMul");
        gpu.extend(field(2, b"GPU"));
        let mut list = field(1, &cpu);
        list.extend(field(1, &gpu));
        assert_eq!(kernel_device_types(&list).unwrap(), ["CPU", "GPU"]);
        assert!(kernel_device_types(&list[..list.len() - 1]).is_err());
    }

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
