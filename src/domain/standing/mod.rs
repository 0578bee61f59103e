//! Standings: one per (partner, partner program) — a position on a ladder of statuses or levels
//! with a term (docs/design/programs.md §4.1). This module holds the aggregate and the read model
//! it is evaluated on; `metrics` computes every metric type as a pure function. The ladder
//! evaluation (C2), the decided ladder (C3) and the action ops (C4) build on these.

pub mod actions;
pub mod clock;
pub mod decided;
pub mod known;
pub mod ladder;
pub mod metrics;
pub mod obligations;
pub mod ops;
pub mod outcome;
pub mod records;
pub mod review;
pub mod review_outcome;
pub mod sanctions;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a partner stands in one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub partner: String,
    pub program: String,
    pub state: StandingState,
    /// The status code or level held (data of the program file).
    pub code: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// The instant the term ends (exclusive); `None` for the floor status.
    pub until: Option<DateTime<Utc>>,
    /// Renewals granted so far (for `every_nth_renewal`).
    pub renewals: u32,
    pub nfr: u32,
    /// Every change of the standing, oldest first (S§5.1 `history`).
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Vendor reviews the partner waits for (admission, points requests, projects), each with
    /// the working day it is due by (S§1.7).
    #[serde(default)]
    pub pending: Vec<PendingReview>,
    /// Sanctions in force: code → the instant it ends (`None`: until lifted).
    #[serde(default)]
    pub sanctions: BTreeMap<String, Option<DateTime<Utc>>>,
    /// A termination noticed for a later instant (S§1.7 leaving the program).
    #[serde(default)]
    pub terminates_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// Decided ladder: the application or renewal waiting for the vendor.
    #[serde(default)]
    pub decision: Option<decided::Pending>,
    /// Decided ladder: a renewal decided before `until`, taking effect at `until`.
    #[serde(default)]
    pub scheduled: Option<decided::Scheduled>,
    /// Periodic obligations open now, each with its next due date.
    #[serde(default)]
    pub obligations: Vec<obligations::OpenObligation>,
    /// Obligations found undone after their due date (with when they were done, if later).
    #[serde(default)]
    pub overdue: Vec<obligations::Overdue>,
}

/// One change of a standing as the history shows it (S§5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The status or level after the change (`None` when the change leaves none).
    pub code: Option<String>,
    pub from: Option<String>,
    /// `granted`, `promoted`, `confirmed`, `lost`, `demoted`, `terminated`, … (data-free words
    /// of the contract).
    pub change: String,
    /// The metric values the change was decided on.
    #[serde(default)]
    pub snapshot: BTreeMap<String, i64>,
    /// Criterion codes that failed.
    #[serde(default)]
    pub unmet: Vec<String>,
    /// The vendor's decision date (decided ladder: `package_complete`, `renewal_requested`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// Money the change moved (decided ladder: `bonuses_cancelled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<crate::domain::money::Kopecks>,
}

/// A vendor review the partner waits for: `review_due` goes to the coordinator at 00:00 after
/// `due` if it is still pending then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReview {
    /// The review kind of the file's `vendor_deadlines` (`admission`, `points_request`, …).
    pub review: String,
    /// What is reviewed (a request or project id; the partner for an admission).
    pub reference: String,
    pub since: DateTime<Utc>,
    pub due: NaiveDate,
    /// Whether the deadline runs (an incomplete project has none, S§1.7).
    pub timed: bool,
}

/// The lifecycle of a standing (shared by every partner program).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandingState {
    NotAdmitted,
    Admitted,
    Applied,
    Active,
    RenewalPending,
    Expired,
    Cancelled,
    Suspended,
    Revoked,
    Terminated,
}

impl Standing {
    /// A partner not yet admitted to `program`.
    pub fn new(partner: &str, program: &str) -> Standing {
        Standing {
            partner: partner.into(),
            program: program.into(),
            state: StandingState::NotAdmitted,
            code: None,
            since: None,
            until: None,
            renewals: 0,
            nfr: 0,
            history: vec![],
            pending: vec![],
            sanctions: BTreeMap::new(),
            terminates_at: None,
            version: 0,
            decision: None,
            scheduled: None,
            obligations: vec![],
            overdue: vec![],
        }
    }

    /// The term the metrics of this standing are read over.
    pub fn term(&self) -> metrics::TermWindow {
        metrics::TermWindow {
            since: self.since,
            until: self.until,
            renewals: self.renewals,
        }
    }
}
