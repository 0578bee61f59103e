//! The penalty table of a workflow file: automatic rules (lateness bands per stage and round,
//! measured from the deadline or the cutoff), the manual violation catalogue, and the effects
//! a penalty has.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Penalties {
    #[serde(default)]
    pub automatic: Vec<AutomaticRule>,
    #[serde(default)]
    pub manual: Vec<ManualViolation>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutomaticRule {
    pub code: String,
    pub name: String,
    pub trigger: Trigger,
    /// Stage the rule watches (all triggers but `venue_change`).
    #[serde(default)]
    pub stage: Option<String>,
    /// Submission round: the first submission, or a re-submission after a return.
    #[serde(default)]
    pub round: Option<Round>,
    /// Lateness band in calendar days after the round's designated deadline.
    #[serde(default)]
    pub late_days: Option<Band>,
    /// What the band counts from: the stage's deadline or its cutoff.
    #[serde(default)]
    pub measured_from: MeasuredFrom,
    /// `venue_change`: fires when the venue changes fewer than this many days before the seminar.
    #[serde(default)]
    pub days_before_seminar_under: Option<u32>,
    #[serde(default)]
    pub points: i64,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Booked at the submission instant when the submission is late by a day count in the band.
    LateSubmission,
    /// Booked by the clock when the band begins (00:00 after deadline + from − 1 days) and the
    /// partner still holds the stage; or at a return whose re-submission would already be in the band.
    StillHeld,
    /// Booked when the coordinator returns the stage this many days after the deadline.
    LateReturn,
    /// Booked when the venue changes too close to the seminar.
    VenueChange,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Round {
    First,
    Resubmit,
    /// Only in a rule: every round (a returned report not resubmitted counts too).
    Any,
}

impl Round {
    /// Whether a rule for `self` applies to a submission in `round`.
    pub fn covers(self, round: Round) -> bool {
        self == Round::Any || self == round
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MeasuredFrom {
    #[default]
    Deadline,
    Cutoff,
}

/// Inclusive band of days late: `from..=to`, open-ended without `to`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub from: i64,
    #[serde(default)]
    pub to: Option<i64>,
}

impl Band {
    pub fn contains(&self, days: i64) -> bool {
        days >= self.from && self.to.is_none_or(|t| days <= t)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The seminar is excluded: state `excluded`, slot freed.
    Exclusion,
    /// The vendor stops information support (no publication, no listed landing page).
    InfoSupportWithdrawn,
    /// The item's cost (per count) is not compensated.
    VoidItemCost,
    /// No organizer points for the seminar.
    NoPoints,
    /// No compensation for the seminar.
    NoCompensation,
    /// The partner is barred from later programs.
    BarPartner,
    /// The item gets no information support on the vendor site.
    NoInfoSupport,
    /// The vendor sends no printed materials.
    NoMaterials,
    /// Engine vocabulary (not for files): the item is shown on the vendor site later than its
    /// window opens.
    PromotionDelayed,
    /// Engine vocabulary (not for files): points or compensation reduced at acceptance.
    Reduced,
    /// Engine vocabulary (not for files): the consequence of a `void_item_cost` violation at
    /// acceptance, with the amount taken out of the compensable costs.
    CostVoided,
}

impl Effect {
    /// The effect named in a list on a page: `исключение из программы`.
    pub fn label(self) -> &'static str {
        match self {
            Effect::Exclusion => "исключение из программы",
            Effect::InfoSupportWithdrawn => "снята информационная поддержка",
            Effect::VoidItemCost => "стоимость позиции не компенсируется",
            Effect::NoPoints => "баллы за семинар не начисляются",
            Effect::NoCompensation => "затраты не компенсируются",
            Effect::BarPartner => "участие в следующих программах закрыто",
            Effect::NoInfoSupport => "без информационной поддержки",
            Effect::NoMaterials => "материалы не высылаются",
            Effect::PromotionDelayed => "публикация на сайте вендора отложена",
            Effect::Reduced => "баллы или компенсация уменьшены",
            Effect::CostVoided => "сумма исключена из компенсируемых затрат",
        }
    }

    /// The effect told as what will happen, in an e-mail sentence:
    /// `семинар исключается из программы`.
    pub fn consequence(self) -> &'static str {
        match self {
            Effect::Exclusion => "семинар исключается из программы",
            Effect::InfoSupportWithdrawn => "вендор прекращает информационную поддержку семинара",
            Effect::VoidItemCost => "стоимость позиции не компенсируется",
            Effect::NoPoints => "баллы организатора за семинар не начисляются",
            Effect::NoCompensation => "расходы на семинар не компенсируются",
            Effect::BarPartner => "партнёр не допускается к следующим программам",
            Effect::NoInfoSupport => "мероприятие не получает информационной поддержки вендора",
            Effect::NoMaterials => "вендор не высылает материалы",
            Effect::PromotionDelayed => "анонс мероприятия появится на сайте вендора позже",
            Effect::Reduced => "баллы или компенсация уменьшаются",
            Effect::CostVoided => "сумма исключается из компенсируемых затрат",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManualViolation {
    pub code: String,
    pub name: String,
    /// Points per item (≤ 0).
    #[serde(default)]
    pub points: i64,
    /// May be recorded more than once per seminar (each item counts).
    #[serde(default)]
    pub repeatable: bool,
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// What the coordinator gives with the violation (points ≤ 0, compensation %, a cost).
    #[serde(default)]
    pub params: Vec<ViolationParam>,
    /// Kinds for which `compensation_percent` may not be given.
    #[serde(default)]
    pub compensation_percent_not_for: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ViolationParam {
    PointsLeZero,
    CompensationPercent,
    Cost,
}
