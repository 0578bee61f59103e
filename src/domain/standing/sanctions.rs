//! Disconnection (S§3.5) and the role check of an acting user (S§1.1) as pure functions of the
//! review-date ladder's ops. Violations, sanctions, lifting and termination have one
//! implementation, the generic ops of `ops::partner` (they return `actions::Effects`).
//!
//! Ops, as `ops::reviewed` calls them:
//! - op `disconnect` → [`disconnect`] (action params `requires_warning`, `refuse`);
//! - before any op naming an acting user `by`: [`refuse_forbidden_role`].

use super::ladder::ChangeKind;
use super::metrics::Facts;
use super::review_outcome::{
    change_at, codes, flag_at, flags, gate, param, param_list, FlagChange, Outcome,
};
use super::{Standing, StandingState};
use crate::domain::kinds::StandingNotice;
use crate::domain::program::{refuse_by_rule, DomainError};
use crate::domain::workflow::{Action, StandingProgram};
use chrono::{DateTime, Utc};

/// The right that allows every step (`roles[].rights`).
const ALL_RIGHTS: &str = "all";

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

#[cfg(test)]
mod tests;
