//! What the clock will do to a seminar: `plan` lists its future due items (reminders, clock
//! penalties, coordinator alerts, the seminar day passing) from its current state; `fire`
//! decides one due item when its instant comes, re-checking that it still applies.

use super::deadline::{end_of, local_date, local_instant, start_of};
use super::penalties::{automatic_penalty, band_start, book, Circumstances};
use super::program::{DomainError, Program};
use super::seminar::{
    Event, EventKind, Notification, NotificationKind, Outcome, Recipient, Seminar, SeminarState,
    StageStatus,
};
use super::workflow::{Stage, StageOpens, Trigger};
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    /// Idempotency key: an item with a key fires once, ever.
    pub key: String,
    pub seminar: String,
    pub at: DateTime<Utc>,
    pub kind: DueKind,
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
    let mut items = Vec::new();
    let active = s.state.is_active();
    if !(active || s.state == SeminarState::Closed) {
        return Ok(items);
    }
    let mut push = |key: String, at: DateTime<Utc>, kind: DueKind| {
        if at > after {
            items.push(DueItem {
                key: format!("{}:{key}", s.id),
                seminar: s.id.clone(),
                at,
                kind,
            });
        }
    };
    if s.state == SeminarState::Preparing {
        push(
            "day_passed".into(),
            end_of(prog.tz, s.date),
            DueKind::SeminarDayPassed,
        );
    }
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
                push(
                    format!("duty:{}:{day}", d.id),
                    at,
                    DueKind::Duty { duty: d.id.clone() },
                );
            }
        }
    }
    for (idx, st) in prog.wf.stages.iter().enumerate() {
        // A closed seminar only keeps reminder-only stages (e.g. conversion data).
        if !active && st.submittable {
            continue;
        }
        let p = s.stages.get(&st.id).cloned().unwrap_or_default();
        let deadline = prog.designated(s, &st.id)?;
        if p.partner_holds() {
            for at in reminder_instants(prog, s, st)? {
                push(
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
                for rule in prog
                    .wf
                    .rules_for(&st.id, p.round_kind(), Trigger::StillHeld)
                {
                    if s.has_penalty(&rule.code) {
                        continue;
                    }
                    let Some(band) = rule.late_days else { continue };
                    let at = band_start(prog, deadline, band.from);
                    push(
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
        } else if p.status == StageStatus::Submitted {
            for a in prog.wf.alerts.iter().filter(|a| a.stage == st.id) {
                let at = end_of(
                    prog.tz,
                    deadline + Duration::days(a.days_after_deadline as i64),
                );
                push(
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
    }
    Ok(items)
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
    let mut s = s.clone();
    let at = item.at;
    let holds = |s: &Seminar, stage: &str, round: u32| {
        s.state.is_active()
            && s.stages
                .get(stage)
                .is_some_and(|p| p.partner_holds() && p.round == round)
    };
    match &item.kind {
        DueKind::Duty { duty } => {
            let on = matches!(
                s.state,
                SeminarState::Preparing | SeminarState::Held | SeminarState::Closed
            );
            let duty = prog.wf.duties.iter().find(|d| &d.id == duty);
            let said = match duty.and_then(|d| d.stage.as_deref()) {
                Some(stage) => stage_reminds_on(prog, &s, stage, local_date(prog.tz, at))?,
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
        }
        DueKind::SeminarDayPassed => {
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
        DueKind::Reminder { stage, round } => {
            let st = prog.wf.stage(stage);
            let reminder_only = st.is_some_and(|st| !st.submittable);
            let applies = if reminder_only {
                matches!(
                    s.state,
                    SeminarState::Preparing | SeminarState::Held | SeminarState::Closed
                )
            } else {
                holds(&s, stage, *round)
            };
            if applies {
                let deadline = prog.designated(&s, stage)?;
                out.notifications.push(Notification {
                    key: format!("deadline_reminder:{}", item.key),
                    kind: NotificationKind::DeadlineReminder,
                    to: Recipient::Partner(s.partner.clone()),
                    seminar: s.id.clone(),
                    stage: Some(stage.clone()),
                    at,
                    data: json!({ "deadline": deadline, "round": round }),
                });
            }
        }
        DueKind::StillHeld { code, stage, round } => {
            let Some(rule) = prog.wf.automatic(code) else {
                return Ok(out);
            };
            if holds(&s, stage, *round) && !s.has_penalty(code) {
                let deadline = prog.designated(&s, stage)?;
                let from = rule.late_days.map(|b| b.from).unwrap_or(1);
                let c = Circumstances {
                    stage: Some(stage.clone()),
                    deadline: Some(deadline),
                    days_late: Some(from),
                    count: 1,
                    note: None,
                };
                let p = automatic_penalty(&s.id, rule, at, c);
                book(prog, &mut s, p, "scheduler", &mut out);
                out.seminars.push(s);
            }
        }
        DueKind::Alert {
            stage,
            round,
            notify,
        } => {
            let waiting = s.state.is_active()
                && s.stages
                    .get(stage)
                    .is_some_and(|p| p.status == StageStatus::Submitted && p.round == *round);
            if waiting {
                let deadline = prog.designated(&s, stage)?;
                out.notifications.push(Notification {
                    key: format!("{notify}:{}", item.key),
                    kind: *notify,
                    to: Recipient::Coordinator,
                    seminar: s.id.clone(),
                    stage: Some(stage.clone()),
                    at,
                    data: json!({ "deadline": deadline, "partner": s.partner }),
                });
            }
        }
    }
    Ok(out)
}
