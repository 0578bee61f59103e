//! The SQLite store: the embedded default.

use crate::storage::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

type Db = sqlx::Sqlite;
type This = SqliteStore;
/// SQLite has no row locks: its one writer is the in-process lock.
const LOCK_CLAUSE: &str = "";

// The same statements for both backends: compiled once per `Db` on purpose.
#[allow(clippy::duplicate_mod)]
#[path = "backend/mod.rs"]
mod backend;

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
