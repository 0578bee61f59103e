//! The clock's side of the engine: `tick(now)` fires every due item with instant ≤ `now`, each
//! exactly once (the item's key is marked fired in the same transaction as its effects), at its
//! original instant. Several processes may tick one PostgreSQL database: items are claimed with
//! a lease and `FOR UPDATE SKIP LOCKED`, and a seminar's items fire in time order.

use crate::domain::schedule::{fire, plan, DueItem};
use crate::domain::{DomainError, Program};
use crate::storage::{Commit, DynStore, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Due items claimed per round trip.
const BATCH: i64 = 256;
/// How long a claim keeps other processes off an item (wall-clock).
const LEASE_SECONDS: i64 = 60;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Items fired (whether or not they still applied).
    pub fired: u64,
    /// Items given back because another process or an earlier item came first.
    pub deferred: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fired {
    Done,
    Deferred,
}

#[derive(Clone)]
pub struct Scheduler {
    store: DynStore,
    programs: Arc<BTreeMap<String, Program>>,
    owner: String,
}

impl Scheduler {
    pub fn new(store: DynStore, programs: Arc<BTreeMap<String, Program>>) -> Scheduler {
        let owner = format!(
            "{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        Scheduler {
            store,
            programs,
            owner,
        }
    }

    /// Fires everything due up to `now`.
    ///
    /// # Errors
    /// Store failures; a program whose data cannot answer.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        let mut idle = 0;
        loop {
            let wall = Utc::now();
            let items = self
                .store
                .claim_due(
                    now,
                    BATCH,
                    &self.owner,
                    wall,
                    wall + chrono::Duration::seconds(LEASE_SECONDS),
                )
                .await?;
            if items.is_empty() {
                break;
            }
            let mut progressed = false;
            for item in items {
                match self.fire_one(&item).await? {
                    Fired::Done => {
                        report.fired += 1;
                        progressed = true;
                    }
                    Fired::Deferred => report.deferred += 1,
                }
            }
            if !progressed {
                idle += 1;
                if idle > 200 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            } else {
                idle = 0;
            }
        }
        if report.fired > 0 {
            tracing::debug!(fired = report.fired, deferred = report.deferred, %now, "tick");
        }
        Ok(report)
    }

    /// Fires the due items of one seminar up to `now` (before a command on it).
    pub async fn catch_up_seminar(
        &self,
        seminar: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for _ in 0..3 {
            let items = self.store.due_for_seminar(seminar, now).await?;
            if items.is_empty() {
                return Ok(());
            }
            for item in items {
                if self.fire_one(&item).await? == Fired::Deferred {
                    break;
                }
            }
        }
        Ok(())
    }

    async fn fire_one(&self, item: &DueItem) -> Result<Fired, StoreError> {
        if self
            .store
            .has_earlier_due(&item.seminar, item.at, &item.key)
            .await?
        {
            self.store.release_due(&item.key).await?;
            return Ok(Fired::Deferred);
        }
        let seminar = match self.store.seminar(&item.seminar).await {
            Ok(s) => s,
            Err(e @ (StoreError::Corrupt(_) | StoreError::Unreadable(_))) => {
                // One unreadable seminar must not stop the clock for every other: leave its
                // item leased (out of the way until the lease ends) and go on.
                tracing::error!(key = %item.key, seminar = %item.seminar, error = %e, "seminar unreadable; due item skipped");
                return Ok(Fired::Deferred);
            }
            Err(e) => return Err(e),
        };
        let Some(seminar) = seminar else {
            // The seminar is gone: retire the item so it never fires.
            let commit = Commit {
                fired: Some((item.key.clone(), item.at)),
                ..Default::default()
            };
            return self.finish(item, commit).await;
        };
        let Some(prog) = self.programs.get(&seminar.program) else {
            // A program not loaded in this process: leave it to one that has it.
            self.store.release_due(&item.key).await?;
            return Ok(Fired::Deferred);
        };
        let outcome = match fire(prog, &seminar, item) {
            Ok(o) => o,
            Err(DomainError::Program(msg))
            | Err(DomainError::Refused(crate::domain::Refusal { message: msg, .. })) => {
                tracing::error!(key = %item.key, %msg, "due item cannot be decided; retired");
                Default::default()
            }
        };
        let mut plans = Vec::new();
        for s in &outcome.seminars {
            match plan(prog, s, item.at) {
                Ok(p) => plans.push((s.id.clone(), p)),
                Err(e) => tracing::error!(seminar = %s.id, error = %e, "cannot plan due items"),
            }
        }
        self.finish(
            item,
            Commit {
                outcome,
                plans,
                fired: Some((item.key.clone(), item.at)),
                program_lock: None,
            },
        )
        .await
    }

    async fn finish(&self, item: &DueItem, commit: Commit) -> Result<Fired, StoreError> {
        match self.store.commit(&commit).await {
            Ok(()) => Ok(Fired::Done),
            Err(StoreError::Conflict(why)) => {
                tracing::debug!(key = %item.key, %why, "due item conflicted; deferred");
                self.store.release_due(&item.key).await?;
                Ok(Fired::Deferred)
            }
            Err(e @ StoreError::Unreadable(_)) => {
                tracing::error!(key = %item.key, error = %e, "due item's outcome cannot be stored; skipped");
                Ok(Fired::Deferred)
            }
            Err(e) => Err(e),
        }
    }
}
