//! The clock's side of the engine: `tick(now)` fires every due item with instant ≤ `now`, each
//! exactly once (the item's key is marked fired in the same transaction as its effects), at its
//! original instant. Several processes may tick one PostgreSQL database: items are claimed with
//! a lease and `FOR UPDATE SKIP LOCKED`; a subject's items fire in order of (instant, rank,
//! key), and an item of a higher rank waits for every lower-ranked item of its instant.
//!
//! This build fires item (seminar) subjects and promotion subjects (a partner's promotion days
//! in an item program, [`crate::service::items::fire_promotion`]); an item of a standing
//! subject is left leased and logged, for a version that knows its programs.

mod standing;

use crate::domain::schedule::{fire, DueItem, Subject};
use crate::domain::{DomainError, Outcome, Program, Seminar};
use crate::service::booking::{Booked, Booker};
use crate::storage::{Commit, DynStore, SeminarQuery, StoreError};
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
    booker: Booker,
    owner: String,
}

/// One claimed batch decided in memory: the merged outcome, where each changed seminar's new
/// plan starts (the instant of the last item fired on it), and the items left aside.
#[derive(Default)]
struct Batch<'a> {
    outcome: Outcome,
    fired: Vec<(String, DateTime<Utc>)>,
    plan_at: BTreeMap<String, DateTime<Utc>>,
    /// Items of a program this process does not have.
    deferred: Vec<&'a DueItem>,
    /// Items whose seminar did not come back (gone, or unreadable): `fire_one` tells them apart.
    single: Vec<&'a DueItem>,
}

impl Scheduler {
    /// A scheduler of `store` for `programs`; it books through the service's [`Booker`].
    pub fn new(store: DynStore, programs: Arc<BTreeMap<String, Program>>) -> Scheduler {
        let booker = Booker { store, programs };
        let owner = format!("{}-{}", std::process::id(), Utc::now().timestamp_micros());
        Scheduler {
            store: booker.store.clone(),
            programs: booker.programs.clone(),
            booker,
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
                .booker
                .claim(
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
            let (fired, deferred) = self.fire_batch(items).await?;
            report.fired += fired;
            report.deferred += deferred;
            let progressed = fired > 0;
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
    ///
    /// # Errors
    /// Store failures.
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

    /// Fires a claimed batch (each item the earliest pending one of its seminar) in one
    /// transaction; on a conflict (a command or another process changed one of the seminars)
    /// falls back to firing the items one by one. Returns (fired, deferred).
    async fn fire_batch(&self, items: Vec<DueItem>) -> Result<(u64, u64), StoreError> {
        if items.len() == 1 {
            return Ok(match self.fire_one(&items[0]).await? {
                Fired::Done => (1, 0),
                Fired::Deferred => (0, 1),
            });
        }
        let batch = self.decide_batch(&items).await?;
        for item in &batch.deferred {
            // A program not loaded in this process: leave it to one that has it.
            self.booker.release(&item.key).await?;
        }
        let mut report = (0, batch.deferred.len() as u64);
        for item in &batch.single {
            self.count(&mut report, item).await?;
        }
        if batch.fired.is_empty() {
            return Ok(report);
        }
        let plan_at = batch.plan_at;
        let prepared = self
            .booker
            .prepare(batch.outcome, |s| plan_at[&s.id], batch.fired, None);
        log_unplanned(&prepared.unplanned);
        let commit = prepared.commit;
        match self.booker.book(&commit).await? {
            Booked::Written => Ok((report.0 + commit.fired.len() as u64, report.1)),
            Booked::Conflict(why) => {
                tracing::debug!(%why, "batch conflicted; firing one by one");
                for item in items
                    .iter()
                    .filter(|i| commit.fired.iter().any(|(k, _)| k == &i.key))
                {
                    self.count(&mut report, item).await?;
                }
                Ok(report)
            }
        }
    }

    /// Fires `item` alone and counts it as fired or deferred.
    async fn count(&self, report: &mut (u64, u64), item: &DueItem) -> Result<(), StoreError> {
        match self.fire_one(item).await? {
            Fired::Done => report.0 += 1,
            Fired::Deferred => report.1 += 1,
        }
        Ok(())
    }

    /// Decides every item of a batch against the seminars read once, each item seeing what the
    /// earlier ones of its seminar changed.
    async fn decide_batch<'a>(&self, items: &'a [DueItem]) -> Result<Batch<'a>, StoreError> {
        let mut ids: Vec<String> = items
            .iter()
            .filter_map(|i| i.seminar().map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        let found = self
            .store
            .find_seminars(&SeminarQuery {
                ids: Some(ids),
                ..SeminarQuery::default()
            })
            .await;
        let mut state: BTreeMap<String, Seminar> = match found {
            Ok(rows) => rows.into_iter().map(|(_, s)| (s.id.clone(), s)).collect(),
            Err(StoreError::Corrupt(_) | StoreError::Unreadable(_)) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        let mut batch = Batch::default();
        for item in items {
            let Some(seminar) = item.seminar().and_then(|id| state.get(id)) else {
                batch.single.push(item);
                continue;
            };
            let Some(prog) = self.programs.get(&seminar.program) else {
                batch.deferred.push(item);
                continue;
            };
            let outcome = decide_fire(prog, seminar, item);
            batch.fired.push((item.key.clone(), item.at));
            // The batch keeps seminars by id in `state`; every other effect is added.
            for s in batch.outcome.absorb(outcome) {
                batch.plan_at.insert(s.id.clone(), item.at);
                state.insert(s.id.clone(), s);
            }
        }
        for id in batch.plan_at.keys() {
            if let Some(s) = state.remove(id) {
                batch.outcome.seminars.push(s);
            }
        }
        Ok(batch)
    }

    async fn fire_one(&self, item: &DueItem) -> Result<Fired, StoreError> {
        if let Subject::Promotion { partner, program } = &item.subject {
            return self.fire_promotion(item, partner, program).await;
        }
        if let Subject::Standing { partner, program } = &item.subject {
            return self.fire_standing(item, partner, program).await;
        }
        let Some(id) = item.seminar() else {
            // A subject this build cannot fire: leave the item leased (out of the way until
            // the lease ends) for a version that can.
            tracing::error!(key = %item.key, subject = %item.subject.key(), "due item of an unknown subject kind; skipped");
            return Ok(Fired::Deferred);
        };
        let seminar = match self.store.seminar(id).await {
            Ok(s) => s,
            Err(e @ (StoreError::Corrupt(_) | StoreError::Unreadable(_))) => {
                // One unreadable seminar must not stop the clock for every other: leave its
                // item leased (out of the way until the lease ends) and go on.
                tracing::error!(key = %item.key, seminar = %id, error = %e, "seminar unreadable; due item skipped");
                return Ok(Fired::Deferred);
            }
            Err(e) => return Err(e),
        };
        let fired = vec![(item.key.clone(), item.at)];
        let Some(seminar) = seminar else {
            // The seminar is gone: retire the item so it never fires.
            let commit = Commit {
                fired,
                ..Default::default()
            };
            return self.finish(item, commit).await;
        };
        let Some(prog) = self.programs.get(&seminar.program) else {
            // A program not loaded in this process: leave it to one that has it.
            self.booker.release(&item.key).await?;
            return Ok(Fired::Deferred);
        };
        let outcome = decide_fire(prog, &seminar, item);
        let prepared = self.booker.prepare(outcome, |_| item.at, fired, None);
        log_unplanned(&prepared.unplanned);
        self.finish(item, prepared.commit).await
    }

    /// Fires a partner's promotion day: the pool recomputed, the next days planned.
    async fn fire_promotion(
        &self,
        item: &DueItem,
        partner: &str,
        program: &str,
    ) -> Result<Fired, StoreError> {
        let Some(prog) = self.programs.get(program) else {
            self.booker.release(&item.key).await?;
            return Ok(Fired::Deferred);
        };
        let (outcome, plan) =
            crate::service::items::fire_promotion(&self.store, prog, partner, item).await?;
        let fired = vec![(item.key.clone(), item.at)];
        let mut prepared = self.booker.prepare(outcome, |_| item.at, fired, None);
        log_unplanned(&prepared.unplanned);
        prepared.commit.plans.push(plan);
        self.finish(item, prepared.commit).await
    }

    async fn finish(&self, item: &DueItem, commit: Commit) -> Result<Fired, StoreError> {
        match self.booker.book(&commit).await {
            Ok(Booked::Written) => Ok(Fired::Done),
            Ok(Booked::Conflict(why)) => {
                tracing::debug!(key = %item.key, %why, "due item conflicted; deferred");
                self.booker.release(&item.key).await?;
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

/// A seminar whose new plan cannot be made keeps none: logged, the clock goes on.
fn log_unplanned(unplanned: &[(String, DomainError)]) {
    for (seminar, e) in unplanned {
        tracing::error!(%seminar, error = %e, "cannot plan due items");
    }
}

/// What firing `item` on `seminar` books; an item the rules cannot decide is retired with an
/// error in the log (it must not block the seminar's later items).
fn decide_fire(prog: &Program, seminar: &Seminar, item: &DueItem) -> Outcome {
    match fire(prog, seminar, item) {
        Ok(o) => o,
        Err(DomainError::Program(msg))
        | Err(DomainError::Refused(crate::domain::Refusal { message: msg, .. })) => {
            tracing::error!(key = %item.key, %msg, "due item cannot be decided; retired");
            Outcome::default()
        }
    }
}
