//! The auto ladder (docs/design/programs.md §3.4, S§1.5, S§3.4) as a pure function: given a
//! standing, the partner's facts and an evaluation instant, what changes. The caller (the
//! scheduler's `Evaluate`/`Review` items, design C2) decides *when* to call it; this module only
//! says what a run at that instant does:
//!
//! - `promote = "any_run"`: a higher status met is taken at once, possibly skipping a level;
//! - `demote = "term_end_only"`: at `until` the status is confirmed (term extended) if still
//!   met, else the partner falls to the highest status met (C18: never mid-term);
//! - `review_only` (review dates): the status becomes the highest met, the term runs to the
//!   next review (none for the floor).

use super::metrics::{metric, Facts};
use super::{Standing, StandingState};
use crate::domain::workflow::{Demote, EvaluationMode, Promote, StandingProgram, Status};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// How a run moved the standing (the `change` of the history, S§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Promoted,
    Confirmed,
    Lost,
    Demoted,
    // The decided ladder (`decided`, S§5.1 competence history).
    Applied,
    PackageComplete,
    DocumentsRequested,
    Granted,
    Refused,
    Upgraded,
    RenewalRequested,
    Renewed,
    Downgraded,
    Expired,
    BonusesCancelled,
    Cancelled,
    // Onboarding, sanctions and termination (`review`, `sanctions`; `Granted` above also
    // serves the floor granted at once, S§3.2).
    /// The standing ended (termination, disconnection: S§1.5, S§3.5).
    Terminated,
    /// A sanction froze the standing (`effect = "suspend"`, S§2.8).
    Suspended,
    /// The suspension ended inside the term.
    Reinstated,
    /// A sanction took the standing for good (`effect = "revoke"`).
    Revoked,
}

/// One change of the standing with the metric values it was decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub code: String,
    pub from: String,
    pub change: ChangeKind,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    /// Every metric the ladder reads, at `at`.
    pub snapshot: BTreeMap<String, i64>,
    /// The criteria of the status held before that failed (a loss or demotion).
    pub unmet: Vec<String>,
}

/// Values of every metric of the program at `at`.
pub fn snapshot(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    at: DateTime<Utc>,
    tz: Tz,
) -> BTreeMap<String, i64> {
    let today = at.with_timezone(&tz).date_naive();
    p.metrics
        .iter()
        .map(|(name, def)| (name.clone(), metric(facts, def, at, today, s.term())))
        .collect()
}

/// The criteria of `status` (with those of the statuses it includes) that fail.
pub fn unmet(p: &StandingProgram, status: &Status, values: &BTreeMap<String, i64>) -> Vec<String> {
    let mut out = vec![];
    let mut cur = Some(status);
    while let Some(st) = cur {
        for c in &st.criteria {
            let need = threshold(p, &c.metric, &c.min);
            if values.get(&c.metric).copied().unwrap_or(0) < need && !out.contains(&c.metric) {
                out.push(c.metric.clone());
            }
        }
        cur = st
            .includes
            .as_ref()
            .and_then(|i| p.statuses.iter().find(|x| &x.code == i));
    }
    out
}

fn threshold(p: &StandingProgram, metric: &str, min: &crate::domain::workflow::Threshold) -> i64 {
    use crate::domain::workflow::Threshold;
    let money = p
        .metrics
        .get(metric)
        .and_then(|m| m.metric_type())
        .is_some_and(|t| t.is_money());
    match min {
        Threshold::Count(n) if money => n.saturating_mul(100),
        Threshold::Count(n) => *n,
        Threshold::Money(s) => s
            .parse::<crate::domain::money::Kopecks>()
            .map_or(i64::MAX, |k| k.0),
    }
}

/// Index in the ladder of the highest status whose criteria all hold (the floor at least).
pub fn highest_met(p: &StandingProgram, values: &BTreeMap<String, i64>) -> usize {
    (0..p.statuses.len())
        .rev()
        .find(|&i| unmet(p, &p.statuses[i], values).is_empty())
        .unwrap_or(0)
}

/// 00:00 local after the local date `d`.
pub fn midnight_after(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let next = d.succ_opt().unwrap_or(d);
    tz.from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A term granted at `at`: through the local date of `at` plus `months` (C22).
fn term_from(at: DateTime<Utc>, months: u32, tz: Tz) -> DateTime<Utc> {
    let d = at.with_timezone(&tz).date_naive();
    midnight_after(d.checked_add_months(Months::new(months)).unwrap_or(d), tz)
}

/// The next review instant strictly after `at` (00:00 local of the next `MM-DD`).
pub fn next_review(dates: &[String], at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let local = at.with_timezone(&tz).date_naive();
    (local.year()..=local.year() + 1)
        .flat_map(|y| {
            dates.iter().filter_map(move |d| {
                NaiveDate::parse_from_str(&format!("{y}-{d}"), "%Y-%m-%d").ok()
            })
        })
        .filter_map(|d| d.pred_opt().map(|prev| midnight_after(prev, tz)))
        .filter(|t| *t > at)
        .min()
}

/// What an evaluation run at `at` does to an active auto-ladder standing, if anything.
pub fn evaluate(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    at: DateTime<Utc>,
    tz: Tz,
) -> Option<Change> {
    let e = p.evaluation.as_ref()?;
    if s.state != StandingState::Active {
        return None;
    }
    let is_review = next_review(&e.review_dates, at - chrono::Duration::seconds(1), tz) == Some(at);
    if e.mode == EvaluationMode::ReviewDates && !is_review {
        return None;
    }
    let current = p
        .statuses
        .iter()
        .position(|x| Some(&x.code) == s.code.as_ref())?;
    let values = snapshot(p, facts, s, at, tz);
    let best = highest_met(p, &values);
    let term_over = s.until.is_some_and(|u| at >= u);
    let (target, change) = if e.promote == Promote::ReviewOnly || e.demote == Demote::ReviewOnly {
        match best.cmp(&current) {
            std::cmp::Ordering::Greater => (best, ChangeKind::Promoted),
            std::cmp::Ordering::Less => (best, ChangeKind::Demoted),
            std::cmp::Ordering::Equal => (best, ChangeKind::Confirmed),
        }
    } else if best > current {
        (best, ChangeKind::Promoted)
    } else if term_over && best == current {
        (current, ChangeKind::Confirmed)
    } else if term_over {
        (best, ChangeKind::Lost)
    } else {
        return None;
    };
    let status = &p.statuses[target];
    let floor = p.standing.floor.as_ref() == Some(&status.code);
    let until = if e.demote == Demote::ReviewOnly {
        // Held until the next review; the floor has no term (S§3.4).
        (!floor)
            .then(|| next_review(&e.review_dates, at, tz))
            .flatten()
    } else if !status.term {
        None
    } else {
        let months = p.term.as_ref().map_or(12, |t| t.months);
        match (change, s.until) {
            (ChangeKind::Confirmed, Some(u)) => {
                let ext = p
                    .term
                    .as_ref()
                    .and_then(|t| t.confirm_extends_months)
                    .unwrap_or(months);
                u.checked_add_months(Months::new(ext))
            }
            _ => Some(term_from(at, months, tz)),
        }
    };
    let unmet = if matches!(change, ChangeKind::Lost | ChangeKind::Demoted) {
        unmet(p, &p.statuses[current], &values)
    } else {
        vec![]
    };
    Some(Change {
        at,
        code: status.code.clone(),
        from: p.statuses[current].code.clone(),
        change,
        since: if change == ChangeKind::Confirmed {
            s.since.unwrap_or(at)
        } else {
            at
        },
        until,
        snapshot: values,
        unmet,
    })
}

impl Standing {
    /// The standing after `c`.
    pub fn apply(&mut self, c: &Change) {
        self.code = Some(c.code.clone());
        self.since = Some(c.since);
        self.until = c.until;
        if c.change == ChangeKind::Confirmed {
            self.renewals += 1;
        }
        self.version += 1;
    }
}

#[cfg(test)]
mod tests;
