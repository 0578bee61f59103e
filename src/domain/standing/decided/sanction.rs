//! Sanctions on a decided ladder (S§2.8): `suspend` freezes the competence until the sanction's
//! end (its term keeps running; at the end it is reinstated, or expired if the term ended
//! meanwhile); `revoke` takes it for good and cancels the bonuses at once. Other sanctions are
//! kept on the standing only (`ops::partner::sanction`).

use super::super::ladder::ChangeKind;
use super::super::outcome::{Change, Outcome, Planned, Rules, StandingDue};
use super::super::{Standing, StandingState};
use super::clock::cancel_bonuses;
use crate::domain::money::Kopecks;
use crate::domain::program::{refuse, DomainError, RefusalCode};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The file's `effect` of a sanction that suspends the competence.
pub const SUSPEND: &str = "suspend";
/// The file's `effect` of a sanction that revokes it.
pub const REVOKE: &str = "revoke";

/// Suspends (`effect = "suspend"`, until `end`) or revokes the competence.
///
/// # Errors
/// `invalid_state` when the competence is not in force (a revocation also takes a suspended
/// one); `invalid_input` for a suspension without an end.
pub fn freeze(
    r: Rules<'_>,
    s: &Standing,
    code: &str,
    effect: &str,
    end: Option<DateTime<Utc>>,
    bonus: &BTreeMap<String, Kopecks>,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let suspend = effect == SUSPEND;
    let in_force = matches!(
        s.state,
        StandingState::Active | StandingState::RenewalPending
    ) || (!suspend && s.state == StandingState::Suspended);
    if !in_force {
        return refuse(
            RefusalCode::InvalidState,
            format!("санкция «{code}»: компетенция сейчас не действует"),
        );
    }
    let mut o = if suspend {
        Outcome::of(s)
    } else {
        cancel_bonuses(r, s, bonus, now)
    };
    if suspend {
        let Some(at) = end else {
            return refuse(
                RefusalCode::InvalidInput,
                format!("until: санкции «{code}» нужна дата окончания"),
            );
        };
        o.due.push(Planned {
            at,
            due: StandingDue::SuspensionEnd {
                code: code.to_string(),
                at,
            },
        });
    }
    let (state, kind) = if suspend {
        (StandingState::Suspended, ChangeKind::Suspended)
    } else {
        (StandingState::Revoked, ChangeKind::Revoked)
    };
    o.standing.state = state;
    o.standing.sanctions.insert(code.to_string(), end);
    // The suspension or revocation first, then what it cancels.
    o.changes.insert(0, Change::new(now, kind));
    Ok(o)
}

/// The suspension `code` ending at `at` (due item): reinstated unless lifted or revoked first.
pub fn suspension_end(s: &Standing, code: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Outcome {
    if s.state != StandingState::Suspended || s.sanctions.get(code) != Some(&Some(at)) {
        return Outcome::unchanged(s);
    }
    reinstate(s, code, now)
}

/// Ends suspension `code`: the competence is in force again, or expired if its term ended.
pub fn reinstate(s: &Standing, code: &str, now: DateTime<Utc>) -> Outcome {
    let mut o = Outcome::of(s);
    o.standing.sanctions.remove(code);
    let (state, kind) = if s.until.is_some_and(|u| now >= u) {
        (StandingState::Expired, ChangeKind::Expired)
    } else {
        (StandingState::Active, ChangeKind::Reinstated)
    };
    o.standing.state = state;
    o.changes.push(Change::new(now, kind));
    o
}
