//! What machine a benchmark ran on, and when.

use std::{
    fmt,
    time::{SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

/// Description of the benchmark machine, from the OS.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs this process may use (what `nproc` prints).
    pub cpus: usize,
    /// CPU model, from `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// Total memory in GiB, from `/proc/meminfo`.
    pub memory_gib: Option<f64>,
    /// Kernel release, from `/proc/sys/kernel/osrelease`.
    pub kernel: Option<String>,
    /// One-minute load average when the benchmark started, from `/proc/loadavg`: other work on
    /// the machine competes with the nodes and the load generator for the same cores.
    pub load_avg_1m: Option<f64>,
}

impl Machine {
    /// Reads the machine description; fields the OS does not tell are `None`.
    pub fn detect() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: read("/proc/cpuinfo").and_then(|s| cpu_model(&s)),
            memory_gib: read("/proc/meminfo").and_then(|s| memory_gib(&s)),
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()),
            load_avg_1m: load_average_1m(),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} CPUs (nproc)", self.cpus)?;
        if let Some(model) = &self.cpu_model {
            write!(f, ", {model}")?;
        }
        if let Some(memory) = self.memory_gib {
            write!(f, ", {memory:.1} GiB memory")?;
        }
        if let Some(kernel) = &self.kernel {
            write!(f, ", Linux {kernel}")?;
        }
        if let Some(load) = self.load_avg_1m {
            write!(f, "; 1-minute load average {load:.2} at the start")?;
        }
        Ok(())
    }
}

/// The one-minute load average, from `/proc/loadavg`.
pub(crate) fn load_average_1m() -> Option<f64> {
    let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
    loadavg.split_whitespace().next()?.parse().ok()
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

fn memory_gib(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / (1024.0 * 1024.0))
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_utc(secs)
}

fn format_utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    let rem = unix_secs % 86_400;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case(0, "1970-01-01 00:00 UTC")]
    #[case(951_782_400, "2000-02-29 00:00 UTC")]
    #[case(1_709_210_096, "2024-02-29 12:34 UTC")]
    #[case(1_767_225_599, "2025-12-31 23:59 UTC")]
    fn formats_utc_dates(#[case] secs: u64, #[case] expected: &str) {
        assert_eq!(format_utc(secs), expected);
    }

    #[test]
    fn parses_proc_files() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t: x\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 9B14"));
        let meminfo = "MemTotal:       25165824 kB\nMemFree:        1 kB\n";
        assert_eq!(memory_gib(meminfo), Some(24.0));
        assert_eq!(memory_gib("nothing"), None);
    }
}
