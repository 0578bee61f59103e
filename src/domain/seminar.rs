//! The seminar aggregate and what happens to it: states, stage progress, booked penalties,
//! and the `Outcome` a command or a fired due item produces (saved atomically by the service).

use super::estimate::{ApprovedEstimate, EstimateLine};
pub use super::items::details::ItemDetails;
pub use super::kinds::{EventKind, NotificationKind};
use super::money::Kopecks;
use super::workflow::{Effect, Round};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SeminarState {
    /// Applied, waiting for the coordinator's decision.
    Applied,
    Rejected,
    /// Approved; the partner prepares the seminar stage by stage.
    Preparing,
    Excluded,
    Withdrawn,
    /// The seminar day has passed; the report is not accepted yet.
    Held,
    /// Report accepted, results booked.
    Closed,
}

impl SeminarState {
    pub fn as_str(self) -> &'static str {
        match self {
            SeminarState::Applied => "applied",
            SeminarState::Rejected => "rejected",
            SeminarState::Preparing => "preparing",
            SeminarState::Excluded => "excluded",
            SeminarState::Withdrawn => "withdrawn",
            SeminarState::Held => "held",
            SeminarState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SeminarState> {
        Some(match s {
            "applied" => SeminarState::Applied,
            "rejected" => SeminarState::Rejected,
            "preparing" => SeminarState::Preparing,
            "excluded" => SeminarState::Excluded,
            "withdrawn" => SeminarState::Withdrawn,
            "held" => SeminarState::Held,
            "closed" => SeminarState::Closed,
            _ => return None,
        })
    }

    /// States in which a seminar holds its city × week slot: approved, and neither excluded
    /// nor withdrawn (a held or closed seminar keeps it).
    pub const HOLDING_SLOT: [SeminarState; 3] = [
        SeminarState::Preparing,
        SeminarState::Held,
        SeminarState::Closed,
    ];

    /// Holds its city × week slot (see [`SeminarState::HOLDING_SLOT`]).
    pub fn holds_slot(self) -> bool {
        SeminarState::HOLDING_SLOT.contains(&self)
    }

    /// Approved and not ended: penalties and reminders apply.
    pub fn is_active(self) -> bool {
        matches!(self, SeminarState::Preparing | SeminarState::Held)
    }

    /// Russian label for pages and e-mails.
    pub fn label(self) -> &'static str {
        match self {
            SeminarState::Applied => "заявка подана",
            SeminarState::Rejected => "заявка отклонена",
            SeminarState::Preparing => "подготовка",
            SeminarState::Excluded => "исключён из программы",
            SeminarState::Withdrawn => "отозван партнёром",
            SeminarState::Held => "проведён",
            SeminarState::Closed => "закрыт",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// Never submitted: the partner holds it.
    Open,
    /// A version waits for the coordinator.
    Submitted,
    /// Returned for rework: the partner holds it again.
    Returned,
    Approved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageProgress {
    pub status: StageStatus,
    /// 0 for the first submission round, n for the n-th re-submission after a return.
    pub round: u32,
    /// Due date the coordinator set for the current re-submission round, if any.
    pub due_override: Option<NaiveDate>,
    pub versions: Vec<Version>,
}

impl StageProgress {
    pub fn new() -> Self {
        StageProgress {
            status: StageStatus::Open,
            round: 0,
            due_override: None,
            versions: vec![],
        }
    }

    pub fn round_kind(&self) -> Round {
        if self.round == 0 {
            Round::First
        } else {
            Round::Resubmit
        }
    }

    /// The partner holds the stage (must act): never submitted, or returned.
    pub fn partner_holds(&self) -> bool {
        matches!(self.status, StageStatus::Open | StageStatus::Returned)
    }
}

impl Default for StageProgress {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub number: u32,
    pub round: u32,
    pub submitted_at: DateTime<Utc>,
    /// The designated deadline the submission was measured against.
    pub deadline: NaiveDate,
    pub days_late: i64,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The estimate stage's lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimate: Vec<EstimateLine>,
    pub decision: Option<Decision>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub approved: bool,
    pub at: DateTime<Utc>,
    pub by: String,
    pub comment: Option<String>,
    pub due: Option<NaiveDate>,
}

/// A penalty booked on a seminar, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Penalty {
    pub code: String,
    pub name: String,
    pub points: i64,
    pub exclusion: bool,
    pub effects: Vec<Effect>,
    pub at: DateTime<Utc>,
    pub manual: bool,
    pub stage: Option<String>,
    /// The deadline the lateness was measured against.
    pub deadline: Option<NaiveDate>,
    pub days_late: Option<i64>,
    pub count: u32,
    pub note: Option<String>,
    /// Idempotency key: automatic penalties once per seminar and code.
    pub key: String,
    /// Money the violation took out of the compensable costs (`void_item_cost` with `cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Kopecks>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFigures {
    pub attendees: u32,
    pub registrations: u32,
    pub costs: Kopecks,
    pub third_party_companies: u32,
    /// An estimate total given with the figures (scenario files, reports from before the
    /// structured estimate); the seminar's approved estimate, when there is one, wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Kopecks>,
    /// Other partners who co-organized the seminar, each with its part of `costs` (the
    /// seminar's own partner documented the rest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_organizers: Vec<CoOrganizer>,
    /// The partner who gave the vendor-product talks, when a co-organizer did; `None`: the
    /// seminar's own partner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_talks_by: Option<String>,
    /// Item programs: the fields of the kind's report (empty for the flagship).
    #[serde(
        default,
        skip_serializing_if = "super::items::details::ItemReport::is_empty"
    )]
    pub item: super::items::details::ItemReport,
}

/// A co-organizing partner and the costs it documented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoOrganizer {
    pub partner: String,
    pub costs: Kopecks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeminarResult {
    pub points: i64,
    pub compensation: Kopecks,
    /// Why the numbers are what they are, in Russian, one line per rule applied.
    pub reasons: Vec<String>,
    /// Those of `reasons` that speak of compensation or sums (hidden from users without money views).
    #[serde(default)]
    pub money_reasons: Vec<String>,
}

impl SeminarResult {
    /// The reasons a viewer may read: all of them, or without the money lines.
    pub fn reasons_for(&self, sees_money: bool) -> Vec<String> {
        self.reasons
            .iter()
            .filter(|r| sees_money || !self.money_reasons.contains(r))
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seminar {
    pub id: String,
    pub program: String,
    pub partner: String,
    pub city: String,
    pub date: NaiveDate,
    pub week: String,
    pub state: SeminarState,
    pub applied_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub info_support: bool,
    pub coordinator: Option<String>,
    pub venue: Option<String>,
    pub stages: BTreeMap<String, StageProgress>,
    pub penalties: Vec<Penalty>,
    /// Costs that lost compensation (e.g. mispositioned announcements).
    pub voided: Kopecks,
    pub report: Option<ReportFigures>,
    /// The estimate the coordinator approved, with the compensation cap it sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<ApprovedEstimate>,
    pub result: Option<SeminarResult>,
    /// The item part of a by-kind program (kind, topic, consequences, promotion); empty and
    /// not stored for a flagship seminar.
    #[serde(default, skip_serializing_if = "ItemDetails::is_flagship")]
    pub item: ItemDetails,
    /// Optimistic-concurrency version; 0 = not stored yet.
    pub version: i64,
}

impl Seminar {
    /// The last day of the item: `end_date` of a multi-day item, else its date. Deadlines
    /// after the item count from it.
    pub fn last_day(&self) -> NaiveDate {
        self.item.end_date.unwrap_or(self.date)
    }

    pub fn has_penalty(&self, code: &str) -> bool {
        self.penalties.iter().any(|p| p.code == code)
    }

    pub fn stage(&self, id: &str) -> Option<&StageProgress> {
        self.stages.get(id)
    }

    pub fn points_awarded(&self) -> i64 {
        self.result.as_ref().map(|r| r.points).unwrap_or(0)
    }

    pub fn compensation(&self) -> Kopecks {
        self.result
            .as_ref()
            .map(|r| r.compensation)
            .unwrap_or(Kopecks::ZERO)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub experienced: bool,
    pub barred: bool,
    pub late_withdrawal: bool,
}

impl Partner {
    pub fn flags(&self) -> Vec<&'static str> {
        let mut f = vec![];
        if self.barred {
            f.push("barred");
        }
        if self.late_withdrawal {
            f.push("late_withdrawal");
        }
        f
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerFlag {
    Barred,
    LateWithdrawal,
    /// Item programs: the partner's marketing support is suspended (E§4.16) …
    SupportSuspended,
    /// … or resumed.
    SupportResumed,
}

/// Who receives a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Partner(String),
    Coordinator,
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Partner(p) => write!(f, "{p}"),
            Recipient::Coordinator => write!(f, "coordinator"),
        }
    }
}

/// An outbox row: someone must hear about this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub key: String,
    pub kind: NotificationKind,
    pub to: Recipient,
    pub seminar: String,
    pub stage: Option<String>,
    pub at: DateTime<Utc>,
    /// Details for the templates (deadline, penalty code and points, comment…).
    pub data: serde_json::Value,
}

/// The ledger every flagship entry books to (the one `partners[].points` counts).
pub const POINTS_LEDGER: &str = "points";
/// The product of entries booked before products existed.
pub const MAIN_PRODUCT: &str = "main";
/// The entry kind of a seminar's award and of its penalties (design §4.4).
pub const SEMINAR_ENTRY: &str = "seminar";

/// A points ledger entry. Every ledger (`points`, and later e.g. a competence's own) lives in
/// one table; an entry of an older version reads as `points`/`main`/''/`seminar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsEntry {
    pub key: String,
    pub partner: String,
    /// The item the entry comes from (`""` for credits not from an item).
    pub seminar: String,
    pub points: i64,
    /// Penalty code or `organizer`.
    pub reason: String,
    pub booked_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Which ledger: [`POINTS_LEDGER`] unless a program keeps its own.
    #[serde(default = "default_ledger")]
    pub ledger: String,
    /// The vendor product the entry counts for ([`MAIN_PRODUCT`] by default).
    #[serde(default = "default_product")]
    pub product: String,
    /// The program that booked it (`""`: not recorded, as before programs were data).
    #[serde(default)]
    pub program: String,
    /// What kind of entry ([`SEMINAR_ENTRY`] by default).
    #[serde(default = "default_entry_kind")]
    pub kind: String,
}

fn default_ledger() -> String {
    POINTS_LEDGER.to_string()
}

fn default_product() -> String {
    MAIN_PRODUCT.to_string()
}

fn default_entry_kind() -> String {
    SEMINAR_ENTRY.to_string()
}

impl Default for PointsEntry {
    /// An empty entry of the flagship's ledger, product and kind; spell the rest out with
    /// `..PointsEntry::default()`.
    fn default() -> PointsEntry {
        PointsEntry {
            key: String::new(),
            partner: String::new(),
            seminar: String::new(),
            points: 0,
            reason: String::new(),
            booked_at: DateTime::<Utc>::default(),
            expires_at: DateTime::<Utc>::default(),
            ledger: default_ledger(),
            product: default_product(),
            program: String::new(),
            kind: default_entry_kind(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BonusEntry {
    pub key: String,
    pub partner: String,
    pub seminar: String,
    pub amount: Kopecks,
    pub booked_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// An [`EventKind`] name for the seminar's own events; other audit events (accounts,
    /// partners) may use names of their own.
    pub kind: String,
    pub seminar: Option<String>,
    pub data: serde_json::Value,
}

/// A city × week slot held by an approved seminar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub program: String,
    pub city: String,
    pub week: String,
    pub seminar: String,
}

/// Everything one command or one fired due item changes; saved in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub seminars: Vec<Seminar>,
    pub penalties: Vec<(String, Penalty)>,
    pub points: Vec<PointsEntry>,
    pub bonus: Vec<BonusEntry>,
    pub flags: Vec<(String, PartnerFlag)>,
    pub notifications: Vec<Notification>,
    pub events: Vec<Event>,
    pub slots_taken: Vec<Slot>,
    pub slots_freed: Vec<Slot>,
}

impl Outcome {
    /// Adds every effect of `o` but its seminars to `self` and returns those seminars (the
    /// caller decides how they replace its own).
    pub fn absorb(&mut self, o: Outcome) -> Vec<Seminar> {
        let Outcome {
            seminars,
            penalties,
            points,
            bonus,
            flags,
            notifications,
            events,
            slots_taken,
            slots_freed,
        } = o;
        self.penalties.extend(penalties);
        self.points.extend(points);
        self.bonus.extend(bonus);
        self.flags.extend(flags);
        self.notifications.extend(notifications);
        self.events.extend(events);
        self.slots_taken.extend(slots_taken);
        self.slots_freed.extend(slots_freed);
        seminars
    }

    pub fn is_empty(&self) -> bool {
        self.seminars.is_empty() && self.notifications.is_empty() && self.events.is_empty()
    }
}
