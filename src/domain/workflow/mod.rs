//! The workflow file format: one TOML file per program (`workflows/<id>.toml`, id = file stem).
//! Everything specific to a program — dates, stages, penalty table, result rules — is data here;
//! the engine's Rust code only interprets it. See `validate` for the checks `workflow check` runs.
//!
//! A file is read as a [`WorkflowFile`] (`file`: every spelling the format allows) and
//! normalised into the [`Workflow`] the engine reads (docs/design/programs.md §3.8): the
//! flagship's sections keep their meaning, the sections of other item programs live in `items`
//! and `by_kind`.

mod by_kind;
mod file;
mod items;
mod metric_defs;
mod penalties;
mod standing;

pub use by_kind::*;
pub use file::{parse_normalised, ApplicationsFile, ResultsFile, WorkflowFile};
pub use items::*;
pub use metric_defs::*;
pub use penalties::*;
pub use standing::*;

use super::kinds::NotificationKind;
use super::money::{Factor, Kopecks};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A program as the engine reads it: a workflow file normalised (see [`WorkflowFile`]).
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    /// Set from the file stem when loaded; never read from the file.
    pub id: String,
    /// Items (seminars, events) or partners' standings (`standing` is then set).
    pub subject: Subject,
    pub name: String,
    pub vendor: String,
    /// Title every seminar of the program carries (shown on pages and in e-mails);
    /// `item_title` in the file is the same field.
    pub seminar_title: String,
    pub countries: Vec<String>,
    /// IANA zone in which "by date D" deadlines end (e.g. `Europe/Moscow`).
    pub deadline_zone: String,
    /// How people read the deadline zone's name (`[deadline_zone_names]`).
    pub deadline_zone_names: ZoneNames,
    /// How mail and pages name one item of the program (`[item_noun]`).
    pub item_noun: ItemNoun,
    /// Id of a calendar in `workflows/calendars/`.
    pub calendar: String,
    /// The window items take place in. A season program (`[seminars]`) has weeks; a rolling
    /// program (`[events]`) has its window here with no weeks.
    pub seminars: SeminarWindow,
    /// `[events]`: set only for rolling programs.
    pub events: Option<EventWindow>,
    pub applications: Applications,
    pub slots: Slots,
    pub withdrawal: Withdrawal,
    pub reminders: Reminders,
    pub stages: Vec<Stage>,
    pub penalties: Penalties,
    /// Stage alerts (`[[alerts]]` with a `stage`).
    pub alerts: Vec<Alert>,
    /// Waiting alerts (`[[alerts]]` with `on = "application"` or `"report"`).
    pub waiting_alerts: Vec<WaitingAlert>,
    pub exclusion: Exclusion,
    pub results: Results,
    pub ledgers: Ledgers,
    /// City name → IANA zone, for showing deadlines in the city's local time.
    pub city_zones: BTreeMap<String, String>,
    /// Partner duties the engine reminds of without penalising (DOMAIN.md §2.7).
    pub duties: Vec<Duty>,
    pub kinds: Vec<Kind>,
    pub topics: Vec<Topic>,
    pub lead_times: Vec<LeadTime>,
    pub audiences: Option<Audiences>,
    pub promotion: Option<Promotion>,
    pub rejections: Vec<Rejection>,
    /// `[[support_refusals]]`: reasons a coordinator may give for refusing information support
    /// at approval (booked as a consequence with `no_info_support`), same shape as a rejection.
    pub support_refusals: Vec<Rejection>,
    /// `[evidence]`: what each piece of report evidence a kind requires is called
    /// (`photos = "Фотографии с мероприятия"`).
    pub evidence: std::collections::BTreeMap<String, String>,
    pub partner_rules: PartnerRules,
    /// The structured estimate: which stage carries it and its cost categories.
    pub estimate: Option<EstimateForm>,
    /// A partner program's standing sections (`subject = "partner"`); its item sections are
    /// then empty. Left out of the serialised form of item programs (the flagship golden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standing: Option<StandingProgram>,
}

/// `[estimate]`: the stage whose submissions are estimate lines, and the categories a line may
/// have. The approved estimate's compensable lines are the seminar's compensation cap.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateForm {
    /// Id of the estimate stage.
    pub stage: String,
    pub categories: Vec<EstimateCategory>,
}

/// A kind of cost an estimate line may have.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateCategory {
    pub id: String,
    /// Russian name shown to partners and coordinators.
    pub name: String,
    /// Counts towards the compensation cap (DOMAIN.md §2.3: hall, equipment, coffee break…).
    pub compensable: bool,
}

impl EstimateForm {
    pub fn category(&self, id: &str) -> Option<&EstimateCategory> {
        self.categories.iter().find(|c| c.id == id)
    }
}

/// How pages and e-mails name the deadline zone; each name defaults to one derived from the
/// zone itself.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneNames {
    /// After a time on pages (`12:00 МСК`); by default the zone's UTC offset (`UTC+3`).
    #[serde(default)]
    pub label: Option<String>,
    /// In a sentence of an e-mail (`по московскому времени`); by default
    /// `по времени <zone> (UTC+N)`.
    #[serde(default)]
    pub phrase: Option<String>,
}

/// The word for one item of the program in the cases a sentence needs (`[item_noun]`):
/// `семинар` by default, `мероприятие` for a program of several kinds. Texts that use it avoid
/// gendered forms, so only the cases are given.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ItemNoun {
    /// Nominative: `семинар`.
    pub nom: String,
    /// Genitive: `семинара`.
    pub gen: String,
    /// Dative: `семинару`.
    pub dat: String,
    /// Prepositional: `семинаре`.
    pub prep: String,
}

impl Default for ItemNoun {
    fn default() -> Self {
        ItemNoun {
            nom: "семинар".into(),
            gen: "семинара".into(),
            dat: "семинару".into(),
            prep: "семинаре".into(),
        }
    }
}

/// A reminder of a partner duty, sent relative to the seminar date while the seminar is on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Duty {
    pub id: String,
    /// Short Russian title (e-mail subject).
    pub name: String,
    /// What the partner must do, in Russian (e-mail body).
    pub text: String,
    /// Days relative to the seminar date (negative: before) on which to remind.
    #[serde(default)]
    pub days_from_seminar: Vec<i64>,
    /// Months after the seminar date on which to remind (e.g. conversion data).
    #[serde(default)]
    pub months_after_seminar: Vec<u32>,
    /// Local time in the deadline zone.
    pub at: NaiveTime,
    /// The stage this duty is about, if the workflow also has one (e.g. a reminder-only stage):
    /// on a day that stage's own reminder reaches the partner, the duty stays silent — one
    /// reminder per thing per day.
    #[serde(default)]
    pub stage: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeminarWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weeks: Vec<Week>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Week {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// `[applications]` normalised: a rolling program's window defaults to its `[events]`.
#[derive(Debug, Clone, Serialize)]
pub struct Applications {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Applications received up to the end of the N-th working day of a calendar week form
    /// that week's group; later ones join the next week's group.
    pub group_working_days: u32,
    /// The group is reviewed this many working days after it closes.
    pub review_after_working_days: u32,
    /// Order inside a group: `experienced` (seminar experience first), `earliest`.
    pub priority: Vec<Priority>,
    /// Refuse partners flagged `barred` by an earlier program.
    pub refuse_barred: bool,
    pub mode: ApplicationMode,
    /// Rolling: refusal code for an application on or after its event date.
    pub refuse_on_or_after_event: Option<String>,
    /// Rolling: code of the rejection of an application still pending at 00:00 of its event date.
    pub lapse_at_event_date: Option<String>,
    /// Refusal code for a partner whose support is suspended.
    pub refuse_suspended: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Experienced,
    Earliest,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    /// Approved seminars per city and week.
    pub per_city_week: u32,
    /// Approved seminars per city in the whole program.
    pub per_city: u32,
    /// Seminars one partner may hold in one city.
    pub per_partner_city: u32,
    /// Cities closed to the program (e.g. a «Формула сайта» seminar there); applications refused as `city_full`.
    #[serde(default)]
    pub closed_cities: Vec<String>,
}

impl Default for Slots {
    fn default() -> Self {
        Slots {
            per_city_week: 1,
            per_city: u32::MAX,
            per_partner_city: 1,
            closed_cities: vec![],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Last date to withdraw an approved seminar without consequence; later withdrawal flags
    /// the partner `late_withdrawal`. None: never flagged.
    pub free_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    /// Reminders to the partner while it holds a stage (not yet submitted, or returned),
    /// relative to the stage's designated deadline.
    #[serde(default)]
    pub partner_holds: Vec<ReminderOffset>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderOffset {
    /// 0 = on the deadline day itself; N = on the N-th working day before it.
    pub working_days_before: u32,
    /// Local time in the deadline zone, `HH:MM`.
    pub at: NaiveTime,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub name: String,
    /// When the partner starts to hold the stage: on application approval, or on the seminar day.
    #[serde(default)]
    pub opens: StageOpens,
    pub deadline: DeadlineRule,
    /// False for reminder-only stages (e.g. conversion data): nothing is submitted.
    #[serde(default = "default_true")]
    pub submittable: bool,
    /// The stage whose submission carries the report figures; accepting it closes the seminar.
    #[serde(default)]
    pub report: bool,
    /// The approved submission of this stage carries the seminar's public page (its first web
    /// link): the public organizers list links to it and the stage form asks for that address.
    /// At most one stage per program.
    #[serde(default)]
    pub publishes_link: bool,
    /// What the submission must contain (shown to partners and checked by coordinators).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Override of the program-wide reminder offsets for this stage.
    #[serde(default)]
    pub reminders: Option<Vec<ReminderOffset>>,
    /// The stage applies only when the condition holds (submitting otherwise is refused).
    #[serde(default)]
    pub only_if: Option<StageCondition>,
    /// The last day after the deadline on which the stage is still taken (`measured_from =
    /// "cutoff"` rules count from it).
    #[serde(default)]
    pub cutoff: Option<DeadlineRule>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StageCondition {
    /// The item has the vendor's information support.
    InfoSupport,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StageOpens {
    #[default]
    Approval,
    SeminarDay,
}

/// How a stage's deadline is fixed. Every variant resolves to a date; the deadline is the end
/// of that date in the deadline zone.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DeadlineRule {
    /// No deadline: no reminders, no lateness (`deadline = "none"`).
    None,
    Date(NaiveDate),
    /// A date per seminar week (week id → date).
    PerWeek(BTreeMap<String, NaiveDate>),
    WorkingDaysAfterSeminar(u32),
    DaysAfterSeminar(u32),
    MonthsAfterSeminar(u32),
    DaysBeforeSeminar(u32),
    WorkingDaysBeforeSeminar(u32),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub stage: String,
    /// Notification kind sent to the coordinator (e.g. `review_due`).
    pub kind: NotificationKind,
    /// Fires at the end of day `deadline + days_after_deadline` while the coordinator still
    /// holds a submission of the stage.
    pub days_after_deadline: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// An excluded seminar marks its partner `barred` for later programs.
    pub bars_partner: bool,
}

impl Default for Exclusion {
    fn default() -> Self {
        Exclusion { bars_partner: true }
    }
}

/// `[results]` normalised. The flat fields are zero in a `by_kind` program.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub model: ResultModel,
    pub organizer_points: i64,
    /// Maximum compensation per seminar, RUB.
    pub compensation_cap: Kopecks,
    /// Minimum attendance for full points and compensation, outside the listed cities.
    pub attendance_minimum: u32,
    #[serde(default)]
    pub attendance_minimum_by_city: BTreeMap<String, u32>,
    /// Factor on points and compensation below the minimum attendance.
    pub below_minimum_factor: Factor,
    /// Fewer attendees than this: no points and no compensation at all.
    pub nothing_below: u32,
    /// Invited non-partner companies allowed without reduction.
    pub third_party_free_companies: u32,
    /// Compensation reduction per invited non-partner company once over the allowance.
    pub third_party_reduction_per_company: Factor,
    pub co_organizers: CoOrganizers,
    /// Points and compensation are credited within this many working days of acceptance.
    pub credit_within_working_days: u32,
    /// The by-kind model's tables (empty for `flat`).
    pub by_kind: ByKind,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoOrganizers {
    /// How compensation is split between co-organizers: `by_documented_costs`.
    pub compensation_split: String,
    /// Who gets the organizer points: `vendor_talks_speaker`.
    pub points_to: String,
    /// Several speakers of the vendor's talks: the first gets the points, or they share equally.
    #[serde(default)]
    pub speakers_split: SpeakersSplit,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SpeakersSplit {
    #[default]
    First,
    Equal,
}

impl Default for CoOrganizers {
    fn default() -> Self {
        CoOrganizers {
            compensation_split: "by_documented_costs".into(),
            points_to: "vendor_talks_speaker".into(),
            speakers_split: SpeakersSplit::First,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ledgers {
    /// Each points entry stays active this many months after booking.
    pub points_valid_months: u32,
    /// Bonus money (compensation) burns this many months after it is credited.
    pub bonus_valid_months: u32,
    /// The product points book to when the program has no topics.
    #[serde(default = "default_product")]
    pub product: String,
    /// Products topics may book to (`[[topics]] ledger`).
    #[serde(default)]
    pub products: Vec<String>,
}

impl Default for Ledgers {
    fn default() -> Self {
        Ledgers {
            points_valid_months: 12,
            bonus_valid_months: 12,
            product: default_product(),
            products: vec![],
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_product() -> String {
    crate::domain::seminar::MAIN_PRODUCT.into()
}

impl Workflow {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The stage whose approved submission carries the seminar's public page, if any.
    pub fn link_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.publishes_link)
    }

    pub fn report_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.report)
    }

    /// What a piece of report evidence is called (`photos` → «Фотографии с мероприятия»).
    pub fn evidence_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.evidence.get(id).map_or(id, String::as_str)
    }

    /// The estimate form, when `stage` is the stage that carries the estimate.
    pub fn estimate_form(&self, stage: &str) -> Option<&EstimateForm> {
        self.estimate.as_ref().filter(|e| e.stage == stage)
    }

    /// Whether the engine can run the program today: season programs and rolling item
    /// programs (`[events]`, decisions.md 38 as amended). A partner program (`standing`) is
    /// checked but not runnable yet.
    pub fn is_runnable(&self) -> bool {
        self.standing.is_none()
    }

    /// The seminar week a date falls in.
    pub fn week_of(&self, date: NaiveDate) -> Option<&Week> {
        self.seminars
            .weeks
            .iter()
            .find(|w| w.from <= date && date <= w.to)
    }

    pub fn manual(&self, code: &str) -> Option<&ManualViolation> {
        self.penalties.manual.iter().find(|m| m.code == code)
    }

    pub fn automatic(&self, code: &str) -> Option<&AutomaticRule> {
        self.penalties.automatic.iter().find(|m| m.code == code)
    }

    /// Automatic rules watching `stage` in `round` with the given trigger, lowest band first.
    pub fn rules_for(&self, stage: &str, round: Round, trigger: Trigger) -> Vec<&AutomaticRule> {
        let mut v: Vec<&AutomaticRule> = self
            .penalties
            .automatic
            .iter()
            .filter(|r| {
                r.trigger == trigger
                    && r.stage.as_deref() == Some(stage)
                    && r.round.unwrap_or(Round::First).covers(round)
            })
            .collect();
        v.sort_by_key(|r| r.late_days.map(|b| b.from).unwrap_or(0));
        v
    }

    pub fn reminder_offsets<'a>(&'a self, stage: &'a Stage) -> &'a [ReminderOffset] {
        stage
            .reminders
            .as_deref()
            .unwrap_or(&self.reminders.partner_holds)
    }

    pub fn attendance_minimum(&self, city: &str) -> u32 {
        self.results
            .attendance_minimum_by_city
            .get(city)
            .copied()
            .unwrap_or(self.results.attendance_minimum)
    }
}
