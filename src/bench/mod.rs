//! `seminarflow bench`: the benchmarks of issue 9. Each builds the data it needs (seasons from
//! `../shared/tools/bigseason.py`, seeded stores, throwaway PostgreSQL), measures one thing and
//! reports figures next to the targets. Comparisons are ratios measured in one run, so
//! they hold on any machine; absolute figures need the standard 2-core machine.
//!
//! - [`simulate`]: `seminarflow simulate` of big seasons as a child process (time, peak RSS).
//! - [`burst`]: one midnight passing a program deadline for many approved seminars.
//! - [`tick`]: a scheduler tick's cost against the number of pending (not due) items.
//! - [`commands`]: commands per second against a raw single-row commit loop on the same file.
//! - [`http`]: reads at a fixed open-loop rate against a `serve` child ([`load`] is the client).
//!
//! Seeding goes through the public `Store` trait (batched [`Commit`](crate::storage::Commit)s),
//! so the benchmarks keep working while the storage layer changes underneath.

/// What stops a benchmark: a failed step (with what failed), or an error of a part it drives.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error(transparent)]
    Server(#[from] crate::server::ServerError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Domain(#[from] crate::domain::DomainError),
    #[error(transparent)]
    Address(#[from] std::net::AddrParseError),
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

impl BenchError {
    pub fn failed(what: impl Into<String>) -> BenchError {
        BenchError::Failed(what.into())
    }
}

pub type BenchResult<T> = Result<T, BenchError>;

pub mod burst;
pub mod commands;
pub mod http;
pub mod load;
pub mod pg;
pub mod report;
pub mod season;
pub mod simulate;
pub mod sys;
pub mod tick;

use crate::catalog::Catalog;
use crate::domain::Program;
use report::{Figure, Target};
use std::path::PathBuf;
use std::time::Duration;

/// The program every benchmark runs: the flagship workflow `bigseason.py` writes seasons for.
pub const PROGRAM: &str = "bitrix24-seminars-2017-spring";

/// The benchmarks, in the order they run.
pub const NAMES: &[&str] = &["simulate", "burst", "tick", "commands", "http"];

/// What to run and how big.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run only this benchmark (one of [`NAMES`]).
    pub only: Option<String>,
    /// Multiplies every size (1.0 = the sizes); ratios are still measured.
    pub size_factor: f64,
    /// Folder with `tools/bigseason.py` (default: `$SEMINARFLOW_SHARED`, else `../shared`).
    pub shared: Option<PathBuf>,
    /// Workflows folder (passed on to child processes).
    pub workflows: PathBuf,
    /// A PostgreSQL database to use for the burst instead of a throwaway cluster. Its tables
    /// are written to: give an empty, disposable database.
    pub pg: Option<String>,
    /// Longest wait for one measured part; a part that takes longer is reported as "> N s".
    pub timeout: Duration,
    /// Length of each HTTP read run.
    pub http_duration: Duration,
    /// Requests per second of each HTTP read run.
    pub http_rate: f64,
    /// How the HTTP season is put into the store.
    pub http_season: season::Seeding,
    /// The `seminarflow` binary for child processes (default: this executable).
    pub exe: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            only: None,
            size_factor: 1.0,
            shared: None,
            workflows: crate::catalog::default_dir(),
            pg: None,
            timeout: Duration::from_secs(900),
            http_duration: Duration::from_secs(10),
            http_rate: 500.0,
            http_season: season::Seeding::Synthetic,
            exe: None,
        }
    }
}

impl Options {
    /// A size from the issue, scaled by `--size-factor`, never below `min`.
    pub fn size(&self, full: usize, min: usize) -> usize {
        ((full as f64 * self.size_factor).round() as usize).max(min)
    }

    /// Whether sizes are the issue's, so absolute targets apply.
    pub fn full_size(&self) -> bool {
        (self.size_factor - 1.0).abs() < 1e-9
    }

    pub fn exe(&self) -> BenchResult<PathBuf> {
        match &self.exe {
            Some(p) => Ok(p.clone()),
            None => Ok(std::env::current_exe()?),
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.only.as_deref().is_none_or(|o| o == name)
    }
}

/// Loads the benchmark program from the workflows folder.
///
/// # Errors
/// When the folder or the program cannot be read.
pub fn program(opts: &Options) -> BenchResult<(Catalog, Program)> {
    let cat = Catalog::open(&opts.workflows)
        .map_err(|e| BenchError::failed(format!("{}: {e}", opts.workflows.display())))?;
    let prog = cat
        .program(PROGRAM)
        .map_err(|e| BenchError::failed(format!("{e}")))?;
    Ok((cat, prog))
}

/// Runs the chosen benchmarks, printing progress to standard error, and returns the figures.
/// A benchmark that fails is reported as a figure with its error, and the others still run.
pub async fn run(opts: &Options) -> Vec<Figure> {
    if let Some(o) = &opts.only {
        if !NAMES.contains(&o.as_str()) {
            return vec![Figure::failed(
                o,
                BenchError::failed(format!("unknown benchmark; one of {}", NAMES.join(", "))),
            )];
        }
    }
    let mut figures = Vec::new();
    for name in NAMES {
        if !opts.wants(name) {
            continue;
        }
        eprintln!("bench: {name}…");
        let result = match *name {
            "simulate" => simulate::figures(opts).await,
            "burst" => burst::figures(opts).await,
            "tick" => tick::figures(opts).await,
            "commands" => commands::figures(opts).await,
            _ => http::figures(opts).await,
        };
        let got = match result {
            Ok(f) => f,
            Err(e) => vec![Figure::failed(name, e)],
        };
        // As they come, so a long run that is stopped still leaves its figures.
        for f in &got {
            eprintln!("bench: {} — {}: {}", f.bench, f.name, f.shown);
        }
        figures.extend(got);
    }
    figures
}

/// Formats seconds for the table.
pub fn secs(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 0.1 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

/// Formats a byte count as MB (10^6 bytes, as the issue does).
pub fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// A ratio compared with a bound.
pub fn ratio_target(text: &str, value: Option<f64>, at_most: bool, bound: f64) -> Target {
    Target {
        text: text.into(),
        met: value.map(|v| if at_most { v <= bound } else { v >= bound }),
    }
}
