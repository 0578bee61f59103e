//! The standing sections of a partner program (`subject = "partner"`, docs/design/programs.md
//! §3.4–3.7): a ladder of statuses or levels with a term, the metrics its criteria read, the
//! actions partners and coordinators take, and who is told. Every name (statuses, metrics,
//! records, ledgers, sanctions, notification kinds) is data; Rust knows the metric types
//! ([`MetricType`]), the action ops ([`Op`]) and the evaluation modes.
//!
//! A partner program is read as a [`PartnerFile`] and normalised into a [`Workflow`] whose
//! `standing` part is set and whose item sections are empty: one catalogue, one `workflow
//! check`, and `Workflow::is_runnable` keeps it out of the server and `simulate` until the
//! standing engine lands (decisions.md 38 and the decision recorded with this step).

use super::file::{applications, results, Found};
use super::*;
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A partner program file as written (top-level keys shared with item programs, then the
/// standing sections). Unknown fields are format errors with their line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerFile {
    pub subject: Subject,
    pub name: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub countries: Vec<String>,
    pub deadline_zone: String,
    #[serde(default)]
    pub deadline_zone_names: ZoneNames,
    pub calendar: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub vendor_deadlines: Vec<VendorDeadline>,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub violations: Vec<String>,
    #[serde(default)]
    pub sanctions: Vec<Sanction>,
    #[serde(default)]
    pub ledgers: Vec<PartnerLedger>,
    #[serde(default)]
    pub bonus_ledgers: Vec<BonusLedger>,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    pub standing: StandingSection,
    #[serde(default)]
    pub evaluation: Option<Evaluation>,
    #[serde(default)]
    pub term: Option<Term>,
    #[serde(default)]
    pub decision: Option<DecisionRule>,
    #[serde(default)]
    pub renewal: Option<Renewal>,
    #[serde(default)]
    pub expiry: Option<Expiry>,
    #[serde(default)]
    pub onboarding: Option<Onboarding>,
    #[serde(default)]
    pub metrics: BTreeMap<String, Metric>,
    #[serde(default)]
    pub requirements: Option<Requirements>,
    #[serde(default)]
    pub notices: Notices,
    #[serde(default)]
    pub recipients: BTreeMap<String, Recipients>,
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub watchers: BTreeMap<String, Watcher>,
    /// What the coordinator's mail calls each review (`admission` → «заявка на партнёрство»).
    #[serde(default)]
    pub review_names: BTreeMap<String, String>,
    /// What mail calls each level of a decided ladder (`basic` → «Базовый»).
    #[serde(default)]
    pub level_names: BTreeMap<String, String>,
}

/// The standing part of a normalised partner program (everything but the shared top-level keys).
#[derive(Debug, Clone, Serialize)]
pub struct StandingProgram {
    pub roles: Vec<Role>,
    pub vendor_deadlines: Vec<VendorDeadline>,
    pub actions: Vec<Action>,
    pub violations: Vec<String>,
    pub sanctions: Vec<Sanction>,
    pub ledgers: Vec<PartnerLedger>,
    pub bonus_ledgers: Vec<BonusLedger>,
    pub obligations: Vec<Obligation>,
    pub standing: StandingSection,
    pub evaluation: Option<Evaluation>,
    pub term: Option<Term>,
    pub decision: Option<DecisionRule>,
    pub renewal: Option<Renewal>,
    pub expiry: Option<Expiry>,
    pub onboarding: Option<Onboarding>,
    pub metrics: BTreeMap<String, Metric>,
    pub requirements: Option<Requirements>,
    pub notices: Notices,
    pub recipients: BTreeMap<String, Recipients>,
    pub statuses: Vec<Status>,
    pub watchers: BTreeMap<String, Watcher>,
    pub review_names: BTreeMap<String, String>,
    pub level_names: BTreeMap<String, String>,
}

impl StandingProgram {
    /// A status's name in the file (`gold_certified_partner` → «Золотой сертифицированный
    /// партнер»), else its code.
    pub fn status_name(&self, code: &str) -> String {
        self.statuses
            .iter()
            .find(|st| st.code == code)
            .map_or_else(|| code.to_string(), |st| st.name.clone())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub code: String,
    #[serde(default)]
    pub rights: Vec<String>,
}

/// A review the vendor owes (`review_due` to the coordinator once it is late).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VendorDeadline {
    pub review: String,
    pub working_days: u32,
    #[serde(default)]
    pub only_if_complete: bool,
}

/// One `actions` entry: the name partners and coordinators use (`do`), the generic op it runs,
/// and the op's parameters (checked against the op's field spec by `workflow check`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Action {
    #[serde(rename = "do")]
    pub name: String,
    pub op: String,
    #[serde(flatten)]
    pub params: BTreeMap<String, toml::Value>,
}

/// A sanction of the vendor's shared catalogue (identical in every file of the vendor).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sanction {
    pub code: String,
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub max_months: Option<u32>,
    #[serde(default)]
    pub refuse_over: Option<String>,
    #[serde(default)]
    pub refuse_apply: Option<String>,
    pub effect: String,
}

/// A points ledger of a partner program (`valid_months = 0`: entries never expire).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerLedger {
    pub id: String,
    pub valid_months: u32,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub price_divisor: Option<u32>,
    #[serde(default)]
    pub rounding: Option<Rounding>,
    #[serde(default)]
    pub entry_kinds: Vec<String>,
    #[serde(default)]
    pub credit_only_in_force: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    HalfUp,
}

/// A program's bonus (money) ledger.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BonusLedger {
    pub id: String,
    #[serde(default)]
    pub hold_while_first_application: bool,
    #[serde(default)]
    pub lost_on_refusal: bool,
    #[serde(default)]
    pub spend_only: Vec<String>,
    #[serde(default)]
    pub refuse_excluded: Option<String>,
    #[serde(default)]
    pub refuse_inactive: Option<String>,
}

/// A periodic obligation (KKV progress reports, pipeline review).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    pub code: String,
    pub per: ObligationPer,
    pub every_months: u32,
    #[serde(default)]
    pub reminders: Vec<u32>,
    #[serde(default)]
    pub at: Option<NaiveTime>,
    #[serde(default)]
    pub reminder_notice: Option<String>,
    pub overdue_notice: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ObligationPer {
    Project,
    Standing,
}

/// `[standing]`: the ladder's mode and its ends.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StandingSection {
    pub mode: StandingMode,
    /// Auto ladder: the status every admitted partner holds at least.
    #[serde(default)]
    pub floor: Option<String>,
    /// Auto ladder: the event that grants `floor`.
    #[serde(default)]
    pub granted_on: Option<GrantedOn>,
    /// Decided ladder: the standing's own code and its levels, low → high.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(default)]
    pub one_per_partner: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StandingMode {
    /// The engine moves the partner by criteria at evaluation instants (002, 004).
    AutoLadder,
    /// The vendor decides; the engine runs term, renewal and expiry (003).
    DecidedLadder,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GrantedOn {
    Admission,
    Onboarding,
}

/// `[evaluation]`: when an auto ladder is evaluated and what a run may do.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    pub mode: EvaluationMode,
    /// `daily`: local time of the run.
    #[serde(default)]
    pub at: Option<NaiveTime>,
    /// `review_dates`: `MM-DD` of each review, at 00:00 local time.
    #[serde(default)]
    pub review_dates: Vec<String>,
    pub promote: Promote,
    pub demote: Demote,
    pub on_fail: OnFail,
    #[serde(default)]
    pub at_risk: Option<TimedNotice>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationMode {
    Daily,
    ReviewDates,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Promote {
    /// At any run, possibly skipping a level.
    AnyRun,
    ReviewOnly,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Demote {
    /// Only when the term ends (no mid-term downgrade).
    TermEndOnly,
    ReviewOnly,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnFail {
    /// The highest status whose criteria hold.
    HighestMet,
    /// The highest level confirmed by the decision (`none` cancels).
    HighestConfirmed,
}

/// A notice sent `days_before` an instant at local time `at`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimedNotice {
    pub days_before: u32,
    pub at: NaiveTime,
    pub kind: String,
}

/// `[term]`: how long a granted status or level holds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub months: u32,
    #[serde(default)]
    pub confirm_extends_months: Option<u32>,
    #[serde(default)]
    pub grace_days: u32,
    #[serde(default)]
    pub upgrade_keeps_until: bool,
    #[serde(default)]
    pub renewal_extends_months: Option<u32>,
}

/// `[decision]`: the vendor's decision deadline on a decided ladder.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRule {
    pub working_days: u32,
    #[serde(default)]
    pub restart_on_documents: bool,
    pub late: String,
}

/// `[renewal]`: the renewal request and what happens around `until`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    pub request_days_before: u32,
    #[serde(default)]
    pub pending_keeps_in_force: bool,
    #[serde(default)]
    pub decided_early_takes_effect: Option<String>,
    pub on_fail: OnFail,
    #[serde(default)]
    pub late_request: Option<String>,
}

/// `[expiry]`: what follows the end of the term.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expiry {
    pub bonus_cancel_months_after: u32,
    #[serde(default)]
    pub cancel_with_bonuses: bool,
}

/// `[onboarding]`: the flags that grant the floor status at once.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Onboarding {
    pub flags: Vec<String>,
    #[serde(default)]
    pub agreement_implicit_unless_country: Vec<String>,
    #[serde(default)]
    pub welcome_bonus: Option<WelcomeBonus>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WelcomeBonus {
    pub ledger: String,
    pub points: i64,
}

/// `[requirements]`: the hard requirements of a decided ladder.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    pub all: Vec<String>,
    #[serde(default)]
    pub levels: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub at_grant: Vec<String>,
    pub refuse_code: String,
    #[serde(default)]
    pub lapse_notice: Option<String>,
}

/// `[notices]`: warnings and reminders around the term.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    /// Days before the last day of the term; 0 = off.
    #[serde(default)]
    pub expiry_warning_days_before: Option<u32>,
    #[serde(default)]
    pub renewal_reminder: Option<RenewalReminder>,
    #[serde(default)]
    pub renewal_missing: Option<String>,
    #[serde(default)]
    pub bonus_warning: Option<TimedNotice>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalReminder {
    pub days_before_last_day: u32,
    #[serde(default)]
    pub before_request_deadline_working_days: Vec<u32>,
    pub at: NaiveTime,
    pub kind: String,
}

/// Who receives a notification kind: everyone listed, or per `change` of the standing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Recipients {
    All(Vec<String>),
    ByChange(BTreeMap<String, Vec<String>>),
}

/// The recipients a file may name (`[recipients]`).
pub const RECIPIENTS: &[&str] = &["partner", "coordinator"];

/// One rung of the ladder.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub code: String,
    pub name: String,
    /// The status runs for `[term]` (the floor has no term).
    #[serde(default)]
    pub term: bool,
    #[serde(default)]
    pub discount_percent: Option<u32>,
    #[serde(default)]
    pub nfr: Option<u32>,
    /// A lower status whose criteria this one needs too.
    #[serde(default)]
    pub includes: Option<String>,
    #[serde(default)]
    pub criteria: Vec<Criterion>,
}

/// `metric ≥ min`. Money metrics take roubles (integer or string, as `compensation_cap`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub metric: String,
    pub min: Threshold,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Threshold {
    Count(i64),
    Money(String),
}

/// A watcher that sets a flag after a while (MoySklad `single_client_account`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Watcher {
    pub after_months: u32,
    pub from: String,
    #[serde(rename = "while")]
    pub condition: BTreeMap<String, toml::Value>,
    pub flag: String,
    pub notice: String,
}

impl PartnerFile {
    /// The program as the engine reads it: a [`Workflow`] with no item sections and the
    /// standing part set.
    pub fn normalise(self, id: &str) -> Workflow {
        let standing = StandingProgram {
            roles: self.roles,
            vendor_deadlines: self.vendor_deadlines,
            actions: self.actions,
            violations: self.violations,
            sanctions: self.sanctions,
            ledgers: self.ledgers,
            bonus_ledgers: self.bonus_ledgers,
            obligations: self.obligations,
            standing: self.standing,
            evaluation: self.evaluation,
            term: self.term,
            decision: self.decision,
            renewal: self.renewal,
            expiry: self.expiry,
            onboarding: self.onboarding,
            metrics: self.metrics,
            requirements: self.requirements,
            notices: self.notices,
            recipients: self.recipients,
            statuses: self.statuses,
            watchers: self.watchers,
            review_names: self.review_names,
            level_names: self.level_names,
        };
        Workflow::partner_program(
            id,
            PartnerTop {
                name: self.name,
                vendor: self.vendor,
                countries: self.countries,
                deadline_zone: self.deadline_zone,
                deadline_zone_names: self.deadline_zone_names,
                calendar: self.calendar,
            },
            standing,
        )
    }
}

/// The top-level keys a partner program shares with item programs.
pub struct PartnerTop {
    pub name: String,
    pub vendor: String,
    pub countries: Vec<String>,
    pub deadline_zone: String,
    pub deadline_zone_names: ZoneNames,
    pub calendar: String,
}

impl Workflow {
    /// A partner program: the shared top-level keys, the standing part, no item sections.
    pub fn partner_program(id: &str, top: PartnerTop, standing: StandingProgram) -> Workflow {
        let mut found = Found::default();
        let seminars = SeminarWindow {
            from: NaiveDate::MIN,
            to: NaiveDate::MIN,
            weeks: vec![],
        };
        let applications = applications(None, &seminars, true, &mut found);
        Workflow {
            id: id.to_string(),
            subject: Subject::Partner,
            name: top.name,
            vendor: top.vendor,
            seminar_title: String::new(),
            countries: top.countries,
            deadline_zone: top.deadline_zone,
            deadline_zone_names: top.deadline_zone_names,
            item_noun: Default::default(),
            calendar: top.calendar,
            seminars,
            events: None,
            applications,
            slots: Slots::default(),
            withdrawal: Withdrawal::default(),
            reminders: Reminders::default(),
            stages: vec![],
            penalties: Penalties::default(),
            alerts: vec![],
            waiting_alerts: vec![],
            exclusion: Exclusion::default(),
            results: results(ResultsFile::default(), &mut found),
            ledgers: Ledgers::default(),
            city_zones: BTreeMap::new(),
            duties: vec![],
            kinds: vec![],
            topics: vec![],
            lead_times: vec![],
            audiences: None,
            promotion: None,
            rejections: vec![],
            support_refusals: vec![],
            evidence: Default::default(),
            partner_rules: PartnerRules::default(),
            estimate: None,
            standing: Some(standing),
        }
    }
}
