//! Partner-level breaches and what follows them, shared by every program of a vendor (S§1.8,
//! S§2.8, S§3.5): violations on record, the sanction catalogue of the file (`sanctions`), lifting
//! and the end of timed sanctions, disconnection after a warning, termination, and the role
//! check of an acting user (S§1.1).
//!
//! Ops and due items, as the dispatcher calls them:
//! - op `partner_violation` → [`partner_violation`] (action param `codes`, else `violations`);
//! - op `sanction` → [`sanction`]; op `lift_sanction` → [`lift_sanction`];
//! - op `disconnect` → [`disconnect`] (action params `requires_warning`, `refuse`);
//! - op `terminate` → [`terminate`] (action param `notice_months`);
//! - due `SanctionEnd { code }` → [`sanction_end`]; due `TerminationEffective` →
//!   [`termination_effective`];
//! - before any op naming an acting user `by`: [`refuse_forbidden_role`]; before a credit or a
//!   spending: [`refuse_positive_credit`], [`refuse_while`].

use super::ladder::{midnight_after, ChangeKind};
use super::metrics::{Facts, Record};
use super::review_outcome::{
    change_at, codes, flag_at, flags, gate, local_date, param, param_list, FlagChange, Outcome,
    Planned, StandingDue, FLAG_RANK,
};
use super::{Standing, StandingState};
use crate::domain::kinds::StandingNotice;
use crate::domain::program::{refuse, refuse_by_rule, DomainError, RefusalCode};
use crate::domain::workflow::{Action, Sanction, StandingProgram};
use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// The record kind a partner violation is kept as (the op's name); its code is its mark.
pub const VIOLATION_RECORD: &str = "partner_violation";
/// The right that allows every step (`roles[].rights`).
const ALL_RIGHTS: &str = "all";

/// Sanction effects (the engine's vocabulary, checked by `workflow check`).
mod effect {
    pub const FLAG: &str = "flag";
    pub const NO_POSITIVE_CREDITS: &str = "no_positive_credits";
    pub const TERMINATE: &str = "terminate";
    pub const SUSPEND: &str = "suspend";
    pub const REVOKE: &str = "revoke";
}

/// The command fields of `partner_violation`.
#[derive(Debug, Clone, Default)]
pub struct ViolationArgs {
    pub code: String,
    pub note: Option<String>,
}

/// `partner_violation`: a breach on record (`code` from the action's `codes`, else the file's
/// `violations`), told to the partner (`violation_recorded`). No sanction follows by itself
/// (S§1.8); the record is the warning `disconnect` needs (S§3.5).
pub fn partner_violation(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    s: &Standing,
    args: &ViolationArgs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let (code, note) = (args.code.as_str(), args.note.as_deref());
    let listed = param_list(action, "codes");
    let known = if listed.is_empty() {
        &p.violations
    } else {
        &listed
    };
    if !known.iter().any(|c| c == code) {
        return refuse(
            RefusalCode::InvalidInput,
            format!(
                "неизвестное нарушение «{code}»; допустимо: {}",
                known.join(", ")
            ),
        );
    }
    let mut out = Outcome::default();
    out.records.push(Record {
        record: VIOLATION_RECORD.into(),
        date: local_date(now, tz),
        at: now,
        amount: 0,
        reference: None,
        marks: BTreeMap::from([(code.to_string(), true)]),
    });
    out.notify(
        p,
        StandingNotice::ViolationRecorded,
        None,
        &s.partner,
        |n| {
            n.code = Some(code.into());
            n.note = note.map(String::from);
        },
    );
    Ok(out)
}

/// The command fields of `sanction`.
#[derive(Debug, Clone, Default)]
pub struct SanctionArgs {
    pub code: String,
    /// The last day in force, for a sanction with the `until` parameter (absent: permanent).
    pub until: Option<NaiveDate>,
    /// The length, for a sanction with the `months` parameter (required, 1…`max_months`).
    pub months: Option<u32>,
    pub note: Option<String>,
}

/// `sanction`: applies a sanction of the file's catalogue from `now`, as its flag (named by its
/// code) until the end of its last day (`until`, or the date `months` on), and by its effect:
/// `flag`/`no_positive_credits` only the flag; `terminate` ends the partnership at once;
/// `suspend` (needs an end) freezes an active standing until then; `revoke` takes it for good.
/// Refusals: unknown code or missing/unexpected parameter `invalid_input`; `months` over
/// `max_months` the file's `refuse_over` (`sanction_too_long`); a sanction already in force, or
/// a standing it cannot act on, `invalid_state`. Told to the partner (`sanction_applied`).
pub fn sanction(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    args: &SanctionArgs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let def = catalogue_entry(p, &args.code)?;
    let end = sanction_end_at(def, args, now, tz)?;
    if flag_at(facts, &def.code, now) {
        return refuse_by_rule(
            codes::INVALID_STATE,
            format!("санкция «{}» уже действует", def.code),
        );
    }
    let mut out = Outcome::default();
    out.flags.push(FlagChange::Set {
        flag: def.code.clone(),
        since: now,
        until: end,
    });
    match def.effect.as_str() {
        effect::TERMINATE => {
            let t = termination(p, s, now);
            out.changes = t.changes;
            out.state = t.state;
            out.flags.extend(t.flags);
            out.notices = t.notices;
        }
        effect::SUSPEND | effect::REVOKE => freeze(def, s, end, now, &mut out)?,
        _ => {}
    }
    out.notify(p, StandingNotice::SanctionApplied, None, &s.partner, |n| {
        n.code = Some(def.code.clone());
        n.until = end;
        n.note = args.note.clone();
    });
    Ok(out)
}

fn catalogue_entry<'a>(p: &'a StandingProgram, code: &str) -> Result<&'a Sanction, DomainError> {
    p.sanctions.iter().find(|x| x.code == code).map_or_else(
        || {
            let known: Vec<&str> = p.sanctions.iter().map(|x| x.code.as_str()).collect();
            refuse(
                RefusalCode::InvalidInput,
                format!(
                    "неизвестная санкция «{code}»; допустимо: {}",
                    if known.is_empty() {
                        "нет санкций".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        },
        Ok,
    )
}

/// The instant a sanction stops (`None`: permanent), from its parameters.
fn sanction_end_at(
    def: &Sanction,
    args: &SanctionArgs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let takes = |x: &str| def.params.iter().any(|p| p == x);
    let bad = |why: String| {
        refuse(
            RefusalCode::InvalidInput,
            format!("санкция «{}»: {why}", def.code),
        )
    };
    let today = local_date(now, tz);
    match (args.months, args.until) {
        (Some(_), _) if !takes("months") => bad("срок в месяцах не предусмотрен".into()),
        (_, Some(_)) if !takes("until") => bad("дата окончания не предусмотрена".into()),
        (None, _) if takes("months") => bad("нужен срок в месяцах (months)".into()),
        (Some(0), _) => bad("срок должен быть не меньше 1 месяца".into()),
        (Some(m), _) if def.max_months.is_some_and(|max| m > max) => {
            let max = def.max_months.unwrap_or_default();
            let msg = format!(
                "санкция «{}»: не дольше {max} месяцев, указано {m}",
                def.code
            );
            match &def.refuse_over {
                Some(code) => refuse_by_rule(code, msg),
                None => refuse(RefusalCode::InvalidInput, msg),
            }
        }
        (Some(m), _) => Ok(today
            .checked_add_months(Months::new(m))
            .map(|d| midnight_after(d, tz))),
        (None, Some(d)) if d < today => bad(format!("дата окончания {d} уже прошла")),
        (None, Some(d)) => Ok(Some(midnight_after(d, tz))),
        (None, None) => Ok(None),
    }
}

/// Suspends or revokes the standing (S§2.8 `kkv_suspended`, `kkv_revoked`).
fn freeze(
    def: &Sanction,
    s: &Standing,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let suspend = def.effect == effect::SUSPEND;
    let in_force = matches!(
        s.state,
        StandingState::Active | StandingState::RenewalPending
    ) || (!suspend && s.state == StandingState::Suspended);
    if !in_force {
        return refuse_by_rule(
            codes::INVALID_STATE,
            format!(
                "санкция «{}»: статус или компетенция не действует",
                def.code
            ),
        );
    }
    if suspend {
        let Some(at) = end else {
            return refuse(
                RefusalCode::InvalidInput,
                format!("санкция «{}»: нужна дата окончания (until)", def.code),
            );
        };
        out.due.push(Planned {
            at,
            rank: FLAG_RANK,
            due: StandingDue::SanctionEnd {
                code: def.code.clone(),
            },
        });
    }
    let (state, kind) = if suspend {
        (StandingState::Suspended, ChangeKind::Suspended)
    } else {
        (StandingState::Revoked, ChangeKind::Revoked)
    };
    out.state = Some(state);
    out.changes.push(change_at(s, kind, now));
    Ok(())
}

/// `lift_sanction`: ends a sanction in force at `now` (`invalid_state` when none is, or for a
/// termination or a revocation, which are final). A lifted suspension reinstates the standing
/// if its term still runs, else it has expired.
pub fn lift_sanction(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let def = catalogue_entry(p, code)?;
    if !flag_at(facts, code, now) {
        return refuse_by_rule(
            codes::INVALID_STATE,
            format!("санкция «{code}» сейчас не действует"),
        );
    }
    if matches!(def.effect.as_str(), effect::TERMINATE | effect::REVOKE) {
        return refuse_by_rule(
            codes::INVALID_STATE,
            format!("санкция «{code}» окончательна и не снимается"),
        );
    }
    let mut out = Outcome::default();
    out.flags.push(FlagChange::Clear {
        flag: code.into(),
        at: now,
    });
    if def.effect == effect::SUSPEND && s.state == StandingState::Suspended {
        reinstate(s, now, &mut out);
    }
    Ok(out)
}

/// A timed sanction's end (due `SanctionEnd { code }`): a suspension still in place and no
/// longer in force reinstates (or, past the term, expires) the standing. Otherwise empty (a
/// flag's span ends by itself).
pub fn sanction_end(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    code: &str,
    now: DateTime<Utc>,
) -> Outcome {
    let mut out = Outcome::default();
    let suspend = p
        .sanctions
        .iter()
        .any(|x| x.code == code && x.effect == effect::SUSPEND);
    if suspend && s.state == StandingState::Suspended && !flag_at(facts, code, now) {
        reinstate(s, now, &mut out);
    }
    out
}

fn reinstate(s: &Standing, now: DateTime<Utc>, out: &mut Outcome) {
    if s.until.is_some_and(|u| now >= u) {
        out.state = Some(StandingState::Expired);
    } else {
        out.state = Some(StandingState::Active);
        out.changes.push(change_at(s, ChangeKind::Reinstated, now));
    }
}

/// `disconnect` (S§3.5): needs a warning on record — a record of a kind in the action's
/// `requires_warning` booked by `now`, or a flag of that list holding at `now`; without one it
/// is refused with the action's `refuse` code (`no_prior_warning`). The partner is flagged
/// `disconnected`, its standing ends, and both sides are told (`disconnected`).
pub fn disconnect(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    s: &Standing,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let warnings = param_list(action, "requires_warning");
    let warned = warnings.is_empty()
        || warnings.iter().any(|w| {
            facts.records.iter().any(|r| &r.record == w && r.at <= now) || flag_at(facts, w, now)
        });
    if !warned {
        let code = param(action, "refuse").unwrap_or(codes::INVALID_STATE);
        return refuse_by_rule(
            code,
            format!(
                "отключение требует предупреждения: нет ни одного из ({})",
                warnings.join(", ")
            ),
        );
    }
    let mut out = end_standing(s, now);
    out.flags.push(FlagChange::Set {
        flag: flags::DISCONNECTED.into(),
        since: now,
        until: None,
    });
    out.notify(p, StandingNotice::Disconnected, None, &s.partner, |_| {});
    Ok(out)
}

/// Who ends the partnership (`terminate` field `by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Partner,
    Vendor,
}

/// The command fields of `terminate`.
#[derive(Debug, Clone)]
pub struct TerminateArgs {
    pub by: Party,
    /// The last day of the partnership the partner names (a later one than its notice allows).
    pub effective: Option<NaiveDate>,
}

/// `terminate`: the vendor ends the partnership at once; the partner's notice runs
/// `notice_months` (the action's parameter, 0: at once) from today, through the end of that
/// date or of a later `effective` date it names (an earlier one is moved, not refused, S§1.7):
/// a `TerminationEffective` due item then.
pub fn terminate(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    s: &Standing,
    args: &TerminateArgs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let (by, effective) = (args.by, args.effective);
    let months = action
        .params
        .get("notice_months")
        .and_then(|v| v.as_integer())
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(0);
    if by == Party::Vendor || (months == 0 && effective.is_none()) {
        return Ok(termination(p, s, now));
    }
    let earliest = local_date(now, tz)
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    let last_day = effective.map_or(earliest, |e| e.max(earliest));
    let mut out = Outcome::default();
    out.due.push(Planned {
        at: midnight_after(last_day, tz),
        rank: FLAG_RANK,
        due: StandingDue::TerminationEffective,
    });
    Ok(out)
}

/// The partner's notice has run out (due `TerminationEffective`); nothing if already ended.
pub fn termination_effective(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    now: DateTime<Utc>,
) -> Outcome {
    let ended = s.state == StandingState::Terminated
        || flag_at(facts, flags::TERMINATED, now)
        || flag_at(facts, flags::DISCONNECTED, now);
    if ended {
        return Outcome::default();
    }
    termination(p, s, now)
}

/// The partnership ends at `now`: flag `terminated`, the standing ended, both sides told
/// (`partnership_terminated`). The service ends the partner's other standings of the vendor
/// with [`end_standing`].
pub fn termination(p: &StandingProgram, s: &Standing, now: DateTime<Utc>) -> Outcome {
    let mut out = end_standing(s, now);
    out.flags.push(FlagChange::Set {
        flag: flags::TERMINATED.into(),
        since: now,
        until: None,
    });
    out.notify(
        p,
        StandingNotice::PartnershipTerminated,
        None,
        &s.partner,
        |_| {},
    );
    out
}

/// One standing ends at `now` (state `terminated`; a history entry `terminated` naming the
/// status it ended, when there was one).
pub fn end_standing(s: &Standing, now: DateTime<Utc>) -> Outcome {
    let mut out = Outcome {
        state: Some(StandingState::Terminated),
        ..Outcome::default()
    };
    if s.code.is_some() {
        let mut c = change_at(s, ChangeKind::Terminated, now);
        c.until = Some(now);
        out.changes.push(c);
    }
    out
}

/// `forbidden_role` (S§1.1) unless the acting user `by` (absent: the partner itself) is an
/// employee attached at `now` whose role has the `all` right, or every right the action
/// names (`right` or `rights`), or — when the action names none — any right at all.
pub fn refuse_forbidden_role(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let Some(by) = by else { return Ok(()) };
    let member = facts
        .staff
        .iter()
        .find(|m| m.id == by && m.attached <= now && m.detached.is_none_or(|d| now < d));
    let rights: Vec<String> = member
        .and_then(|m| p.roles.iter().find(|r| r.code == m.role))
        .map(|r| r.rights.clone())
        .unwrap_or_default();
    let mut needed = param_list(action, "rights");
    needed.extend(param(action, "right").map(String::from));
    let allowed = member.is_some()
        && (rights.iter().any(|r| r == ALL_RIGHTS)
            || (needed.is_empty() && !rights.is_empty())
            || (!needed.is_empty() && needed.iter().all(|n| rights.contains(n))));
    if allowed {
        return Ok(());
    }
    let who = member.map_or_else(
        || format!("«{by}» не сотрудник партнёра"),
        |m| format!("у роли «{}» сотрудника «{by}» нет прав", m.role),
    );
    refuse_by_rule(
        codes::FORBIDDEN_ROLE,
        format!("{who} на действие «{}»", action.name),
    )
}

/// A positive credit while a `no_positive_credits` sanction holds is refused with that
/// sanction's code (`points_denied`); penalties (negative) still book (S§2.8).
pub fn refuse_positive_credit(
    p: &StandingProgram,
    facts: &Facts,
    points: i64,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let denied = p
        .sanctions
        .iter()
        .find(|x| x.effect == effect::NO_POSITIVE_CREDITS && flag_at(facts, &x.code, now));
    match denied {
        Some(x) if points > 0 => {
            refuse_by_rule(&x.code, "начисление баллов приостановлено санкцией")
        }
        _ => Ok(()),
    }
}

/// Refused with the sanction's own code while it holds (`account_blocked` before a purchase at
/// the partner discount or a bonus spending, `leads_disconnected` before a lead).
pub fn refuse_while(facts: &Facts, code: &str, now: DateTime<Utc>) -> Result<(), DomainError> {
    if flag_at(facts, code, now) {
        return refuse_by_rule(code, format!("действует санкция «{code}»"));
    }
    Ok(())
}

/// Whether `flag` names a plain-flag sanction (for output lists of `partners[].flags`).
pub fn is_flag_sanction(p: &StandingProgram, flag: &str) -> bool {
    p.sanctions.iter().any(|x| {
        x.code == flag
            && matches!(
                x.effect.as_str(),
                effect::FLAG | effect::NO_POSITIVE_CREDITS
            )
    })
}

#[cfg(test)]
mod tests;
