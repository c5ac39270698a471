//! The machine this process runs on: the CPU (model, family, the instruction sets TensorFlow's
//! kernels use), how many CPUs, how much memory, and how busy it is. Read from `/proc` on
//! Linux; anything unreadable is left out rather than guessed. Printed by `tflayers devices`
//! and the bench; its instruction sets decide which of the manifest's oneDNN tables applies.

use std::fs;

use serde::Serialize;

/// The instruction-set extensions TensorFlow 2.21's x86 kernels and oneDNN look for, as
/// `/proc/cpuinfo` spells them and as printed.
pub const ISA_FEATURES: [(&str, &str); 11] = [
    ("avx", "AVX"),
    ("avx2", "AVX2"),
    ("fma", "FMA"),
    ("avx512f", "AVX-512F"),
    ("avx512_vnni", "AVX-512-VNNI"),
    ("avx512_bf16", "AVX-512-BF16"),
    ("avx512_fp16", "AVX-512-FP16"),
    ("avx_vnni", "AVX-VNNI"),
    ("amx_tile", "AMX-TILE"),
    ("amx_int8", "AMX-INT8"),
    ("amx_bf16", "AMX-BF16"),
];

/// The machine's description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo`).
    pub cpu: Option<String>,
    /// The CPU's vendor, family and model numbers, e.g. `AuthenticAMD family 25 model 1`:
    /// model names such as "AMD EPYC" do not tell the generations apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_id: Option<String>,
    /// Which of [`ISA_FEATURES`] the CPU has, by their printed names.
    pub isa: Vec<String>,
    /// Logical CPUs this process may use.
    pub cpus: Option<usize>,
    /// Total memory (`/proc/meminfo` MemTotal).
    pub memory_bytes: Option<u64>,
}

impl Machine {
    pub fn describe() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").ok();
        Self {
            cpu: cpuinfo.as_deref().and_then(cpu_model),
            cpu_id: cpuinfo.as_deref().and_then(cpu_id),
            isa: cpuinfo.as_deref().map(isa_features).unwrap_or_default(),
            cpus: std::thread::available_parallelism().ok().map(|n| n.get()),
            memory_bytes: fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|text| mem_total(&text)),
        }
    }

    /// One line: `AMD EPYC (AuthenticAMD family 25 model 1), 2 CPUs, AVX AVX2 FMA, 23.4 GiB`.
    pub fn line(&self) -> String {
        let mut cpu = self.cpu.clone().unwrap_or_else(|| "unknown CPU".into());
        if let Some(id) = &self.cpu_id {
            cpu += &format!(" ({id})");
        }
        let mut parts = vec![cpu];
        if let Some(n) = self.cpus {
            parts.push(format!("{n} CPUs"));
        }
        if !self.isa.is_empty() {
            parts.push(self.isa.join(" "));
        }
        if let Some(bytes) = self.memory_bytes {
            parts.push(format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64));
        }
        parts.join(", ")
    }
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), if readable.
pub fn load_average() -> Option<[f64; 3]> {
    parse_load_average(&fs::read_to_string("/proc/loadavg").ok()?)
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

/// The first processor's value of `key` in `/proc/cpuinfo`.
fn cpuinfo_field<'a>(cpuinfo: &'a str, key: &str) -> Option<&'a str> {
    cpuinfo
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim())
}

fn cpu_id(cpuinfo: &str) -> Option<String> {
    let vendor = cpuinfo_field(cpuinfo, "vendor_id")?;
    let family = cpuinfo_field(cpuinfo, "cpu family")?;
    let model = cpuinfo_field(cpuinfo, "model")?;
    Some(format!("{vendor} family {family} model {model}"))
}

/// The printed names of the [`ISA_FEATURES`] among the first processor's flags.
pub fn isa_features(cpuinfo: &str) -> Vec<String> {
    let flags: Vec<&str> = cpuinfo_field(cpuinfo, "flags")
        .map(|f| f.split_whitespace().collect())
        .unwrap_or_default();
    ISA_FEATURES
        .iter()
        .filter(|(flag, _)| flags.contains(flag))
        .map(|(_, name)| name.to_string())
        .collect()
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn parse_load_average(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_proc_formats() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\
                       model\t\t: 1\nmodel name\t: AMD EPYC 9B45\n\
                       flags\t\t: fpu sse avx avx2 fma avx512f avx512_vnni amx_tile\n\
                       processor\t: 1\nflags\t\t: fpu\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 9B45"));
        assert_eq!(
            cpu_id(cpuinfo).as_deref(),
            Some("AuthenticAMD family 25 model 1")
        );
        assert_eq!(
            isa_features(cpuinfo),
            ["AVX", "AVX2", "FMA", "AVX-512F", "AVX-512-VNNI", "AMX-TILE"]
        );
        assert!(isa_features("model name : x\n").is_empty());
        assert_eq!(cpu_model("processor : 0\n"), None);
        let meminfo = "MemTotal:       24567892 kB\nMemFree:         1234 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_567_892 * 1024));
        assert_eq!(
            parse_load_average("0.52 1.07 2.00 1/234 5678\n"),
            Some([0.52, 1.07, 2.0])
        );
        assert_eq!(parse_load_average("garbage"), None);
    }

    #[test]
    fn the_line_names_what_is_known() {
        let machine = Machine {
            cpu: Some("AMD EPYC".into()),
            cpu_id: Some("AuthenticAMD family 25 model 1".into()),
            isa: vec!["AVX2".into(), "FMA".into()],
            cpus: Some(2),
            memory_bytes: Some(3 << 30),
        };
        assert_eq!(
            machine.line(),
            "AMD EPYC (AuthenticAMD family 25 model 1), 2 CPUs, AVX2 FMA, 3.0 GiB"
        );
        let unknown = Machine {
            cpu: None,
            cpu_id: None,
            isa: Vec::new(),
            cpus: None,
            memory_bytes: None,
        };
        assert_eq!(unknown.line(), "unknown CPU");
    }
}
