//! The service's part of item programs (design `programs.md` §4.3, §6 B4): after a command
//! changes items of a program with `[promotion]`, the partner's pool of shown events is
//! recomputed and its promotion days planned again; an acceptance may raise the low-attendance
//! alert; a partner's suspended support is read for applications. Each reads only the
//! partner's items of the one program, so a command's cost does not grow with the season.

use super::{Service, ServiceError};
use crate::domain::deadline::local_date;
use crate::domain::items::{promotion, report::low_attendance_alert};
use crate::domain::rules::View;
use crate::domain::schedule::{DueItem, Subject};
use crate::domain::{Outcome, Program, Seminar, SeminarState};
use crate::storage::{DynStore, SeminarQuery, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A subject's new plan (its stored key and items), as `Commit::plans` takes it.
pub type Plan = (String, Vec<DueItem>);

impl Service {
    /// The partner a partner command names, and whether its support is suspended.
    pub(super) async fn read_partner(&self, view: &mut View, id: &str) -> Result<(), ServiceError> {
        if let Some(p) = self.store.partner(id).await? {
            view.partners.insert(p.id.clone(), p);
        }
        if self.store.support_suspended(id).await? {
            view.support_suspended.insert(id.to_string());
        }
        Ok(())
    }
}

/// The items of `program` of `partner`, as stored.
pub async fn partner_items(
    store: &DynStore,
    program: &str,
    partner: &str,
) -> Result<Vec<Seminar>, StoreError> {
    Ok(store
        .find_seminars(&SeminarQuery {
            program: Some(program.to_string()),
            partner: Some(partner.to_string()),
            ..SeminarQuery::default()
        })
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

/// `items` with the changed ones of `changed` in their place (or added).
fn overlay(items: &mut Vec<Seminar>, changed: &[Seminar]) {
    for c in changed {
        match items.iter_mut().find(|s| s.id == c.id) {
            Some(s) => *s = c.clone(),
            None => items.push(c.clone()),
        }
    }
}

/// What a command's outcome adds for item programs: the promotion pool of each partner whose
/// items changed (recomputed on `now`'s day, with its new promotion days) and the
/// low-attendance alert of an acceptance. Flagship outcomes come back unchanged.
pub async fn after_command(
    store: &DynStore,
    programs: &BTreeMap<String, Program>,
    mut outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(Outcome, Vec<Plan>), StoreError> {
    let touched: BTreeSet<(String, String)> = outcome
        .seminars
        .iter()
        .filter(|s| !s.item.is_flagship())
        .map(|s| (s.program.clone(), s.partner.clone()))
        .collect();
    let mut plans = Vec::new();
    for (program, partner) in touched {
        let Some(prog) = programs.get(&program) else {
            continue;
        };
        let mut items = partner_items(store, &program, &partner).await?;
        overlay(&mut items, &outcome.seminars);
        let mine = |s: &&Seminar| s.partner == partner && s.program == program;
        for s in outcome.seminars.iter().filter(mine) {
            if s.state == SeminarState::Closed && s.result.is_some() {
                if let Some(n) = low_attendance_alert(prog, s, &items, now) {
                    outcome.notifications.push(n);
                }
            }
        }
        if prog.wf.promotion.is_some() {
            let day = local_date(prog.tz, now);
            let rec = promotion::recompute(prog, &items, day);
            overlay(&mut items, &rec.seminars);
            merge(&mut outcome, rec);
            plans.push(plan_of(prog, &partner, &items, now));
        }
    }
    Ok((outcome, plans))
}

/// The partner's promotion days after `after`, keyed by the promotion subject.
pub fn plan_of(prog: &Program, partner: &str, items: &[Seminar], after: DateTime<Utc>) -> Plan {
    let subject = Subject::Promotion {
        partner: partner.to_string(),
        program: prog.id().to_string(),
    };
    (subject.key(), promotion::plan(prog, partner, items, after))
}

/// Adds `o` to `into`; a seminar of `o` replaces the one of the same id.
pub fn merge(into: &mut Outcome, o: Outcome) {
    for s in into.absorb(o) {
        match into.seminars.iter_mut().find(|x| x.id == s.id) {
            Some(x) => *x = s,
            None => into.seminars.push(s),
        }
    }
}

/// Fires a promotion day of `partner` in `prog`: recomputes the pool on the item's date and
/// plans the next days. Returns the outcome and the subject's new plan.
pub async fn fire_promotion(
    store: &DynStore,
    prog: &Program,
    partner: &str,
    item: &DueItem,
) -> Result<(Outcome, Plan), StoreError> {
    let mut items = partner_items(store, prog.id(), partner).await?;
    let out = promotion::fire(prog, &items, item);
    overlay(&mut items, &out.seminars);
    let plan = plan_of(prog, partner, &items, item.at);
    Ok((out, plan))
}
