//! `simulate` of big seasons: `seminarflow simulate SEASON --json` as a child process (JSON to
//! /dev/null), wall time from spawn to exit, peak RSS as the child reports it at exit (polled
//! from `/proc` as a fallback).

use super::report::Figure;
use super::sys::{self, TempDir};
use super::{mb, ratio_target, secs, Options};
use super::{BenchError, BenchResult};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One `simulate` run.
#[derive(Debug, Clone)]
pub struct SimulateRun {
    pub seminars: usize,
    pub steps: usize,
    /// `None` when it timed out.
    pub seconds: Option<f64>,
    pub timed_out_after: Option<f64>,
    pub peak_rss: Option<u64>,
}

/// Generates a season of `seminars` with `bigseason.py` and simulates it.
///
/// # Errors
/// When the season cannot be generated, or `simulate` fails.
pub fn run_season(
    opts: &Options,
    shared: &Path,
    dir: &Path,
    seminars: usize,
) -> BenchResult<SimulateRun> {
    let season = dir.join(format!("season-{seminars}.toml"));
    let steps = sys::bigseason(shared, &season, seminars)?;
    run_file(opts, &season, seminars, steps, opts.timeout)
}

/// Simulates a scenario file as a child process.
///
/// # Errors
/// When the child cannot start or exits with an error.
pub fn run_file(
    opts: &Options,
    season: &Path,
    seminars: usize,
    steps: usize,
    timeout: Duration,
) -> BenchResult<SimulateRun> {
    let errfile = season.with_extension("stderr");
    let mut child = std::process::Command::new(opts.exe()?)
        .arg("--workflows")
        .arg(&opts.workflows)
        .arg("simulate")
        .arg(season)
        .arg("--json")
        .env(sys::REPORT_PEAK_RSS, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&errfile)?)
        .spawn()?;
    let started = Instant::now();
    let done = sys::wait_with_deadline(&mut child, started, timeout);
    let stderr = std::fs::read_to_string(&errfile).unwrap_or_default();
    if done.timed_out {
        return Ok(SimulateRun {
            seminars,
            steps,
            seconds: None,
            timed_out_after: Some(timeout.as_secs_f64()),
            peak_rss: done.polled_peak,
        });
    }
    match done.status {
        Some(s) if s.success() => {}
        _ => {
            return Err(BenchError::failed(format!(
                "simulate failed ({:?}): {stderr}",
                done.status
            )))
        }
    }
    let reported = stderr.lines().find_map(|l| {
        l.strip_prefix(sys::PEAK_RSS_PREFIX)
            .and_then(|v| v.trim().parse::<u64>().ok())
    });
    Ok(SimulateRun {
        seminars,
        steps,
        seconds: Some(done.elapsed.as_secs_f64()),
        timed_out_after: None,
        peak_rss: reported.or(done.polled_peak),
    })
}

fn time_shown(r: &SimulateRun) -> String {
    match (r.seconds, r.timed_out_after) {
        (Some(s), _) => secs(s),
        (None, Some(t)) => format!("> {t:.0} s (timed out)"),
        _ => "not run".into(),
    }
}

pub async fn figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let opts = opts.clone();
    tokio::task::spawn_blocking(move || blocking_figures(&opts)).await?
}

fn blocking_figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let shared = sys::shared_dir(opts.shared.as_deref())?;
    let dir = TempDir::new("simulate")?;
    let small_n = opts.size(10_000, 20);
    let big_n = opts.size(30_000, 60);
    let full = opts.full_size();
    let small = run_season(opts, &shared, dir.path(), small_n)?;
    // When the smaller season already timed out, three times as many seminars would too.
    let big = if small.seconds.is_some() {
        Some(run_season(opts, &shared, dir.path(), big_n)?)
    } else {
        None
    };
    let mut out = Vec::from(season_figures(small_n, &small, full));
    match &big {
        Some(big) => out.extend(scaling_figures(small_n, &small, big_n, big)),
        None => out.extend(not_scaled_figures(opts, small_n, big_n)),
    }
    Ok(out)
}

/// The smaller season's time and peak RSS, bounded at full size.
fn season_figures(n: usize, small: &SimulateRun, full: bool) -> [Figure; 2] {
    [
        Figure::new(
            "simulate",
            format!("{n} seminars ({} steps): time", small.steps),
            small.seconds,
            "s",
        )
        .shown(time_shown(small))
        .bound("≤ 3 s (10 000 seminars)", full, true, 3.0),
        Figure::new(
            "simulate",
            format!("{n} seminars: peak RSS"),
            small.peak_rss.map(|b| b as f64),
            "bytes",
        )
        .shown(match (small.peak_rss, small.seconds) {
            (Some(b), Some(_)) => mb(b),
            (Some(b), None) => format!("≥ {} (when stopped)", mb(b)),
            _ => "unknown".into(),
        })
        .bound("≤ 300 MB", full && small.seconds.is_some(), true, 300e6),
    ]
}

/// The bigger season's time and peak RSS, and how its time grew against the smaller one's.
fn scaling_figures(
    small_n: usize,
    small: &SimulateRun,
    big_n: usize,
    big: &SimulateRun,
) -> [Figure; 3] {
    let ratio = match (big.seconds, small.seconds) {
        (Some(b), Some(s)) if s > 0.0 => Some(b / s),
        _ => None,
    };
    [
        Figure::new(
            "simulate",
            format!("{big_n} seminars ({} steps): time", big.steps),
            big.seconds,
            "s",
        )
        .shown(time_shown(big)),
        Figure::new(
            "simulate",
            format!("{big_n} seminars: peak RSS"),
            big.peak_rss.map(|b| b as f64),
            "bytes",
        )
        .shown(big.peak_rss.map(mb).unwrap_or_else(|| "unknown".into())),
        Figure::new(
            "simulate",
            format!("time ratio {big_n} / {small_n}"),
            ratio,
            "×",
        )
        .shown(
            ratio
                .map(|r| format!("{r:.2}×"))
                .unwrap_or_else(|| "not measured (timed out)".into()),
        )
        .target(ratio_target("≤ 3.5×", ratio, true, 3.5)),
    ]
}

/// The bigger season was not run (the smaller one timed out): its time and the ratio as not
/// measured.
fn not_scaled_figures(opts: &Options, small_n: usize, big_n: usize) -> [Figure; 2] {
    [
        Figure::new("simulate", format!("{big_n} seminars: time"), None, "s").shown(format!(
            "not run: the {small_n}-seminar season already timed out (> {:.0} s)",
            opts.timeout.as_secs_f64()
        )),
        Figure::new(
            "simulate",
            format!("time ratio {big_n} / {small_n}"),
            None,
            "×",
        )
        .shown("not measured")
        .target(ratio_target("≤ 3.5×", None, true, 3.5)),
    ]
}
