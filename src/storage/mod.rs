//! Durable state behind a `Store` trait of domain-shaped methods, with SQLite (the embedded
//! default, a file under `./data`) and PostgreSQL implementations sharing one SQL text.
//!
//! Time is never read here: every instant comes from the caller (SQL never calls `now()`).

mod sql;

use crate::domain::schedule::DueItem;
use crate::domain::{Event, Kopecks, Notification, Outcome, Partner, Penalty, Seminar};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use sql::{PgStore, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the same thing first (a version, a fired due item, a unique key):
    /// nothing was written; decide again on fresh data.
    #[error("конфликт одновременных изменений: {0}")]
    Conflict(String),
    #[error("ошибка базы данных: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ошибка миграции базы данных: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("повреждённые данные в базе: {0}")]
    Corrupt(String),
}

/// One command's or one due item's changes, written in a single transaction.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub outcome: Outcome,
    /// New pending due items per changed seminar (replacing its pending ones).
    pub plans: Vec<(String, Vec<DueItem>)>,
    /// The due item this commit fires; the commit fails with `Conflict` if it already fired.
    pub fired: Option<(String, DateTime<Utc>)>,
    /// Program-wide decisions hold the program lock at this version.
    pub program_lock: Option<(String, i64)>,
}

/// A notification row of the outbox with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub notification: Notification,
    pub status: String,
    pub attempts: i32,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Creates or updates a partner's name and experience (flags are only ever set by effects,
    /// or here when `partner.barred` is already true).
    async fn put_partner(&self, partner: &Partner) -> Result<(), StoreError>;
    async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError>;
    /// All partners in id order.
    async fn partners(&self) -> Result<Vec<Partner>, StoreError>;
    async fn seminar(&self, id: &str) -> Result<Option<Seminar>, StoreError>;
    /// Seminars of a program (all programs with `None`) in creation order.
    async fn seminars(&self, program: Option<&str>) -> Result<Vec<Seminar>, StoreError>;
    /// Current version of a program's lock (0 if never taken).
    async fn program_version(&self, program: &str) -> Result<i64, StoreError>;
    /// Writes everything in `commit` atomically.
    ///
    /// # Errors
    /// `Conflict` when a version, program lock or fired due item changed concurrently.
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError>;
    /// Claims up to `limit` pending due items with instant ≤ `now`, earliest first, leasing them
    /// to `owner` until `lease_until` (wall-clock) so other processes skip them.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        wall_now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError>;
    /// Gives a claimed item back (e.g. when a conflict made us skip it).
    async fn release_due(&self, key: &str) -> Result<(), StoreError>;
    /// Whether seminar `seminar` has a pending item due strictly before `before`.
    async fn has_earlier_due(
        &self,
        seminar: &str,
        before: DateTime<Utc>,
        except: &str,
    ) -> Result<bool, StoreError>;
    /// Pending due items of one seminar with instant ≤ `now`, earliest first.
    async fn due_for_seminar(
        &self,
        seminar: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError>;
    /// The earliest pending due instant.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    async fn pending_due_count(&self) -> Result<i64, StoreError>;
    /// Booked penalties in booking order (of one seminar with `Some`).
    async fn penalties(&self, seminar: Option<&str>) -> Result<Vec<(String, Penalty)>, StoreError>;
    /// Active points of a partner at `at` (entries not yet expired).
    async fn points_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<i64, StoreError>;
    /// Unburnt bonus money of a partner at `at`.
    async fn bonus_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<Kopecks, StoreError>;
    /// The outbox in insertion order.
    async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError>;
    /// The audit log in order (of one seminar with `Some`).
    async fn events(&self, seminar: Option<&str>) -> Result<Vec<Event>, StoreError>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a URL names: `postgres://…` for PostgreSQL, `sqlite://path` or
/// `sqlite::memory:` for SQLite. Migrations are applied.
///
/// # Errors
/// Connection or migration failure.
pub async fn open(url: &str) -> Result<DynStore, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    }
}

pub(crate) fn to_us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_us(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}
