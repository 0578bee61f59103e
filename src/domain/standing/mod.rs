//! Standings: one per (partner, partner program) — a position on a ladder of statuses or levels
//! with a term (docs/design/programs.md §4.1). This module holds the aggregate and the read model
//! it is evaluated on; `metrics` computes every metric type as a pure function. The ladder
//! evaluation (C2), the decided ladder (C3) and the action ops (C4) build on these.

pub mod ladder;
pub mod metrics;
pub mod outcome;
pub mod records;
pub mod review;
pub mod sanctions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    pub version: i64,
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
            version: 0,
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
