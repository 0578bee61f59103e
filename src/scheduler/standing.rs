//! Firing the due items of a partner's standing (design §4.3): the auto ladder's evaluations,
//! term warnings, vendor-review alerts and noticed terminations. The item is marked fired in
//! the commit that books its effects, so it fires exactly once.

use super::{Fired, Scheduler};
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::standing::{clock, ops};
use crate::domain::workflow::StandingProgram;
use crate::domain::Program;
use crate::service::standing::{address, commit_of, read_partner, PartnerRows};
use crate::storage::{Commit, StoreError};

impl Scheduler {
    pub(super) async fn fire_standing(
        &self,
        item: &DueItem,
        partner: &str,
        program: &str,
    ) -> Result<Fired, StoreError> {
        let fired = vec![(item.key.clone(), item.at)];
        let Some(prog) = self.programs.get(program) else {
            // A program not loaded in this process: the item stays leased (out of the way
            // until the lease ends) for a process that has it.
            tracing::warn!(key = %item.key, %program, "standing item of a program not loaded; skipped");
            return Ok(Fired::Deferred);
        };
        let Some(p) = prog.wf.standing.as_ref() else {
            tracing::error!(key = %item.key, %program, "standing item of an item program; retired");
            return self
                .finish(
                    item,
                    Commit {
                        fired,
                        ..Commit::default()
                    },
                )
                .await;
        };
        let rows = read_partner(&self.store, prog, partner).await?;
        if matches!(item.kind, DueKind::Decided { .. }) || ops::reviewed::fires(p, &item.kind) {
            return self.fire_ladder(item, prog, p, &rows, fired).await;
        }
        let out = clock::fire(p, program, &rows.standing, &rows.facts, item, prog.tz);
        let mut commit = Commit {
            fired,
            add_due: out.due,
            ..Commit::default()
        };
        commit.outcome.notifications = address(p, prog, partner, item.at, &out.notices);
        commit.standings.extend(out.standing);
        self.finish(item, commit).await
    }

    /// A decided-ladder item (term, renewal, bonus, obligation) or a review-date ladder item
    /// (a review, the warning before it, a watcher): its effects booked as a command's are,
    /// with the item marked fired in the same commit.
    async fn fire_ladder(
        &self,
        item: &DueItem,
        prog: &Program,
        p: &StandingProgram,
        rows: &PartnerRows,
        fired: Vec<(String, chrono::DateTime<chrono::Utc>)>,
    ) -> Result<Fired, StoreError> {
        let program = prog.wf.id.as_str();
        let effects = if matches!(item.kind, DueKind::Decided { .. }) {
            let (standing, records) = (&rows.standing, &rows.records);
            ops::decided::fire(p, &prog.cal, prog.tz, program, standing, records, item)
        } else {
            ops::reviewed::fire(p, program, prog.tz, &rows.standing, &rows.facts, item)
        };
        let effects = effects.unwrap_or_else(|r| {
            tracing::error!(key = %item.key, %program, why = %r.message, "ladder item failed; retired");
            Default::default()
        });
        let mut commit = commit_of(prog, p, rows, effects, &self.programs, item.at);
        commit.fired = fired;
        self.finish(item, commit).await
    }
}
