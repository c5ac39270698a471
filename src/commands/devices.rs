//! `tflayers devices`: the TensorFlow build this binary loaded, this machine's CPU (the
//! instruction sets TensorFlow's kernels use, and whether oneDNN is on), and the devices a
//! session sees, in this process or on the server named by `--target`.

use anyhow::Result;

use crate::host::Machine;
use crate::onednn::Setting;
use crate::tf::devices::{build_info, list_devices, BuildInfo, DeviceInfo};
use crate::tf::env::onednn_setting;
use crate::tf::model::SessionConfig;
use crate::tf::remote::Remote;

pub fn run(remote: Option<Remote>) -> Result<()> {
    let build = build_info()?;
    let config = SessionConfig {
        remote,
        ..SessionConfig::default()
    };
    let devices = list_devices(&config)?;
    let place = match &config.remote {
        Some(remote) => format!("on the TensorFlow server at {}", remote.target),
        None => "in this process".to_string(),
    };
    print!("{}", report(&build, &place, &devices));
    print!(
        "{}",
        cpu_report(
            &Machine::describe(),
            &onednn_setting(),
            config.remote.is_some()
        )
    );
    Ok(())
}

/// The CPU lines: model, instruction sets (and the notable ones it lacks), oneDNN.
fn cpu_report(machine: &Machine, onednn: &Setting, remote: bool) -> String {
    let has = |name: &str| machine.isa.iter().any(|f| f == name);
    let mut isa = if machine.isa.is_empty() {
        "none of AVX, AVX2, FMA, AVX-512, AMX".to_string()
    } else {
        machine.isa.join(" ")
    };
    let lacks: Vec<&str> = [("AVX-512F", "no AVX-512"), ("AMX-TILE", "no AMX")]
        .into_iter()
        .filter(|(feature, _)| !has(feature))
        .map(|(_, text)| text)
        .collect();
    if !machine.isa.is_empty() && !lacks.is_empty() {
        isa += &format!(" ({})", lacks.join(", "));
    }
    let whose = if remote { "This machine" } else { "CPU" };
    // The instruction sets get a line of their own.
    let cpu = Machine {
        isa: Vec::new(),
        ..machine.clone()
    };
    format!(
        "{whose}: {}\nInstruction sets: {isa}\n{onednn}\n",
        cpu.line()
    )
}

/// The whole printout: build line, device table, and what a CUDA build without a GPU does.
fn report(build: &BuildInfo, place: &str, devices: &[DeviceInfo]) -> String {
    let flavour = if build.has_gpu_kernels() {
        "CUDA build"
    } else {
        "CPU build"
    };
    let mut out = format!(
        "TensorFlow {} ({flavour}: kernels for {})\nDevices {place}:\n",
        build.version,
        build.kernel_devices.join(", ")
    );
    let width = devices.iter().map(|d| d.name.len()).max().unwrap_or(0);
    out += &format!("  {:width$}  {:<5} memory\n", "name", "type");
    for device in devices {
        let memory = device.memory_bytes.map_or("-".to_string(), human_bytes);
        out += &format!(
            "  {:width$}  {:<5} {memory}\n",
            device.name, device.device_type
        );
    }
    let gpus = devices.iter().filter(|d| d.device_type == "GPU").count();
    if gpus > 0 {
        out += &format!("{gpus} GPU(s): TensorFlow places the models' ops on GPU:0.\n");
    } else if build.has_gpu_kernels() {
        out += "No GPU is visible: this CUDA build runs everything on the CPU. A GPU needs an \
                NVIDIA driver recent enough for the wheel's CUDA (see README, GPU and remote \
                servers).\n";
    }
    out
}

/// 268435456 -> "256 MiB".
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, device_type: &str, memory_bytes: Option<u64>) -> DeviceInfo {
        DeviceInfo {
            name: name.to_string(),
            device_type: device_type.to_string(),
            memory_bytes,
        }
    }

    #[test]
    fn the_cpu_lines_name_the_instruction_sets_and_onednn() {
        let machine = Machine {
            cpu: Some("AMD EPYC".into()),
            cpu_id: Some("AuthenticAMD family 25 model 1".into()),
            isa: vec!["AVX".into(), "AVX2".into(), "FMA".into()],
            cpus: Some(2),
            memory_bytes: None,
        };
        let onednn = Setting {
            enabled: true,
            chosen_by: crate::onednn::ChosenBy::User,
        };
        let text = cpu_report(&machine, &onednn, false);
        assert_eq!(
            text,
            "CPU: AMD EPYC (AuthenticAMD family 25 model 1), 2 CPUs\n\
             Instruction sets: AVX AVX2 FMA (no AVX-512, no AMX)\n\
             oneDNN on (TF_ENABLE_ONEDNN_OPTS set by the user)\n"
        );
        let avx512 = Machine {
            isa: vec!["AVX2".into(), "AVX-512F".into(), "AMX-TILE".into()],
            ..machine
        };
        assert!(cpu_report(&avx512, &onednn, true)
            .contains("This machine: AMD EPYC (AuthenticAMD family 25 model 1), 2 CPUs\nInstruction sets: AVX2 AVX-512F AMX-TILE\n"));
    }

    #[test]
    fn memory_is_printed_in_binary_units() {
        assert_eq!(human_bytes(268_435_456), "256 MiB");
        assert_eq!(human_bytes(150_000_000_000), "139.7 GiB");
        assert_eq!(human_bytes(512), "512 B");
    }

    #[test]
    fn a_cuda_build_without_a_gpu_says_it_falls_back_to_the_cpu() {
        let build = BuildInfo {
            version: "2.21.0".into(),
            kernel_devices: vec!["CPU".into(), "GPU".into()],
        };
        let cpu = device("/job:localhost/replica:0/task:0/device:CPU:0", "CPU", None);
        let text = report(&build, "in this process", std::slice::from_ref(&cpu));
        assert!(text.starts_with("TensorFlow 2.21.0 (CUDA build: kernels for CPU, GPU)\n"));
        assert!(text.contains("device:CPU:0  CPU   -\n"), "{text}");
        assert!(text.contains("No GPU is visible"), "{text}");
        let gpu = device(
            "/job:localhost/replica:0/task:0/device:GPU:0",
            "GPU",
            Some(1 << 30),
        );
        let text = report(&build, "in this process", &[cpu, gpu]);
        assert!(text.contains("GPU   1 GiB\n"), "{text}");
        assert!(text.contains("1 GPU(s)"), "{text}");
    }
}
