//! `seminarflow bench` at tiny sizes: every benchmark produces its figures and the work it
//! times was really done (counts, not speeds: no timed assertions).

use crate::support::{catalog, root};
use seminarflow::bench::{self, burst, commands, http, pg::PgCluster, simulate, sys, tick};
use seminarflow::domain::Program;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(300);

fn program() -> Program {
    catalog().program(bench::PROGRAM).unwrap()
}

fn options() -> bench::Options {
    bench::Options {
        workflows: root().join("workflows"),
        exe: Some(env!("CARGO_BIN_EXE_seminarflow").into()),
        timeout: PATIENCE,
        size_factor: 0.001,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_burst_books_one_penalty_one_exclusion_and_two_mails_per_passed_deadline() {
    let dir = sys::TempDir::new("smoke").unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    let r = burst::run(&url, &program(), 12, PATIENCE).await.unwrap();
    assert!(r.seconds.is_some_and(|s| s > 0.0), "{r:?}");
    assert_eq!(
        (r.fired, r.penalties, r.excluded, r.outbox),
        (12, 12, 12, 24),
        "{r:?}"
    );
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn the_burst_runs_on_postgres_too() {
    let Some(pg) = PgCluster::start().unwrap() else {
        eprintln!("SKIPPED: no PostgreSQL server binaries");
        return;
    };
    let r = burst::run(&pg.url, &program(), 7, PATIENCE).await.unwrap();
    assert_eq!((r.penalties, r.excluded, r.outbox), (7, 7, 14), "{r:?}");
}

#[tokio::test]
async fn a_tick_fires_exactly_the_due_items_among_many_pending_ones() {
    let dir = sys::TempDir::new("smoke").unwrap();
    let r = tick::run(dir.path(), &program(), 5, 300, PATIENCE)
        .await
        .unwrap();
    assert_eq!(r.fired, 5, "{r:?}");
    assert!(r.pending >= 300, "{r:?}");
    assert!(r.seconds.is_some_and(|s| s > 0.0), "{r:?}");
}

#[tokio::test]
async fn commands_and_the_raw_commit_loop_run_the_same_number_of_times() {
    let dir = sys::TempDir::new("smoke").unwrap();
    let r = commands::run(dir.path(), &program(), 4, PATIENCE)
        .await
        .unwrap();
    assert_eq!((r.commands, r.raw_commits), (8, 8), "{r:?}");
    assert!(!r.timed_out);
    assert!(r.commands_per_second() > 0.0 && r.raw_per_second() > 0.0);
    assert!(r.ratio() > 0.0);
}

#[tokio::test]
#[cfg_attr(
    sf_no_shared_tools,
    ignore = "needs ../shared/tools/bigseason.py (or SEMINARFLOW_SHARED)"
)]
async fn simulate_of_a_generated_season_reports_its_time_and_peak_memory() {
    let opts = options();
    let Ok(shared) = sys::shared_dir(None) else {
        eprintln!("SKIPPED: ../shared/tools/bigseason.py not found");
        return;
    };
    let dir = sys::TempDir::new("smoke").unwrap();
    let r =
        tokio::task::spawn_blocking(move || simulate::run_season(&opts, &shared, dir.path(), 12))
            .await
            .unwrap()
            .unwrap();
    assert!(r.steps > 12, "{r:?}");
    assert!(r.seconds.is_some_and(|s| s > 0.0), "{r:?}");
    assert!(r.peak_rss.is_some_and(|b| b > 1_000_000), "{r:?}");
}

#[tokio::test]
#[cfg_attr(
    sf_no_shared_tools,
    ignore = "needs ../shared/tools/bigseason.py (or SEMINARFLOW_SHARED)"
)]
async fn every_read_answers_at_a_low_rate_over_a_small_season() {
    let opts = options();
    let Ok(shared) = sys::shared_dir(None) else {
        eprintln!("SKIPPED: ../shared/tools/bigseason.py not found");
        return;
    };
    let dir = sys::TempDir::new("smoke").unwrap();
    let scenario = dir.path().join("season.toml");
    sys::bigseason(&shared, &scenario, 20).unwrap();
    let r = http::run(&opts, &scenario, dir.path(), 20.0, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(r.season.seminars >= 20, "{:?}", r.season);
    assert!(r.season.penalties > 0, "{:?}", r.season);
    assert_eq!(r.reads.len(), http::READS.len());
    for read in &r.reads {
        let (label, l) = (&read.label, &read.load);
        assert!(read.single_ms.is_some_and(|v| v > 0.0), "{label}");
        assert_eq!(l.scheduled, 20, "{label}: {l:?}");
        assert_eq!((l.ok, l.errors, l.unfinished), (20, 0, 0), "{label}: {l:?}");
        assert!(l.p99_ms.is_some_and(|v| v > 0.0), "{label}: {l:?}");
    }
    assert!(r.peak_rss.is_some_and(|b| b > 1_000_000));
}

#[test]
fn the_table_shows_each_figure_with_its_target() {
    let figures = vec![
        bench::report::Figure::new("tick", "ratio", Some(1.2), "×")
            .shown("1.20×")
            .target(bench::ratio_target("≤ 1.5×", Some(1.2), true, 1.5)),
        bench::report::Figure::new("burst", "100 000, PostgreSQL", None, "s")
            .shown("skipped: no PostgreSQL"),
    ];
    let t = bench::report::table(&figures);
    let row = t.lines().find(|l| l.starts_with("tick")).unwrap();
    assert!(row.contains("1.20×") && row.ends_with("| met"), "{t}");
    assert!(t.contains("skipped: no PostgreSQL"), "{t}");
}
