//! HTTP reads over a season: a `seminarflow serve` child on a data folder seeded with a
//! `bigseason.py` season, signed in as an admin (a session made in the store beforehand), and
//! each read driven at a fixed open-loop rate for a bounded time by [`load`](super::load).
//! The server's peak RSS is read from `/proc/<pid>/status` (VmHWM) before it is stopped.

use super::load::{self, LoadRun};
use super::report::{Figure, Target};
use super::season::{admin_session, seed_season, SeasonSize};
use super::sys::{self, TempDir};
use super::{mb, Options};
use super::{BenchError, BenchResult};
use crate::storage;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Connections the load generator keeps open.
const CONNECTIONS: usize = 32;
/// How long after a run's end its last answers are waited for.
const GRACE: Duration = Duration::from_secs(5);

/// The reads of issue 9, as (label, path); the dashboard's path is resolved from its redirect.
pub const READS: &[(&str, &str)] = &[
    ("/api/seminars", "/api/seminars"),
    ("/api/penalties", "/api/penalties"),
    ("/api/partners", "/api/partners"),
    ("/dashboard", "/dashboard"),
];

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRun {
    pub season: SeasonSize,
    /// From spawning the server to its first healthy `/healthz`.
    pub startup_seconds: f64,
    /// Resident memory one second after start-up, before any read.
    pub idle_rss: Option<u64>,
    /// Peak resident memory over the whole run.
    pub peak_rss: Option<u64>,
    pub reads: Vec<Read>,
}

/// One read: a single request's latency on an idle server, then the open-loop run.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub label: String,
    /// The median of three sequential requests before the load (`None` if none succeeded).
    pub single_ms: Option<f64>,
    pub load: LoadRun,
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        sys::stop(&mut self.0, Duration::from_secs(5));
    }
}

/// Seeds `scenario` into a data folder under `dir`, serves it and measures the reads.
///
/// # Errors
/// Seeding failures, a server that does not come up.
pub async fn run(
    opts: &Options,
    scenario: &Path,
    dir: &Path,
    rate: f64,
    duration: Duration,
) -> BenchResult<HttpRun> {
    let (cat, _) = super::program(opts)?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let url = format!("sqlite://{}", data.join("seminarflow.db").display());
    let (season, token) = {
        let store = storage::open(&url).await?;
        let season = seed_season(&store, &url, &cat, scenario, opts.http_season).await?;
        (season, admin_session(&store).await?)
    };
    let port = sys::free_port()?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let started = Instant::now();
    let server = start_server(opts, &data, dir, addr)?;
    let pid = server.0.id();
    let server = wait_healthy(opts, server, dir, addr, started).await?;
    let startup_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = sys::proc_status_kb(Some(pid), "VmRSS");
    let cookie = format!("Cookie: {}={token}\r\n", crate::http::auth::SESSION_COOKIE);
    let mut reads = Vec::new();
    for (label, path) in READS {
        reads.push(measure_read(opts, addr, &cookie, label, path, rate, duration).await);
    }
    let peak_rss = sys::proc_status_kb(Some(pid), "VmHWM");
    drop(server);
    Ok(HttpRun {
        season,
        startup_seconds,
        idle_rss,
        peak_rss,
        reads,
    })
}

/// `seminarflow serve` on the seeded data folder at `addr`, its output in `server.log`.
fn start_server(opts: &Options, data: &Path, dir: &Path, addr: SocketAddr) -> BenchResult<Server> {
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = std::process::Command::new(opts.exe()?)
        .arg("--workflows")
        .arg(&opts.workflows)
        .arg("serve")
        .arg("--data-dir")
        .arg(data)
        .arg("--listen")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    Ok(Server(child))
}

/// Polls `/healthz` until it answers 200; fails when the server exits (with its log) or is
/// not healthy within the bench timeout counted from `started`.
async fn wait_healthy(
    opts: &Options,
    mut server: Server,
    dir: &Path,
    addr: SocketAddr,
    started: Instant,
) -> BenchResult<Server> {
    loop {
        if let Ok(Some(st)) = server.0.try_wait() {
            return Err(BenchError::failed(format!(
                "the server exited ({st}): {}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            )));
        }
        if let Ok(Ok(r)) =
            tokio::time::timeout(Duration::from_secs(5), load::get_once(addr, "/healthz", "")).await
        {
            if r.status == 200 {
                return Ok(server);
            }
        }
        if started.elapsed() > opts.timeout {
            return Err(BenchError::failed(format!(
                "the server was not healthy within {:?}",
                opts.timeout
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One read: the page `path` redirects to (if it does), its median single-request latency on
/// the settled server, then the open-loop run at `rate`.
async fn measure_read(
    opts: &Options,
    addr: SocketAddr,
    cookie: &str,
    label: &str,
    path: &str,
    rate: f64,
    duration: Duration,
) -> Read {
    let mut path = path.to_string();
    // `/dashboard` redirects to the only program's dashboard: load that page.
    if let Ok(r) = load::get_once(addr, &path, cookie).await {
        if (300..400).contains(&r.status) {
            if let Some(to) = r.header("location") {
                path = to.to_string();
            }
        }
    }
    settle(addr).await;
    let single_ms = single_request_median(opts, addr, &path, cookie).await;
    settle(addr).await;
    let load = load::open_loop(addr, &path, cookie, rate, duration, CONNECTIONS, GRACE).await;
    Read {
        label: label.to_string(),
        single_ms,
        load,
    }
}

/// The median latency of three sequential successful requests for `path` (`None` if none
/// succeeded).
async fn single_request_median(
    opts: &Options,
    addr: SocketAddr,
    path: &str,
    cookie: &str,
) -> Option<f64> {
    let mut single = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        if let Ok(Ok(r)) =
            tokio::time::timeout(opts.timeout, load::get_once(addr, path, cookie)).await
        {
            if (200..300).contains(&r.status) {
                single.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    single.sort_by(|a, b| a.total_cmp(b));
    single.get(single.len() / 2).copied()
}

/// Waits (up to a minute) until the server answers `/healthz` quickly again, so one read's
/// backlog does not count against the next.
async fn settle(addr: SocketAddr) {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let t = Instant::now();
        if let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_secs(2), load::get_once(addr, "/healthz", "")).await
        {
            if t.elapsed() < Duration::from_millis(50) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let shared = sys::shared_dir(opts.shared.as_deref())?;
    let n = opts.size(10_000, 20);
    let dir = TempDir::new("http")?;
    let scenario = dir.path().join(format!("season-{n}.toml"));
    sys::bigseason(&shared, &scenario, n)?;
    let r = run(
        opts,
        &scenario,
        dir.path(),
        opts.http_rate,
        opts.http_duration,
    )
    .await?;
    let full = opts.full_size();
    let mut out = Vec::new();
    for read in &r.reads {
        out.extend(read_figures(read, full));
    }
    out.extend(server_figures(&r, full));
    Ok(out)
}

/// A latency as shown, `12.3 ms`, or `—` when there is none.
fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1} ms")).unwrap_or("—".into())
}

/// One read's figures: its single-request latency and its open-loop p99 (the target at full
/// size).
fn read_figures(read: &Read, full: bool) -> [Figure; 2] {
    let (label, l) = (&read.label, &read.load);
    let clean = l.errors == 0 && l.unfinished == 0;
    [
        Figure::new(
            "http",
            format!("{label}: one request on an idle server"),
            read.single_ms,
            "ms",
        )
        .shown(ms(read.single_ms)),
        Figure::new(
            "http",
            format!("{label} at {:.0}/s for {:.0} s: p99", l.rate, l.seconds),
            l.p99_ms,
            "ms",
        )
        .shown(format!(
            "p50 {}, p99 {}, max {}; {} ok of {}, {} errors, {} unanswered; {:.0} ok/s",
            ms(l.p50_ms),
            ms(l.p99_ms),
            ms(l.max_ms),
            l.ok,
            l.scheduled,
            l.errors,
            l.unfinished,
            l.achieved
        ))
        .target(Target {
            text: "p99 ≤ 20 ms, no errors".into(),
            met: if full {
                Some(clean && l.p99_ms.is_some_and(|v| v <= 20.0))
            } else {
                None
            },
        }),
    ]
}

/// The server's own figures: start-up time with idle RSS, and peak RSS (bounded at full size).
fn server_figures(r: &HttpRun, full: bool) -> [Figure; 2] {
    [
        Figure::new(
            "http",
            format!(
                "server over {} seminars: start-up / idle RSS",
                r.season.seminars
            ),
            r.idle_rss.map(|b| b as f64),
            "bytes",
        )
        .shown(format!(
            "{} to healthy, {} idle",
            super::secs(r.startup_seconds),
            r.idle_rss.map(mb).unwrap_or("unknown".into())
        )),
        Figure::new(
            "http",
            "server peak RSS",
            r.peak_rss.map(|b| b as f64),
            "bytes",
        )
        .shown(r.peak_rss.map(mb).unwrap_or("unknown".into()))
        .bound("≤ 100 MB", full, true, 100e6),
    ]
}
