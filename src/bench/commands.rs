//! Commands per second against the floor the database sets: `submit` and `approve` of the
//! program stage through `Service::execute` for N approved seminars on a SQLite file, then a
//! raw loop on the same file with the same connection settings (WAL, foreign keys, busy
//! timeout, sqlx's defaults otherwise) that inserts one row and commits, as many times.

use super::report::Figure;
use super::season::{msk, seed_preparing};
use super::sys::TempDir;
use super::BenchResult;
use super::{ratio_target, Options};
use crate::domain::{Command, Program};
use crate::service::Service;
use crate::storage;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct CommandsRun {
    /// Commands that ran (each succeeded; a refusal is an error here).
    pub commands: usize,
    pub command_seconds: f64,
    pub raw_commits: usize,
    pub raw_seconds: f64,
    /// Whether the command loop hit the timeout (the rate is then over the commands done).
    pub timed_out: bool,
}

impl CommandsRun {
    pub fn commands_per_second(&self) -> f64 {
        self.commands as f64 / self.command_seconds.max(1e-9)
    }

    pub fn raw_per_second(&self) -> f64 {
        self.raw_commits as f64 / self.raw_seconds.max(1e-9)
    }

    pub fn ratio(&self) -> f64 {
        self.commands_per_second() / self.raw_per_second().max(1e-9)
    }
}

/// Seeds `seminars` approved seminars into a new SQLite file in `dir`, runs two commands on
/// each, then the raw commit loop.
///
/// # Errors
/// Store failures, a refused command.
pub async fn run(
    dir: &Path,
    prog: &Program,
    seminars: usize,
    timeout: Duration,
) -> BenchResult<CommandsRun> {
    let url = format!("sqlite://{}", dir.join("commands.db").display());
    let store = storage::open(&url).await?;
    seed_preparing(
        &url,
        prog,
        "c",
        seminars,
        msk(2017, 2, 1, 10, 0),
        false,
        None,
    )
    .await?;
    let service = Service::new(store, vec![prog.clone()]);
    let started = Instant::now();
    let (commands, timed_out) =
        submit_and_approve(&service, prog, seminars, started, timeout).await?;
    let command_seconds = started.elapsed().as_secs_f64();
    let raw_seconds = raw_commits(&url, commands).await?;
    Ok(CommandsRun {
        commands,
        command_seconds,
        raw_commits: commands,
        raw_seconds,
        timed_out,
    })
}

/// `submit` by the partner and `approve` by the coordinator of the program stage of each
/// seeded seminar, one second apart, until done or `timeout` after `started`: the commands
/// run and whether the timeout stopped them.
async fn submit_and_approve(
    service: &Service,
    prog: &Program,
    seminars: usize,
    started: Instant,
    timeout: Duration,
) -> BenchResult<(usize, bool)> {
    let at = msk(2017, 2, 6, 10, 0);
    // The program's first stage with materials (the flagship's program of the seminar).
    let first = super::season::first_submittable(prog)?;
    let mut commands = 0usize;
    for i in 0..seminars {
        let seminar = format!("c{i:06}");
        let submit = Command::Submit {
            seminar: seminar.clone(),
            stage: first.clone(),
            report: None,
            estimate: vec![],
            files: vec![],
            comment: None,
        };
        let approve = Command::Approve {
            seminar,
            stage: first.clone(),
            comment: None,
        };
        for (cmd, actor) in [(submit, "partner"), (approve, "coordinator")] {
            let now = at + chrono::Duration::seconds(commands as i64);
            service.execute(prog.id(), &cmd, actor, now).await?;
            commands += 1;
            if started.elapsed() > timeout {
                return Ok((commands, true));
            }
        }
    }
    Ok((commands, false))
}

/// The floor: `n` single-row inserts, each in its own transaction, on the same SQLite file
/// with the store's connection settings; the seconds they took.
async fn raw_commits(url: &str, n: usize) -> BenchResult<f64> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_raw_commits (id INTEGER PRIMARY KEY, seminar TEXT NOT NULL, at_us BIGINT NOT NULL, data TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let payload = "{\"stage\":\"program\",\"by\":\"coordinator\"}";
    let started = Instant::now();
    for i in 0..n {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO bench_raw_commits (seminar, at_us, data) VALUES ($1, $2, $3)")
            .bind(format!("c{:06}", i / 2))
            .bind(i as i64)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let raw_seconds = started.elapsed().as_secs_f64();
    pool.close().await;
    Ok(raw_seconds)
}

pub async fn figures(opts: &Options) -> BenchResult<Vec<Figure>> {
    let (_, prog) = super::program(opts)?;
    let n = opts.size(2_000, 5);
    let dir = TempDir::new("commands")?;
    let r = run(dir.path(), &prog, n, opts.timeout).await?;
    let ratio = r.ratio();
    Ok(vec![
        Figure::new(
            "commands",
            format!(
                "submit/approve via Service::execute ({} commands)",
                r.commands
            ),
            Some(r.commands_per_second()),
            "1/s",
        )
        .shown(format!(
            "{:.0} /s{}",
            r.commands_per_second(),
            if r.timed_out {
                " (stopped at the timeout)"
            } else {
                ""
            }
        )),
        Figure::new(
            "commands",
            format!("raw single-row commit loop ({} commits)", r.raw_commits),
            Some(r.raw_per_second()),
            "1/s",
        )
        .shown(format!("{:.0} /s", r.raw_per_second())),
        Figure::new("commands", "commands / raw commits", Some(ratio), "×")
            .shown(format!("{:.3}× ({:.1} %)", ratio, ratio * 100.0))
            .target(ratio_target("≥ 0.5×", Some(ratio), false, 0.5)),
    ])
}
