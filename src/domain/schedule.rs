//! What the clock will do to a seminar: `plan` lists its future due items (reminders, clock
//! penalties, coordinator alerts, the seminar day passing) from its current state; `fire`
//! decides one due item when its instant comes, re-checking that it still applies.

use super::deadline::{end_of, local_date, local_instant, start_of};
use super::penalties::{automatic_penalty, band_start, book, Circumstances};
use super::program::{DomainError, Program};
use super::seminar::{
    Event, EventKind, Notification, NotificationKind, Outcome, Recipient, Seminar, SeminarState,
    StageProgress, StageStatus,
};
use super::workflow::{MeasuredFrom, Stage, StageOpens, Trigger, Waiting};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DueKind {
    /// Remind the partner who still holds `stage` in `round`.
    Reminder { stage: String, round: u32 },
    /// Book automatic penalty `code` if the partner still holds the stage in `round`.
    StillHeld {
        code: String,
        stage: String,
        round: u32,
    },
    /// Alert the coordinator who still holds a submission of `stage` in `round`.
    Alert {
        stage: String,
        round: u32,
        notify: NotificationKind,
    },
    /// The seminar day has ended: `preparing` becomes `held`.
    SeminarDayPassed,
    /// Remind the partner of duty `duty` of the workflow (not penalised).
    Duty { duty: String },
    /// Item programs: an application still pending at 00:00 of its event date is rejected
    /// with `code`.
    ApplicationLapse { code: String },
    /// Item programs: tell the coordinator (`review_due` with `code`) that an application or a
    /// report has waited too long.
    Waiting {
        on: Waiting,
        code: String,
        round: u32,
    },
    /// Item programs: at 00:00 of the event date, promo materials not approved cost the
    /// information support.
    PromoMissing,
    /// Remind the partner who still holds `stage` in `round` of the stage's cut-off.
    CutoffReminder { stage: String, round: u32 },
    /// Recompute the partner's promotion pool (subject [`Subject::Promotion`]).
    PromotionDay { date: NaiveDate },
    /// Standings: run the auto ladder (an input changed, a term ends; design §4.3).
    Evaluate,
    /// Standings: a review date of a review-date ladder.
    Review,
    /// Standings: warn if the term ending at `until` would not be confirmed.
    ExpiryWarning { until: DateTime<Utc> },
    /// Standings: `review_due` to the coordinator if the vendor has not decided yet.
    VendorReview {
        review: String,
        reference: String,
        due: NaiveDate,
    },
    /// Standings: a noticed termination takes effect.
    TerminationEffective,
    /// Standings of a decided ladder: a term, renewal, bonus or obligation item
    /// (`standing::ops::decided::fire`).
    Decided {
        due: crate::domain::standing::outcome::StandingDue,
    },
    /// Standings of a review-date ladder: a warning before a review, a watcher's check
    /// (`standing::ops::reviewed::fire`).
    Ladder {
        due: crate::domain::standing::review_outcome::StandingDue,
    },
}

/// What a due item acts on. Items of one subject fire in order (instant, rank, key); the store
/// keeps the subject as its [`Subject::key`] in the `seminar` column (a flagship item's is the
/// seminar id, as it always was) beside [`Subject::kind`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// One item of an item program (a seminar, an event).
    Item(String),
    /// A partner's standing in a partner program.
    Standing { partner: String, program: String },
    /// A partner's promotion days in an item program.
    Promotion { partner: String, program: String },
}

impl Subject {
    /// The stored subject kind (the `subject_kind` column).
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Item(_) => "item",
            Subject::Standing { .. } => "standing",
            Subject::Promotion { .. } => "promotion",
        }
    }

    /// The stored subject key: `id`, `p:<partner>:<program>` or `promo:<partner>:<program>`.
    pub fn key(&self) -> String {
        match self {
            Subject::Item(id) => id.clone(),
            Subject::Standing { partner, program } => format!("p:{partner}:{program}"),
            Subject::Promotion { partner, program } => format!("promo:{partner}:{program}"),
        }
    }

    /// The subject a stored kind and key name; `None` when they do not fit together. A program
    /// id never holds `:`, so the key splits at its last one.
    pub fn from_stored(kind: &str, key: &str) -> Option<Subject> {
        let pair = |prefix: &str| {
            let (partner, program) = key.strip_prefix(prefix)?.rsplit_once(':')?;
            (!partner.is_empty() && !program.is_empty())
                .then(|| (partner.to_string(), program.to_string()))
        };
        match kind {
            "item" => Some(Subject::Item(key.to_string())),
            "standing" => {
                pair("p:").map(|(partner, program)| Subject::Standing { partner, program })
            }
            "promotion" => {
                pair("promo:").map(|(partner, program)| Subject::Promotion { partner, program })
            }
            _ => None,
        }
    }

    /// The seminar (item) id, for an item subject.
    pub fn item(&self) -> Option<&str> {
        match self {
            Subject::Item(id) => Some(id),
            _ => None,
        }
    }
}

/// The rank of every item effect (all of today's due kinds): items due at one instant fire by
/// rank, lowest first — 0 item effects, 1 partner flags and sanctions, 5 promotion days,
/// 9 evaluations (design §4.3).
pub const ITEM_RANK: u8 = 0;
/// The rank of promotion days (see [`ITEM_RANK`]).
pub const PROMOTION_RANK: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// Idempotency key: an item with a key fires once, ever.
    pub key: String,
    pub subject: Subject,
    pub at: DateTime<Utc>,
    /// Among items due at the same instant, lower ranks fire first.
    pub rank: u8,
    pub kind: DueKind,
}

impl DueItem {
    /// An item effect of seminar `seminar` (rank [`ITEM_RANK`]).
    pub fn of_seminar(key: String, seminar: &str, at: DateTime<Utc>, kind: DueKind) -> DueItem {
        DueItem {
            key,
            subject: Subject::Item(seminar.to_string()),
            at,
            rank: ITEM_RANK,
            kind,
        }
    }

    /// The seminar the item acts on, when its subject is an item.
    pub fn seminar(&self) -> Option<&str> {
        self.subject.item()
    }
}

/// Every item due strictly after `after` for seminar `s` in its current state.
///
/// # Errors
/// When the program's calendar cannot resolve a date.
pub fn plan(
    prog: &Program,
    s: &Seminar,
    after: DateTime<Utc>,
) -> Result<Vec<DueItem>, DomainError> {
    let mut due = Due {
        s,
        after,
        items: Vec::new(),
    };
    if !s.item.is_flagship() {
        for (key, at, kind) in crate::domain::items::report::plan_item(prog, s)? {
            due.push(key, at, kind);
        }
    }
    let active = s.state.is_active();
    if !(active || s.state == SeminarState::Closed) {
        return Ok(due.items);
    }
    if s.state == SeminarState::Preparing {
        due.push(
            "day_passed".into(),
            end_of(prog.tz, s.last_day()),
            DueKind::SeminarDayPassed,
        );
    }
    plan_duties(prog, &mut due);
    for (idx, st) in prog.wf.stages.iter().enumerate() {
        // A closed seminar only keeps reminder-only stages (e.g. conversion data).
        if !active && st.submittable {
            continue;
        }
        plan_stage(prog, idx, st, &mut due)?;
    }
    Ok(due.items)
}

/// The due items of one seminar being planned: only those strictly after `after` are kept.
struct Due<'a> {
    s: &'a Seminar,
    after: DateTime<Utc>,
    items: Vec<DueItem>,
}

impl Due<'_> {
    fn push(&mut self, key: String, at: DateTime<Utc>, kind: DueKind) {
        if at > self.after {
            self.items.push(DueItem::of_seminar(
                format!("{}:{key}", self.s.id),
                &self.s.id,
                at,
                kind,
            ));
        }
    }
}

/// The workflow's duty reminders, on their days relative to the seminar date.
fn plan_duties(prog: &Program, due: &mut Due) {
    let s = due.s;
    for d in &prog.wf.duties {
        let before = d
            .days_from_seminar
            .iter()
            .map(|n| s.date + Duration::days(*n));
        let months = d
            .months_after_seminar
            .iter()
            .filter_map(|m| s.date.checked_add_months(chrono::Months::new(*m)));
        for day in before.chain(months) {
            let at = local_instant(prog.tz, day, d.at);
            // Duties before the seminar only while it is being prepared; after it, while held or closed.
            let fits = if day < s.date {
                s.state == SeminarState::Preparing
            } else {
                true
            };
            if fits {
                due.push(
                    format!("duty:{}:{day}", d.id),
                    at,
                    DueKind::Duty { duty: d.id.clone() },
                );
            }
        }
    }
}

/// Stage `st` (position `idx` in the workflow): reminders and clock penalties while the partner
/// holds it, coordinator alerts while a submission waits.
fn plan_stage(prog: &Program, idx: usize, st: &Stage, due: &mut Due) -> Result<(), DomainError> {
    let s = due.s;
    if !crate::domain::items::report::stage_runs(prog, s, st) {
        return Ok(());
    }
    // No progress yet (a stage added to the workflow later) means open: never submitted.
    let p = s.stages.get(&st.id).cloned().unwrap_or_default();
    let deadline = prog.designated(s, &st.id)?;
    if p.partner_holds() {
        for at in reminder_instants(prog, s, st)? {
            due.push(
                // The stage position first: reminders due together fire in workflow order.
                format!("remind:{idx:02}-{}:r{}:{}", st.id, p.round, at.timestamp()),
                at,
                DueKind::Reminder {
                    stage: st.id.clone(),
                    round: p.round,
                },
            );
        }
        if st.submittable {
            let cutoff = prog.cutoff(s, &st.id)?;
            plan_still_held(prog, st, &p, (deadline, cutoff), due);
        }
    } else if p.status == StageStatus::Submitted {
        for a in prog.wf.alerts.iter().filter(|a| a.stage == st.id) {
            let at = end_of(
                prog.tz,
                deadline + Duration::days(a.days_after_deadline as i64),
            );
            due.push(
                format!("alert:{}:{}:r{}", a.kind, st.id, p.round),
                at,
                DueKind::Alert {
                    stage: st.id.clone(),
                    round: p.round,
                    notify: a.kind,
                },
            );
        }
    }
    Ok(())
}

/// The clock penalties of stage `st` not yet booked, each at the start of its lateness band.
fn plan_still_held(
    prog: &Program,
    st: &Stage,
    p: &StageProgress,
    (deadline, cutoff): (NaiveDate, Option<NaiveDate>),
    due: &mut Due,
) {
    for rule in prog
        .wf
        .rules_for(&st.id, p.round_kind(), Trigger::StillHeld)
    {
        if due.s.has_penalty(&rule.code) {
            continue;
        }
        let Some(band) = rule.late_days else { continue };
        let from = match rule.measured_from {
            MeasuredFrom::Deadline => deadline,
            MeasuredFrom::Cutoff => match cutoff {
                Some(c) => c,
                None => continue,
            },
        };
        let at = band_start(prog, from, band.from);
        due.push(
            format!("held:{}:r{}", rule.code, p.round),
            at,
            DueKind::StillHeld {
                code: rule.code.clone(),
                stage: st.id.clone(),
                round: p.round,
            },
        );
    }
}

/// When stage `st` reminds the partner of `s` in the current round: the workflow's offsets
/// before the (designated) deadline, none before the stage opens.
fn reminder_instants(
    prog: &Program,
    s: &Seminar,
    st: &Stage,
) -> Result<Vec<DateTime<Utc>>, DomainError> {
    let opens = match st.opens {
        StageOpens::Approval => s.decided_at.unwrap_or(s.applied_at),
        StageOpens::SeminarDay => start_of(prog.tz, s.date),
    };
    let deadline = prog.designated(s, &st.id)?;
    let mut v = Vec::new();
    for r in prog.wf.reminder_offsets(st) {
        let day = prog
            .cal
            .add_working_days(deadline, -(r.working_days_before as i32))?;
        let at = local_instant(prog.tz, day, r.at);
        if at >= opens {
            v.push(at);
        }
    }
    Ok(v)
}

/// Whether the stage reminder of `stage` reaches the partner of `s` on `day` (deadline zone):
/// a duty about the same thing then stays silent — one reminder per thing per day.
fn stage_reminds_on(
    prog: &Program,
    s: &Seminar,
    stage: &str,
    day: NaiveDate,
) -> Result<bool, DomainError> {
    let Some(st) = prog.wf.stage(stage) else {
        return Ok(false);
    };
    // No progress yet (a stage added to the workflow later) means open: the partner holds it.
    let holds = s
        .stages
        .get(stage)
        .cloned()
        .unwrap_or_default()
        .partner_holds();
    let on = if st.submittable {
        s.state.is_active() && holds
    } else {
        holds
            && matches!(
                s.state,
                SeminarState::Preparing | SeminarState::Held | SeminarState::Closed
            )
    };
    Ok(on
        && reminder_instants(prog, s, st)?
            .iter()
            .any(|at| local_date(prog.tz, *at) == day))
}

/// Decides due item `item` for seminar `s` at the item's own instant (catching up after
/// downtime books effects at their original instants). Returns an empty outcome when the item
/// no longer applies.
pub fn fire(prog: &Program, s: &Seminar, item: &DueItem) -> Result<Outcome, DomainError> {
    let mut out = Outcome::default();
    let s = s.clone();
    match &item.kind {
        DueKind::Duty { duty } => fire_duty(prog, &s, item, duty, &mut out)?,
        DueKind::SeminarDayPassed => fire_day_passed(s, item.at, &mut out),
        DueKind::Reminder { stage, round } => {
            fire_reminder(prog, &s, item, stage, *round, &mut out)?
        }
        DueKind::StillHeld { code, stage, round } => {
            fire_still_held(prog, s, item.at, code, stage, *round, &mut out)?
        }
        DueKind::Alert {
            stage,
            round,
            notify,
        } => fire_alert(prog, &s, item, stage, *round, *notify, &mut out)?,
        DueKind::ApplicationLapse { .. }
        | DueKind::Waiting { .. }
        | DueKind::PromoMissing
        | DueKind::CutoffReminder { .. } => {
            out = crate::domain::items::report::fire_item(prog, s, item)?
        }
        // A promotion day acts on all of a partner's items: see `items::promotion::fire`.
        DueKind::PromotionDay { .. } => {}
        // Standing items act on a partner's standing: see `standing::clock::fire`.
        DueKind::Evaluate
        | DueKind::Review
        | DueKind::ExpiryWarning { .. }
        | DueKind::VendorReview { .. }
        | DueKind::TerminationEffective
        | DueKind::Decided { .. }
        | DueKind::Ladder { .. } => {}
    }
    Ok(out)
}

/// Whether the partner of an active seminar still holds `stage` in `round`.
pub(crate) fn holds(s: &Seminar, stage: &str, round: u32) -> bool {
    s.state.is_active()
        && s.stages
            .get(stage)
            .is_some_and(|p| p.partner_holds() && p.round == round)
}

/// A duty reminder, unless the seminar is off or the duty's stage reminds of it the same day.
fn fire_duty(
    prog: &Program,
    s: &Seminar,
    item: &DueItem,
    duty: &str,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let at = item.at;
    let on = matches!(
        s.state,
        SeminarState::Preparing | SeminarState::Held | SeminarState::Closed
    );
    let duty = prog.wf.duties.iter().find(|d| d.id == duty);
    let said = match duty.and_then(|d| d.stage.as_deref()) {
        Some(stage) => stage_reminds_on(prog, s, stage, local_date(prog.tz, at))?,
        None => false,
    };
    if let (true, false, Some(d)) = (on, said, duty) {
        out.notifications.push(Notification {
            key: format!("duty_reminder:{}", item.key),
            kind: NotificationKind::DutyReminder,
            to: Recipient::Partner(s.partner.clone()),
            seminar: s.id.clone(),
            stage: None,
            at,
            data: json!({ "duty": d.id, "name": d.name, "text": d.text }),
        });
    }
    Ok(())
}

/// A seminar still being prepared is held once its day has ended.
fn fire_day_passed(mut s: Seminar, at: DateTime<Utc>, out: &mut Outcome) {
    if s.state == SeminarState::Preparing {
        s.state = SeminarState::Held;
        out.events.push(Event {
            at,
            actor: "scheduler".into(),
            kind: EventKind::SeminarHeld.to_string(),
            seminar: Some(s.id.clone()),
            data: json!({}),
        });
        out.seminars.push(s);
    }
}

/// A deadline reminder while the partner holds the stage (a reminder-only stage: while the
/// seminar is on).
fn fire_reminder(
    prog: &Program,
    s: &Seminar,
    item: &DueItem,
    stage: &str,
    round: u32,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let st = prog.wf.stage(stage);
    let reminder_only = st.is_some_and(|st| !st.submittable);
    let applies = if reminder_only {
        matches!(
            s.state,
            SeminarState::Preparing | SeminarState::Held | SeminarState::Closed
        )
    } else {
        holds(s, stage, round)
    };
    if applies {
        let deadline = prog.designated(s, stage)?;
        out.notifications.push(Notification {
            key: format!("deadline_reminder:{}", item.key),
            kind: NotificationKind::DeadlineReminder,
            to: Recipient::Partner(s.partner.clone()),
            seminar: s.id.clone(),
            stage: Some(stage.to_string()),
            at: item.at,
            data: json!({ "deadline": deadline, "round": round }),
        });
    }
    Ok(())
}

/// The clock penalty `code`, if the partner still holds the stage and it is not booked yet.
fn fire_still_held(
    prog: &Program,
    mut s: Seminar,
    at: DateTime<Utc>,
    code: &str,
    stage: &str,
    round: u32,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let Some(rule) = prog.wf.automatic(code) else {
        return Ok(());
    };
    if holds(&s, stage, round) && !s.has_penalty(code) {
        let deadline = match rule.measured_from {
            MeasuredFrom::Cutoff => prog
                .cutoff(&s, stage)?
                .unwrap_or(prog.designated(&s, stage)?),
            MeasuredFrom::Deadline => prog.designated(&s, stage)?,
        };
        let from = rule.late_days.map(|b| b.from).unwrap_or(1);
        let c = Circumstances {
            stage: Some(stage.to_string()),
            deadline: Some(deadline),
            days_late: Some(from),
            count: 1,
            note: None,
        };
        let p = automatic_penalty(&s.id, rule, at, c);
        book(prog, &mut s, p, "scheduler", out)?;
        out.seminars.push(s);
    }
    Ok(())
}

/// A coordinator alert while the submission of `stage` in `round` still waits for review.
fn fire_alert(
    prog: &Program,
    s: &Seminar,
    item: &DueItem,
    stage: &str,
    round: u32,
    notify: NotificationKind,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let waiting = s.state.is_active()
        && s.stages
            .get(stage)
            .is_some_and(|p| p.status == StageStatus::Submitted && p.round == round);
    if waiting {
        let deadline = prog.designated(s, stage)?;
        out.notifications.push(Notification {
            key: format!("{notify}:{}", item.key),
            kind: notify,
            to: Recipient::Coordinator,
            seminar: s.id.clone(),
            stage: Some(stage.to_string()),
            at: item.at,
            data: json!({ "deadline": deadline, "partner": s.partner }),
        });
    }
    Ok(())
}
