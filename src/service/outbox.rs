//! The outbox's delivery state, as the notifier moves rows along: claims and leases, the
//! per-recipient delivery log, sent, retry and failure. Also the notifications no command
//! causes (the daily digest job). Only the store can fail here, hence [`StoreError`].

use super::audit::Audit;
use super::{Service, ServiceError};
use crate::accounts::User;
use crate::domain::{EventKind, Notification, Outcome};
use crate::storage::{Change, Commit, OutboxQuery, OutboxRow, Page, StoreError};
use chrono::{DateTime, Utc};
use serde_json::json;

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

    /// Sends permanently failed row `id` again (staff only), with its audit event: the
    /// recipients that failed (a bad address, a partner without users) are tried afresh on the
    /// notifier's next pass, those already served are not written to twice.
    ///
    /// # Errors
    /// `Forbidden` for partner users; `NotFound` when there is no such row; `Conflict` when it
    /// is not `failed` (delivered, or waiting already).
    pub async fn retry_delivery(
        &self,
        by: &User,
        id: i64,
        wall_now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if !by.is_staff() {
            return Err(staff_only());
        }
        // One row by id: the page that starts right after `id - 1`.
        let row = self
            .store
            .find_outbox(&OutboxQuery {
                page: Page {
                    after: Some(id.saturating_sub(1)),
                    offset: 0,
                    limit: Some(1),
                },
                ..OutboxQuery::default()
            })
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| ServiceError::NotFound("такого письма нет".into()))?;
        self.retry_row(by, &row, wall_now).await
    }

    /// Puts failed `row` back to pending for `by` (staff, checked by the caller), with its
    /// audit event.
    async fn retry_row(
        &self,
        by: &User,
        row: &OutboxRow,
        wall_now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if row.status != "failed" {
            return Err(not_failed());
        }
        let id = row.id;
        let actor = by.actor();
        let event = Audit {
            actor: &actor,
            at: wall_now,
        }
        .event(
            EventKind::DeliveryRetried,
            json!({ "outbox": id, "key": row.notification.key, "seminar": row.notification.seminar,
                    "error": row.last_error }),
        );
        let log = crate::notifier::DeliveryLog::parse(row.message_id.as_deref()).without_failures();
        let change = Change::RetryDelivery {
            id,
            log: (!log.is_empty()).then_some(log),
            wall_now,
        };
        if self.store.apply(&[change], &[event]).await?[0] == 0 {
            return Err(not_failed());
        }
        Ok(())
    }

    /// Sends every permanently failed row again (optionally of one seminar), each with its own
    /// audit event; how many.
    ///
    /// # Errors
    /// As [`Service::retry_delivery`] (rows changed by someone else meanwhile are skipped).
    pub async fn retry_failed_deliveries(
        &self,
        by: &User,
        seminar: Option<&str>,
        wall_now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        if !by.is_staff() {
            return Err(staff_only());
        }
        let mut done = 0;
        let mut after = None;
        loop {
            let rows = self
                .store
                .find_outbox(&OutboxQuery {
                    status: Some("failed".into()),
                    seminar: seminar.map(Into::into),
                    page: Page {
                        after,
                        offset: 0,
                        limit: Some(200),
                    },
                    ..OutboxQuery::default()
                })
                .await?;
            let Some(last) = rows.last() else {
                return Ok(done);
            };
            after = Some(last.id);
            for r in &rows {
                match self.retry_row(by, r, wall_now).await {
                    Ok(()) => done += 1,
                    Err(ServiceError::Conflict(..)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

fn not_failed() -> ServiceError {
    ServiceError::Conflict(
        "not_failed",
        "это письмо не в списке недоставленных: оно отправлено или уже ждёт отправки".into(),
    )
}

fn staff_only() -> ServiceError {
    ServiceError::Forbidden("повторно отправлять письма могут координаторы и администраторы".into())
}
