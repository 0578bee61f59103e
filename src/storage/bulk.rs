//! Bulk rows for seeding the benchmarks (`seminarflow bench`), where the store's one-row-at-a-time insert would take longer than
//! the benchmark itself (seeding is not what is measured).
//!
//! Only `partners`, `seminars` and pending `due_items` rows are written here, complete (the
//! seminar's JSON and the due item's kind are the store's own serialization), seminars at
//! version 1, with the indexed columns the store fills itself (`applied_us`, the partner's
//! `search` key); the list columns (`attention_known`) are left for the server's start-up
//! backfill. Everything else a seminar owns — penalties, ledgers, outbox, events — goes through
//! `Store::commit` with the seminar at version 1, which takes the store's ordinary update path.
//! When the schema of these three tables changes, this file is the one place to follow it.

use crate::domain::schedule::DueItem;
use crate::domain::{Partner, Seminar};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, QueryBuilder};
use std::str::FromStr;
use std::time::Duration;

/// Rows per INSERT statement (10 parameters each; below SQLite's and PostgreSQL's limits).
const ROWS: usize = 500;

macro_rules! insert_all {
    ($pool:expr, $db:ty, $partners:expr, $seminars:expr, $due:expr, $data:expr, $kinds:expr) => {{
        let pool = $pool;
        let mut tx = pool.begin().await?;
        for chunk in $partners.chunks(ROWS) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO partners (id, name, experienced, barred, late_withdrawal, search) ",
            );
            q.push_values(chunk, |mut b, p: &Partner| {
                b.push_bind(p.id.clone())
                    .push_bind(p.name.clone())
                    .push_bind(p.experienced)
                    .push_bind(p.barred)
                    .push_bind(p.late_withdrawal)
                    .push_bind(crate::storage::partner_search_key(p));
            });
            q.push(" ON CONFLICT (id) DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        let mut seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM seminars")
            .fetch_one(&mut *tx)
            .await?;
        for (chunk, data) in $seminars.chunks(ROWS).zip($data.chunks(ROWS)) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO seminars (id, program, partner, city, date, week, state, seq, version, data, applied_us) ",
            );
            q.push_values(chunk.iter().zip(data), |mut b, (s, data): (&Seminar, &String)| {
                seq += 1;
                b.push_bind(s.id.clone())
                    .push_bind(s.program.clone())
                    .push_bind(s.partner.clone())
                    .push_bind(s.city.clone())
                    .push_bind(s.date.to_string())
                    .push_bind(s.week.clone())
                    .push_bind(s.state.as_str())
                    .push_bind(seq)
                    .push_bind(1_i64)
                    .push_bind(data.clone())
                    .push_bind(s.applied_at.timestamp_micros());
            });
            q.build().execute(&mut *tx).await?;
        }
        for (chunk, kinds) in $due.chunks(ROWS).zip($kinds.chunks(ROWS)) {
            let mut q =
                QueryBuilder::<$db>::new("INSERT INTO due_items (key, seminar, subject_kind, due_us, due_rank, kind) ");
            q.push_values(chunk.iter().zip(kinds), |mut b, (d, kind): (&DueItem, &String)| {
                b.push_bind(d.key.clone())
                    .push_bind(d.subject.key())
                    .push_bind(d.subject.kind())
                    .push_bind(d.at.timestamp_micros())
                    .push_bind(i16::from(d.rank))
                    .push_bind(kind.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        pool.close().await;
    }};
}

/// Inserts partners (existing ids are kept), new seminars at version 1 and new pending due
/// items into the database at `url` (`sqlite://file` or `postgres://…`), in one transaction. The store's migrations must
/// have run (open the store first).
///
/// # Errors
/// Connection or SQL failures (e.g. a seminar id that exists).
pub async fn insert(
    url: &str,
    partners: &[Partner],
    seminars: &[Seminar],
    due: &[DueItem],
) -> Result<(), super::StoreError> {
    // Serialized first: a value that cannot be is refused, never stored empty.
    let unreadable = |e: serde_json::Error| super::StoreError::Unreadable(e.to_string());
    let data = seminars
        .iter()
        .map(|s| {
            let mut stored = s.clone();
            stored.version = 0;
            serde_json::to_string(&stored)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    let kinds = due
        .iter()
        .map(|d| serde_json::to_string(&d.kind))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        insert_all!(pool, sqlx::Postgres, partners, seminars, due, data, kinds);
    } else {
        let opts = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .journal_mode(SqliteJournalMode::Wal)
            // Multi-row inserts are slow statements by design: not worth a warning each.
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        insert_all!(pool, sqlx::Sqlite, partners, seminars, due, data, kinds);
    }
    Ok(())
}
