//! The SQL behind both backends. SQLite and PostgreSQL accept the same statements (`$N`
//! parameters, `ON CONFLICT`, `RETURNING`); the only differences are the connection, the
//! migrations folder and row locking, so one macro stamps out both implementations.

use super::{
    decode_each, from_us, partner_search_key, to_us, ApiToken, CellCount, Commit, FileMeta,
    OutboxQuery, OutboxRow, Page, PartnerQuery, PartnerSummary, PenaltyQuery, PenaltyRow,
    SeminarQuery, Store, StoreError, LEGACY_TOKEN_DAYS,
};
use crate::accounts::{Rights, Role, User};
use crate::domain::program::Attention;
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::{
    BonusEntry, Event, Kopecks, Notification, Partner, Penalty, PointsEntry, Recipient, Seminar,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Rows per multi-row INSERT (well under both backends' bind-parameter limits).
const ROWS_PER_INSERT: usize = 500;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Serializes `v` for a row and proves it reads back equal: what this store could not decode
/// later is refused now, before anything is committed.
fn checked_json<T: serde::Serialize + serde::de::DeserializeOwned>(
    what: &str,
    v: &T,
) -> Result<String, StoreError> {
    let bad = |e: String| StoreError::Unreadable(format!("{what}: {e}"));
    let text = serde_json::to_string(v).map_err(|e| bad(e.to_string()))?;
    let back: T = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    match serde_json::to_string(&back) {
        Ok(again) if again == text => Ok(text),
        _ => Err(bad("не читается обратно без изменений".into())),
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn unique_to_conflict(e: sqlx::Error, what: &str) -> StoreError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Conflict(what.to_string()),
        _ => StoreError::Database(e),
    }
}

fn recipient_str(r: &Recipient) -> String {
    match r {
        Recipient::Partner(p) => format!("partner:{p}"),
        Recipient::Coordinator => "coordinator".into(),
    }
}

fn recipient_parse(s: &str) -> Recipient {
    match s.strip_prefix("partner:") {
        Some(p) => Recipient::Partner(p.to_string()),
        None => Recipient::Coordinator,
    }
}

/// SQLite store. One process writes: commits are serialized by an in-process lock, and the
/// database runs in WAL mode so readers never wait.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    write: Option<Arc<Mutex<()>>>,
    decoded: Arc<AtomicU64>,
}

impl SqliteStore {
    /// `sqlite::memory:` (one private in-memory database) or `sqlite://path/to/file.db`.
    ///
    /// # Errors
    /// Connection or migration failure.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let memory = url.contains(":memory:");
        let opts = if memory {
            // The memdb VFS keeps the database in one buffer of the process, with the ordinary
            // bounded page cache in front. A plain `:memory:` database lives in the page cache
            // itself, and SQLite scans that whole cache at every commit (`pcache1Truncate` in
            // `pager_end_transaction`): a season's commits got slower as it grew.
            SqliteConnectOptions::new()
                .filename("seminarflow-memory")
                .vfs("memdb")
        } else {
            SqliteConnectOptions::from_str(url)?
        };
        let opts = opts
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            });
        // An in-memory database lives as long as its one connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(opts)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        let store = SqliteStore {
            pool,
            write: Some(Arc::new(Mutex::new(()))),
            decoded: Arc::default(),
        };
        store.backfill_index_columns().await?;
        Ok(store)
    }
}

/// PostgreSQL store: several processes may share one database; due items are claimed with
/// `FOR UPDATE SKIP LOCKED` and a lease, commits check versions.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    write: Option<Arc<Mutex<()>>>,
    decoded: Arc<AtomicU64>,
}

impl PgStore {
    /// # Errors
    /// Connection or migration failure.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let store = PgStore {
            pool,
            write: None,
            decoded: Arc::default(),
        };
        store.backfill_index_columns().await?;
        Ok(store)
    }
}

macro_rules! store_impl {
    ($store:ty, $lock_clause:literal) => {
        impl $store {
            /// Fills the indexed columns that migration 0003 added (`applied_us`) from the
            /// aggregates written before it; a no-op on every later start.
            async fn backfill_index_columns(&self) -> Result<(), StoreError> {
                let rows = sqlx::query("SELECT id, data, version FROM seminars WHERE applied_us IS NULL").fetch_all(&self.pool).await?;
                for s in decode_each("seminar", &rows, |r| self.seminar_from_row(r)) {
                    sqlx::query("UPDATE seminars SET applied_us = $1 WHERE id = $2").bind(to_us(s.applied_at)).bind(&s.id).execute(&self.pool).await?;
                }
                let rows = sqlx::query("SELECT * FROM partners WHERE search IS NULL").fetch_all(&self.pool).await?;
                for r in &rows {
                    let p = Self::partner_from_row(r)?;
                    sqlx::query("UPDATE partners SET search = $1 WHERE id = $2").bind(partner_search_key(&p)).bind(&p.id).execute(&self.pool).await?;
                }
                Ok(())
            }

            fn seminar_from_row(&self, row: &<<$store as StoreTypes>::Db as sqlx::Database>::Row) -> Result<Seminar, StoreError> {
                self.decoded.fetch_add(1, Ordering::Relaxed);
                let data: String = row.try_get("data")?;
                let version: i64 = row.try_get("version")?;
                let mut s: Seminar = parse("seminar", &data)?;
                s.version = version;
                Ok(s)
            }

            fn due_from_row(row: &<<$store as StoreTypes>::Db as sqlx::Database>::Row) -> Result<DueItem, StoreError> {
                let kind: String = row.try_get("kind")?;
                Ok(DueItem {
                    key: row.try_get("key")?,
                    seminar: row.try_get("seminar")?,
                    at: from_us(row.try_get("due_us")?),
                    kind: parse::<DueKind>("due item", &kind)?,
                })
            }

            fn outbox_from_row(r: &<<$store as StoreTypes>::Db as sqlx::Database>::Row) -> Result<OutboxRow, StoreError> {
                let data: String = r.try_get("data")?;
                let recipient: String = r.try_get("recipient")?;
                let kind: String = r.try_get("kind")?;
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    notification: Notification {
                        key: r.try_get("key")?,
                        kind: kind.parse().map_err(|e| StoreError::Corrupt(format!("notification: {e}")))?,
                        to: recipient_parse(&recipient),
                        seminar: r.try_get("seminar")?,
                        stage: r.try_get("stage")?,
                        at: from_us(r.try_get("at_us")?),
                        data: parse("notification", &data)?,
                    },
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    message_id: r.try_get("message_id")?,
                })
            }

            fn user_from_row(r: &<<$store as StoreTypes>::Db as sqlx::Database>::Row) -> Result<User, StoreError> {
                let role: String = r.try_get("role")?;
                let rights: Option<String> = r.try_get("rights")?;
                Ok(User {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
                    partner: r.try_get("partner")?,
                    rights: rights.as_deref().and_then(Rights::parse),
                    password_hash: r.try_get("password_hash")?,
                    must_change_password: r.try_get("must_change_password")?,
                    digest: r.try_get("digest")?,
                    ics_token: r.try_get("ics_token")?,
                    disabled: r.try_get("disabled")?,
                })
            }

            fn partner_from_row(row: &<<$store as StoreTypes>::Db as sqlx::Database>::Row) -> Result<Partner, StoreError> {
                Ok(Partner {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    experienced: row.try_get("experienced")?,
                    barred: row.try_get("barred")?,
                    late_withdrawal: row.try_get("late_withdrawal")?,
                })
            }
        }

        #[async_trait]
        impl Store for $store {
            fn seminars_decoded(&self) -> u64 {
                self.decoded.load(Ordering::Relaxed)
            }

            async fn put_partner(&self, p: &Partner) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query(
                    "INSERT INTO partners (id, name, experienced, barred, late_withdrawal, search) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, experienced = excluded.experienced, search = excluded.search,
                       barred = partners.barred OR excluded.barred, late_withdrawal = partners.late_withdrawal OR excluded.late_withdrawal",
                )
                .bind(&p.id)
                .bind(&p.name)
                .bind(p.experienced)
                .bind(p.barred)
                .bind(p.late_withdrawal)
                .bind(partner_search_key(p))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
                let row = sqlx::query("SELECT * FROM partners WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::partner_from_row).transpose()
            }

            async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
                let rows = sqlx::query("SELECT * FROM partners ORDER BY id").fetch_all(&self.pool).await?;
                rows.iter().map(Self::partner_from_row).collect()
            }

            async fn seminar(&self, id: &str) -> Result<Option<Seminar>, StoreError> {
                let row = sqlx::query("SELECT data, version FROM seminars WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(|r| self.seminar_from_row(r)).transpose()
            }

            async fn seminars(&self, program: Option<&str>) -> Result<Vec<Seminar>, StoreError> {
                let rows = match program {
                    Some(p) => sqlx::query("SELECT data, version FROM seminars WHERE program = $1 ORDER BY seq, id").bind(p).fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT data, version FROM seminars ORDER BY seq, id").fetch_all(&self.pool).await?,
                };
                Ok(decode_each("seminar", &rows, |r| self.seminar_from_row(r)))
            }

            async fn seminar_for_command(&self, id: &str, now: DateTime<Utc>) -> Result<Option<(Seminar, Option<Partner>, bool)>, StoreError> {
                let row = sqlx::query(
                    "SELECT s.data, s.version, p.id, p.name, p.experienced, p.barred, p.late_withdrawal,
                       EXISTS (SELECT 1 FROM due_items d WHERE d.seminar = s.id AND d.fired_us IS NULL AND d.due_us <= $2) AS has_due
                     FROM seminars s LEFT JOIN partners p ON p.id = s.partner WHERE s.id = $1",
                )
                .bind(id)
                .bind(to_us(now))
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let seminar = self.seminar_from_row(&r)?;
                let partner_id: Option<String> = r.try_get("id")?;
                let partner = match partner_id {
                    Some(_) => Some(Self::partner_from_row(&r)?),
                    None => None,
                };
                Ok(Some((seminar, partner, r.try_get("has_due")?)))
            }

            async fn find_seminars(&self, q: &SeminarQuery) -> Result<Vec<(i64, Seminar)>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT s.seq, s.data, s.version FROM seminars s");
                seminar_where(&mut qb, q);
                if let Some(after) = q.page.after.filter(|_| !q.by_date && !q.by_deadline) {
                    qb.push(" AND s.seq > ").push_bind(after);
                }
                qb.push(if q.by_date {
                    " ORDER BY s.date, s.city, s.seq"
                } else if q.by_deadline {
                    " ORDER BY s.partner_deadline, s.seq"
                } else {
                    " ORDER BY s.seq"
                });
                push_page(&mut qb, &q.page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                Ok(decode_each("seminar", &rows, |r| Ok((r.try_get("seq")?, self.seminar_from_row(r)?))))
            }

            async fn count_seminars(&self, q: &SeminarQuery) -> Result<i64, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT COUNT(*) AS n FROM seminars s");
                seminar_where(&mut qb, q);
                Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn seminars_without_attention(&self, limit: i64) -> Result<Vec<Seminar>, StoreError> {
                let rows = sqlx::query("SELECT data, version FROM seminars WHERE attention_known = FALSE ORDER BY seq LIMIT $1").bind(limit).fetch_all(&self.pool).await?;
                Ok(decode_each("seminar", &rows, |r| self.seminar_from_row(r)))
            }

            async fn set_attention(&self, seminar: &str, a: &Attention) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE seminars SET partner_deadline = $1, awaiting_review = $2, attention_known = TRUE WHERE id = $3")
                    .bind(a.partner_deadline.map(|d| d.to_string()))
                    .bind(a.awaiting_review)
                    .bind(seminar)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn seminar_cells(&self, program: &str) -> Result<Vec<CellCount>, StoreError> {
                let rows = sqlx::query("SELECT city, week, state, COUNT(*) AS n FROM seminars WHERE program = $1 GROUP BY city, week, state ORDER BY city, week, state")
                    .bind(program)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok(CellCount { city: r.try_get("city")?, week: r.try_get("week")?, state: r.try_get("state")?, count: r.try_get("n")? }))
                    .collect()
            }

            async fn partners_by_ids(&self, ids: &[String]) -> Result<Vec<Partner>, StoreError> {
                let mut out = Vec::new();
                for chunk in ids.chunks(ROWS_PER_INSERT) {
                    let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT * FROM partners WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.clone());
                    }
                    qb.push(") ORDER BY id");
                    for r in qb.build().fetch_all(&self.pool).await? {
                        out.push(Self::partner_from_row(&r)?);
                    }
                }
                out.sort_by(|a, b| a.id.cmp(&b.id));
                Ok(out)
            }

            async fn find_partners(&self, q: &PartnerQuery, at: DateTime<Utc>) -> Result<Vec<PartnerSummary>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT p.*, CAST(COALESCE((SELECT SUM(l.points) FROM points_ledger l WHERE l.partner = p.id AND l.booked_us <= ");
                qb.push_bind(to_us(at)).push(" AND l.expires_us > ").push_bind(to_us(at));
                qb.push("), 0) AS BIGINT) AS points_active, CAST(COALESCE((SELECT SUM(b.kopecks) FROM bonus_ledger b WHERE b.partner = p.id AND b.booked_us <= ");
                qb.push_bind(to_us(at)).push(" AND b.expires_us > ").push_bind(to_us(at));
                qb.push("), 0) AS BIGINT) AS bonus_active FROM partners p");
                partner_where(&mut qb, q);
                qb.push(if q.by_points { " ORDER BY points_active DESC, p.name, p.id" } else { " ORDER BY p.id" });
                push_page(&mut qb, &q.page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                Ok(decode_each("partner", &rows, |r| {
                        Ok(PartnerSummary {
                            partner: Self::partner_from_row(r)?,
                            coordinator: r.try_get("coordinator")?,
                            points: r.try_get("points_active")?,
                            bonus: Kopecks(r.try_get("bonus_active")?),
                        })
                }))
            }

            async fn count_partners(&self, q: &PartnerQuery) -> Result<i64, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT COUNT(*) AS n FROM partners p");
                partner_where(&mut qb, q);
                Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn find_penalties(&self, q: &PenaltyQuery) -> Result<Vec<PenaltyRow>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT seq, program, seminar, partner, data FROM penalties p");
                penalty_where(&mut qb, q);
                if let Some(after) = q.page.after {
                    qb.push(" AND p.seq < ").push_bind(after);
                }
                qb.push(" ORDER BY p.seq DESC");
                push_page(&mut qb, &q.page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                Ok(decode_each("penalty", &rows, |r| {
                        let data: String = r.try_get("data")?;
                        let program: Option<String> = r.try_get("program")?;
                        Ok(PenaltyRow {
                            seq: r.try_get("seq")?,
                            program: program.unwrap_or_default(),
                            seminar: r.try_get("seminar")?,
                            partner: r.try_get("partner")?,
                            penalty: parse("penalty", &data)?,
                        })
                }))
            }

            async fn count_penalties(&self, q: &PenaltyQuery) -> Result<i64, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT COUNT(*) AS n FROM penalties p");
                penalty_where(&mut qb, q);
                Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn program_version(&self, program: &str) -> Result<i64, StoreError> {
                let v: Option<i64> = sqlx::query_scalar("SELECT version FROM program_locks WHERE program = $1").bind(program).fetch_optional(&self.pool).await?;
                Ok(v.unwrap_or(0))
            }

            async fn commit(&self, c: &Commit) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                let mut tx = self.pool.begin().await?;
                if let Some((program, version)) = &c.program_lock {
                    let n = if *version == 0 {
                        sqlx::query("INSERT INTO program_locks (program, version) VALUES ($1, 1) ON CONFLICT (program) DO NOTHING").bind(program).execute(&mut *tx).await?.rows_affected()
                    } else {
                        sqlx::query("UPDATE program_locks SET version = version + 1 WHERE program = $1 AND version = $2").bind(program).bind(version).execute(&mut *tx).await?.rows_affected()
                    };
                    if n != 1 {
                        return Err(StoreError::Conflict(format!("program {program} changed concurrently")));
                    }
                }
                for (key, at) in &c.fired {
                    // An item fires only while no earlier item of its seminar waits: the order
                    // check and the exactly-once mark are one statement.
                    let n = sqlx::query(
                        "UPDATE due_items SET fired_us = $1, lease_owner = NULL, lease_until_us = NULL
                         WHERE key = $2 AND fired_us IS NULL AND NOT EXISTS (
                           SELECT 1 FROM due_items e WHERE e.seminar = due_items.seminar AND e.fired_us IS NULL AND e.due_us < due_items.due_us)",
                    )
                        .bind(to_us(*at))
                        .bind(key)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n != 1 {
                        return Err(StoreError::Conflict(format!("due item {key} already fired, gone or not yet first")));
                    }
                }
                for s in &c.outcome.seminars {
                    let data = checked_json("seminar", s)?;
                    let attention = c.attention.get(&s.id);
                    let n = if s.version == 0 {
                        sqlx::query(
                            "INSERT INTO seminars (id, program, partner, city, date, week, state, seq, version, data, applied_us,
                               partner_deadline, awaiting_review, attention_known)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT COALESCE(MAX(seq), 0) + 1 FROM seminars), 1, $8, $9, $10, $11, $12)",
                        )
                        .bind(&s.id)
                        .bind(&s.program)
                        .bind(&s.partner)
                        .bind(&s.city)
                        .bind(s.date.to_string())
                        .bind(&s.week)
                        .bind(s.state.as_str())
                        .bind(&data)
                        .bind(to_us(s.applied_at))
                        .bind(attention.and_then(|a| a.partner_deadline).map(|d| d.to_string()))
                        .bind(attention.is_some_and(|a| a.awaiting_review))
                        .bind(attention.is_some())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_to_conflict(e, "seminar exists"))?
                        .rows_affected()
                    } else {
                        // The list columns change only with what the writer computed (`attention`).
                        sqlx::query(
                            "UPDATE seminars SET state = $1, data = $2, city = $3, date = $4, week = $5, version = version + 1,
                               partner_deadline = CASE WHEN $8 THEN $9 ELSE partner_deadline END,
                               awaiting_review = CASE WHEN $8 THEN $10 ELSE awaiting_review END,
                               attention_known = attention_known OR $8
                             WHERE id = $6 AND version = $7",
                        )
                            .bind(s.state.as_str())
                            .bind(&data)
                            .bind(&s.city)
                            .bind(s.date.to_string())
                            .bind(&s.week)
                            .bind(&s.id)
                            .bind(s.version)
                            .bind(attention.is_some())
                            .bind(attention.and_then(|a| a.partner_deadline).map(|d| d.to_string()))
                            .bind(attention.is_some_and(|a| a.awaiting_review))
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    };
                    if n != 1 {
                        return Err(StoreError::Conflict(format!("seminar {} changed concurrently", s.id)));
                    }
                }
                if !c.outcome.penalties.is_empty() {
                    // Booking order: one index probe for the last number, then consecutive ones.
                    let last: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM penalties").fetch_one(&mut *tx).await?;
                    let mut rows = Vec::with_capacity(c.outcome.penalties.len());
                    for (i, (seminar, p)) in c.outcome.penalties.iter().enumerate() {
                        rows.push((i, seminar, p, checked_json("penalty", p)?));
                    }
                    for chunk in rows.chunks(ROWS_PER_INSERT) {
                        let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new(
                            "INSERT INTO penalties (key, seq, seminar, partner, program, code, points, exclusion, at_us, data) ",
                        );
                        qb.push_values(chunk, |mut b, (i, seminar, p, data)| {
                            let owner = c.outcome.seminars.iter().find(|s| &s.id == *seminar);
                            b.push_bind(p.key.clone())
                                .push_bind(last + 1 + *i as i64)
                                .push_bind((*seminar).clone())
                                .push_bind(owner.map(|s| s.partner.clone()).unwrap_or_default())
                                .push_bind(owner.map(|s| s.program.clone()))
                                .push_bind(p.code.clone())
                                .push_bind(p.points)
                                .push_bind(p.exclusion)
                                .push_bind(to_us(p.at))
                                .push_bind(data.clone());
                        });
                        qb.build().execute(&mut *tx).await.map_err(|e| unique_to_conflict(e, "penalty already booked"))?;
                    }
                }
                for e in &c.outcome.points {
                    sqlx::query("INSERT INTO points_ledger (key, partner, seminar, points, reason, booked_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(&e.key)
                        .bind(&e.partner)
                        .bind(&e.seminar)
                        .bind(e.points)
                        .bind(&e.reason)
                        .bind(to_us(e.booked_at))
                        .bind(to_us(e.expires_at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_to_conflict(e, "points already booked"))?;
                }
                for e in &c.outcome.bonus {
                    sqlx::query("INSERT INTO bonus_ledger (key, partner, seminar, kopecks, booked_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&e.key)
                        .bind(&e.partner)
                        .bind(&e.seminar)
                        .bind(e.amount.0)
                        .bind(to_us(e.booked_at))
                        .bind(to_us(e.expires_at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_to_conflict(e, "bonus already booked"))?;
                }
                for (partner, flag) in &c.outcome.flags {
                    let sql = match flag {
                        crate::domain::PartnerFlag::Barred => "UPDATE partners SET barred = TRUE WHERE id = $1",
                        crate::domain::PartnerFlag::LateWithdrawal => "UPDATE partners SET late_withdrawal = TRUE WHERE id = $1",
                    };
                    sqlx::query(sql).bind(partner).execute(&mut *tx).await?;
                }
                for chunk in c.outcome.notifications.chunks(ROWS_PER_INSERT) {
                    let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new(
                        "INSERT INTO outbox (key, kind, recipient, seminar, stage, at_us, data, next_attempt_us) ",
                    );
                    qb.push_values(chunk, |mut b, n| {
                        b.push_bind(n.key.clone())
                            .push_bind(n.kind.as_str())
                            .push_bind(recipient_str(&n.to))
                            .push_bind(n.seminar.clone())
                            .push_bind(n.stage.clone())
                            .push_bind(to_us(n.at))
                            .push_bind(json(&n.data))
                            .push_bind(0_i64);
                    });
                    qb.push(" ON CONFLICT (key) DO NOTHING");
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in c.outcome.events.chunks(ROWS_PER_INSERT) {
                    let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("INSERT INTO events (at_us, actor, kind, seminar, data) ");
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(to_us(e.at))
                            .push_bind(e.actor.clone())
                            .push_bind(e.kind.clone())
                            .push_bind(e.seminar.clone())
                            .push_bind(json(&e.data));
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                if !c.plans.is_empty() {
                    // Replace each seminar's pending plan by writing only the difference: most
                    // commands leave most of a plan as it was.
                    let mut pending: std::collections::HashMap<String, (i64, String)> = Default::default();
                    for chunk in c.plans.chunks(ROWS_PER_INSERT) {
                        let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT key, due_us, kind FROM due_items WHERE fired_us IS NULL AND seminar IN (");
                        let mut sep = qb.separated(", ");
                        for (seminar, _) in chunk {
                            sep.push_bind(seminar.clone());
                        }
                        qb.push(")");
                        for r in qb.build().fetch_all(&mut *tx).await? {
                            pending.insert(r.try_get("key")?, (r.try_get("due_us")?, r.try_get("kind")?));
                        }
                    }
                    let mut fresh = Vec::new();
                    for (_, items) in &c.plans {
                        for it in items {
                            let kind = json(&it.kind);
                            match pending.remove(&it.key) {
                                Some((due, k)) if due == to_us(it.at) && k == kind => {}
                                Some(_) => {
                                    sqlx::query("UPDATE due_items SET due_us = $1, kind = $2 WHERE key = $3 AND fired_us IS NULL")
                                        .bind(to_us(it.at))
                                        .bind(&kind)
                                        .bind(&it.key)
                                        .execute(&mut *tx)
                                        .await?;
                                }
                                None => fresh.push((it, kind)),
                            }
                        }
                    }
                    let gone: Vec<String> = pending.into_keys().collect();
                    for chunk in gone.chunks(ROWS_PER_INSERT) {
                        let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("DELETE FROM due_items WHERE fired_us IS NULL AND key IN (");
                        let mut sep = qb.separated(", ");
                        for k in chunk {
                            sep.push_bind(k.clone());
                        }
                        qb.push(")");
                        qb.build().execute(&mut *tx).await?;
                    }
                    for chunk in fresh.chunks(ROWS_PER_INSERT) {
                        let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("INSERT INTO due_items (key, seminar, due_us, kind) ");
                        qb.push_values(chunk, |mut b, (it, kind)| {
                            b.push_bind(it.key.clone()).push_bind(it.seminar.clone()).push_bind(to_us(it.at)).push_bind(kind.clone());
                        });
                        // A key that already fired stays fired: it never fires twice.
                        qb.push(" ON CONFLICT (key) DO NOTHING");
                        qb.build().execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_due(&self, now: DateTime<Utc>, limit: i64, owner: &str, wall_now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Vec<DueItem>, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                let sql = concat!(
                    "UPDATE due_items SET lease_owner = $1, lease_until_us = $2 WHERE key IN (
                       SELECT d.key FROM due_items d WHERE d.fired_us IS NULL AND d.due_us <= $3
                         AND (d.lease_until_us IS NULL OR d.lease_until_us < $4)
                         AND NOT EXISTS (SELECT 1 FROM due_items e WHERE e.seminar = d.seminar AND e.fired_us IS NULL AND e.due_us < d.due_us)
                       ORDER BY d.due_us, d.key LIMIT $5 ",
                    $lock_clause,
                    ") RETURNING key, seminar, due_us, kind"
                );
                let rows = sqlx::query(sql).bind(owner).bind(to_us(lease_until)).bind(to_us(now)).bind(to_us(wall_now)).bind(limit).fetch_all(&self.pool).await?;
                // An undecodable item stays leased (out of the way until the lease ends).
                let mut items: Vec<DueItem> = decode_each("due item", &rows, Self::due_from_row);
                items.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
                Ok(items)
            }

            async fn release_due(&self, key: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE due_items SET lease_owner = NULL, lease_until_us = NULL WHERE key = $1 AND fired_us IS NULL").bind(key).execute(&self.pool).await?;
                Ok(())
            }

            async fn has_earlier_due(&self, seminar: &str, before: DateTime<Utc>, except: &str) -> Result<bool, StoreError> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM due_items WHERE seminar = $1 AND fired_us IS NULL AND due_us < $2 AND key <> $3")
                    .bind(seminar)
                    .bind(to_us(before))
                    .bind(except)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n > 0)
            }

            async fn due_for_seminar(&self, seminar: &str, now: DateTime<Utc>) -> Result<Vec<DueItem>, StoreError> {
                let rows = sqlx::query("SELECT key, seminar, due_us, kind FROM due_items WHERE seminar = $1 AND fired_us IS NULL AND due_us <= $2 ORDER BY due_us, key")
                    .bind(seminar)
                    .bind(to_us(now))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(decode_each("due item", &rows, Self::due_from_row))
            }

            async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
                let v: Option<i64> = sqlx::query_scalar("SELECT MIN(due_us) FROM due_items WHERE fired_us IS NULL").fetch_one(&self.pool).await?;
                Ok(v.map(from_us))
            }

            async fn pending_due_count(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM due_items WHERE fired_us IS NULL").fetch_one(&self.pool).await?)
            }

            async fn penalties(&self, seminar: Option<&str>) -> Result<Vec<(String, Penalty)>, StoreError> {
                let rows = match seminar {
                    Some(s) => sqlx::query("SELECT seminar, data FROM penalties WHERE seminar = $1 ORDER BY seq").bind(s).fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT seminar, data FROM penalties ORDER BY seq").fetch_all(&self.pool).await?,
                };
                Ok(decode_each("penalty", &rows, |r| {
                    let data: String = r.try_get("data")?;
                    Ok((r.try_get("seminar")?, parse("penalty", &data)?))
                }))
            }

            async fn points_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
                let v: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(points) AS BIGINT) FROM points_ledger WHERE partner = $1 AND booked_us <= $2 AND expires_us > $2")
                    .bind(partner)
                    .bind(to_us(at))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(v.unwrap_or(0))
            }

            async fn bonus_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<Kopecks, StoreError> {
                let v: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(kopecks) AS BIGINT) FROM bonus_ledger WHERE partner = $1 AND booked_us <= $2 AND expires_us > $2")
                    .bind(partner)
                    .bind(to_us(at))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(Kopecks(v.unwrap_or(0)))
            }

            async fn points_entries(&self, partner: &str) -> Result<Vec<PointsEntry>, StoreError> {
                let rows = sqlx::query("SELECT * FROM points_ledger WHERE partner = $1 ORDER BY booked_us DESC, key").bind(partner).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(PointsEntry {
                            key: r.try_get("key")?,
                            partner: r.try_get("partner")?,
                            seminar: r.try_get("seminar")?,
                            points: r.try_get("points")?,
                            reason: r.try_get("reason")?,
                            booked_at: from_us(r.try_get("booked_us")?),
                            expires_at: from_us(r.try_get("expires_us")?),
                        })
                    })
                    .collect()
            }

            async fn bonus_entries(&self, partner: &str) -> Result<Vec<BonusEntry>, StoreError> {
                let rows = sqlx::query("SELECT * FROM bonus_ledger WHERE partner = $1 ORDER BY booked_us DESC, key").bind(partner).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        Ok(BonusEntry {
                            key: r.try_get("key")?,
                            partner: r.try_get("partner")?,
                            seminar: r.try_get("seminar")?,
                            amount: Kopecks(r.try_get("kopecks")?),
                            booked_at: from_us(r.try_get("booked_us")?),
                            expires_at: from_us(r.try_get("expires_us")?),
                        })
                    })
                    .collect()
            }

            async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
                let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status").fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
            }

            async fn penalty_count(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM penalties").fetch_one(&self.pool).await?)
            }

            async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
                let rows = sqlx::query("SELECT * FROM outbox ORDER BY id").fetch_all(&self.pool).await?;
                Ok(decode_each("outbox", &rows, Self::outbox_from_row))
            }

            async fn find_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxRow>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT * FROM outbox o");
                outbox_where(&mut qb, q);
                if let Some(after) = q.page.after {
                    qb.push(if q.newest_first { " AND o.id < " } else { " AND o.id > " }).push_bind(after);
                }
                qb.push(if q.newest_first { " ORDER BY o.id DESC" } else { " ORDER BY o.id" });
                push_page(&mut qb, &q.page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                Ok(decode_each("outbox", &rows, Self::outbox_from_row))
            }

            async fn count_outbox(&self, q: &OutboxQuery) -> Result<i64, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT COUNT(*) AS n FROM outbox o");
                outbox_where(&mut qb, q);
                Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn outbox_has_status(&self, status: &str) -> Result<bool, StoreError> {
                let row = sqlx::query("SELECT id FROM outbox WHERE status = $1 LIMIT 1").bind(status).fetch_optional(&self.pool).await?;
                Ok(row.is_some())
            }

            async fn find_events(&self, seminar: Option<&str>, page: Page) -> Result<Vec<(i64, Event)>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT id, at_us, actor, kind, seminar, data FROM events WHERE 1 = 1");
                if let Some(s) = seminar {
                    qb.push(" AND seminar = ").push_bind(s.to_string());
                }
                if let Some(after) = page.after {
                    qb.push(" AND id > ").push_bind(after);
                }
                qb.push(" ORDER BY id");
                push_page(&mut qb, &page);
                let rows = qb.build().fetch_all(&self.pool).await?;
                Ok(decode_each("event", &rows, |r| {
                        let data: String = r.try_get("data")?;
                        Ok((r.try_get("id")?, Event { at: from_us(r.try_get("at_us")?), actor: r.try_get("actor")?, kind: r.try_get("kind")?, seminar: r.try_get("seminar")?, data: parse("event", &data)? }))
                }))
            }

            async fn events(&self, seminar: Option<&str>) -> Result<Vec<Event>, StoreError> {
                let rows = match seminar {
                    Some(s) => sqlx::query("SELECT at_us, actor, kind, seminar, data FROM events WHERE seminar = $1 ORDER BY id").bind(s).fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT at_us, actor, kind, seminar, data FROM events ORDER BY id").fetch_all(&self.pool).await?,
                };
                Ok(decode_each("event", &rows, |r| {
                    let data: String = r.try_get("data")?;
                    Ok(Event { at: from_us(r.try_get("at_us")?), actor: r.try_get("actor")?, kind: r.try_get("kind")?, seminar: r.try_get("seminar")?, data: parse("event", &data)? })
                }))
            }

            async fn create_user(&self, u: &User, now: DateTime<Utc>) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query(
                    "INSERT INTO users (id, email, name, role, partner, rights, password_hash, must_change_password, digest, ics_token, disabled, created_us)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&u.id)
                .bind(u.email.to_lowercase())
                .bind(&u.name)
                .bind(u.role.as_str())
                .bind(&u.partner)
                .bind(u.rights.map(|r| r.as_str()))
                .bind(&u.password_hash)
                .bind(u.must_change_password)
                .bind(u.digest)
                .bind(&u.ics_token)
                .bind(u.disabled)
                .bind(to_us(now))
                .execute(&self.pool)
                .await
                .map_err(|e| unique_to_conflict(e, "e-mail already registered"))?;
                Ok(())
            }

            async fn update_user(&self, u: &User) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query(
                    "UPDATE users SET email = $2, name = $3, role = $4, partner = $5, rights = $6, password_hash = $7,
                       must_change_password = $8, digest = $9, ics_token = $10, disabled = $11 WHERE id = $1",
                )
                .bind(&u.id)
                .bind(u.email.to_lowercase())
                .bind(&u.name)
                .bind(u.role.as_str())
                .bind(&u.partner)
                .bind(u.rights.map(|r| r.as_str()))
                .bind(&u.password_hash)
                .bind(u.must_change_password)
                .bind(u.digest)
                .bind(&u.ics_token)
                .bind(u.disabled)
                .execute(&self.pool)
                .await
                .map_err(|e| unique_to_conflict(e, "e-mail already registered"))?;
                Ok(())
            }

            async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
                let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::user_from_row).transpose()
            }

            async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
                let row = sqlx::query("SELECT * FROM users WHERE email = $1").bind(email.trim().to_lowercase()).fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::user_from_row).transpose()
            }

            async fn user_by_ics_token(&self, token: &str) -> Result<Option<User>, StoreError> {
                let row = sqlx::query("SELECT * FROM users WHERE ics_token = $1 AND disabled = FALSE").bind(token).fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::user_from_row).transpose()
            }

            async fn users(&self, partner: Option<&str>) -> Result<Vec<User>, StoreError> {
                let rows = match partner {
                    Some(p) => sqlx::query("SELECT * FROM users WHERE partner = $1 ORDER BY email").bind(p).fetch_all(&self.pool).await?,
                    None => sqlx::query("SELECT * FROM users ORDER BY email").fetch_all(&self.pool).await?,
                };
                Ok(decode_each("user", &rows, Self::user_from_row))
            }

            async fn users_by_roles(&self, roles: &[&str]) -> Result<Vec<User>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<<$store as StoreTypes>::Db>::new("SELECT * FROM users WHERE role IN (");
                let mut sep = qb.separated(", ");
                for r in roles {
                    sep.push_bind(r.to_string());
                }
                qb.push(") ORDER BY email");
                let rows = if roles.is_empty() { Vec::new() } else { qb.build().fetch_all(&self.pool).await? };
                rows.iter().map(Self::user_from_row).collect()
            }

            async fn has_users(&self) -> Result<bool, StoreError> {
                Ok(sqlx::query("SELECT id FROM users LIMIT 1").fetch_optional(&self.pool).await?.is_some())
            }

            async fn create_session(&self, token_hash: &str, user: &str, csrf: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("DELETE FROM sessions WHERE expires_us <= $1").bind(to_us(now)).execute(&self.pool).await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_us, expires_us) VALUES ($1, $2, $3, $4, $5)")
                    .bind(token_hash)
                    .bind(user)
                    .bind(csrf)
                    .bind(to_us(now))
                    .bind(to_us(expires))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>, StoreError> {
                let row = sqlx::query("SELECT u.*, s.csrf AS session_csrf FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_us > $2 AND u.disabled = FALSE")
                    .bind(token_hash)
                    .bind(to_us(now))
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(r) => Ok(Some((Self::user_from_row(&r)?, r.try_get("session_csrf")?))),
                    None => Ok(None),
                }
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_api_token(&self, token_hash: &str, user: &str, name: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("INSERT INTO api_tokens (token_hash, user_id, name, created_us, expires_us) VALUES ($1, $2, $3, $4, $5)").bind(token_hash).bind(user).bind(name).bind(to_us(now)).bind(to_us(expires)).execute(&self.pool).await?;
                Ok(())
            }

            async fn api_token_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
                let legacy = LEGACY_TOKEN_DAYS * 86_400 * 1_000_000;
                let row = sqlx::query("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.disabled = FALSE AND COALESCE(t.expires_us, t.created_us + $3) > $2")
                    .bind(token_hash)
                    .bind(to_us(now))
                    .bind(legacy)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::user_from_row).transpose()
            }

            async fn api_tokens(&self, user: &str) -> Result<Vec<ApiToken>, StoreError> {
                let rows = sqlx::query("SELECT token_hash, name, created_us, expires_us FROM api_tokens WHERE user_id = $1 ORDER BY created_us DESC, token_hash").bind(user).fetch_all(&self.pool).await?;
                Ok(decode_each("api token", &rows, |r| {
                    let created: i64 = r.try_get("created_us")?;
                    let expires: Option<i64> = r.try_get("expires_us")?;
                    Ok(ApiToken {
                        id: r.try_get("token_hash")?,
                        name: r.try_get("name")?,
                        created: from_us(created),
                        expires: from_us(expires.unwrap_or(created + LEGACY_TOKEN_DAYS * 86_400 * 1_000_000)),
                    })
                }))
            }

            async fn revoke_api_token(&self, user: &str, id: &str) -> Result<bool, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                let n = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND token_hash = $2").bind(user).bind(id).execute(&self.pool).await?.rows_affected();
                Ok(n > 0)
            }

            async fn end_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2").bind(user).bind(keep.unwrap_or("")).execute(&self.pool).await?.rows_affected())
            }

            async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                Ok(sqlx::query("DELETE FROM sessions WHERE expires_us <= $1").bind(to_us(now)).execute(&self.pool).await?.rows_affected())
            }

            async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
            }

            async fn forget_unreferenced_file(&self, sha256: &str) -> Result<bool, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                // Versions name files as `<sha256>:<name>` inside the seminar's data.
                let n = sqlx::query("DELETE FROM files WHERE sha256 = $1 AND NOT EXISTS (SELECT 1 FROM seminars WHERE data LIKE $2)")
                    .bind(sha256)
                    .bind(format!("%{sha256}%"))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(n > 0)
            }

            async fn wipe_season(&self, accounts_suffix: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                let mut tx = self.pool.begin().await?;
                for table in ["events", "outbox", "due_items", "penalties", "points_ledger", "bonus_ledger", "seminars", "program_locks"] {
                    sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE partners SET coordinator = NULL").execute(&mut *tx).await?;
                let like = format!("%{accounts_suffix}");
                sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)").bind(&like).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)").bind(&like).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM users WHERE email LIKE $1").bind(&like).execute(&mut *tx).await?;
                // Partners carry flags the season set (barred, late withdrawal): they go too,
                // unless an account still belongs to one.
                sqlx::query("DELETE FROM partners WHERE id NOT IN (SELECT partner FROM users WHERE partner IS NOT NULL)").execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn release_outbox_leases(&self, owner: &str) -> Result<u64, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                Ok(sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until_us = NULL WHERE lease_owner = $1").bind(owner).execute(&self.pool).await?.rows_affected())
            }

            async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(key).bind(value).execute(&self.pool).await?;
                Ok(())
            }

            async fn set_partner_coordinator(&self, partner: &str, coordinator: Option<&str>) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE partners SET coordinator = $2 WHERE id = $1").bind(partner).bind(coordinator).execute(&self.pool).await?;
                Ok(())
            }

            async fn partner_coordinator(&self, partner: &str) -> Result<Option<String>, StoreError> {
                let v: Option<Option<String>> = sqlx::query_scalar("SELECT coordinator FROM partners WHERE id = $1").bind(partner).fetch_optional(&self.pool).await?;
                Ok(v.flatten())
            }

            async fn partner_coordinators(&self) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
                let rows = sqlx::query("SELECT id, coordinator FROM partners WHERE coordinator IS NOT NULL").fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("coordinator")?))).collect()
            }

            async fn put_file(&self, f: &FileMeta, now: DateTime<Utc>) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("INSERT INTO files (sha256, size, content_type, created_us) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
                    .bind(&f.sha256)
                    .bind(f.size)
                    .bind(&f.content_type)
                    .bind(to_us(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn file(&self, sha256: &str) -> Result<Option<FileMeta>, StoreError> {
                let row = sqlx::query("SELECT sha256, size, content_type FROM files WHERE sha256 = $1").bind(sha256).fetch_optional(&self.pool).await?;
                match row {
                    Some(r) => Ok(Some(FileMeta { sha256: r.try_get("sha256")?, size: r.try_get("size")?, content_type: r.try_get("content_type")? })),
                    None => Ok(None),
                }
            }

            async fn claim_outbox(&self, wall_now: DateTime<Utc>, limit: i64, owner: &str, lease_until: DateTime<Utc>) -> Result<Vec<OutboxRow>, StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                let sql = concat!(
                    "UPDATE outbox SET lease_owner = $1, lease_until_us = $2 WHERE id IN (
                       SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_us <= $3
                         AND (lease_until_us IS NULL OR lease_until_us < $3)
                       ORDER BY id LIMIT $4 ",
                    $lock_clause,
                    ") RETURNING *"
                );
                let rows = sqlx::query(sql).bind(owner).bind(to_us(lease_until)).bind(to_us(wall_now)).bind(limit).fetch_all(&self.pool).await?;
                let mut v = Vec::with_capacity(rows.len());
                for r in &rows {
                    match Self::outbox_from_row(r) {
                        Ok(row) => v.push(row),
                        Err(e) => {
                            // Claimed but unusable: fail it for good so it is not claimed forever.
                            let id: i64 = r.try_get("id")?;
                            tracing::error!(outbox = id, error = %e, "undecodable outbox row failed");
                            sqlx::query("UPDATE outbox SET status = 'failed', last_error = $2, lease_owner = NULL, lease_until_us = NULL WHERE id = $1")
                                .bind(id)
                                .bind(format!("строка не читается: {e}"))
                                .execute(&self.pool)
                                .await?;
                        }
                    }
                }
                v.sort_by_key(|r| r.id);
                Ok(v)
            }

            async fn outbox_sent(&self, id: i64, wall_now: DateTime<Utc>, message_id: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE outbox SET status = 'sent', sent_us = $2, message_id = $3, attempts = attempts + 1, lease_owner = NULL, lease_until_us = NULL, last_error = NULL WHERE id = $1")
                    .bind(id)
                    .bind(to_us(wall_now))
                    .bind(message_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outbox_retry(&self, id: i64, next_attempt: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE outbox SET next_attempt_us = $2, last_error = $3, attempts = attempts + 1, lease_owner = NULL, lease_until_us = NULL WHERE id = $1")
                    .bind(id)
                    .bind(to_us(next_attempt))
                    .bind(error)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outbox_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE outbox SET status = 'failed', last_error = $2, attempts = attempts + 1, lease_owner = NULL, lease_until_us = NULL WHERE id = $1").bind(id).bind(error).execute(&self.pool).await?;
                Ok(())
            }

            async fn outbox_set_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE outbox SET status = $2, lease_owner = NULL, lease_until_us = NULL WHERE id = $1").bind(id).bind(status).execute(&self.pool).await?;
                Ok(())
            }

            async fn outbox_progress(&self, id: i64, log: &str) -> Result<(), StoreError> {
                let _w = match &self.write { Some(m) => Some(m.lock().await), None => None };
                sqlx::query("UPDATE outbox SET message_id = $2 WHERE id = $1").bind(id).bind(log).execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

fn push_in<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, column: &str, values: &'a [String])
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if values.is_empty() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

fn push_page<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, page: &Page)
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    // Both backends accept LIMIT/OFFSET; -1 is SQLite's "no limit", so a page without a limit
    // but with an offset uses a very large one instead.
    if page.limit.is_some() || page.offset > 0 {
        qb.push(" LIMIT ").push_bind(page.limit.unwrap_or(i64::MAX));
        if page.offset > 0 {
            qb.push(" OFFSET ").push_bind(page.offset);
        }
    }
}

fn seminar_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a SeminarQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(p) = &q.program {
        qb.push(" AND s.program = ").push_bind(p.clone());
    }
    if let Some(p) = &q.partner {
        qb.push(" AND s.partner = ").push_bind(p.clone());
    }
    if let Some(ps) = &q.partners {
        push_in(qb, "s.partner", ps);
    }
    if let Some(c) = &q.coordinator {
        qb.push(" AND s.partner IN (SELECT id FROM partners WHERE coordinator = ")
            .push_bind(c.clone())
            .push(")");
    }
    if let Some(cities) = &q.cities {
        push_in(qb, "s.city", cities);
    }
    if let Some(ids) = &q.ids {
        push_in(qb, "s.id", ids);
    }
    if !q.states.is_empty() {
        qb.push(" AND s.state IN (");
        let mut sep = qb.separated(", ");
        for st in &q.states {
            sep.push_bind(st.as_str().to_string());
        }
        qb.push(")");
    }
    if let Some(t) = q.applied_before {
        qb.push(" AND s.applied_us < ").push_bind(to_us(t));
    }
    if let Some(d) = q.date_from {
        qb.push(" AND s.date >= ").push_bind(d.to_string());
    }
    if let Some(d) = q.date_to {
        qb.push(" AND s.date <= ").push_bind(d.to_string());
    }
    if let Some(d) = q.partner_deadline_until {
        qb.push(" AND s.partner_deadline <= ")
            .push_bind(d.to_string());
    }
    if q.awaiting_review {
        qb.push(" AND s.awaiting_review = TRUE");
    }
}

fn partner_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a PartnerQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(ids) = &q.ids {
        push_in(qb, "p.id", ids);
    }
    if let Some(c) = &q.coordinator {
        qb.push(" AND p.coordinator = ").push_bind(c.clone());
    }
    if let Some(text) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Both sides are folded in Rust (Unicode: SQLite's LOWER() folds only ASCII); LIKE's
        // wildcards in the text are taken literally.
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '\\' | '%' | '_' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        qb.push(" AND p.search LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'");
    }
}

fn penalty_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a PenaltyQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(v) = &q.program {
        qb.push(" AND p.program = ").push_bind(v.clone());
    }
    if let Some(v) = &q.partner {
        qb.push(" AND p.partner = ").push_bind(v.clone());
    }
    if let Some(v) = &q.seminar {
        qb.push(" AND p.seminar = ").push_bind(v.clone());
    }
    if let Some(v) = &q.code {
        qb.push(" AND p.code = ").push_bind(v.clone());
    }
    if let Some(t) = q.since {
        qb.push(" AND p.at_us >= ").push_bind(to_us(t));
    }
}

fn outbox_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a OutboxQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(v) = &q.status {
        qb.push(" AND o.status = ").push_bind(v.clone());
    }
    if let Some(v) = &q.seminar {
        qb.push(" AND o.seminar = ").push_bind(v.clone());
    }
}

/// Maps each store to its sqlx database type (used by the macro's row helpers).
trait StoreTypes {
    type Db: sqlx::Database;
}
impl StoreTypes for SqliteStore {
    type Db = sqlx::Sqlite;
}
impl StoreTypes for PgStore {
    type Db = sqlx::Postgres;
}

store_impl!(SqliteStore, "");
store_impl!(PgStore, "FOR UPDATE SKIP LOCKED");
