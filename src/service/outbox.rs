//! The outbox's delivery state, as the notifier moves rows along: claims and leases, the
//! per-recipient delivery log, sent, retry and failure. Also the notifications no command
//! causes (the daily digest job). Only the store can fail here, hence [`StoreError`].

use super::Service;
use crate::domain::{Notification, Outcome};
use crate::storage::{Commit, OutboxRow, StoreError};
use chrono::{DateTime, Utc};

impl Service {
    /// Claims up to `limit` pending rows whose next attempt is due, leasing them to `owner`.
    ///
    /// # Errors
    /// Store failures.
    pub async fn claim_deliveries(
        &self,
        wall_now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.store
            .claim_outbox(wall_now, limit, owner, lease_until)
            .await
    }

    /// Gives back every lease `owner` holds (a restarted node's); how many.
    ///
    /// # Errors
    /// Store failures.
    pub async fn release_delivery_leases(&self, owner: &str) -> Result<u64, StoreError> {
        self.store.release_outbox_leases(owner).await
    }

    /// The row is delivered; `log` is its per-recipient delivery log.
    ///
    /// # Errors
    /// Store failures.
    pub async fn mark_sent(
        &self,
        id: i64,
        wall_now: DateTime<Utc>,
        log: &str,
    ) -> Result<(), StoreError> {
        self.store.outbox_sent(id, wall_now, log).await
    }

    /// A temporary failure: try again at `next_attempt`.
    ///
    /// # Errors
    /// Store failures.
    pub async fn mark_retry(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.store.outbox_retry(id, next_attempt, error).await
    }

    /// A permanent failure, shown to admins.
    ///
    /// # Errors
    /// Store failures.
    pub async fn mark_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.store.outbox_failed(id, error).await
    }

    /// Moves a row to another delivery status (`digest`, or back to `pending`).
    ///
    /// # Errors
    /// Store failures.
    pub async fn set_delivery_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        self.store.outbox_set_status(id, status).await
    }

    /// Records the row's delivery log so far without changing its status or lease.
    ///
    /// # Errors
    /// Store failures.
    pub async fn record_progress(&self, id: i64, log: &str) -> Result<(), StoreError> {
        self.store.outbox_progress(id, log).await
    }

    /// Adds a notification no command causes (the daily digest job); a key already in the
    /// outbox is not added again.
    ///
    /// # Errors
    /// Store failures.
    pub async fn enqueue(&self, n: Notification) -> Result<(), StoreError> {
        let commit = Commit {
            outcome: Outcome {
                notifications: vec![n],
                ..Outcome::default()
            },
            ..Commit::default()
        };
        self.store.commit(&commit).await
    }

    /// Writes a commit built outside the command path: the benchmark's synthetic season, whose
    /// seminars are made in their end-of-season states at once.
    ///
    /// # Errors
    /// Store failures, a conflict included.
    pub async fn seed(&self, commit: &Commit) -> Result<(), StoreError> {
        self.store.commit(commit).await
    }
}
