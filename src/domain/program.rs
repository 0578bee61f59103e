//! A program ready to run: a validated workflow with its calendar and deadline zone, and the
//! errors its rules produce.

use super::calendar::Calendar;
use super::deadline::{self, DeadlineError};
use super::seminar::{Seminar, StageStatus};
use super::validate::{validate, Problem};
use super::workflow::{DeadlineRule, Workflow};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// See [`Program::attention`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attention {
    pub partner_deadline: Option<NaiveDate>,
    pub awaiting_review: bool,
}

#[derive(Debug, Clone)]
pub struct Program {
    pub wf: Workflow,
    pub cal: Calendar,
    pub tz: Tz,
}

impl Program {
    /// Validates `wf` against the known calendars and builds the program.
    ///
    /// # Errors
    /// Every problem `workflow check` would report.
    pub fn new(
        wf: Workflow,
        calendars: &BTreeMap<String, Calendar>,
    ) -> Result<Program, Vec<Problem>> {
        let problems = validate(&wf, calendars);
        if !problems.is_empty() {
            return Err(problems);
        }
        let tz: Tz = wf
            .deadline_zone
            .parse()
            .map_err(|_| vec![Problem::new("deadline_zone", "неизвестный часовой пояс")])?;
        let cal = calendars
            .get(&wf.calendar)
            .cloned()
            .ok_or_else(|| vec![Problem::new("calendar", "календарь не найден")])?;
        Ok(Program { wf, cal, tz })
    }

    pub fn id(&self) -> &str {
        &self.wf.id
    }

    /// The stage deadline for this seminar, before any coordinator-set due date. Deadlines
    /// after the item count from its last day ([`Seminar::last_day`]; the flagship's is its
    /// date), deadlines before it from its first.
    pub fn stage_deadline(&self, s: &Seminar, stage: &str) -> Result<NaiveDate, DomainError> {
        let after = self
            .wf
            .stage(stage)
            .is_some_and(|st| counts_after(&st.deadline));
        let day = if after { s.last_day() } else { s.date };
        Ok(deadline::stage_deadline(
            &self.wf, &self.cal, stage, day, &s.week,
        )?)
    }

    /// The stage's cut-off date for this item (`cutoff`, counted from its last day), if any.
    pub fn cutoff(&self, s: &Seminar, stage: &str) -> Result<Option<NaiveDate>, DomainError> {
        let Some(rule) = self.wf.stage(stage).and_then(|st| st.cutoff.as_ref()) else {
            return Ok(None);
        };
        Ok(Some(deadline::resolve(
            rule,
            &self.cal,
            s.last_day(),
            &s.week,
        )?))
    }

    /// The designated deadline of the stage's current round: the coordinator's due date after a
    /// return, else the stage's own deadline (DOMAIN.md §2.3 Decision).
    pub fn designated(&self, s: &Seminar, stage: &str) -> Result<NaiveDate, DomainError> {
        match s.stages.get(stage).and_then(|p| p.due_override) {
            Some(d) => Ok(d),
            None => self.stage_deadline(s, stage),
        }
    }

    /// What lists need to find a seminar without loading the season (the store keeps it in
    /// indexed columns): the earliest deadline of a stage the partner holds while the seminar is
    /// active (open or not yet open), and whether a submission waits for the coordinator.
    pub fn attention(&self, s: &Seminar) -> Attention {
        let mut a = Attention::default();
        if !s.state.is_active() {
            return a;
        }
        for st in &self.wf.stages {
            let Some(p) = s.stages.get(&st.id) else {
                continue;
            };
            if p.status == StageStatus::Submitted {
                a.awaiting_review = true;
            }
            if st.submittable && p.partner_holds() {
                if let Ok(d) = self.designated(s, &st.id) {
                    a.partner_deadline = Some(a.partner_deadline.map_or(d, |x| x.min(d)));
                }
            }
        }
        a
    }

    /// The deadline zone all of `programs` share, if they do (and there is at least one): the
    /// zone of things that belong to no single program (the page clock, the digest hour).
    pub fn shared_zone<'a>(mut programs: impl Iterator<Item = &'a Program>) -> Option<Tz> {
        let tz = programs.next()?.tz;
        programs.all(|p| p.tz == tz).then_some(tz)
    }

    /// Time zone of a seminar's city for local display; the deadline zone when unknown.
    pub fn city_zone(&self, city: &str) -> Tz {
        self.wf
            .city_zones
            .get(city)
            .and_then(|z| z.parse().ok())
            .unwrap_or(self.tz)
    }
}

/// Whether a deadline rule counts from after the item (its last day).
fn counts_after(rule: &DeadlineRule) -> bool {
    matches!(
        rule,
        DeadlineRule::WorkingDaysAfterSeminar(_)
            | DeadlineRule::DaysAfterSeminar(_)
            | DeadlineRule::MonthsAfterSeminar(_)
    )
}

/// Why a command was refused. The codes are the scenario contract (SCENARIOS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    ApplicationWindowClosed,
    DateOutsideProgram,
    PartnerBarred,
    PartnerCityDuplicate,
    CityWeekTaken,
    CityFull,
    InvalidState,
    UnknownSeminar,
    /// Not in the scenario contract: a malformed request (unknown partner, stage or code, bad value).
    InvalidInput,
    /// A refusal whose code the program's file names (`lead_time_too_short`, …): the code is
    /// [`Refusal::rule`]; Rust knows no program's codes.
    Rule,
}

impl RefusalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::ApplicationWindowClosed => "application_window_closed",
            RefusalCode::DateOutsideProgram => "date_outside_program",
            RefusalCode::PartnerBarred => "partner_barred",
            RefusalCode::PartnerCityDuplicate => "partner_city_duplicate",
            RefusalCode::CityWeekTaken => "city_week_taken",
            RefusalCode::CityFull => "city_full",
            RefusalCode::InvalidState => "invalid_state",
            RefusalCode::UnknownSeminar => "unknown_seminar",
            RefusalCode::InvalidInput => "invalid_input",
            RefusalCode::Rule => "rule",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: RefusalCode,
    /// Russian, for the user.
    pub message: String,
    /// With [`RefusalCode::Rule`]: the program's own code (from its workflow file).
    pub rule: Option<String>,
}

impl Refusal {
    /// The code a client sees: the program's own code, or the engine's.
    pub fn code_str(&self) -> &str {
        self.rule.as_deref().unwrap_or(self.code.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The program's data cannot answer (e.g. a date its calendar does not cover).
    #[error("ошибка в данных программы: {0}")]
    Program(String),
}

impl From<DeadlineError> for DomainError {
    fn from(e: DeadlineError) -> Self {
        DomainError::Program(e.to_string())
    }
}

impl From<super::calendar::CalendarError> for DomainError {
    fn from(e: super::calendar::CalendarError) -> Self {
        DomainError::Program(e.to_string())
    }
}

pub fn refuse<T>(code: RefusalCode, message: impl Into<String>) -> Result<T, DomainError> {
    Err(DomainError::Refused(Refusal {
        code,
        message: message.into(),
        rule: None,
    }))
}

/// Refuses a partner barred for violations in past programs, when the program's
/// `[applications] refuse_barred` says so (season and rolling applications alike).
pub fn refuse_if_barred(wf: &super::workflow::Workflow, barred: bool) -> Result<(), DomainError> {
    if wf.applications.refuse_barred && barred {
        return refuse(
            RefusalCode::PartnerBarred,
            "партнёр не допускается к программе из-за нарушений в прошлых программах",
        );
    }
    Ok(())
}

/// Refuses with a code the program's file names (see [`RefusalCode::Rule`]).
pub fn refuse_by_rule<T>(code: &str, message: impl Into<String>) -> Result<T, DomainError> {
    Err(DomainError::Refused(Refusal {
        code: RefusalCode::Rule,
        message: message.into(),
        rule: Some(code.to_string()),
    }))
}
