//! The machine a benchmark ran on, and how busy it was: read from `/proc` on Linux; anything
//! unreadable is left out rather than guessed.

use std::fs;

use serde::Serialize;

/// The machine's description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo`).
    pub cpu: Option<String>,
    /// Logical CPUs this process may use.
    pub cpus: Option<usize>,
    /// Total memory (`/proc/meminfo` MemTotal).
    pub memory_bytes: Option<u64>,
}

impl Machine {
    pub fn describe() -> Self {
        Self {
            cpu: fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|text| cpu_model(&text)),
            cpus: std::thread::available_parallelism().ok().map(|n| n.get()),
            memory_bytes: fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|text| mem_total(&text)),
        }
    }

    /// One line: `AMD EPYC, 2 CPUs, 23.4 GiB`.
    pub fn line(&self) -> String {
        let mut parts = vec![self.cpu.clone().unwrap_or_else(|| "unknown CPU".into())];
        if let Some(n) = self.cpus {
            parts.push(format!("{n} CPUs"));
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
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B45\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 9B45"));
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
            cpus: Some(2),
            memory_bytes: Some(3 << 30),
        };
        assert_eq!(machine.line(), "AMD EPYC, 2 CPUs, 3.0 GiB");
        let unknown = Machine {
            cpu: None,
            cpus: None,
            memory_bytes: None,
        };
        assert_eq!(unknown.line(), "unknown CPU");
    }
}
