//! Periodic obligations of a standing (file `obligations`, rule book S§2.6): a progress report
//! per open project every N calendar months, a pipeline review per standing every M months.
//! Each open obligation has its next due date; the next one is due N months after the day it
//! was met (same day of the month, clamped to the month's end). Reminders at the file's time on
//! the N-th working day before the due date (0: the due day itself, a day off or not, C28);
//! at 00:00 after the due date the overdue notice goes out and the lateness is kept in
//! `Standing::overdue` (not a violation: the coordinator records one by hand if it is).
//! Obligations run while the competence is in force.
//!
//! | op | function | parameters |
//! |---|---|---|
//! | `obligation_start` | [`obligation_start`] | the action's `obligation`; `project` (per project) |
//! | `obligation_done` | [`obligation_done`] | the action's `obligation`; `project` (per project) |
//! | `obligation_end` | [`obligation_end`] | the action's `obligation`; `project` |

use super::decided::in_force;
use super::outcome::{Audience, Outcome, Planned, Rules, StandingDue};
use super::Standing;
use crate::domain::deadline::{end_of, local_date};
use crate::domain::program::{refuse, refuse_by_rule, DomainError, RefusalCode};
use crate::domain::workflow::{Obligation, ObligationPer};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The generic refusal of an obligation naming a project that is not open (S§5.1).
pub const UNKNOWN_PROJECT: &str = "unknown_project";
/// The generic refusal of opening a project that is already open (S§5.1).
pub const DUPLICATE_PROJECT: &str = "duplicate_project";

/// An obligation in force, with its next due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenObligation {
    /// The obligation's `code` in the file.
    pub obligation: String,
    /// The project (per-project obligations).
    pub project: Option<String>,
    pub due: NaiveDate,
}

/// An obligation found undone after its due date (`overdue[]` of S§5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overdue {
    pub kind: String,
    pub project: Option<String>,
    pub due: NaiveDate,
    /// When it was met after all.
    pub done_at: Option<DateTime<Utc>>,
}

fn def<'a>(r: Rules<'a>, code: &str) -> Result<&'a Obligation, DomainError> {
    match r.p.obligations.iter().find(|o| o.code == code) {
        Some(o) => Ok(o),
        None => refuse(
            RefusalCode::InvalidInput,
            format!("в программе нет обязанности «{code}»"),
        ),
    }
}

/// The project argument an obligation needs: required per project, ignored per standing.
fn project_of(ob: &Obligation, project: Option<&str>) -> Result<Option<String>, DomainError> {
    match (ob.per, project) {
        (ObligationPer::Standing, _) => Ok(None),
        (ObligationPer::Project, Some(p)) if !p.trim().is_empty() => Ok(Some(p.to_string())),
        (ObligationPer::Project, _) => refuse(
            RefusalCode::InvalidInput,
            format!("обязанность «{}»: не указан проект (project)", ob.code),
        ),
    }
}

/// The due date `every_months` after the local date of `at`.
fn next_due(r: Rules<'_>, ob: &Obligation, at: DateTime<Utc>) -> NaiveDate {
    let d = local_date(r.tz, at);
    d.checked_add_months(Months::new(ob.every_months))
        .unwrap_or(d)
}

/// Reminders and the overdue check of one due date.
fn plan(r: Rules<'_>, ob: &Obligation, project: &Option<String>, due: NaiveDate) -> Vec<Planned> {
    let mut out = vec![];
    if let Some(t) = ob.at.filter(|_| ob.reminder_notice.is_some()) {
        for n in &ob.reminders {
            if let Some(day) = r.working_days_before(due, *n) {
                out.push(Planned {
                    at: r.at(day, t),
                    due: StandingDue::ObligationReminder {
                        obligation: ob.code.clone(),
                        project: project.clone(),
                        due,
                    },
                });
            }
        }
    }
    out.push(Planned {
        at: end_of(r.tz, due),
        due: StandingDue::ObligationOverdue {
            obligation: ob.code.clone(),
            project: project.clone(),
            due,
        },
    });
    out
}

fn open(
    r: Rules<'_>,
    o: &mut Outcome,
    ob: &Obligation,
    project: Option<String>,
    at: DateTime<Utc>,
) {
    let due = next_due(r, ob, at);
    o.due.extend(plan(r, ob, &project, due));
    o.standing.obligations.push(OpenObligation {
        obligation: ob.code.clone(),
        project,
        due,
    });
}

fn position(s: &Standing, code: &str, project: &Option<String>) -> Option<usize> {
    s.obligations
        .iter()
        .position(|x| x.obligation == code && &x.project == project)
}

fn not_open<T>(ob: &Obligation, project: &Option<String>) -> Result<T, DomainError> {
    match project {
        Some(p) => refuse_by_rule(UNKNOWN_PROJECT, format!("проект «{p}» не открыт")),
        None => refuse(
            RefusalCode::InvalidState,
            format!("обязанность «{}» сейчас не действует", ob.code),
        ),
    }
}

/// `obligation_start`: opens the obligation (a project's reports); first due N months from
/// today. Refused `invalid_state` when the standing is not in force, `duplicate_project` when
/// the project is already open.
pub fn obligation_start(
    r: Rules<'_>,
    s: &Standing,
    code: &str,
    project: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let ob = def(r, code)?;
    let project = project_of(ob, project)?;
    if !in_force(s) {
        return refuse(RefusalCode::InvalidState, "компетенция не действует");
    }
    if position(s, code, &project).is_some() {
        let p = project.unwrap_or_default();
        return refuse_by_rule(DUPLICATE_PROJECT, format!("проект «{p}» уже открыт"));
    }
    let mut o = Outcome::of(s);
    open(r, &mut o, ob, project, now);
    Ok(o)
}

/// `obligation_done`: the obligation is met now (a report, a review); the next one is due N
/// months from today. A late one gets its `done_at` in `overdue`. Refused `unknown_project`
/// (`invalid_state` per standing) when it is not open.
pub fn obligation_done(
    r: Rules<'_>,
    s: &Standing,
    code: &str,
    project: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let ob = def(r, code)?;
    let project = project_of(ob, project)?;
    let Some(i) = position(s, code, &project) else {
        return not_open(ob, &project);
    };
    let mut o = Outcome::of(s);
    let was = o.standing.obligations.remove(i);
    for late in o.standing.overdue.iter_mut() {
        let same = late.kind == code && late.project == project && late.due == was.due;
        if same && late.done_at.is_none() {
            late.done_at = Some(now);
        }
    }
    open(r, &mut o, ob, project, now);
    Ok(o)
}

/// `obligation_end`: the obligation stops (the project is over). Refused `unknown_project`
/// when it is not open.
pub fn obligation_end(
    r: Rules<'_>,
    s: &Standing,
    code: &str,
    project: Option<&str>,
    _now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let ob = def(r, code)?;
    let project = project_of(ob, project)?;
    let Some(i) = position(s, code, &project) else {
        return not_open(ob, &project);
    };
    let mut o = Outcome::of(s);
    o.standing.obligations.remove(i);
    Ok(o)
}

/// Opens (or restarts) every per-standing obligation from `now`: at a grant, at a restored
/// competence, at an opening standing (no earlier review is known, so the first is due N
/// months after the clock starts).
pub fn open_per_standing(r: Rules<'_>, s: &Standing, now: DateTime<Utc>) -> Outcome {
    let mut o = Outcome::unchanged(s);
    for ob in
        r.p.obligations
            .iter()
            .filter(|x| x.per == ObligationPer::Standing)
    {
        o.standing.obligations.retain(|x| x.obligation != ob.code);
        open(r, &mut o, ob, None, now);
    }
    o
}

/// A reminder or overdue item of an obligation: a no-op unless the same due date is still
/// open and the standing is in force.
pub fn fire(r: Rules<'_>, s: &Standing, due: &StandingDue, now: DateTime<Utc>) -> Outcome {
    let (code, project, date, overdue) = match due {
        StandingDue::ObligationReminder {
            obligation,
            project,
            due,
        } => (obligation, project, *due, false),
        StandingDue::ObligationOverdue {
            obligation,
            project,
            due,
        } => (obligation, project, *due, true),
        _ => return Outcome::unchanged(s),
    };
    let open = s
        .obligations
        .iter()
        .any(|x| &x.obligation == code && &x.project == project && x.due == date);
    let Some(ob) = r.p.obligations.iter().find(|o| &o.code == code) else {
        return Outcome::unchanged(s);
    };
    if !open || !in_force(s) {
        return Outcome::unchanged(s);
    }
    let mut o = Outcome::unchanged(s);
    let (kind, audience) = if overdue {
        (Some(&ob.overdue_notice), Audience::Both)
    } else {
        (ob.reminder_notice.as_ref(), Audience::Partner)
    };
    if overdue {
        o.standing.version += 1;
        o.standing.overdue.push(Overdue {
            kind: code.clone(),
            project: project.clone(),
            due: date,
            done_at: None,
        });
    }
    if let Some(kind) = kind {
        let mut n = r.notice(now, kind, audience);
        n.project = project.clone();
        n.due = Some(date);
        o.notices.push(n);
    }
    o
}

#[cfg(test)]
mod tests;
