//! What a partner-level op or due item of `review`, `sanctions` and `records` decides, as data
//! the service books in one commit: standing changes (the history), the lifecycle state, flags
//! set or cleared, records and ledger entries to store, due items to plan and notices to send.
//! Nothing here does IO; `now` is always an argument.

use super::ladder::{Change, ChangeKind};
use super::metrics::{Facts, FlagSpan, PointsEntry, Record};
use super::{Standing, StandingState};
use crate::domain::kinds::StandingNotice;
use crate::domain::program::{refuse_by_rule, DomainError};
use crate::domain::seminar::Recipient;
use crate::domain::workflow::{Action, Recipients, StandingProgram};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Engine codes every partner program shares (S§5.1 `refused[]`), not a program's own.
pub mod codes {
    pub const NOT_ADMITTED: &str = "not_admitted";
    pub const ALREADY_ADMITTED: &str = "already_admitted";
    pub const TERMINATED: &str = "terminated";
    pub const DISCONNECTED: &str = "disconnected";
    pub const FORBIDDEN_ROLE: &str = "forbidden_role";
    pub const DUPLICATE_PROJECT: &str = "duplicate_project";
    pub const UNKNOWN_PROJECT: &str = "unknown_project";
    pub const INVALID_STATE: &str = "invalid_state";
}

/// Partner flags the engine itself sets (output `partners[].flags`, S§5.1).
pub mod flags {
    pub const TERMINATED: &str = "terminated";
    pub const DISCONNECTED: &str = "disconnected";
}

/// A flag set from `since` (until `until`, `None`: until cleared) or cleared at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagChange {
    Set {
        flag: String,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    },
    Clear {
        flag: String,
        at: DateTime<Utc>,
    },
}

/// A due item of a standing subject the scheduler fires later (design §4.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "due", rename_all = "snake_case")]
pub enum StandingDue {
    /// A review-date evaluation (`review::review`).
    Review,
    /// `status_at_risk` before the review at `review_at` (`review::at_risk`).
    AtRisk { review_at: DateTime<Utc> },
    /// A `[watchers.<code>]` check (`records::watch`).
    Watcher { code: String },
}

/// One due item to plan: its instant and rank (design §4.3: 1 partner flags and sanctions,
/// 9 evaluations and warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub at: DateTime<Utc>,
    pub rank: u8,
    pub due: StandingDue,
}

/// The rank of partner flag and sanction items.
pub const FLAG_RANK: u8 = 1;
/// The rank of evaluations and the warnings before them.
pub const EVALUATION_RANK: u8 = 9;

/// One notice to one recipient (the coordinator's copy names the partner through the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: StandingNotice,
    pub to: Recipient,
    pub status: Option<String>,
    pub from: Option<String>,
    pub change: Option<ChangeKind>,
    pub until: Option<DateTime<Utc>>,
    pub review_at: Option<DateTime<Utc>>,
    pub unmet: Vec<String>,
    pub client: Option<String>,
    pub bonus_points: Option<i64>,
    /// A violation or sanction code.
    pub code: Option<String>,
    pub note: Option<String>,
}

impl Notice {
    /// A notice with no fields beyond its kind and recipient.
    pub fn blank(kind: StandingNotice, to: Recipient) -> Notice {
        Notice {
            kind,
            to,
            status: None,
            from: None,
            change: None,
            until: None,
            review_at: None,
            unmet: vec![],
            client: None,
            bonus_points: None,
            code: None,
            note: None,
        }
    }
}

/// Everything one op or due item decides. Empty: nothing to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// History entries of the standing, in order (apply each with `Standing::apply`).
    pub changes: Vec<Change>,
    /// The lifecycle state after the op, when it moves.
    pub state: Option<StandingState>,
    pub flags: Vec<FlagChange>,
    pub records: Vec<Record>,
    pub ledger: Vec<PointsEntry>,
    pub due: Vec<Planned>,
    pub notices: Vec<Notice>,
}

impl Outcome {
    pub fn is_empty(&self) -> bool {
        *self == Outcome::default()
    }

    /// Adds `kind` for each of its recipients (partner first, then the coordinator), each
    /// filled by `fill`.
    pub fn notify(
        &mut self,
        p: &StandingProgram,
        kind: StandingNotice,
        change: Option<ChangeKind>,
        partner: &str,
        fill: impl Fn(&mut Notice),
    ) {
        for to in recipients(p, kind, change, partner) {
            let mut n = Notice::blank(kind, to);
            n.change = change;
            fill(&mut n);
            self.notices.push(n);
        }
    }

    /// `facts` and `standing` after this outcome (what the service stores; tests replay it).
    pub fn apply(&self, facts: &mut Facts, s: &mut Standing, tz: Tz) {
        for c in &self.changes {
            s.apply(c);
            facts
                .reached
                .entry(c.code.clone())
                .or_insert(local_date(c.at, tz));
        }
        if let Some(st) = self.state {
            s.state = st;
        }
        for f in &self.flags {
            apply_flag(&mut facts.flags, f);
        }
        facts.records.extend(self.records.iter().cloned());
        facts.ledger.extend(self.ledger.iter().cloned());
    }
}

/// Who gets `kind`: the program's `[recipients]`, else S§0 «Who is told» — gains and
/// confirmations to the partner; losses, risks, warnings and endings to both.
pub fn recipients(
    p: &StandingProgram,
    kind: StandingNotice,
    change: Option<ChangeKind>,
    partner: &str,
) -> Vec<Recipient> {
    let named = p.recipients.get(kind.as_str()).and_then(|r| match r {
        Recipients::All(v) => Some(v.clone()),
        Recipients::ByChange(m) => change.and_then(|c| m.get(c.as_str()).cloned()),
    });
    let coordinator_too = named.map_or_else(
        || match kind {
            StandingNotice::StatusChanged => !matches!(
                change,
                Some(ChangeKind::Promoted | ChangeKind::Granted | ChangeKind::Reinstated)
            ),
            StandingNotice::StatusConfirmed
            | StandingNotice::ViolationRecorded
            | StandingNotice::SanctionApplied => false,
            _ => true,
        },
        |v| v.iter().any(|w| w == "coordinator"),
    );
    let mut out = vec![Recipient::Partner(partner.to_string())];
    if coordinator_too {
        out.push(Recipient::Coordinator);
    }
    out
}

pub use super::metrics::flag_at;

/// Applies a flag change to the spans of `flags`.
pub fn apply_flag(flags: &mut BTreeMap<String, Vec<FlagSpan>>, f: &FlagChange) {
    match f {
        FlagChange::Set { flag, since, until } => {
            flags.entry(flag.clone()).or_default().push(FlagSpan {
                since: *since,
                until: *until,
            })
        }
        FlagChange::Clear { flag, at } => {
            for s in flags.get_mut(flag).into_iter().flatten() {
                if s.since <= *at && s.until.is_none_or(|u| *at < u) {
                    s.until = Some(*at);
                }
            }
        }
    }
}

/// Refuses every partner step of a disconnected or terminated partner, and every step but
/// admission of a partner not admitted yet (S§1.2, S§3.5).
pub fn gate(s: &Standing, facts: &Facts, now: DateTime<Utc>) -> Result<(), DomainError> {
    if flag_at(facts, flags::DISCONNECTED, now) {
        return refuse_by_rule(
            codes::DISCONNECTED,
            "партнёр отключён от партнёрской программы",
        );
    }
    if flag_at(facts, flags::TERMINATED, now) || s.state == StandingState::Terminated {
        return refuse_by_rule(codes::TERMINATED, "партнёрство прекращено");
    }
    if s.state == StandingState::NotAdmitted {
        return refuse_by_rule(
            codes::NOT_ADMITTED,
            "партнёр ещё не принят в программу (нет регистрации или одобренной анкеты)",
        );
    }
    Ok(())
}

/// The local date of `at` in the program's zone.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// A string parameter of an action (`flag`, `refuse`, …).
pub fn param<'a>(a: &'a Action, key: &str) -> Option<&'a str> {
    a.params.get(key).and_then(|v| v.as_str())
}

/// A list-of-strings parameter of an action (`codes`, `requires_warning`, …); empty if absent.
pub fn param_list(a: &Action, key: &str) -> Vec<String> {
    a.params
        .get(key)
        .and_then(|v| v.as_array())
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A standing change that keeps the status (`Terminated`, `Suspended`, …): the history entry.
pub fn change_at(s: &Standing, kind: ChangeKind, at: DateTime<Utc>) -> Change {
    let code = s.code.clone().unwrap_or_default();
    Change {
        at,
        code: code.clone(),
        from: code,
        change: kind,
        since: s.since.unwrap_or(at),
        until: s.until,
        snapshot: BTreeMap::new(),
        unmet: vec![],
    }
}
