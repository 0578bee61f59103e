//! Process plumbing for the benchmarks: temporary folders, peak memory from `/proc`, child
//! processes with a deadline. No `unsafe` and no extra crates: `/proc` is read as text and
//! signals go through `kill(1)`.

use super::{BenchError, BenchResult};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A folder under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// # Errors
    /// When the folder cannot be created.
    pub fn new(what: &str) -> std::io::Result<TempDir> {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "seminarflow-bench-{what}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `kB` field of `/proc/<pid>/status` (`self` with `None`) in bytes, e.g. `VmHWM` (peak
/// resident set) or `VmRSS`.
pub fn proc_status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

/// The environment variable that makes `seminarflow simulate` print its peak RSS at exit.
pub const REPORT_PEAK_RSS: &str = "SEMINARFLOW_REPORT_PEAK_RSS";
/// The line prefix of that report on standard error.
pub const PEAK_RSS_PREFIX: &str = "seminarflow-peak-rss-bytes:";

/// Called by commands at exit: prints this process's peak RSS to standard error when the
/// benchmark asked for it (the parent cannot read `/proc` of a child that has exited).
pub fn report_peak_rss_if_asked() {
    if std::env::var_os(REPORT_PEAK_RSS).is_some() {
        if let Some(b) = proc_status_kb(None, "VmHWM") {
            eprintln!("{PEAK_RSS_PREFIX} {b}");
        }
    }
}

/// How a child process ended.
#[derive(Debug)]
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub elapsed: Duration,
    /// Peak RSS seen by polling `/proc/<pid>/status` while it ran.
    pub polled_peak: Option<u64>,
    pub timed_out: bool,
}

/// Waits for `child` until `timeout`, polling its peak RSS; kills it on timeout. `started` is
/// when it was spawned.
pub fn wait_with_deadline(child: &mut Child, started: Instant, timeout: Duration) -> Finished {
    let mut peak = None;
    loop {
        if let Some(b) = proc_status_kb(Some(child.id()), "VmHWM") {
            peak = Some(peak.map_or(b, |p: u64| p.max(b)));
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                return Finished {
                    status: Some(status),
                    elapsed: started.elapsed(),
                    polled_peak: peak,
                    timed_out: false,
                }
            }
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Finished {
                    status: None,
                    elapsed: started.elapsed(),
                    polled_peak: peak,
                    timed_out: true,
                };
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => {
                return Finished {
                    status: None,
                    elapsed: started.elapsed(),
                    polled_peak: peak,
                    timed_out: false,
                }
            }
        }
    }
}

/// Asks a child to stop with SIGTERM (through `kill(1)`), then kills it after `grace`.
pub fn stop(child: &mut Child, grace: Duration) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let until = Instant::now() + grace;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A free loopback port.
///
/// # Errors
/// When no socket can be bound.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The folder with `tools/bigseason.py`: the given one, `$SEMINARFLOW_SHARED`, or `../shared`
/// beside the working directory or beside the source tree.
///
/// # Errors
/// When none has the tool.
pub fn shared_dir(given: Option<&Path>) -> BenchResult<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(g) = given {
        candidates.push(g.to_path_buf());
    }
    if let Some(e) = std::env::var_os("SEMINARFLOW_SHARED") {
        candidates.push(PathBuf::from(e));
    }
    candidates.push(PathBuf::from("../shared"));
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    candidates
        .iter()
        .find(|d| d.join("tools/bigseason.py").is_file())
        .cloned()
        .ok_or_else(|| {
            BenchError::failed(format!(
                "tools/bigseason.py not found in {} (give --shared DIR or SEMINARFLOW_SHARED)",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Writes a `bigseason.py` season of `n` seminars (seed 1) to `out`; returns its step count.
///
/// # Errors
/// When Python or the tool fails.
pub fn bigseason(shared: &Path, out: &Path, n: usize) -> BenchResult<usize> {
    let o = std::process::Command::new("python3")
        .arg(shared.join("tools/bigseason.py"))
        .arg(out)
        .arg(n.to_string())
        .arg("1")
        .output()?;
    if !o.status.success() {
        return Err(BenchError::failed(format!(
            "bigseason.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )));
    }
    // "N seminars, M steps"
    let text = String::from_utf8_lossy(&o.stdout);
    Ok(text
        .split(", ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// The machine in one line: CPU model, cores, memory.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|x| x.1.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let kb: u64 = l
                    .strip_prefix("MemTotal:")?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
            })
        })
        .unwrap_or_else(|| "unknown memory".into());
    format!("{cpu}, {cores} cores, {mem}")
}
