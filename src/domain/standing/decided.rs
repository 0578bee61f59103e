//! The decided ladder (design C3; rule book S§2.2–2.5, KKV): the vendor decides applications
//! and renewals, the engine checks the hard requirements and runs the term, the renewal window,
//! expiry, bonus cancellation and cancellation. Pure: every function takes the program
//! ([`Rules`]), the standing, the facts, the op's parameters and `now`, and returns an
//! [`Outcome`] or a refusal with the rule book's code. The clock's side (what a due item does
//! when it fires) is [`clock`]; periodic duties are `super::obligations`.
//!
//! Ops (the `op` of the file's `actions`) and their functions:
//!
//! | op | function | parameters |
//! |---|---|---|
//! | `standing_apply` | [`standing_apply`] | `level` (default the lowest), `complete` (default true) |
//! | `standing_documents` | [`standing_documents`] | — |
//! | `standing_request_documents` | [`standing_request_documents`] | `note` |
//! | `standing_decide` | [`standing_decide`] | `level` (a level or [`NONE_LEVEL`]), `override`, `note` |
//! | `standing_renewal_request` | [`standing_renewal_request`] | `complete` (default true), the action's `flags` given true |
//!
//! Readings (decisions.md): the term runs through the local date of the grant plus
//! `term.months` (C22); a renewal adds `renewal_extends_months` to the old `until`; a renewal
//! decided before `until` takes effect at `until` (C26) with history and notice at the decision;
//! a downgrade starts a new term at the lower level from the old `until`; the vendor reviews are
//! named `<code>_application` and `<code>_renewal`.

use super::ladder::ChangeKind;
use super::metrics::Facts;
use super::obligations;
use super::outcome::{Audience, Change, LedgerEffect, Outcome, Planned, Rules, StandingDue};
use super::{Standing, StandingState};
use crate::domain::deadline::{end_of, local_date, start_of};
use crate::domain::program::{refuse, refuse_by_rule, DomainError, RefusalCode};
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

mod bonus;
mod clock;
mod requirements;
pub mod sanction;
pub use bonus::{bonus_on_purchase, bonus_spend};
pub use clock::{fire, plan_term};
pub use requirements::unmet_requirements;

/// The `level` of a decision that confirms no level (refusal, or renewal not confirmed).
pub const NONE_LEVEL: &str = "none";
/// The generic refusal of `bonus_spend` when the balance is short (design §3.4).
pub const INSUFFICIENT_BONUS: &str = "insufficient_bonus";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingKind {
    /// A first application or an upgrade.
    Application,
    Renewal,
}

/// An application or renewal request waiting for the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub kind: PendingKind,
    /// The level applied for (an application) or held (a renewal).
    pub level: Option<String>,
    pub requested_at: DateTime<Utc>,
    /// When the package became complete (`None`: incomplete, no decision clock).
    pub complete_at: Option<DateTime<Utc>>,
    /// The date the decision is due.
    pub due: Option<NaiveDate>,
    /// A renewal requested after the request deadline.
    pub late: bool,
    /// Request flags given (`biennial_docs`), read by the requirements as flags.
    pub flags: Vec<String>,
    /// The state before a first application (restored when it is refused).
    pub prior: StandingState,
}

/// A renewal decided before `until`: what the standing becomes at `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    pub decided_at: DateTime<Utc>,
    /// The level confirmed; `None`: the competence is cancelled at `until`.
    pub level: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The competence is in force (rights, KKV points, bonus use).
pub fn in_force(s: &Standing) -> bool {
    matches!(
        s.state,
        StandingState::Active | StandingState::RenewalPending
    )
}

fn level_index(r: Rules<'_>, level: &str) -> Result<usize, DomainError> {
    let levels = &r.p.standing.levels;
    levels.iter().position(|l| l == level).map_or_else(
        || {
            refuse(
                RefusalCode::InvalidInput,
                format!(
                    "неизвестный уровень «{level}»: допустимы {}",
                    levels.join(", ")
                ),
            )
        },
        Ok,
    )
}

fn held_index(r: Rules<'_>, s: &Standing) -> Option<usize> {
    let code = s.code.as_ref()?;
    r.p.standing.levels.iter().position(|l| l == code)
}

/// The end of a term granted at `from`: 00:00 after the local date of `from` plus `months`.
pub fn term_end(r: Rules<'_>, from: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    let d = local_date(r.tz, from);
    end_of(r.tz, d.checked_add_months(Months::new(months)).unwrap_or(d))
}

/// `until` moved on by `months` (00:00 of the same local date `months` later).
pub fn extend(r: Rules<'_>, until: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    let d = local_date(r.tz, until);
    start_of(r.tz, d.checked_add_months(Months::new(months)).unwrap_or(d))
}

fn term_months(r: Rules<'_>) -> u32 {
    r.p.term.as_ref().map_or(12, |t| t.months)
}

fn renewal_months(r: Rules<'_>) -> u32 {
    let t = r.p.term.as_ref();
    t.and_then(|t| t.renewal_extends_months)
        .unwrap_or_else(|| term_months(r))
}

/// The last day in force of a term ending at `until`.
pub fn last_day(r: Rules<'_>, until: DateTime<Utc>) -> NaiveDate {
    let d = local_date(r.tz, until);
    d.pred_opt().unwrap_or(d)
}

/// The renewal request is due by the end of this date (S§2.3: last day − N calendar days).
pub fn request_deadline(r: Rules<'_>, until: DateTime<Utc>) -> NaiveDate {
    let days = r.p.renewal.as_ref().map_or(0, |x| x.request_days_before);
    let last = last_day(r, until);
    last.checked_sub_days(Days::new(days.into()))
        .unwrap_or(last)
}

/// 00:00 of the date `bonus_cancel_months_after` months after the date of `until` (C27).
pub fn bonus_cancel_at(r: Rules<'_>, until: DateTime<Utc>) -> DateTime<Utc> {
    let months =
        r.p.expiry
            .as_ref()
            .map_or(0, |e| e.bonus_cancel_months_after);
    extend(r, until, months)
}

/// The vendor review a pending request stands for.
pub fn review_name(r: Rules<'_>, kind: PendingKind) -> String {
    let what = match kind {
        PendingKind::Application => "application",
        PendingKind::Renewal => "renewal",
    };
    format!("{}_{what}", r.code())
}

/// The decision due for a package complete at `at`: the N-th working day after its date.
fn decision_due(r: Rules<'_>, at: DateTime<Utc>) -> Result<NaiveDate, DomainError> {
    let n = r.p.decision.as_ref().map_or(0, |d| d.working_days);
    Ok(r.cal.add_working_days(local_date(r.tz, at), n as i32)?)
}

fn vendor_deadline(r: Rules<'_>, kind: PendingKind, due: NaiveDate) -> Planned {
    Planned {
        at: end_of(r.tz, due),
        due: StandingDue::VendorDeadline {
            review: review_name(r, kind),
            due,
        },
    }
}

/// Marks the pending package complete at `now`: the decision clock starts.
fn complete(r: Rules<'_>, o: &mut Outcome, now: DateTime<Utc>) -> Result<NaiveDate, DomainError> {
    let due = decision_due(r, now)?;
    if let Some(p) = o.standing.decision.as_mut() {
        p.complete_at = Some(now);
        p.due = Some(due);
        o.due.push(vendor_deadline(r, p.kind, due));
    }
    Ok(due)
}

/// `standing_apply`: a first application, or an upgrade while the competence is in force.
/// Refused `invalid_state` while a request is pending, while the competence is held at that
/// level or above, or while it is expired (a renewal is due) or suspended; refused with the
/// revoking sanction's `refuse_apply` code after a revocation.
pub fn standing_apply(
    r: Rules<'_>,
    s: &Standing,
    level: Option<&str>,
    complete_now: bool,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let first = r.p.standing.levels.first().cloned().unwrap_or_default();
    let level = level.unwrap_or(first.as_str()).to_string();
    let want = level_index(r, &level)?;
    if s.state == StandingState::Revoked {
        let code = r.p.sanctions.iter().find_map(|x| x.refuse_apply.clone());
        let msg = "компетенция отозвана: новая заявка не принимается";
        return match code {
            Some(c) => refuse_by_rule(&c, msg),
            None => refuse(RefusalCode::InvalidState, msg),
        };
    }
    if s.decision.is_some() {
        return refuse(RefusalCode::InvalidState, "заявка уже на рассмотрении");
    }
    let upgrade = in_force(s);
    if upgrade && held_index(r, s).is_some_and(|held| want <= held) {
        return refuse(
            RefusalCode::InvalidState,
            format!(
                "компетенция уже присвоена на уровне «{}»",
                s.code.clone().unwrap_or_default()
            ),
        );
    }
    let allowed = [
        StandingState::NotAdmitted,
        StandingState::Admitted,
        StandingState::Cancelled,
    ];
    if !upgrade && !allowed.contains(&s.state) {
        return refuse(
            RefusalCode::InvalidState,
            "заявка невозможна в текущем состоянии компетенции (истёкшую — продлевают)",
        );
    }
    let mut o = Outcome::of(s);
    o.standing.decision = Some(Pending {
        kind: PendingKind::Application,
        level: Some(level.clone()),
        requested_at: now,
        complete_at: None,
        due: None,
        late: false,
        flags: vec![],
        prior: s.state,
    });
    if !upgrade {
        o.standing.state = StandingState::Applied;
    }
    let mut entry = Change::new(now, ChangeKind::Applied).level(Some(&level));
    if complete_now {
        entry.due = Some(complete(r, &mut o, now)?);
    }
    o.changes.push(entry);
    Ok(o)
}

/// `standing_documents`: the pending package is complete; the decision is due on the N-th
/// working day after today. Refused `invalid_state` with no incomplete package.
pub fn standing_documents(
    r: Rules<'_>,
    s: &Standing,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    if s.decision.as_ref().is_none_or(|p| p.complete_at.is_some()) {
        return refuse(
            RefusalCode::InvalidState,
            "нет заявки, ожидающей документов",
        );
    }
    let mut o = Outcome::of(s);
    let due = complete(r, &mut o, now)?;
    let mut entry = Change::new(now, ChangeKind::PackageComplete);
    entry.due = Some(due);
    o.changes.push(entry);
    Ok(o)
}

/// `standing_request_documents`: the vendor asks for more; with `restart_on_documents` the
/// package is incomplete again and the clock restarts when the documents arrive. The partner
/// is told (`<code>_documents_requested`). Refused `invalid_state` with nothing pending.
pub fn standing_request_documents(
    r: Rules<'_>,
    s: &Standing,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    if s.decision.is_none() {
        return refuse(RefusalCode::InvalidState, "нет заявки на рассмотрении");
    }
    let mut o = Outcome::of(s);
    let restart =
        r.p.decision
            .as_ref()
            .is_some_and(|d| d.restart_on_documents);
    if let Some(p) = o.standing.decision.as_mut().filter(|_| restart) {
        p.complete_at = None;
        p.due = None;
    }
    let mut entry = Change::new(now, ChangeKind::DocumentsRequested);
    entry.note = note.map(String::from);
    o.changes.push(entry);
    let kind = r.kind_of(ChangeKind::DocumentsRequested);
    o.notices.push(r.notice(now, &kind, Audience::Partner));
    Ok(o)
}

/// `standing_renewal_request`: the renewal request of a competence in force, or a late one
/// after expiry (until it is cancelled). `flags`: the request flags given true (the action's
/// `flags`, e.g. `biennial_docs`). Refused `invalid_state` otherwise or while a request or a
/// decided renewal is pending.
pub fn standing_renewal_request(
    r: Rules<'_>,
    s: &Standing,
    complete_now: bool,
    flags: &[String],
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let open = matches!(s.state, StandingState::Active | StandingState::Expired);
    let Some(until) = s.until.filter(|_| open) else {
        return refuse(
            RefusalCode::InvalidState,
            "продлевать нечего: компетенция не действует",
        );
    };
    if s.decision.is_some() || s.scheduled.is_some() {
        return refuse(RefusalCode::InvalidState, "запрос на продление уже получен");
    }
    let mut o = Outcome::of(s);
    o.standing.decision = Some(Pending {
        kind: PendingKind::Renewal,
        level: s.code.clone(),
        requested_at: now,
        complete_at: None,
        due: None,
        late: now >= end_of(r.tz, request_deadline(r, until)),
        flags: flags.to_vec(),
        prior: s.state,
    });
    let mut entry = Change::new(now, ChangeKind::RenewalRequested);
    if complete_now {
        entry.due = Some(complete(r, &mut o, now)?);
    }
    o.changes.push(entry);
    Ok(o)
}

/// `standing_decide`: the vendor's decision on the pending application or renewal. `level` is
/// a level of the ladder or [`NONE_LEVEL`]. A positive decision breaking a hard requirement is
/// refused with `[requirements] refuse_code` listing the codes, unless `override_`; the
/// override is kept in the history entry (`unmet`, `overridden`). Refused `invalid_state`
/// with nothing pending.
pub fn standing_decide(
    r: Rules<'_>,
    s: &Standing,
    facts: &Facts,
    level: &str,
    override_: bool,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let Some(p) = s.decision.clone() else {
        return refuse(RefusalCode::InvalidState, "нет заявки на рассмотрении");
    };
    let level = if level == NONE_LEVEL {
        None
    } else {
        level_index(r, level)?;
        Some(level.to_string())
    };
    let renewal = p.kind == PendingKind::Renewal;
    let mut unmet = vec![];
    if let Some(l) = &level {
        unmet = unmet_requirements(r, s, facts, l, renewal, now);
        if !unmet.is_empty() && !override_ {
            let code = r.p.requirements.as_ref().map(|q| q.refuse_code.clone());
            let msg = format!("не выполнены требования: {}", unmet.join(", "));
            return match code {
                Some(c) => refuse_by_rule(&c, msg),
                None => refuse(RefusalCode::InvalidState, msg),
            };
        }
    }
    let mut o = if renewal {
        decided_renewal(r, s, level.as_deref(), now)?
    } else {
        decided_application(r, s, &p, level.as_deref(), now)
    };
    if let Some(entry) = o.changes.first_mut() {
        entry.overridden = !unmet.is_empty();
        entry.unmet = unmet;
        entry.note = note.map(String::from);
    }
    o.standing.decision = None;
    Ok(o)
}

/// A first application or an upgrade decided.
fn decided_application(
    r: Rules<'_>,
    s: &Standing,
    p: &Pending,
    level: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome {
    let mut o = Outcome::of(s);
    let upgrade = in_force(s);
    let held = held_index(r, s);
    let higher = level.and_then(|l| r.p.standing.levels.iter().position(|x| x == l));
    let grant = match (upgrade, higher) {
        (false, Some(_)) => true,
        (true, Some(i)) => held.is_none_or(|h| i > h),
        _ => false,
    };
    if !grant {
        o.changes.push(Change::new(now, ChangeKind::Refused));
        let kind = r.kind_of(ChangeKind::Refused);
        o.notices.push(r.notice(now, &kind, Audience::Partner));
        if !upgrade {
            o.standing.state = p.prior;
            for b in r.p.bonus_ledgers.iter().filter(|b| b.lost_on_refusal) {
                o.ledger.push(LedgerEffect::DropHeld {
                    ledger: b.id.clone(),
                });
            }
        }
        return o;
    }
    let level = level.map(String::from);
    let keeps = r.p.term.as_ref().is_some_and(|t| t.upgrade_keeps_until);
    let change = if upgrade {
        ChangeKind::Upgraded
    } else {
        ChangeKind::Granted
    };
    let st = &mut o.standing;
    st.code = level.clone();
    if !(upgrade && keeps) {
        st.state = StandingState::Active;
        st.since = Some(now);
        st.until = Some(term_end(r, now, term_months(r)));
        st.renewals = 0;
        st.scheduled = None;
        if let Some(u) = st.until {
            o.due.extend(plan_term(r, u));
        }
    }
    if !upgrade {
        for b in
            r.p.bonus_ledgers
                .iter()
                .filter(|b| b.hold_while_first_application)
        {
            o.ledger.push(LedgerEffect::ReleaseHeld {
                ledger: b.id.clone(),
            });
        }
        let opened = obligations::open_per_standing(r, &o.standing, now);
        o = o.then(opened);
    }
    o.changes
        .push(Change::new(now, change).level(level.as_ref()));
    let mut n = r.notice(now, &r.kind_of(change), Audience::Partner);
    n.level = level;
    n.until = o.standing.until;
    o.notices.push(n);
    o
}

/// A renewal decided: confirmed at the held level (renewed), at a lower one (downgraded), or
/// none (cancelled). Before `until` it takes effect at `until` (C26), after it at once.
fn decided_renewal(
    r: Rules<'_>,
    s: &Standing,
    level: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let Some(until) = s.until else {
        return refuse(RefusalCode::InvalidState, "у компетенции нет срока");
    };
    let held = held_index(r, s).unwrap_or(0);
    let to = level.map(|l| level_index(r, l)).transpose()?;
    if to.is_some_and(|i| i > held) {
        return refuse(
            RefusalCode::InvalidInput,
            "продление не повышает уровень: для повышения подайте заявку",
        );
    }
    let change = match to {
        None => ChangeKind::Cancelled,
        Some(i) if i == held => ChangeKind::Renewed,
        Some(_) => ChangeKind::Downgraded,
    };
    let new_until = extend(r, until, renewal_months(r));
    let target = Scheduled {
        decided_at: now,
        level: level.map(String::from),
        since: if change == ChangeKind::Downgraded {
            Some(until)
        } else {
            s.since
        },
        until: Some(if to.is_some() { new_until } else { until }),
    };
    let mut o = Outcome::of(s);
    let early = now < until
        && r.p
            .renewal
            .as_ref()
            .and_then(|x| x.decided_early_takes_effect.as_deref())
            .is_some();
    let loss = if change == ChangeKind::Renewed {
        Audience::Partner
    } else {
        Audience::Both
    };
    let mut entry = Change::new(now, change);
    let mut n = r.notice(now, &r.kind_of(change), loss);
    if to.is_some() {
        entry.level = target.level.clone();
        n.level = target.level.clone();
        n.until = target.until;
    }
    o.changes.push(entry);
    o.notices.push(n);
    if early {
        o.standing.scheduled = Some(target);
        return Ok(o);
    }
    let was_expired = s.state == StandingState::Expired;
    let effect = clock::take_effect(r, &o.standing, &target, now);
    o = o.then(effect);
    if was_expired && to.is_some() {
        let opened = obligations::open_per_standing(r, &o.standing, now);
        o = o.then(opened);
    }
    Ok(o)
}

/// A competence held before the simulated clock starts (`[partners.opening] kkv_level`,
/// `kkv_since`): active at `level` since `since`, its term items planned (reminders only
/// after `now`), per-standing obligations due from `now`.
pub fn standing_opening(
    r: Rules<'_>,
    partner: &str,
    program: &str,
    level: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    level_index(r, level)?;
    let mut s = Standing::new(partner, program);
    s.state = StandingState::Active;
    s.code = Some(level.to_string());
    s.since = Some(since);
    let until = term_end(r, since, term_months(r));
    s.until = Some(until);
    let mut o = Outcome::of(&s);
    o.changes
        .push(Change::new(since, ChangeKind::Granted).level(s.code.as_ref()));
    o.due = plan_term(r, until)
        .into_iter()
        .filter(|d| matches!(d.due, StandingDue::TermEnd { .. }) || d.at > now)
        .collect();
    Ok(o.then(obligations::open_per_standing(r, &s, now)))
}

#[cfg(test)]
mod tests;
