//! Sections of an item program that the flagship does not use: the rolling `[events]` window,
//! kinds and topics of items, lead times, audiences, promotion on the vendor site, rejection
//! reasons and partner-level rules (docs/design/programs.md §3.2). Every name a program gives
//! (kinds, topics, codes) is data here; Rust knows only the mechanisms.

use super::Effect;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one program is about: items (seminars, events) or partners' standings.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// One item per application, with stages, a report and a result (flagship, events).
    #[default]
    Item,
    /// One standing per partner with a term (status or competence programs; not supported yet).
    Partner,
}

/// `[events]`: a rolling window — items on any date in `from..=to`, no weeks, no slots.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EventWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// How applications are taken.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationMode {
    /// Weekly review groups inside an application window (the flagship; implied by `[seminars]`).
    #[default]
    SeasonGroups,
    /// Each application on its own, any time before its event (implied by `[events]`).
    Rolling,
}

/// `[[lead_times]]`: how many days ahead an application must arrive for a kind of support.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LeadTime {
    /// Consequence (or refusal) code booked when the lead is short.
    pub code: String,
    /// What needs the lead: `info_support`, `materials_send`.
    pub requires: LeadRequirement,
    /// Lead = event date − date of arrival in the deadline zone, at least this many days.
    pub min_days: u32,
    /// A short lead costs the support (`consequence`) or refuses the application (`refuse`).
    pub on_short: ShortLead,
    /// What a short lead costs: only `no_info_support` and `no_materials` make sense.
    #[serde(default)]
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeadRequirement {
    InfoSupport,
    MaterialsSend,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ShortLead {
    Consequence,
    Refuse,
}

/// `[[topics]]`: what an item is about, and which points ledger (product) it books to.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub name: String,
    /// A product of `[ledgers] products`, or `partner_choice` (the partner picks in the report).
    pub ledger: String,
    /// The product booked when the partner does not choose (needed with `partner_choice`).
    #[serde(default)]
    pub default_ledger: Option<String>,
}

/// The `ledger` value that lets the partner choose the product.
pub const PARTNER_CHOICE: &str = "partner_choice";

/// `[[kinds]]`: one kind of item (seminar, webinar, exhibition …) and what it needs.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub id: String,
    pub name: String,
    /// Topics the kind may have; the first is the default.
    pub topics: Vec<String>,
    #[serde(default)]
    pub city: CityRule,
    /// The item may last several days (`end_date`); deadlines after it count from the last day.
    #[serde(default)]
    pub end_date: bool,
    /// False: claimed after the fact, no application to approve.
    #[serde(default = "yes")]
    pub preapproval: bool,
    /// The claim is the report: no report deadline (needs `preapproval = false`).
    #[serde(default)]
    pub claim_is_report: bool,
    #[serde(default)]
    pub info_support: InfoSupport,
    /// Stage ids the kind goes through (absent: every stage).
    #[serde(default)]
    pub stages: Option<Vec<String>>,
    /// Report fields that must be filled before the report can be accepted.
    #[serde(default)]
    pub report_requires: Vec<String>,
    /// Conditions checked when the item is claimed (articles).
    #[serde(default)]
    pub requirements: Option<KindRequirements>,
    /// Counts towards the partner's low-attendance streak.
    #[serde(default)]
    pub counts_low_attendance: bool,
    /// Topic → refusal code: the (kind, topic) pair earns nothing and is refused at apply.
    #[serde(default)]
    pub reward: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CityRule {
    #[default]
    Required,
    None,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InfoSupport {
    DefaultOn,
    DefaultOff,
    #[default]
    Never,
}

/// Conditions an item of a kind must meet when claimed; a failed one refuses with `refuse`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KindRequirements {
    #[serde(default)]
    pub chars_more_than: Option<u32>,
    #[serde(default)]
    pub vendor_share_more_than_pct: Option<u32>,
    #[serde(default)]
    pub min_circulation: Option<u32>,
    #[serde(default)]
    pub min_daily_views: Option<u32>,
    /// Whether a reprint qualifies (absent: not checked).
    #[serde(default)]
    pub reprint: Option<bool>,
    pub refuse: String,
}

/// `[audiences]`: audiences that are refused at apply, and the one assumed when none is given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Audiences {
    #[serde(default)]
    pub default: Option<String>,
    /// Audience → refusal code.
    #[serde(default)]
    pub refuse: BTreeMap<String, String>,
    /// Audience → what people call it (`existing_clients` → «существующие клиенты»).
    #[serde(default)]
    pub names: BTreeMap<String, String>,
}

/// `[promotion]`: how the vendor shows partners' items on its site.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// The stage whose approval the promotion needs (it has `deadline = "none"`).
    pub stage: String,
    /// An item is shown from D − window_days to D.
    pub window_days: u32,
    /// Items of one partner shown at once (one pool for all `kinds`).
    pub max_parallel: u32,
    pub kinds: Vec<String>,
    /// Which items win the pool: by `date`, then by `applied_at`.
    pub order: Vec<PromotionOrder>,
    /// A repeated program is published no earlier than this many months after the previous one.
    #[serde(default)]
    pub repeat_gap_months: u32,
    pub codes: PromotionCodes,
    #[serde(default)]
    pub blackouts: Vec<Blackout>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PromotionOrder {
    Date,
    AppliedAt,
}

/// Consequence codes of the promotion rules.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PromotionCodes {
    pub limit: String,
    pub repeat: String,
    pub blackout: String,
    pub missing: String,
}

/// Days on which no partner item is shown (the vendor's own events).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Blackout {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub name: String,
}

/// `[[rejections]]`: a reason a coordinator may give for rejecting an application.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    pub code: String,
    pub name: String,
}

/// `[partner_rules]`: rules over a partner's items together.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PartnerRules {
    #[serde(default)]
    pub low_attendance: Option<LowAttendance>,
}

/// The `streak`-th accepted item in a row of `kinds` with fewer than `below` attendees alerts
/// the coordinator with `alert`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LowAttendance {
    pub below: u32,
    pub streak: u32,
    pub kinds: Vec<String>,
    pub alert: String,
}

/// `[[alerts]]` with `on = "application"` or `"report"`: the coordinator is told with a code when
/// an application or a report waits longer than `working_days`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WaitingAlert {
    pub on: Waiting,
    pub code: String,
    pub working_days: u32,
    /// Position in the file's `[[alerts]]` list (stage alerts count too), for messages.
    pub file_index: usize,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    Application,
    Report,
}
