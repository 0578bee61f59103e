//! What the decided-ladder ops (`decided`) and the periodic obligations (`obligations`) return:
//! the new standing, history entries, due items to plan, ledger effects and notices. Pure data;
//! the service stores the standing, appends the history, plans the items, books the ledger
//! effects and sends the notices in one transaction.
//!
//! Notification kinds are codes of the program: the reminder and overdue kinds come from the
//! file (`[notices]`, `obligations`), the kinds of a standing change are `<code>_<change>`
//! (`[standing] code` and the history `change`: `kkv_granted`, `kkv_expired`…), and
//! `review_due` is the engine's own kind.

use super::ladder::ChangeKind;
use super::Standing;
use crate::domain::calendar::Calendar;
use crate::domain::deadline::local_instant;
use crate::domain::money::Kopecks;
use crate::domain::workflow::{Recipients, StandingProgram, RECIPIENTS};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The program a decided-ladder op runs under: its standing part, its zone and calendar.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub p: &'a StandingProgram,
    pub tz: Tz,
    pub cal: &'a Calendar,
}

/// Who a notice goes to when the file's `[recipients]` does not name its kind (S§0 «Who is
/// told»: gains to the partner; losses, risks and overdue duties to both; reviews to the
/// coordinator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Partner,
    Coordinator,
    Both,
}

impl Rules<'_> {
    /// The standing's own code (`[standing] code`).
    pub fn code(&self) -> &str {
        self.p.standing.code.as_deref().unwrap_or_default()
    }

    /// The notification kind of a standing change: `<code>_<change>`.
    pub fn kind_of(&self, change: ChangeKind) -> String {
        format!("{}_{}", self.code(), change.as_str())
    }

    /// The recipients of `kind`, partner first: the file's `[recipients]`, else `default`.
    pub fn to(&self, kind: &str, default: Audience) -> Vec<String> {
        if let Some(Recipients::All(list)) = self.p.recipients.get(kind) {
            let mut out: Vec<String> = RECIPIENTS
                .iter()
                .filter(|r| list.iter().any(|x| x == *r))
                .map(|r| r.to_string())
                .collect();
            out.dedup();
            return out;
        }
        let (partner, coordinator) = (RECIPIENTS[0].to_string(), RECIPIENTS[1].to_string());
        match default {
            Audience::Partner => vec![partner],
            Audience::Coordinator => vec![coordinator],
            Audience::Both => vec![partner, coordinator],
        }
    }

    /// A notice of `kind` at `at` to the recipients of the kind.
    pub fn notice(&self, at: DateTime<Utc>, kind: &str, default: Audience) -> Notice {
        Notice {
            at,
            kind: kind.to_string(),
            to: self.to(kind, default),
            ..Notice::default()
        }
    }

    /// Local time `t` of date `d`.
    pub fn at(&self, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
        local_instant(self.tz, d, t)
    }

    /// The `n`-th working day before `d` (`d` itself for 0); `None` when the calendar does not
    /// cover the dates (a reminder is then not planned; `workflow check` reports the gap).
    pub fn working_days_before(&self, d: NaiveDate, n: u32) -> Option<NaiveDate> {
        self.cal.add_working_days(d, -(n as i32)).ok()
    }
}

/// One entry of the standing's history (`change` of S§5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub change: ChangeKind,
    pub level: Option<String>,
    /// The vendor's decision date (`package_complete`, `renewal_requested`).
    pub due: Option<NaiveDate>,
    pub amount: Option<Kopecks>,
    /// Hard requirements that failed; with `overridden`, a positive decision given anyway.
    pub unmet: Vec<String>,
    pub overridden: bool,
    pub note: Option<String>,
}

impl Change {
    pub fn new(at: DateTime<Utc>, change: ChangeKind) -> Change {
        Change {
            at,
            change,
            level: None,
            due: None,
            amount: None,
            unmet: vec![],
            overridden: false,
            note: None,
        }
    }

    pub fn level(mut self, level: Option<&String>) -> Change {
        self.level = level.cloned();
        self
    }
}

/// A notification to send, with the fields of the scenario contract (S§5.1) that apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    pub at: DateTime<Utc>,
    pub kind: String,
    /// `partner` and/or `coordinator`, the partner's copy first.
    pub to: Vec<String>,
    pub level: Option<String>,
    pub until: Option<DateTime<Utc>>,
    pub due: Option<NaiveDate>,
    pub review: Option<String>,
    pub amount: Option<Kopecks>,
    pub cancel_at: Option<DateTime<Utc>>,
    pub project: Option<String>,
    pub unmet: Vec<String>,
}

/// A booking on a program's bonus ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEffect {
    /// Book a bonus now.
    Credit { ledger: String, amount: Kopecks },
    /// Book a bonus held until the first application is decided.
    Hold { ledger: String, amount: Kopecks },
    /// The held bonuses become available (the grant).
    ReleaseHeld { ledger: String },
    /// The held bonuses are lost (the first application refused).
    DropHeld { ledger: String },
    /// Pay with bonuses.
    Spend { ledger: String, amount: Kopecks },
    /// The whole balance is cancelled (S§2.5).
    Cancel { ledger: String, amount: Kopecks },
}

/// What the clock does to a standing; the service wraps it in a due item of the standing's
/// subject, keyed by [`Planned::key`] (an item with a key fires once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum StandingDue {
    /// `review_due` to the coordinator if the decision due on `due` is still pending.
    VendorDeadline { review: String, due: NaiveDate },
    /// The term ending at `until`: expiry, `renewal_pending`, or a decided renewal taking effect.
    TermEnd { until: DateTime<Utc> },
    /// Renewal reminder while no request was sent; `first` (the calendar-day one) plans the
    /// working-day ones when it fires.
    RenewalReminder {
        until: DateTime<Utc>,
        due: NaiveDate,
        first: bool,
    },
    /// No request by the deadline.
    RenewalMissing { until: DateTime<Utc> },
    BonusWarning {
        until: DateTime<Utc>,
        cancel_at: DateTime<Utc>,
    },
    BonusCancel {
        until: DateTime<Utc>,
        cancel_at: DateTime<Utc>,
    },
    ObligationReminder {
        obligation: String,
        project: Option<String>,
        due: NaiveDate,
    },
    ObligationOverdue {
        obligation: String,
        project: Option<String>,
        due: NaiveDate,
    },
    /// A suspending sanction's end: the competence is reinstated (or expired).
    SuspensionEnd { code: String, at: DateTime<Utc> },
}

/// A due item to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub at: DateTime<Utc>,
    pub due: StandingDue,
}

impl Planned {
    /// A key unique per effect and instant (the subject is added by the service).
    pub fn key(&self) -> String {
        let body = serde_json::to_value(&self.due).unwrap_or_default();
        let tag = body
            .get("effect")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let mut parts = vec![tag, self.at.timestamp().to_string()];
        if let Some(obj) = body.as_object() {
            for (k, v) in obj.iter().filter(|(k, _)| *k != "effect") {
                parts.push(format!(
                    "{k}={}",
                    v.as_str().map_or(v.to_string(), String::from)
                ));
            }
        }
        parts.join(":")
    }
}

/// The result of one op or one due item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub standing: Standing,
    pub changes: Vec<Change>,
    pub due: Vec<Planned>,
    pub ledger: Vec<LedgerEffect>,
    pub notices: Vec<Notice>,
}

impl Outcome {
    /// Nothing happens; the standing as it was.
    pub fn unchanged(s: &Standing) -> Outcome {
        Outcome {
            standing: s.clone(),
            changes: vec![],
            due: vec![],
            ledger: vec![],
            notices: vec![],
        }
    }

    /// Starts from `s` with its version bumped (something changes).
    pub fn of(s: &Standing) -> Outcome {
        let mut o = Outcome::unchanged(s);
        o.standing.version += 1;
        o
    }

    /// Appends everything `other` adds, taking its standing.
    pub fn then(mut self, other: Outcome) -> Outcome {
        self.standing = other.standing;
        self.changes.extend(other.changes);
        self.due.extend(other.due);
        self.ledger.extend(other.ledger);
        self.notices.extend(other.notices);
        self
    }
}

impl ChangeKind {
    /// The history `change` name (S§5.1).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Promoted => "promoted",
            ChangeKind::Confirmed => "confirmed",
            ChangeKind::Lost => "lost",
            ChangeKind::Demoted => "demoted",
            ChangeKind::Applied => "applied",
            ChangeKind::PackageComplete => "package_complete",
            ChangeKind::DocumentsRequested => "documents_requested",
            ChangeKind::Granted => "granted",
            ChangeKind::Refused => "refused",
            ChangeKind::Upgraded => "upgraded",
            ChangeKind::RenewalRequested => "renewal_requested",
            ChangeKind::Renewed => "renewed",
            ChangeKind::Downgraded => "downgraded",
            ChangeKind::Expired => "expired",
            ChangeKind::BonusesCancelled => "bonuses_cancelled",
            ChangeKind::Cancelled => "cancelled",
            ChangeKind::Terminated => "terminated",
            ChangeKind::Suspended => "suspended",
            ChangeKind::Reinstated => "reinstated",
            ChangeKind::Revoked => "revoked",
        }
    }
}
