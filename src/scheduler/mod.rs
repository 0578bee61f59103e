//! The clock's side of the engine: `tick(now)` fires every due item with instant ≤ `now`, each
//! exactly once (the item's key is marked fired in the same transaction as its effects), at its
//! original instant. Several processes may tick one PostgreSQL database: items are claimed with
//! a lease and `FOR UPDATE SKIP LOCKED`, and a seminar's items fire in time order.

use crate::domain::schedule::{fire, plan, DueItem};
use crate::domain::{DomainError, Outcome, Program, Seminar};
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
        let mut ids: Vec<String> = items.iter().map(|i| i.seminar.clone()).collect();
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
        let mut commit = Commit::default();
        // The instant of the last item fired on each changed seminar: its new plan starts there.
        let mut changed: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        let mut deferred = Vec::new();
        // Items whose seminar did not come back (gone, or a row that cannot be read) are left to
        // `fire_one`, which tells the two apart.
        let mut single = Vec::new();
        for item in &items {
            let Some(seminar) = state.get(&item.seminar) else {
                single.push(item);
                continue;
            };
            let Some(prog) = self.programs.get(&seminar.program) else {
                deferred.push(item);
                continue;
            };
            let outcome = decide_fire(prog, seminar, item);
            commit.fired.push((item.key.clone(), item.at));
            let Outcome {
                seminars,
                penalties,
                points,
                bonus,
                flags,
                notifications,
                events,
                slots_taken,
                slots_freed,
            } = outcome;
            for s in seminars {
                changed.insert(s.id.clone(), item.at);
                state.insert(s.id.clone(), s);
            }
            let o = &mut commit.outcome;
            o.penalties.extend(penalties);
            o.points.extend(points);
            o.bonus.extend(bonus);
            o.flags.extend(flags);
            o.notifications.extend(notifications);
            o.events.extend(events);
            o.slots_taken.extend(slots_taken);
            o.slots_freed.extend(slots_freed);
        }
        for (id, at) in &changed {
            let Some(s) = state.remove(id) else { continue };
            if let Some(prog) = self.programs.get(&s.program) {
                match plan(prog, &s, *at) {
                    Ok(p) => commit.plans.push((s.id.clone(), p)),
                    Err(e) => tracing::error!(seminar = %s.id, error = %e, "cannot plan due items"),
                }
            }
            commit.outcome.seminars.push(s);
        }
        for item in &deferred {
            // A program not loaded in this process: leave it to one that has it.
            self.store.release_due(&item.key).await?;
        }
        commit.index(&self.programs);
        let fired = commit.fired.len() as u64;
        let mut singles = (0, 0);
        for item in single {
            match self.fire_one(item).await? {
                Fired::Done => singles.0 += 1,
                Fired::Deferred => singles.1 += 1,
            }
        }
        if commit.fired.is_empty() {
            return Ok((singles.0, deferred.len() as u64 + singles.1));
        }
        match self.store.commit(&commit).await {
            Ok(()) => Ok((fired + singles.0, deferred.len() as u64 + singles.1)),
            Err(StoreError::Conflict(why)) => {
                tracing::debug!(%why, "batch conflicted; firing one by one");
                let mut report = (singles.0, deferred.len() as u64 + singles.1);
                for item in items
                    .iter()
                    .filter(|i| commit.fired.iter().any(|(k, _)| k == &i.key))
                {
                    match self.fire_one(item).await? {
                        Fired::Done => report.0 += 1,
                        Fired::Deferred => report.1 += 1,
                    }
                }
                Ok(report)
            }
            Err(e) => Err(e),
        }
    }

    async fn fire_one(&self, item: &DueItem) -> Result<Fired, StoreError> {
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
                fired: vec![(item.key.clone(), item.at)],
                ..Default::default()
            };
            return self.finish(item, commit).await;
        };
        let Some(prog) = self.programs.get(&seminar.program) else {
            // A program not loaded in this process: leave it to one that has it.
            self.store.release_due(&item.key).await?;
            return Ok(Fired::Deferred);
        };
        let outcome = decide_fire(prog, &seminar, item);
        let mut plans = Vec::new();
        for s in &outcome.seminars {
            match plan(prog, s, item.at) {
                Ok(p) => plans.push((s.id.clone(), p)),
                Err(e) => tracing::error!(seminar = %s.id, error = %e, "cannot plan due items"),
            }
        }
        let mut commit = Commit {
            outcome,
            plans,
            fired: vec![(item.key.clone(), item.at)],
            ..Commit::default()
        };
        commit.index(&self.programs);
        self.finish(item, commit).await
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
