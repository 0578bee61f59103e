//! The one way a decided [`Outcome`] reaches the store, shared by commands
//! ([`super::Service::execute`]) and the clock ([`crate::scheduler`]): every changed seminar gets
//! its new plan of due items (from its own program) and its list columns, the commit names the
//! due items it fires and the program lock it holds, and a concurrent change comes back as
//! [`Booked::Conflict`] (nothing written) for the caller to decide again or defer.

use crate::domain::schedule::{plan, DueItem};
use crate::domain::{DomainError, Outcome, Program, Seminar};
use crate::storage::{Commit, DynStore, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What became of a commit.
#[derive(Debug)]
pub enum Booked {
    Written,
    /// Someone changed the same thing first; nothing was written.
    Conflict(String),
}

/// Writes outcomes for the service and the scheduler.
#[derive(Clone)]
pub struct Booker {
    pub(crate) store: DynStore,
    pub(crate) programs: Arc<BTreeMap<String, Program>>,
}

/// An outcome ready to commit, with the seminars whose new plan could not be made.
pub struct Prepared {
    pub commit: Commit,
    pub unplanned: Vec<(String, DomainError)>,
}

impl Booker {
    /// The commit for `outcome`: each changed seminar's pending due items replaced by its plan
    /// from `plan_at(seminar)`, its list columns computed, `fired` marked and `lock` held.
    pub fn prepare(
        &self,
        outcome: Outcome,
        plan_at: impl Fn(&Seminar) -> DateTime<Utc>,
        fired: Vec<(String, DateTime<Utc>)>,
        lock: Option<(String, i64)>,
    ) -> Prepared {
        let mut plans = Vec::new();
        let mut unplanned = Vec::new();
        for s in &outcome.seminars {
            let Some(prog) = self.programs.get(&s.program) else {
                continue;
            };
            match plan(prog, s, plan_at(s)) {
                Ok(p) => plans.push((s.id.clone(), p)),
                Err(e) => unplanned.push((s.id.clone(), e)),
            }
        }
        let mut commit = Commit {
            outcome,
            plans,
            fired,
            program_lock: lock,
            ..Commit::default()
        };
        commit.index(&self.programs);
        // Points booked feed the partner programs that count their ledger (design §4.3).
        commit.add_due = super::standing::evaluations_for(&self.programs, &commit.outcome.points);
        Prepared { commit, unplanned }
    }

    /// Writes `commit` in one transaction.
    ///
    /// # Errors
    /// Store failures other than a concurrent change.
    pub async fn book(&self, commit: &Commit) -> Result<Booked, StoreError> {
        match self.store.commit(commit).await {
            Ok(()) => Ok(Booked::Written),
            Err(StoreError::Conflict(why)) => Ok(Booked::Conflict(why)),
            Err(e) => Err(e),
        }
    }

    /// Claims up to `limit` due items with instant ≤ `now` for `owner` until `lease_until`
    /// (wall-clock), earliest first, each the first pending one of its seminar.
    ///
    /// # Errors
    /// Store failures.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        wall_now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError> {
        self.store
            .claim_due(now, limit, owner, wall_now, lease_until)
            .await
    }

    /// Gives a claimed item back (another process or an earlier item came first).
    ///
    /// # Errors
    /// Store failures.
    pub async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.store.release_due(key).await
    }
}
