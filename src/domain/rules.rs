//! Commands of coordinators and partners, decided against the workflow and the state machine.
//! Each returns the `Outcome` to save, or a `Refusal` with a contract code. Pure: `now` and the
//! seminars a decision depends on are arguments.

use super::deadline::{days_late, local_date};
use super::estimate::{self, EstimateLine};
use super::items::{
    self,
    apply::{Applicant, ApprovalTerms, ItemApplication},
};
use super::money::Kopecks;
use super::penalties::{
    apply_flags, automatic_penalty, book, expiry, manual_penalty, slot_of, Circumstances,
};
use super::program::{refuse, DomainError, Program, RefusalCode};
use super::results;
use super::review;
use super::seminar::*;
use super::workflow::{AutomaticRule, Effect, Round, Stage, StageOpens, Trigger, Week, Workflow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// A command of the application service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Command {
    Apply {
        seminar: String,
        partner: String,
        city: String,
        date: NaiveDate,
    },
    ReviewApplications,
    ApproveApplication {
        seminar: String,
    },
    RejectApplication {
        seminar: String,
        #[serde(default)]
        comment: Option<String>,
    },
    Submit {
        seminar: String,
        stage: String,
        #[serde(default)]
        report: Option<ReportFigures>,
        /// The estimate stage's lines.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        estimate: Vec<EstimateLine>,
        #[serde(default)]
        files: Vec<String>,
        #[serde(default)]
        comment: Option<String>,
    },
    Return {
        seminar: String,
        stage: String,
        #[serde(default)]
        due: Option<NaiveDate>,
        #[serde(default)]
        comment: Option<String>,
    },
    Approve {
        seminar: String,
        stage: String,
        #[serde(default)]
        comment: Option<String>,
    },
    ChangeVenue {
        seminar: String,
        #[serde(default)]
        venue: Option<String>,
    },
    Violation {
        seminar: String,
        code: String,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        cost: Option<Kopecks>,
        #[serde(default)]
        note: Option<String>,
        /// Item programs: the points (≤ 0) and compensation reduction (%) the coordinator sets
        /// with a parametrised violation (`requirements_breach`, E§4.9).
        #[serde(default, flatten)]
        params: crate::domain::items::breach::BreachParams,
    },
    Withdraw {
        seminar: String,
    },
    AcceptReport {
        seminar: String,
        /// The coordinator's comment, kept on the report's decision and sent to the partner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// Item programs: points or compensation the coordinator sets (ranges, overrides).
        #[serde(default, flatten)]
        settings: items::accept::Settings,
    },
    /// Item programs: the coordinator (or the head of partner marketing) suspends a partner's
    /// marketing support (E§4.16).
    SuspendSupport {
        partner: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// Item programs: the partner's marketing support is resumed.
    ResumeSupport {
        partner: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// A rolling program (`[events]`): announce an item of a kind (see `items::apply`).
    ApplyItem {
        seminar: String,
        partner: String,
        #[serde(flatten)]
        item: ItemApplication,
    },
    /// A rolling program: approve an item with the agreed amounts.
    ApproveItem {
        seminar: String,
        #[serde(default, flatten)]
        terms: ApprovalTerms,
    },
    /// A rolling program: reject an item with a `[[rejections]]` code.
    RejectItem {
        seminar: String,
        code: String,
        #[serde(default)]
        comment: Option<String>,
    },
}

fn one() -> u32 {
    1
}

impl Command {
    pub fn name(&self) -> &'static str {
        self.event_kind().as_str()
    }

    /// The audit event a decided command records.
    pub fn event_kind(&self) -> EventKind {
        match self {
            Command::Apply { .. } => EventKind::Apply,
            Command::ReviewApplications => EventKind::ReviewApplications,
            Command::ApproveApplication { .. } => EventKind::ApproveApplication,
            Command::RejectApplication { .. } => EventKind::RejectApplication,
            Command::Submit { .. } => EventKind::Submit,
            Command::Return { .. } => EventKind::Return,
            Command::Approve { .. } => EventKind::Approve,
            Command::ChangeVenue { .. } => EventKind::ChangeVenue,
            Command::Violation { .. } => EventKind::Violation,
            Command::Withdraw { .. } => EventKind::Withdraw,
            Command::AcceptReport { .. } => EventKind::AcceptReport,
            Command::SuspendSupport { .. } => EventKind::SuspendSupport,
            Command::ResumeSupport { .. } => EventKind::ResumeSupport,
            Command::ApplyItem { .. } => EventKind::Apply,
            Command::ApproveItem { .. } => EventKind::ApproveApplication,
            Command::RejectItem { .. } => EventKind::RejectApplication,
        }
    }

    /// The seminar the command is about, if it names one.
    pub fn seminar(&self) -> Option<&str> {
        match self {
            Command::ReviewApplications => None,
            Command::Apply { seminar, .. }
            | Command::ApproveApplication { seminar }
            | Command::RejectApplication { seminar, .. }
            | Command::Submit { seminar, .. }
            | Command::Return { seminar, .. }
            | Command::Approve { seminar, .. }
            | Command::ChangeVenue { seminar, .. }
            | Command::Violation { seminar, .. }
            | Command::Withdraw { seminar }
            | Command::AcceptReport { seminar, .. }
            | Command::ApplyItem { seminar, .. }
            | Command::ApproveItem { seminar, .. }
            | Command::RejectItem { seminar, .. } => Some(seminar),
            Command::SuspendSupport { .. } | Command::ResumeSupport { .. } => None,
        }
    }
}

/// What deciding a command reads, so the service loads exactly that and no more: a command's
/// cost does not grow with the season.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reads<'a> {
    /// Nothing: the command names nothing to decide on.
    Nothing,
    /// One seminar and its partner.
    Seminar(&'a str),
    /// A new application: the id (taken or not), the partner, and the program's seminars in the
    /// city that count against the partner's or the city's limits ([`CITY_STATES`]).
    Application {
        seminar: &'a str,
        partner: &'a str,
        city: &'a str,
    },
    /// One application, its partner and the seminars holding slots in its city.
    Decision { seminar: &'a str },
    /// The applications whose review day has come, their partners, and the seminars holding
    /// slots in their cities.
    DueGroups,
    /// One partner and whether its marketing support is suspended (item programs).
    Partner(&'a str),
}

impl Reads<'_> {
    /// A decision about the program's slots (applications, their review): it takes the program
    /// lock and lets the clock catch up with the whole program first.
    pub fn is_program_wide(&self) -> bool {
        !matches!(self, Reads::Seminar(_) | Reads::Nothing | Reads::Partner(_))
    }
}

/// States in which a seminar counts as the partner's seminar in its city.
pub const CITY_STATES: [SeminarState; 4] = [
    SeminarState::Applied,
    SeminarState::Preparing,
    SeminarState::Held,
    SeminarState::Closed,
];

impl Command {
    /// What deciding this command reads (see [`Reads`]).
    pub fn reads(&self) -> Reads<'_> {
        match self {
            Command::Apply {
                seminar,
                partner,
                city,
                ..
            } => Reads::Application {
                seminar,
                partner,
                city,
            },
            Command::ReviewApplications => Reads::DueGroups,
            Command::ApproveApplication { seminar } => Reads::Decision { seminar },
            Command::ApplyItem {
                seminar,
                partner,
                item,
            } => Reads::Application {
                seminar,
                partner,
                city: &item.city,
            },
            // The item and its partner; the item it repeats, when in the view (design C13).
            Command::ApproveItem { seminar, .. } => Reads::Decision { seminar },
            Command::SuspendSupport { partner, .. } | Command::ResumeSupport { partner, .. } => {
                Reads::Partner(partner)
            }
            other => other.seminar().map_or(Reads::Nothing, Reads::Seminar),
        }
    }
}

/// What a decision may look at: the seminars it decides on and those that constrain it (see
/// [`Command::reads`]), and the partners concerned.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub seminars: Vec<Seminar>,
    pub partners: BTreeMap<String, Partner>,
    /// Partners whose marketing support is suspended (item programs).
    pub support_suspended: BTreeSet<String>,
}

impl View {
    fn seminar(&self, id: &str) -> Result<Seminar, DomainError> {
        match self.seminars.iter().find(|s| s.id == id) {
            Some(s) => Ok(s.clone()),
            None => refuse(
                RefusalCode::UnknownSeminar,
                format!("семинар «{id}» не найден"),
            ),
        }
    }
}

/// Decides `cmd` at `now` on behalf of `actor`.
///
/// # Errors
/// `DomainError::Refused` with the contract code when the command does not fit.
pub fn decide(
    prog: &Program,
    view: &View,
    cmd: &Command,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let mut out = Outcome::default();
    let at = Moment { actor, now };
    match cmd {
        Command::Apply {
            seminar,
            partner,
            city,
            date,
        } => {
            let application = Application {
                id: seminar,
                partner,
                city,
                date: *date,
            };
            application.decide(prog, view, now, &mut out)?
        }
        Command::ReviewApplications if prog.wf.events.is_some() => {
            out = review_items(prog, view, at)?
        }
        Command::ReviewApplications => review::review_due_groups(prog, view, actor, now, &mut out)?,
        Command::ApproveApplication { seminar } => {
            approve_application(prog, view, seminar, at, &mut out)?
        }
        Command::RejectApplication { seminar, comment } => {
            let mut s = view.seminar(seminar)?;
            expect_state(&s, &[SeminarState::Applied])?;
            review::reject(&mut s, actor, None, comment.clone(), now, &mut out);
            out.seminars.push(s);
        }
        Command::ApplyItem { .. } | Command::ApproveItem { .. } | Command::RejectItem { .. } => {
            out = decide_item(prog, view, cmd, at)?
        }
        Command::SuspendSupport { partner, note } => {
            let on = (prog.id(), true);
            items::support::suspend(view, partner, on, note.as_deref(), now, &mut out)?
        }
        Command::ResumeSupport { partner, note } => {
            let on = (prog.id(), false);
            items::support::suspend(view, partner, on, note.as_deref(), now, &mut out)?
        }
        _ => decide_on_seminar(prog, view, cmd, at, &mut out)?,
    }
    out.events.insert(0, command_event(cmd, actor, now)?);
    Ok(out)
}

/// The commands about one approved seminar: its stages, venue, violations, withdrawal, report.
fn decide_on_seminar(
    prog: &Program,
    view: &View,
    cmd: &Command,
    at: Moment,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    match cmd {
        Command::Submit {
            seminar,
            stage,
            report,
            estimate,
            files,
            comment,
        } => {
            let submission = Submission {
                stage,
                report: report.clone(),
                estimate,
                files,
                comment: comment.clone(),
            };
            let s = submission.decide(prog, view.seminar(seminar)?, at, out)?;
            out.seminars.push(s);
        }
        Command::Return {
            seminar,
            stage,
            due,
            comment,
        } => {
            let s = view.seminar(seminar)?;
            let s = return_stage(prog, s, stage, *due, comment.clone(), at, out)?;
            out.seminars.push(s);
        }
        Command::Approve {
            seminar,
            stage,
            comment,
        } => approve(prog, view.seminar(seminar)?, stage, comment, at, out)?,
        Command::ChangeVenue { seminar, venue } => {
            change_venue(prog, view.seminar(seminar)?, venue, at, out)?
        }
        Command::Violation {
            seminar,
            code,
            count,
            cost,
            note,
            params,
        } => {
            let violation = Violation {
                code,
                count: *count,
                cost: *cost,
                note,
                params: *params,
            };
            violation.decide(prog, view.seminar(seminar)?, at, out)?
        }
        Command::Withdraw { seminar } => withdraw(prog, view.seminar(seminar)?, at.now, out)?,
        Command::AcceptReport {
            seminar,
            comment,
            settings,
        } => {
            let s = view.seminar(seminar)?;
            let s = accept_report(prog, s, comment.clone(), *settings, at, out)?;
            out.seminars.push(s);
        }
        // Applications and their review are decided by `decide` itself.
        Command::ApplyItem { .. }
        | Command::ApproveItem { .. }
        | Command::RejectItem { .. }
        | Command::Apply { .. }
        | Command::ReviewApplications
        | Command::ApproveApplication { .. }
        | Command::RejectApplication { .. }
        | Command::SuspendSupport { .. }
        | Command::ResumeSupport { .. } => {}
    }
    Ok(())
}

/// `review_applications` in a rolling program (E Part 2): approves every pending application
/// with the amounts applied for, oldest first; there are no slots or review groups.
fn review_items(prog: &Program, view: &View, at: Moment) -> Result<Outcome, DomainError> {
    let mut pending: Vec<&Seminar> = view
        .seminars
        .iter()
        .filter(|s| s.state == SeminarState::Applied)
        .collect();
    pending.sort_by(|a, b| (a.applied_at, &a.id).cmp(&(b.applied_at, &b.id)));
    let mut out = Outcome::default();
    for s in pending {
        let earlier = s
            .item
            .repeat_of
            .as_ref()
            .and_then(|r| view.seminars.iter().find(|x| &x.id == r));
        let terms = items::apply::ApprovalTerms::default();
        let o = items::apply::approve(prog, s.clone(), &terms, earlier, at.actor, at.now)?;
        let seminars = out.absorb(o);
        out.seminars.extend(seminars);
    }
    Ok(out)
}

/// The commands of a rolling program's applications (`items::apply`).
fn decide_item(
    prog: &Program,
    view: &View,
    cmd: &Command,
    at: Moment,
) -> Result<Outcome, DomainError> {
    match cmd {
        Command::ApplyItem {
            seminar,
            partner,
            item,
        } => {
            if view.seminars.iter().any(|s| &s.id == seminar) {
                return refuse(
                    RefusalCode::InvalidState,
                    format!("мероприятие «{seminar}» уже существует"),
                );
            }
            let Some(p) = view.partners.get(partner) else {
                return refuse(
                    RefusalCode::InvalidInput,
                    format!("партнёр «{partner}» не найден"),
                );
            };
            let who = Applicant {
                partner: p,
                support_suspended: view.support_suspended.contains(partner),
            };
            items::apply::apply(prog, seminar, who, item, at.now)
        }
        Command::ApproveItem { seminar, terms } => {
            let s = view.seminar(seminar)?;
            let earlier = s
                .item
                .repeat_of
                .as_ref()
                .and_then(|r| view.seminars.iter().find(|x| &x.id == r));
            items::apply::approve(prog, s.clone(), terms, earlier, at.actor, at.now)
        }
        Command::RejectItem {
            seminar,
            code,
            comment,
        } => {
            let s = view.seminar(seminar)?;
            items::apply::reject(prog, s, code, comment.clone(), at.actor, at.now)
        }
        _ => Ok(Outcome::default()),
    }
}

/// Who decides and when.
#[derive(Clone, Copy)]
struct Moment<'a> {
    actor: &'a str,
    now: DateTime<Utc>,
}

/// The journal entry of a decided command: the command itself, as the API would send it.
fn command_event(cmd: &Command, actor: &str, now: DateTime<Utc>) -> Result<Event, DomainError> {
    let data = serde_json::to_value(cmd).map_err(|e| {
        DomainError::Program(format!(
            "команду «{}» не удалось записать в журнал: {e}",
            cmd.name()
        ))
    })?;
    Ok(Event {
        at: now,
        actor: actor.into(),
        kind: cmd.name().into(),
        seminar: cmd.seminar().map(String::from),
        data,
    })
}

fn approve_application(
    prog: &Program,
    view: &View,
    seminar: &str,
    at: Moment,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let mut s = view.seminar(seminar)?;
    expect_state(&s, &[SeminarState::Applied])?;
    if let Some(code) = review::slot_conflict(prog, &view.seminars, &s) {
        return refuse(code, review::conflict_message(code, &s));
    }
    review::approve(prog, &mut s, at.actor, at.now, out);
    out.seminars.push(s);
    Ok(())
}

/// Approving the report stage accepts the report; any other stage is simply approved.
fn approve(
    prog: &Program,
    s: Seminar,
    stage: &str,
    comment: &Option<String>,
    at: Moment,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let (actor, now) = (at.actor, at.now);
    let s = if prog.wf.stage(stage).is_some_and(|st| st.report) {
        accept_report(prog, s, comment.clone(), Default::default(), at, out)?
    } else {
        approve_stage(prog, s, stage, comment.clone(), actor, now, out)?
    };
    out.seminars.push(s);
    Ok(())
}

/// The program's `venue_change` rule and its day limit, when changing the venue of `s` on
/// `today` would book it (fewer days left than the rule allows, not booked yet). Used by the
/// command and by the page that warns before it.
pub fn venue_change_rule<'p>(
    prog: &'p Program,
    s: &Seminar,
    today: chrono::NaiveDate,
) -> Option<(&'p AutomaticRule, i64)> {
    let rule = prog
        .wf
        .penalties
        .automatic
        .iter()
        .find(|r| r.trigger == Trigger::VenueChange)?;
    let limit = i64::from(rule.days_before_seminar_under.unwrap_or(0));
    ((s.date - today).num_days() < limit && !s.has_penalty(&rule.code)).then_some((rule, limit))
}

/// A venue change too close to the seminar books the program's `venue_change` rule.
fn change_venue(
    prog: &Program,
    mut s: Seminar,
    venue: &Option<String>,
    at: Moment,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    expect_state(&s, &[SeminarState::Preparing])?;
    s.venue = venue.clone().or(s.venue.take());
    let today = local_date(prog.tz, at.now);
    if let Some((rule, limit)) = venue_change_rule(prog, &s, today) {
        let days_before = (s.date - today).num_days();
        let c = Circumstances {
            note: Some(format!(
                "место изменено за {days_before} дн. до семинара (нужно не меньше {limit})"
            )),
            ..Default::default()
        };
        let p = automatic_penalty(&s.id, rule, at.now, c);
        book(prog, &mut s, p, at.actor, out)?;
    }
    out.seminars.push(s);
    Ok(())
}

/// A coordinator's `violation` command: a manual penalty from the program's catalog.
struct Violation<'a> {
    code: &'a str,
    count: u32,
    cost: Option<Kopecks>,
    note: &'a Option<String>,
    params: crate::domain::items::breach::BreachParams,
}

impl Violation<'_> {
    fn decide(
        &self,
        prog: &Program,
        mut s: Seminar,
        at: Moment,
        out: &mut Outcome,
    ) -> Result<(), DomainError> {
        let code = self.code;
        let Some(v) = prog.wf.manual(code) else {
            return refuse(
                RefusalCode::InvalidInput,
                format!("нарушение «{code}» отсутствует в каталоге программы"),
            );
        };
        expect_state(&s, &[SeminarState::Preparing, SeminarState::Held])?;
        if !v.repeatable && s.has_penalty(code) {
            return refuse(
                RefusalCode::InvalidState,
                format!("нарушение «{}» уже зафиксировано по этому семинару", v.name),
            );
        }
        if self.count == 0 {
            return refuse(
                RefusalCode::InvalidInput,
                "количество нарушений должно быть не меньше 1",
            );
        }
        crate::domain::items::breach::record(v, &mut s, self.params)?;
        let mut p = manual_penalty(&s, v, at.now, self.count, self.note.clone());
        if v.effects.contains(&Effect::VoidItemCost) {
            if let Some(c) = self.cost {
                let before = s.voided;
                s.voided = voided(&s, c, p.count)?;
                p.amount = Some(s.voided.saturating_sub(before));
            }
        }
        book(prog, &mut s, p, at.actor, out)?;
        out.seminars.push(s);
        Ok(())
    }
}

/// What `s` no longer gets compensated once `count` more items of cost `cost` are voided.
fn voided(s: &Seminar, cost: Kopecks, count: u32) -> Result<Kopecks, DomainError> {
    match cost
        .checked_times_count(i64::from(count))
        .and_then(|v| v.checked_add(s.voided))
    {
        Some(v) => Ok(v),
        None => refuse(
            RefusalCode::InvalidInput,
            format!(
                "cost: не компенсируемая сумма больше допустимой ({} руб.)",
                Kopecks::MAX
            ),
        ),
    }
}

/// Withdrawing an approved seminar frees its slot, and after the free date flags the partner.
fn withdraw(
    prog: &Program,
    mut s: Seminar,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    expect_state(&s, &[SeminarState::Applied, SeminarState::Preparing])?;
    if s.state == SeminarState::Preparing {
        out.slots_freed.push(slot_of(&s));
        if prog
            .wf
            .withdrawal
            .free_until
            .is_some_and(|d| local_date(prog.tz, now) > d)
        {
            out.flags
                .push((s.partner.clone(), PartnerFlag::LateWithdrawal));
        }
    }
    s.state = SeminarState::Withdrawn;
    out.seminars.push(s);
    Ok(())
}

fn expect_state(s: &Seminar, allowed: &[SeminarState]) -> Result<(), DomainError> {
    if allowed.contains(&s.state) {
        Ok(())
    } else {
        refuse(
            RefusalCode::InvalidState,
            format!(
                "команда не подходит к состоянию семинара «{}»: {}",
                s.id,
                s.state.label()
            ),
        )
    }
}

/// A partner's `apply` command: a new seminar in `city` on `date`, if the program admits it.
struct Application<'a> {
    id: &'a str,
    partner: &'a str,
    city: &'a str,
    date: NaiveDate,
}

impl Application<'_> {
    fn decide(
        &self,
        prog: &Program,
        view: &View,
        now: DateTime<Utc>,
        out: &mut Outcome,
    ) -> Result<(), DomainError> {
        let week = self.admitted_week(prog, view, now)?;
        let mut s = self.seminar(&prog.wf, week, now);
        if let Some(code) = review::slot_conflict(prog, &view.seminars, &s) {
            return refuse(code, review::conflict_message(code, &s));
        }
        s.coordinator = None;
        out.seminars.push(s);
        Ok(())
    }

    /// The seminar week of the application, once the id, the partner, the city, the
    /// application window and the partner's seminars in the city admit it.
    fn admitted_week<'w>(
        &self,
        prog: &'w Program,
        view: &View,
        now: DateTime<Utc>,
    ) -> Result<&'w Week, DomainError> {
        let (wf, id, partner, city) = (&prog.wf, self.id, self.partner, self.city);
        if view.seminars.iter().any(|s| s.id == id) {
            return refuse(
                RefusalCode::InvalidState,
                format!("семинар «{id}» уже существует"),
            );
        }
        let Some(p) = view.partners.get(partner) else {
            return refuse(
                RefusalCode::InvalidInput,
                format!("партнёр «{partner}» не найден"),
            );
        };
        if city.trim().is_empty() {
            return refuse(RefusalCode::InvalidInput, "не указан город");
        }
        let today = local_date(prog.tz, now);
        if today < wf.applications.from || today > wf.applications.to {
            return refuse(
                RefusalCode::ApplicationWindowClosed,
                format!(
                    "заявки принимаются с {} по {}",
                    ru_date(wf.applications.from),
                    ru_date(wf.applications.to)
                ),
            );
        }
        let Some(week) = wf.week_of(self.date) else {
            return refuse(
                RefusalCode::DateOutsideProgram,
                format!(
                    "семинары проводятся с {} по {}",
                    ru_date(wf.seminars.from),
                    ru_date(wf.seminars.to)
                ),
            );
        };
        super::program::refuse_if_barred(wf, p.barred)?;
        let mine = view
            .seminars
            .iter()
            .filter(|s| s.partner == partner && s.city == city && holds_city(s.state))
            .count();
        if mine as u32 >= wf.slots.per_partner_city {
            return refuse(
                RefusalCode::PartnerCityDuplicate,
                format!("у партнёра уже есть семинар в городе {city}"),
            );
        }
        Ok(week)
    }

    /// The applied seminar, every stage of the workflow open.
    fn seminar(&self, wf: &Workflow, week: &Week, now: DateTime<Utc>) -> Seminar {
        Seminar {
            id: self.id.into(),
            program: wf.id.clone(),
            partner: self.partner.into(),
            city: self.city.into(),
            date: self.date,
            week: week.id.clone(),
            state: SeminarState::Applied,
            applied_at: now,
            decided_at: None,
            info_support: true,
            coordinator: None,
            venue: None,
            stages: wf
                .stages
                .iter()
                .map(|st| (st.id.clone(), StageProgress::new()))
                .collect(),
            penalties: vec![],
            voided: Kopecks::ZERO,
            report: None,
            estimate: None,
            result: None,
            item: Default::default(),
            version: 0,
        }
    }
}

fn holds_city(st: SeminarState) -> bool {
    CITY_STATES.contains(&st)
}

fn stage_progress<'a>(
    prog: &Program,
    s: &'a mut Seminar,
    stage: &str,
) -> Result<&'a mut StageProgress, DomainError> {
    if prog.wf.stage(stage).is_none() {
        return refuse(
            RefusalCode::InvalidInput,
            format!("в программе нет этапа «{stage}»"),
        );
    }
    Ok(s.stages.entry(stage.to_string()).or_default())
}

/// A partner's submission of a stage version (with the report figures for the report stage).
struct Submission<'a> {
    stage: &'a str,
    report: Option<ReportFigures>,
    estimate: &'a [EstimateLine],
    files: &'a [String],
    comment: Option<String>,
}

impl Submission<'_> {
    fn decide(
        self,
        prog: &Program,
        mut s: Seminar,
        at: Moment,
        out: &mut Outcome,
    ) -> Result<Seminar, DomainError> {
        let (stage, now) = (self.stage, at.now);
        let Some(st) = prog.wf.stage(stage) else {
            return refuse(
                RefusalCode::InvalidInput,
                format!("в программе нет этапа «{stage}»"),
            );
        };
        self.check(prog, &s, st, now)?;
        items::report::check_stage_of_item(&s, st)?;
        let designated = items::report::measured_against(prog, &s, st)?;
        let late = days_late(prog.tz, designated, now);
        let p = stage_progress(prog, &mut s, stage)?;
        if !p.partner_holds() {
            let why = if p.status == StageStatus::Submitted {
                "предыдущая версия ещё на проверке"
            } else {
                "этап уже согласован"
            };
            return refuse(
                RefusalCode::InvalidState,
                format!("этап «{}» сейчас не принимает материалы: {why}", st.name),
            );
        }
        let round = p.round_kind();
        p.versions.push(Version {
            number: p.versions.len() as u32 + 1,
            round: p.round,
            submitted_at: now,
            deadline: designated,
            days_late: late.max(0),
            files: self.files.to_vec(),
            comment: self.comment,
            estimate: self.estimate.to_vec(),
            decision: None,
        });
        p.status = StageStatus::Submitted;
        let version = p.versions.len();
        if st.report {
            s.report = self.report;
            if s.state == SeminarState::Preparing {
                s.state = SeminarState::Held;
            }
        }
        out.notifications.push(Notification {
            key: format!("{}:submission_received:{stage}:v{version}", s.id),
            kind: NotificationKind::SubmissionReceived,
            to: Recipient::Partner(s.partner.clone()),
            seminar: s.id.clone(),
            stage: Some(stage.into()),
            at: now,
            data: json!({ "version": version, "days_late": late.max(0), "deadline": designated }),
        });
        if late >= 1 {
            let band = Band {
                stage,
                round,
                trigger: Trigger::LateSubmission,
                deadline: designated,
                days_late: late,
            };
            book_band(prog, &mut s, band, now, at.actor, out)?;
        }
        Ok(s)
    }

    /// The stage takes submissions, is open for the seminar's state and date, and a report
    /// comes with its figures and valid co-organizers.
    fn check(
        &self,
        prog: &Program,
        s: &Seminar,
        st: &Stage,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if !st.submittable {
            return refuse(
                RefusalCode::InvalidInput,
                format!("этап «{}» не принимает материалы", st.name),
            );
        }
        expect_state(s, &[SeminarState::Preparing, SeminarState::Held])?;
        let today = local_date(prog.tz, now);
        if st.opens == StageOpens::SeminarDay && today < s.date {
            return refuse(
                RefusalCode::InvalidState,
                format!(
                    "этап «{}» открывается в день семинара ({})",
                    st.name,
                    ru_date(s.date)
                ),
            );
        }
        if st.report && self.report.is_none() {
            return refuse(
                RefusalCode::InvalidInput,
                "к отчёту нужны данные: участники, регистрации, расходы",
            );
        }
        if let Some(r) = &self.report {
            check_co_organizers(s, r)?;
        }
        if let Err(why) = estimate::check_submission(&prog.wf, self.stage, self.estimate) {
            return refuse(RefusalCode::InvalidInput, why);
        }
        Ok(())
    }
}

/// A coordinator's return of the submitted version of `stage`, perhaps with a new due date.
fn return_stage(
    prog: &Program,
    mut s: Seminar,
    stage: &str,
    due: Option<NaiveDate>,
    comment: Option<String>,
    at: Moment,
    out: &mut Outcome,
) -> Result<Seminar, DomainError> {
    expect_state(&s, &[SeminarState::Preparing, SeminarState::Held])?;
    if let Some(d) = due {
        check_due(prog, d)?;
    }
    let now = at.now;
    let returned_deadline = match prog.wf.stage(stage) {
        Some(st) => items::report::measured_against(prog, &s, st)?,
        None => prog.designated(&s, stage)?,
    };
    let p = stage_progress(prog, &mut s, stage)?;
    if p.status != StageStatus::Submitted {
        return refuse(
            RefusalCode::InvalidState,
            "вернуть можно только версию, ожидающую проверки",
        );
    }
    if let Some(v) = p.versions.last_mut() {
        v.decision = Some(Decision {
            approved: false,
            at: now,
            by: at.actor.into(),
            comment: comment.clone(),
            due,
        });
    }
    p.status = StageStatus::Returned;
    p.round += 1;
    p.due_override = due;
    let version = p.versions.len();
    out.notifications.push(Notification {
        key: format!("{}:submission_returned:{stage}:v{version}", s.id),
        kind: NotificationKind::SubmissionReturned,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: Some(stage.into()),
        at: now,
        data: json!({ "version": version, "comment": comment, "due": due }),
    });
    book_return_bands(prog, &mut s, stage, returned_deadline, at, out)?;
    Ok(s)
}

/// Deadlines and reminders need the production calendar of the due date's year; a date far
/// beyond it (9999-12-31) is a typo, and would overflow date arithmetic besides.
fn check_due(prog: &Program, d: NaiveDate) -> Result<(), DomainError> {
    if prog.cal.covers(chrono::Datelike::year(&d))
        && d.checked_sub_days(chrono::Days::new(31))
            .is_some_and(|e| prog.cal.covers(chrono::Datelike::year(&e)))
    {
        return Ok(());
    }
    refuse(
        RefusalCode::InvalidInput,
        format!(
            "due: срок {} вне производственного календаря программы (годы {})",
            d.format("%d.%m.%Y"),
            prog.cal
                .covered_years()
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// The penalties a return books: the coordinator's own lateness against the deadline of the
/// returned version, and the partner's re-submission already past its band.
fn book_return_bands(
    prog: &Program,
    s: &mut Seminar,
    stage: &str,
    returned_deadline: NaiveDate,
    at: Moment,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let now = at.now;
    // The coordinator returned it too late for approval (e.g. landing_not_approved).
    let late_return = days_late(prog.tz, returned_deadline, now);
    let band = Band {
        stage,
        round: Round::First,
        trigger: Trigger::LateReturn,
        deadline: returned_deadline,
        days_late: late_return,
    };
    book_band(prog, s, band, now, at.actor, out)?;
    // A re-submission would already be past its band: the very-late rule fires at the return.
    let new_deadline = match prog.wf.stage(stage) {
        Some(st) => items::report::measured_against(prog, s, st)?,
        None => prog.designated(s, stage)?,
    };
    let would_be = days_late(prog.tz, new_deadline, now);
    let band = Band {
        stage,
        round: Round::Resubmit,
        trigger: Trigger::StillHeld,
        deadline: new_deadline,
        days_late: would_be,
    };
    book_band(prog, s, band, now, at.actor, out)?;
    Ok(())
}

fn approve_stage(
    prog: &Program,
    mut s: Seminar,
    stage: &str,
    comment: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<Seminar, DomainError> {
    expect_state(&s, &[SeminarState::Preparing, SeminarState::Held])?;
    let p = stage_progress(prog, &mut s, stage)?;
    if p.status != StageStatus::Submitted {
        return refuse(
            RefusalCode::InvalidState,
            "согласовать можно только версию, ожидающую проверки",
        );
    }
    if let Some(v) = p.versions.last_mut() {
        v.decision = Some(Decision {
            approved: true,
            at: now,
            by: actor.into(),
            comment,
            due: None,
        });
    }
    p.status = StageStatus::Approved;
    let version = p.versions.len();
    if let Some(approved) = p
        .versions
        .last()
        .and_then(|v| estimate::on_approval(&prog.wf, stage, v))
    {
        s.estimate = approved;
    }
    out.notifications.push(Notification {
        key: format!("{}:submission_approved:{stage}:v{version}", s.id),
        kind: NotificationKind::SubmissionApproved,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: Some(stage.into()),
        at: now,
        data: json!({ "version": version }),
    });
    Ok(s)
}

/// Co-organizers are other partners, each named once, whose costs are part of the documented
/// costs; the vendor talks were given by one of the organizers.
fn check_co_organizers(s: &Seminar, r: &ReportFigures) -> Result<(), DomainError> {
    let mut seen = BTreeSet::from([s.partner.as_str()]);
    let mut sum: i64 = 0;
    for c in &r.co_organizers {
        if c.partner.trim().is_empty() || !seen.insert(c.partner.as_str()) {
            return refuse(
                RefusalCode::InvalidInput,
                format!(
                    "соорганизатор «{}» указан дважды или совпадает с организатором",
                    c.partner
                ),
            );
        }
        sum = sum.saturating_add(c.costs.0.max(0));
    }
    if sum > r.costs.0 {
        return refuse(
            RefusalCode::InvalidInput,
            "расходы соорганизаторов больше общих документально подтверждённых расходов",
        );
    }
    if let Some(v) = r.vendor_talks_by.as_deref().filter(|v| !seen.contains(v)) {
        return refuse(
            RefusalCode::InvalidInput,
            format!(
                "с докладами о продуктах вендора выступил «{v}», но он не организатор семинара"
            ),
        );
    }
    Ok(())
}

/// Accepting the report closes the seminar with its result: points and compensation booked to
/// the organizers, the partner told why.
fn accept_report(
    prog: &Program,
    mut s: Seminar,
    comment: Option<String>,
    settings: items::accept::Settings,
    at: Moment,
    out: &mut Outcome,
) -> Result<Seminar, DomainError> {
    expect_state(&s, &[SeminarState::Preparing, SeminarState::Held])?;
    let Some(st) = prog.wf.report_stage() else {
        return refuse(RefusalCode::InvalidState, "в программе нет этапа отчёта");
    };
    let (stage_id, now) = (st.id.clone(), at.now);
    let p = stage_progress(prog, &mut s, &stage_id)?;
    if p.status != StageStatus::Submitted {
        return refuse(RefusalCode::InvalidState, "отчёт не подан или уже принят");
    }
    if let Some(v) = p.versions.last_mut() {
        v.decision = Some(Decision {
            approved: true,
            at: now,
            by: at.actor.into(),
            comment: comment.clone(),
            due: None,
        });
    }
    p.status = StageStatus::Approved;
    let figures = s
        .report
        .clone()
        .ok_or_else(|| DomainError::Program("отчёт без данных".into()))?;
    let result = if s.item.is_flagship() {
        let mut result = results::compute(&prog.wf, &s, &figures);
        let shares = results::shares(&s, &figures, result.compensation);
        explain_shares(&s, &shares, &mut result);
        credit(prog, &s, &result, shares, now, out);
        result
    } else {
        items::accept::accept(prog, &mut s, &figures, settings, now, out)?
    };
    out.notifications.push(Notification {
        key: format!("{}:report_accepted", s.id),
        kind: NotificationKind::ReportAccepted,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: Some(stage_id),
        at: now,
        data: json!({ "points": result.points, "compensation": result.compensation, "reasons": result.reasons, "comment": comment }),
    });
    s.result = Some(result);
    s.state = SeminarState::Closed;
    Ok(s)
}

/// The reasons that say who of the organizers gets the points and which part of the money.
fn explain_shares(s: &Seminar, shares: &results::Shares, result: &mut SeminarResult) {
    if shares.points_to != s.partner && result.points != 0 {
        result.reasons.push(format!(
            "баллы организатора получает партнёр {}: он выступил с докладами о продуктах вендора",
            shares.points_to
        ));
    }
    if shares.compensation.len() > 1 {
        let parts: Vec<String> = shares
            .compensation
            .iter()
            .map(|(p, k)| format!("{p} — {k} руб."))
            .collect();
        let line = format!(
            "компенсация разделена между организаторами пропорционально документально подтверждённым расходам: {}",
            parts.join(", ")
        );
        result.money_reasons.push(line.clone());
        result.reasons.push(line);
    }
}

/// Books the organizer points and each organizer's part of the compensation in the ledgers.
fn credit(
    prog: &Program,
    s: &Seminar,
    result: &SeminarResult,
    shares: results::Shares,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    if result.points != 0 {
        out.points.push(PointsEntry {
            key: format!("points:{}:organizer", s.id),
            partner: shares.points_to.clone(),
            seminar: s.id.clone(),
            points: result.points,
            reason: "organizer".into(),
            booked_at: now,
            expires_at: expiry(prog, now, prog.wf.ledgers.points_valid_months),
            ..PointsEntry::default()
        });
    }
    for (partner, amount) in shares.compensation.into_iter().filter(|(_, k)| k.0 > 0) {
        // The seminar's own partner keeps the key it always had; co-organizers get their own.
        let key = if partner == s.partner {
            format!("bonus:{}:compensation", s.id)
        } else {
            format!("bonus:{}:compensation:{partner}", s.id)
        };
        out.bonus.push(BonusEntry {
            key,
            partner,
            seminar: s.id.clone(),
            amount,
            booked_at: now,
            expires_at: expiry(prog, now, prog.wf.ledgers.bonus_valid_months),
        });
    }
}

/// Where a stage's lateness stands against one kind of rule.
struct Band<'a> {
    stage: &'a str,
    round: Round,
    trigger: Trigger,
    deadline: NaiveDate,
    days_late: i64,
}

/// Books the automatic rule whose lateness band holds `band.days_late`, once per seminar and
/// code, while the seminar is active.
fn book_band(
    prog: &Program,
    s: &mut Seminar,
    band: Band,
    now: DateTime<Utc>,
    actor: &str,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    if !s.state.is_active() {
        return Ok(());
    }
    let rules = prog.wf.rules_for(band.stage, band.round, band.trigger);
    let Some(rule) = rules
        .into_iter()
        .find(|r| r.late_days.is_some_and(|b| b.contains(band.days_late)))
    else {
        return Ok(());
    };
    if s.has_penalty(&rule.code) {
        return Ok(());
    }
    let c = Circumstances {
        stage: Some(band.stage.into()),
        deadline: Some(band.deadline),
        days_late: Some(band.days_late),
        count: 1,
        note: None,
    };
    let pen = automatic_penalty(&s.id, rule, now, c);
    book(prog, s, pen, actor, out)
}

/// `27.03.2017`
pub fn ru_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Applies an outcome's partner flags to the view's partners (used by in-memory callers).
pub fn apply_outcome_flags(partners: &mut BTreeMap<String, Partner>, out: &Outcome) {
    for p in partners.values_mut() {
        apply_flags(p, &out.flags);
    }
}
