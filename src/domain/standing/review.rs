//! Review-date ladders (MoySklad, S§3.2–3.4) around `ladder::evaluate`: the floor granted at
//! once when onboarding completes (`onboarding_flag`), what a review decides and tells
//! (`review`), the reviews and warnings to plan (`plan_reviews`), the warning before a review
//! with what is still missing (`at_risk`), and the quarter sums a review read (`quarter_sums`).
//!
//! Ops and due items, as the dispatcher calls them:
//! - op `onboarding_flag` → [`onboarding_flag`] (action param `flag`; fields `country` of the
//!   partner, optional `staff` who passed the test);
//! - due `Review` → [`review`]; due `AtRisk { review_at }` → [`at_risk`].

use super::ladder::{self, midnight_after, ChangeKind};
use super::metrics::{Facts, PointsEntry};
use super::review_outcome::{
    codes, flag_at, gate, local_date, param, FlagChange, Outcome, Planned, StandingDue,
    EVALUATION_RANK,
};
use super::{Standing, StandingState};
use crate::domain::kinds::StandingNotice;
use crate::domain::program::{refuse_by_rule, DomainError};
use crate::domain::workflow::{Action, GrantedOn, MetricType, Onboarding, StandingProgram};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// The onboarding flag that `agreement_implicit_unless_country` speaks of.
const AGREEMENT_FLAG: &str = "agreement";
/// The right that makes a role the partner's administrator (`roles[].rights`).
const ALL_RIGHTS: &str = "all";
/// The entry kind of the welcome bonus on its ledger.
const WELCOME_ENTRY: &str = "onboarding";

/// The command fields of `onboarding_flag`.
#[derive(Debug, Clone, Default)]
pub struct OnboardingArgs {
    /// The partner's country (`[[partners]] country`, default `RU`).
    pub country: String,
    /// The employee who passed the test (`pass_test` `staff`); `None`: the administrator.
    pub staff: Option<String>,
}

/// `onboarding_flag`: sets the action's `flag`. The first flag of `[onboarding] flags` opens
/// the account (not admitted → admitted; twice: `already_admitted`); the others need it
/// (`not_admitted`), and setting one twice is `invalid_state`. A test passed by an employee
/// whose role lacks the `all` right counts for that employee only (S§3.1): nothing changes.
/// When every flag holds (the agreement implied outside `agreement_implicit_unless_country`)
/// and `granted_on = "onboarding"`, the floor is granted at once with the welcome bonus.
pub fn onboarding_flag(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    s: &Standing,
    args: &OnboardingArgs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Outcome, DomainError> {
    let (Some(flag), Some(ob)) = (param(action, "flag"), p.onboarding.as_ref()) else {
        return Err(DomainError::Program(format!(
            "действие «{}»: нет поля flag или раздела [onboarding]",
            action.name
        )));
    };
    let opening = ob.flags.first().map(String::as_str) == Some(flag);
    if s.state == StandingState::NotAdmitted && !opening {
        return refuse_by_rule(codes::NOT_ADMITTED, "партнёр ещё не зарегистрирован");
    }
    if s.state != StandingState::NotAdmitted {
        gate(s, facts, now)?;
        if opening {
            return refuse_by_rule(codes::ALREADY_ADMITTED, "партнёр уже зарегистрирован");
        }
        if flag_at(facts, flag, now) {
            return refuse_by_rule(codes::INVALID_STATE, format!("«{flag}» уже отмечено"));
        }
    }
    let admin = args.staff.as_ref().is_none_or(|id| is_admin(p, facts, id));
    let mut out = Outcome::default();
    if !admin {
        return Ok(out);
    }
    out.flags.push(FlagChange::Set {
        flag: flag.into(),
        since: now,
        until: None,
    });
    if opening {
        out.state = Some(StandingState::Admitted);
    }
    let holds = |f: &String| f == flag || flag_at(facts, f, now) || implicit(ob, f, &args.country);
    let complete = ob.flags.iter().all(holds);
    if complete
        && p.standing.granted_on == Some(GrantedOn::Onboarding)
        && s.state != StandingState::Active
    {
        grant_floor(p, ob, s, &mut out, now, tz);
    }
    Ok(out)
}

fn is_admin(p: &StandingProgram, facts: &Facts, staff: &str) -> bool {
    let role = facts.staff.iter().find(|m| m.id == staff).map(|m| &m.role);
    role.is_some_and(|r| {
        p.roles
            .iter()
            .any(|x| &x.code == r && x.rights.iter().any(|y| y == ALL_RIGHTS))
    })
}

fn implicit(ob: &Onboarding, flag: &str, country: &str) -> bool {
    flag == AGREEMENT_FLAG
        && !ob
            .agreement_implicit_unless_country
            .iter()
            .any(|c| c.eq_ignore_ascii_case(country))
}

/// The floor from `now`, without a term, with the welcome bonus booked and told.
fn grant_floor(
    p: &StandingProgram,
    ob: &Onboarding,
    s: &Standing,
    out: &mut Outcome,
    now: DateTime<Utc>,
    tz: Tz,
) {
    let Some(floor) = p.standing.floor.clone() else {
        return;
    };
    out.state = Some(StandingState::Active);
    out.changes.push(ladder::Change {
        at: now,
        code: floor.clone(),
        from: String::new(),
        change: ChangeKind::Granted,
        since: now,
        until: None,
        snapshot: BTreeMap::new(),
        unmet: vec![],
    });
    let bonus = ob.welcome_bonus.as_ref().filter(|b| b.points > 0);
    if let Some(b) = bonus {
        let date = local_date(now, tz);
        let months = p
            .ledgers
            .iter()
            .find(|l| l.id == b.ledger)
            .map_or(0, |l| l.valid_months);
        out.ledger.push(PointsEntry {
            ledger: b.ledger.clone(),
            product: String::new(),
            entry_kind: WELCOME_ENTRY.into(),
            points: b.points,
            booked: now,
            date,
            expires: (months > 0)
                .then(|| date.checked_add_months(Months::new(months)))
                .flatten()
                .map(|d| midnight_after(d, tz)),
        });
    }
    let points = bonus.map(|b| b.points);
    let mut after = s.clone();
    after.state = StandingState::Active;
    after.code = Some(floor.clone());
    out.due.extend(plan_reviews(p, &after, now, tz));
    out.notify(
        p,
        StandingNotice::StatusChanged,
        Some(ChangeKind::Granted),
        &s.partner,
        |n| {
            n.status = Some(floor.clone());
            n.bonus_points = points;
        },
    );
}

/// The next review of an active standing and, for a status above the floor, the warning
/// `[evaluation] at_risk` before it (0 days: off). Nothing for other modes or states.
pub fn plan_reviews(p: &StandingProgram, s: &Standing, now: DateTime<Utc>, tz: Tz) -> Vec<Planned> {
    let Some(e) = p.evaluation.as_ref() else {
        return vec![];
    };
    if s.state != StandingState::Active || e.review_dates.is_empty() {
        return vec![];
    }
    let Some(next) = ladder::next_review(&e.review_dates, now, tz) else {
        return vec![];
    };
    let mut out = vec![Planned {
        at: next,
        rank: EVALUATION_RANK,
        due: StandingDue::Review,
    }];
    let above_floor = s.code.is_some() && s.code != p.standing.floor;
    if let Some(w) = e
        .at_risk
        .as_ref()
        .filter(|w| w.days_before > 0 && above_floor)
    {
        let day = local_date(next, tz) - Duration::days(i64::from(w.days_before));
        let at = tz
            .from_local_datetime(&day.and_time(w.at))
            .earliest()
            .map(|t| t.with_timezone(&Utc));
        if let Some(at) = at.filter(|t| *t > now) {
            out.push(Planned {
                at,
                rank: EVALUATION_RANK,
                due: StandingDue::AtRisk { review_at: next },
            });
        }
    }
    out
}

/// A review at `at` (due `Review`): H = the highest status met becomes the status
/// (`status_changed` promoted / demoted with `unmet`, or `status_confirmed` with the new
/// `until`), and the next review is planned. A floor partner still at the floor records and
/// tells nothing (the floor has no term to confirm; decisions.md). Not a review instant, or
/// not active: empty.
pub fn review(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    at: DateTime<Utc>,
    tz: Tz,
) -> Outcome {
    let mut out = Outcome::default();
    let Some(c) = ladder::evaluate(p, facts, s, at, tz) else {
        return out;
    };
    let mut after = s.clone();
    after.code = Some(c.code.clone());
    out.due = plan_reviews(p, &after, at, tz);
    let floor_kept =
        c.change == ChangeKind::Confirmed && p.standing.floor.as_ref() == Some(&c.code);
    if floor_kept {
        return out;
    }
    let (kind, change) = match c.change {
        ChangeKind::Confirmed => (StandingNotice::StatusConfirmed, None),
        other => (StandingNotice::StatusChanged, Some(other)),
    };
    out.notify(p, kind, change, &s.partner, |n| {
        n.status = Some(c.code.clone());
        if change.is_some() {
            n.from = Some(c.from.clone());
            n.unmet = c.unmet.clone();
        } else {
            n.until = c.until;
        }
    });
    // `status_confirmed` is told by its kind, not by a `change` field.
    out.changes.push(c);
    out
}

/// The warning before the review at `review_at` (due `AtRisk`): the current status's criteria
/// read at the review instant on the facts booked by `now`; `status_at_risk` with the `unmet`
/// ones when any fails. The floor, or a standing not active: empty.
pub fn at_risk(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    review_at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Outcome {
    let mut out = Outcome::default();
    if s.state != StandingState::Active || s.code == p.standing.floor {
        return out;
    }
    let Some(status) = p.statuses.iter().find(|x| Some(&x.code) == s.code.as_ref()) else {
        return out;
    };
    let known = known_by(facts, now);
    let values = ladder::snapshot(p, &known, s, review_at, tz);
    let unmet = ladder::unmet(p, status, &values);
    if unmet.is_empty() {
        return out;
    }
    out.notify(p, StandingNotice::StatusAtRisk, None, &s.partner, |n| {
        n.status = Some(status.code.clone());
        n.review_at = Some(review_at);
        n.unmet = unmet.clone();
    });
    out
}

/// The facts as booked by `now` (records, entries, staff and flags from later instants left out).
pub fn known_by(facts: &Facts, now: DateTime<Utc>) -> Facts {
    let mut f = facts.clone();
    f.records.retain(|r| r.at <= now);
    f.ledger.retain(|e| e.booked <= now);
    f.staff.retain(|m| m.attached <= now);
    for spans in f.flags.values_mut() {
        spans.retain(|x| x.since <= now);
    }
    f
}

/// The sums of the quarters a `record_sum_per_quarter` metric reads at `at` (the two complete
/// quarters before it, those ended before `skip_before` was reached left out), labelled
/// `YYYY-Qn`, in kopecks — the `metrics.quarters` of the history (S§5.4).
pub fn quarter_sums(
    p: &StandingProgram,
    facts: &Facts,
    at: DateTime<Utc>,
    tz: Tz,
) -> BTreeMap<String, i64> {
    let today = local_date(at, tz);
    let Some(def) = p
        .metrics
        .values()
        .find(|m| m.metric_type() == Some(MetricType::RecordSumPerQuarter))
    else {
        return BTreeMap::new();
    };
    let reached = def.skip_before.as_ref().and_then(|s| facts.reached.get(s));
    let current = quarter_start(today);
    let q2 = quarter_start(current.pred_opt().unwrap_or(current));
    let q1 = quarter_start(q2.pred_opt().unwrap_or(q2));
    [(q1, q2), (q2, current)]
        .into_iter()
        .filter(|(_, end)| reached.is_none_or(|r| *r < *end))
        .map(|(from, end)| {
            let sum = facts
                .records
                .iter()
                .filter(|r| Some(&r.record) == def.record.as_ref())
                .filter(|r| from <= r.date && r.date < end)
                .map(|r| r.amount)
                .sum();
            (format!("{}-Q{}", from.year(), from.month0() / 3 + 1), sum)
        })
        .collect()
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d)
}

#[cfg(test)]
mod example_08;
#[cfg(test)]
mod tests;
