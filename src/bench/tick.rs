//! A scheduler tick's cost against the number of pending items: the same number of due items
//! (one program deadline each, on real approved seminars) among 10 000 and among 1 000 000
//! pending items. The due seminars hold only their due item; the other pending items belong
//! to future seminars, 20 each, due months later.
//! Measured: `Scheduler::tick` at one second past the deadline, on SQLite files.

use super::report::Figure;
use super::season::{msk, seed_preparing};
use super::sys::TempDir;
use super::BenchResult;
use super::{ratio_target, secs, Options};
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::Program;
use crate::service::Service;
use crate::storage;
use std::path::Path;
use std::time::{Duration, Instant};

/// Pending items per future seminar.
const PER_SEMINAR: usize = 20;
/// Future items per bulk insert.
const CHUNK: usize = 50_000;

/// One timed tick.
#[derive(Debug, Clone, PartialEq)]
pub struct TickRun {
    /// Pending items before the tick (due ones included).
    pub pending: i64,
    pub due: usize,
    pub fired: u64,
    /// `None` when it did not finish within the timeout.
    pub seconds: Option<f64>,
}

/// Seeds `due` due items among `pending` pending ones into a new SQLite file in `dir`, then
/// times one tick.
///
/// # Errors
/// Store failures.
pub async fn run(
    dir: &Path,
    prog: &Program,
    due: usize,
    pending: usize,
    timeout: Duration,
) -> BenchResult<TickRun> {
    let url = format!(
        "sqlite://{}",
        dir.join(format!("tick-{pending}.db")).display()
    );
    let store = storage::open(&url).await?;
    let at = msk(2017, 2, 23, 0, 0) + chrono::Duration::seconds(1);
    // Only their due items: every other pending item is one of the future seminars', so the
    // pending count is exactly what was asked for.
    seed_preparing(
        &url,
        prog,
        "t",
        due,
        msk(2017, 2, 22, 10, 0),
        true,
        Some(at),
    )
    .await?;
    let mut have = store.pending_due_count().await?.max(0) as usize;
    let first = msk(2017, 6, 1, 9, 0);
    let report = super::season::report_stage(prog)?;
    let mut j = 0usize;
    while have < pending {
        let n = (pending - have).min(CHUNK);
        let items: Vec<DueItem> = (0..n)
            .map(|k| {
                let i = j + k;
                DueItem::of_seminar(
                    format!("f{:07}:reminder:{}", i / PER_SEMINAR, i % PER_SEMINAR),
                    &format!("f{:07}", i / PER_SEMINAR),
                    first + chrono::Duration::minutes(i as i64),
                    DueKind::Reminder {
                        stage: report.clone(),
                        round: 0,
                    },
                )
            })
            .collect();
        crate::storage::bulk::insert(&url, &[], &[], &items).await?;
        j += n;
        have += n;
    }
    let pending = store.pending_due_count().await?;
    let service = Service::new(store, vec![prog.clone()]);
    let started = Instant::now();
    let ticked = tokio::time::timeout(timeout, service.scheduler.tick(at)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (seconds, fired) = match ticked {
        Ok(r) => (Some(elapsed), r?.fired),
        Err(_) => (None, 0),
    };
    Ok(TickRun {
        pending,
        due,
        fired,
        seconds,
    })
}

fn shown(r: &TickRun, timeout: Duration) -> String {
    match r.seconds {
        Some(s) => format!("{} ({} fired)", secs(s), r.fired),
        None => format!("> {:.0} s (timed out)", timeout.as_secs_f64()),
    }
}

pub async fn figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let (_, prog) = super::program(opts)?;
    let due = opts.size(1_000, 10);
    let small_n = opts.size(10_000, due * 2);
    let big_n = opts.size(1_000_000, small_n * 10);
    let dir = TempDir::new("tick")?;
    let small = run(dir.path(), &prog, due, small_n, opts.timeout).await?;
    let big = run(dir.path(), &prog, due, big_n, opts.timeout).await?;
    let ratio = match (big.seconds, small.seconds) {
        (Some(b), Some(s)) if s > 0.0 => Some(b / s),
        _ => None,
    };
    Ok(vec![
        Figure::new(
            "tick",
            format!("{} pending / {due} due", small.pending),
            small.seconds,
            "s",
        )
        .shown(shown(&small, opts.timeout)),
        Figure::new(
            "tick",
            format!("{} pending / {due} due", big.pending),
            big.seconds,
            "s",
        )
        .shown(shown(&big, opts.timeout)),
        Figure::new(
            "tick",
            format!("ratio {} / {} pending", big.pending, small.pending),
            ratio,
            "×",
        )
        .shown(
            ratio
                .map(|r| format!("{r:.2}×"))
                .unwrap_or_else(|| "not measured (timed out)".into()),
        )
        .target(ratio_target("≤ 1.5×", ratio, true, 1.5)),
    ])
}
