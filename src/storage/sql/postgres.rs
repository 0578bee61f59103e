//! The PostgreSQL store: several processes may share one database.

use crate::storage::StoreError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

type Db = sqlx::Postgres;
type This = PgStore;
/// Claims skip rows another process holds.
const LOCK_CLAUSE: &str = "FOR UPDATE SKIP LOCKED";

// The same statements for both backends: compiled once per `Db` on purpose.
#[allow(clippy::duplicate_mod)]
#[path = "backend/mod.rs"]
mod backend;

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
