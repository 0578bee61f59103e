//! The midnight burst: N approved seminars (state preparing) whose program stage is still open
//! when its deadline passes at one midnight. Measured: `Scheduler::tick` at one second past
//! midnight, from its start until it returns, i.e. until every penalty, exclusion and outbox
//! row is committed. Seeding (bulk rows) is not measured.

use super::pg::PgCluster;
use super::report::Figure;
use super::season::{msk, seed_preparing};
use super::sys::TempDir;
use super::BenchResult;
use super::{secs, Options};
use crate::domain::{Program, SeminarState};
use crate::service::Service;
use crate::storage;
use std::time::{Duration, Instant};

/// One burst.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstRun {
    pub seminars: usize,
    /// `None` when it did not finish within the timeout.
    pub seconds: Option<f64>,
    pub timeout: f64,
    pub fired: u64,
    /// Rows committed when measured (at the end, or when the timeout stopped the tick).
    pub penalties: i64,
    pub excluded: usize,
    pub outbox: i64,
}

/// Seeds `n` seminars into the store at `url` (empty) and times the midnight tick.
///
/// # Errors
/// Store failures.
pub async fn run(url: &str, prog: &Program, n: usize, timeout: Duration) -> BenchResult<BurstRun> {
    let store = storage::open(url).await?;
    seed_preparing(url, prog, "b", n, msk(2017, 2, 22, 10, 0), true, None).await?;
    let service = Service::new(store.clone(), vec![prog.clone()]);
    let midnight = msk(2017, 2, 23, 0, 0) + chrono::Duration::seconds(1);
    let started = Instant::now();
    let ticked = tokio::time::timeout(timeout, service.scheduler.tick(midnight)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (seconds, fired) = match ticked {
        Ok(r) => (Some(elapsed), r?.fired),
        Err(_) => (None, 0),
    };
    let penalties = store.penalty_count().await?;
    let outbox = store.outbox_counts().await?.iter().map(|(_, n)| n).sum();
    let excluded = store
        .seminars(Some(prog.id()))
        .await?
        .iter()
        .filter(|s| s.state == SeminarState::Excluded)
        .count();
    Ok(BurstRun {
        seminars: n,
        seconds,
        timeout: timeout.as_secs_f64(),
        fired,
        penalties,
        excluded,
        outbox,
    })
}

fn figure(backend: &str, r: &BurstRun) -> Figure {
    let shown = match r.seconds {
        Some(s) => format!(
            "{} ({} penalties, {} exclusions, {} outbox rows; {:.0} deadlines/s)",
            secs(s),
            r.penalties,
            r.excluded,
            r.outbox,
            r.seminars as f64 / s.max(1e-9)
        ),
        None => format!(
            "> {:.0} s (timed out with {} of {} penalties committed)",
            r.timeout, r.penalties, r.seminars
        ),
    };
    Figure::new(
        "burst",
        format!("{} midnight deadlines, {backend}", r.seminars),
        r.seconds,
        "s",
    )
    .shown(shown)
}

pub async fn figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let (_, prog) = super::program(opts)?;
    let n = opts.size(100_000, 10);
    let dir = TempDir::new("burst")?;
    let url = format!("sqlite://{}", dir.path().join("burst.db").display());
    let lite = run(&url, &prog, n, opts.timeout).await?;
    let mut out = vec![figure("SQLite", &lite).bound(
        "≤ 5 s on SQLite (100 000)",
        opts.full_size(),
        true,
        5.0,
    )];
    let cluster;
    let pg_url = match &opts.pg {
        Some(u) => Some(u.clone()),
        None => {
            cluster = PgCluster::start()?;
            cluster.as_ref().map(|c| c.url.clone())
        }
    };
    match pg_url {
        Some(u) => out.push(figure(
            "PostgreSQL",
            &run(&u, &prog, n, opts.timeout).await?,
        )),
        None => out.push(
            Figure::new(
                "burst",
                format!("{n} midnight deadlines, PostgreSQL"),
                None,
                "s",
            )
            .shown("skipped: no PostgreSQL"),
        ),
    }
    Ok(out)
}
