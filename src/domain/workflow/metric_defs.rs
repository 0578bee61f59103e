//! The vocabulary Rust gives partner programs (docs/design/programs.md §3.4): metric types — the
//! only criteria mechanisms — and action ops with the parameters each needs. A file names them by
//! string; `workflow check` rejects an unknown one with the list of known ones.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One `[metrics]` entry as written: its `type` and the parameters the type reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// What people call it (`активные баллы`), in mail and on pages; else its id.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub ledger: Option<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub entry_kind: Option<String>,
    #[serde(default)]
    pub window: Option<String>,
    #[serde(default)]
    pub courses: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub record: Option<String>,
    #[serde(default)]
    pub opening: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub skip_before: Option<String>,
    #[serde(default)]
    pub filter: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub distinct: bool,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub none: bool,
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub n: Option<u32>,
}

impl Metric {
    /// The metric's type, when the file names a known one.
    pub fn metric_type(&self) -> Option<MetricType> {
        MetricType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == self.kind)
    }
}

/// How a metric is computed (`domain::standing::metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    LedgerBalance,
    LedgerEver,
    LedgerCalendarYear,
    StaffCount,
    Flag,
    FlagsAll,
    RecordSumTotal,
    RecordSumPerQuarter,
    RecordCountCalendarYear,
    RecordInTerm,
    StatusAtLeast,
    EveryNthRenewal,
}

impl MetricType {
    pub const ALL: &'static [MetricType] = &[
        MetricType::LedgerBalance,
        MetricType::LedgerEver,
        MetricType::LedgerCalendarYear,
        MetricType::StaffCount,
        MetricType::Flag,
        MetricType::FlagsAll,
        MetricType::RecordSumTotal,
        MetricType::RecordSumPerQuarter,
        MetricType::RecordCountCalendarYear,
        MetricType::RecordInTerm,
        MetricType::StatusAtLeast,
        MetricType::EveryNthRenewal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::LedgerBalance => "ledger_balance",
            MetricType::LedgerEver => "ledger_ever",
            MetricType::LedgerCalendarYear => "ledger_calendar_year",
            MetricType::StaffCount => "staff_count",
            MetricType::Flag => "flag",
            MetricType::FlagsAll => "flags_all",
            MetricType::RecordSumTotal => "record_sum_total",
            MetricType::RecordSumPerQuarter => "record_sum_per_quarter",
            MetricType::RecordCountCalendarYear => "record_count_calendar_year",
            MetricType::RecordInTerm => "record_in_term",
            MetricType::StatusAtLeast => "status_at_least",
            MetricType::EveryNthRenewal => "every_nth_renewal",
        }
    }

    /// The parameters the type needs, each with the test that it is given.
    pub fn required(self) -> &'static [Param] {
        match self {
            MetricType::LedgerBalance | MetricType::LedgerCalendarYear => &[LEDGER],
            MetricType::LedgerEver => &[LEDGER, ENTRY_KIND],
            MetricType::StaffCount => &[COURSES],
            MetricType::Flag => &[FLAG],
            MetricType::FlagsAll => &[FLAGS],
            MetricType::RecordSumTotal
            | MetricType::RecordSumPerQuarter
            | MetricType::RecordCountCalendarYear
            | MetricType::RecordInTerm => &[RECORD],
            MetricType::StatusAtLeast => &[PROGRAM, CODE],
            MetricType::EveryNthRenewal => &[N, FLAG],
        }
    }

    /// Money metrics: thresholds are roubles, values kopecks.
    pub fn is_money(self) -> bool {
        matches!(
            self,
            MetricType::RecordSumTotal | MetricType::RecordSumPerQuarter
        )
    }
}

/// A parameter of a metric type: its name in the file and whether a metric gives it.
pub type Param = (&'static str, fn(&Metric) -> bool);

const LEDGER: Param = ("ledger", |m| m.ledger.is_some());
const ENTRY_KIND: Param = ("entry_kind", |m| m.entry_kind.is_some());
const COURSES: Param = ("courses", |m| !m.courses.is_empty());
const FLAG: Param = ("flag", |m| m.flag.is_some());
const FLAGS: Param = ("flags", |m| !m.flags.is_empty());
const RECORD: Param = ("record", |m| m.record.is_some());
const PROGRAM: Param = ("program", |m| m.program.is_some());
const CODE: Param = ("code", |m| m.code.is_some());
const N: Param = ("n", |m| m.n.is_some_and(|n| n >= 1));

/// The window of a calendar-year metric: the better of the last complete and the current year.
pub const BEST_OF_LAST_AND_CURRENT: &str = "best_of_last_and_current";

/// How quarters are combined by `record_sum_per_quarter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterRule {
    /// Every counted quarter must reach the threshold: the value is the smallest quarter.
    Each,
    /// The average over the counted quarters.
    Average,
}

impl QuarterRule {
    pub fn parse(s: &str) -> Option<QuarterRule> {
        match s {
            "each" => Some(QuarterRule::Each),
            "average" => Some(QuarterRule::Average),
            _ => None,
        }
    }
}

/// The generic commands `actions[].op` may name, and the parameters each needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub name: &'static str,
    pub required: &'static [&'static str],
}

/// Every op (docs/design/programs.md §3.4 "Action ops").
pub const OPS: &[Op] = &[
    op("admission_apply", &[]),
    op("admission_decide", &[]),
    op("onboarding_flag", &["flag"]),
    op("staff_attach", &[]),
    op("staff_detach", &[]),
    op("staff_certify", &[]),
    op("credit", &["ledger"]),
    op("request", &["review"]),
    op("decide_request", &[]),
    op("project_add", &["review"]),
    op("project_publish", &["ledger", "entry_kind"]),
    op("project_return", &[]),
    op("record", &["record"]),
    op("flag_set", &[]),
    op("standing_apply", &[]),
    op("standing_documents", &[]),
    op("standing_request_documents", &[]),
    op("standing_decide", &[]),
    op("standing_renewal_request", &[]),
    op("bonus_credit", &["ledger"]),
    op("bonus_spend", &["ledger"]),
    op("obligation_start", &["obligation"]),
    op("obligation_done", &["obligation"]),
    op("obligation_end", &["obligation"]),
    op("partner_violation", &[]),
    op("sanction", &[]),
    op("lift_sanction", &[]),
    op("terminate", &[]),
    op("disconnect", &["requires_warning", "refuse"]),
];

const fn op(name: &'static str, required: &'static [&'static str]) -> Op {
    Op { name, required }
}

pub fn op_named(name: &str) -> Option<&'static Op> {
    OPS.iter().find(|o| o.name == name)
}
