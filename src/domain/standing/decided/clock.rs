//! The decided ladder's clock: the due items a term plans ([`plan_term`]) and what each does
//! when it fires ([`fire`]), re-checking that it still applies (a request sent, a term moved
//! on, a competence regained make an item a no-op).

use super::super::ladder::ChangeKind;
use super::super::obligations;
use super::super::outcome::{Audience, Change, LedgerEffect, Outcome, Planned, Rules, StandingDue};
use super::super::{Standing, StandingState};
use super::{bonus_cancel_at, last_day, request_deadline, review_name, PendingKind, Scheduled};
use crate::domain::deadline::{end_of, local_date};
use crate::domain::kinds::NotificationKind;
use crate::domain::money::Kopecks;
use crate::domain::program::DomainError;
use chrono::{DateTime, Days, Utc};
use std::collections::BTreeMap;

/// The items of a term ending at `until`: the calendar-day renewal reminder (it plans the
/// working-day ones when it fires, so a term may end in a year the calendar does not hold
/// yet), the missing-request notice at 00:00 after the request deadline, and the term end.
pub fn plan_term(r: Rules<'_>, until: DateTime<Utc>) -> Vec<Planned> {
    let mut out = vec![];
    let deadline = request_deadline(r, until);
    if let Some(rr) = &r.p.notices.renewal_reminder {
        let last = last_day(r, until);
        let day = last
            .checked_sub_days(Days::new(rr.days_before_last_day.into()))
            .unwrap_or(last);
        out.push(Planned {
            at: r.at(day, rr.at),
            due: StandingDue::RenewalReminder {
                until,
                due: deadline,
                first: true,
            },
        });
    }
    if r.p.notices.renewal_missing.is_some() {
        out.push(Planned {
            at: end_of(r.tz, deadline),
            due: StandingDue::RenewalMissing { until },
        });
    }
    out.push(Planned {
        at: until,
        due: StandingDue::TermEnd { until },
    });
    out
}

/// The bonus warning and cancellation after a term ending at `until` (S§2.5); a cancellation
/// already due fires at once.
fn plan_bonus(r: Rules<'_>, until: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Planned> {
    let cancel_at = bonus_cancel_at(r, until);
    let mut out = vec![];
    if let Some(w) = &r.p.notices.bonus_warning {
        let d = local_date(r.tz, cancel_at);
        let day = d
            .checked_sub_days(Days::new(w.days_before.into()))
            .unwrap_or(d);
        let at = r.at(day, w.at);
        if at > now {
            out.push(Planned {
                at,
                due: StandingDue::BonusWarning { until, cancel_at },
            });
        }
    }
    out.push(Planned {
        at: cancel_at.max(now),
        due: StandingDue::BonusCancel { until, cancel_at },
    });
    out
}

/// A decided renewal taking effect (at `until`, or at once when decided after it).
pub(super) fn take_effect(
    r: Rules<'_>,
    s: &Standing,
    t: &Scheduled,
    now: DateTime<Utc>,
) -> Outcome {
    let mut o = Outcome::of(s);
    let st = &mut o.standing;
    st.scheduled = None;
    match &t.level {
        Some(level) => {
            st.state = StandingState::Active;
            st.code = Some(level.clone());
            st.since = t.since;
            st.until = t.until;
            st.renewals += 1;
            if let Some(u) = t.until {
                o.due.extend(plan_term(r, u));
            }
        }
        None => {
            st.state = StandingState::Cancelled;
            if let Some(u) = s.until {
                o.due.extend(plan_bonus(r, u, now));
            }
        }
    }
    o
}

/// What due item `due` does to `s` at `now`. `bonus`: the available balance of each of the
/// program's bonus ledgers.
pub fn fire(
    r: Rules<'_>,
    s: &Standing,
    bonus: &BTreeMap<String, Kopecks>,
    due: &StandingDue,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let same_term = |u: &DateTime<Utc>| s.until == Some(*u);
    let owes_request = |u: &DateTime<Utc>| {
        same_term(u)
            && s.state == StandingState::Active
            && s.decision.is_none()
            && s.scheduled.is_none()
    };
    let lapsed = |u: &DateTime<Utc>| {
        same_term(u)
            && matches!(s.state, StandingState::Expired | StandingState::Cancelled)
            && s.decision.is_none()
    };
    Ok(match due {
        StandingDue::VendorDeadline { review, due } => vendor_deadline(r, s, review, *due, now),
        StandingDue::TermEnd { until } if same_term(until) => term_end(r, s, *until, now),
        StandingDue::RenewalReminder { until, due, first } if owes_request(until) => {
            renewal_reminder(r, s, *due, *first, now)
        }
        StandingDue::RenewalMissing { until } if owes_request(until) => {
            let mut o = Outcome::of(s);
            if let Some(kind) = &r.p.notices.renewal_missing {
                let mut n = r.notice(now, kind, Audience::Both);
                n.until = Some(*until);
                o.notices.push(n);
            }
            o
        }
        StandingDue::BonusWarning { until, cancel_at } if lapsed(until) => {
            let mut o = Outcome::unchanged(s);
            let total = total(r, bonus);
            if let Some(w) = r.p.notices.bonus_warning.as_ref().filter(|_| total.0 > 0) {
                let mut n = r.notice(now, &w.kind, Audience::Partner);
                n.amount = Some(total);
                n.cancel_at = Some(*cancel_at);
                o.notices.push(n);
            }
            o
        }
        StandingDue::BonusCancel { until, .. } if lapsed(until) => cancel_bonuses(r, s, bonus, now),
        StandingDue::ObligationReminder { .. } | StandingDue::ObligationOverdue { .. } => {
            obligations::fire(r, s, due, now)
        }
        StandingDue::SuspensionEnd { code, at } => {
            super::sanction::suspension_end(s, code, *at, now)
        }
        _ => Outcome::unchanged(s),
    })
}

fn total(r: Rules<'_>, bonus: &BTreeMap<String, Kopecks>) -> Kopecks {
    Kopecks(
        r.p.bonus_ledgers
            .iter()
            .filter_map(|b| bonus.get(&b.id))
            .map(|k| k.0.max(0))
            .sum(),
    )
}

fn vendor_deadline(
    r: Rules<'_>,
    s: &Standing,
    review: &str,
    due: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Outcome {
    let waiting = s
        .decision
        .as_ref()
        .is_some_and(|p| p.due == Some(due) && review_name(r, p.kind) == review);
    if !waiting {
        return Outcome::unchanged(s);
    }
    let mut o = Outcome::unchanged(s);
    let mut n = r.notice(
        now,
        NotificationKind::ReviewDue.as_str(),
        Audience::Coordinator,
    );
    n.review = Some(review.to_string());
    n.due = Some(due);
    o.notices.push(n);
    o
}

/// The term ends: a decided renewal takes effect; an on-time request still undecided keeps
/// the competence in force (`renewal_pending`); otherwise it expires (S§2.5).
fn term_end(r: Rules<'_>, s: &Standing, until: DateTime<Utc>, now: DateTime<Utc>) -> Outcome {
    if let Some(t) = &s.scheduled {
        return take_effect(r, s, t, now);
    }
    if !matches!(s.state, StandingState::Active | StandingState::Suspended) {
        return Outcome::unchanged(s);
    }
    let keeps =
        r.p.renewal
            .as_ref()
            .is_some_and(|x| x.pending_keeps_in_force);
    let renewal = s
        .decision
        .as_ref()
        .filter(|p| p.kind == PendingKind::Renewal);
    let mut o = Outcome::of(s);
    if renewal.is_some_and(|p| !p.late) && keeps && s.state == StandingState::Active {
        o.standing.state = StandingState::RenewalPending;
        return o;
    }
    o.standing.state = StandingState::Expired;
    if renewal.is_none() {
        o.standing.decision = None;
    }
    o.changes
        .push(Change::new(now, ChangeKind::Expired).level(s.code.as_ref()));
    let mut n = r.notice(now, &r.kind_of(ChangeKind::Expired), Audience::Both);
    n.level = s.code.clone();
    o.notices.push(n);
    o.due.extend(plan_bonus(r, until, now));
    o
}

fn renewal_reminder(
    r: Rules<'_>,
    s: &Standing,
    due: chrono::NaiveDate,
    first: bool,
    now: DateTime<Utc>,
) -> Outcome {
    let mut o = Outcome::unchanged(s);
    let Some(rr) = &r.p.notices.renewal_reminder else {
        return o;
    };
    let mut n = r.notice(now, &rr.kind, Audience::Partner);
    n.due = Some(due);
    o.notices.push(n);
    if first {
        let until = s.until.unwrap_or(now);
        for days in &rr.before_request_deadline_working_days {
            let Some(day) = r.working_days_before(due, *days) else {
                continue;
            };
            let at = r.at(day, rr.at);
            if at > now {
                o.due.push(Planned {
                    at,
                    due: StandingDue::RenewalReminder {
                        until,
                        due,
                        first: false,
                    },
                });
            }
        }
    }
    o
}

/// Two months after the term: the bonuses are cancelled, and an expired competence with them
/// (`cancel_with_bonuses`).
pub(super) fn cancel_bonuses(
    r: Rules<'_>,
    s: &Standing,
    bonus: &BTreeMap<String, Kopecks>,
    now: DateTime<Utc>,
) -> Outcome {
    let mut o = Outcome::of(s);
    for b in &r.p.bonus_ledgers {
        let amount = bonus.get(&b.id).copied().unwrap_or_default();
        if amount.0 > 0 {
            o.ledger.push(LedgerEffect::Cancel {
                ledger: b.id.clone(),
                amount,
            });
        }
    }
    let amount = total(r, bonus);
    if amount.0 > 0 {
        let mut entry = Change::new(now, ChangeKind::BonusesCancelled);
        entry.amount = Some(amount);
        o.changes.push(entry);
        let kind = r.kind_of(ChangeKind::BonusesCancelled);
        let mut n = r.notice(now, &kind, Audience::Partner);
        n.amount = Some(amount);
        o.notices.push(n);
    }
    let with = r.p.expiry.as_ref().is_some_and(|e| e.cancel_with_bonuses);
    if s.state == StandingState::Expired && with {
        o.standing.state = StandingState::Cancelled;
        o.changes.push(Change::new(now, ChangeKind::Cancelled));
        let kind = r.kind_of(ChangeKind::Cancelled);
        o.notices.push(r.notice(now, &kind, Audience::Both));
    }
    o
}
