//! The clock of an item program (design §6 B1, B3): the lapse of an application still pending
//! at its event date, waiting alerts (`[[alerts]] on = "application" | "report"`), promo
//! materials missing at the event date, reminders before a stage's cut-off, which stages an
//! item goes through at all, and the partner's low-attendance streak. `schedule` dispatches to
//! these; the report deadline itself counts from the item's last day (`Program::stage_deadline`)
//! and `report_late` / `report_missing` are the ordinary clock penalties (`measured_from`).

use super::apply;
use super::promotion;
use crate::domain::calendar::Calendar;
use crate::domain::deadline::{end_of, local_date, local_instant, start_of};
use crate::domain::program::{refuse, DomainError, Program, RefusalCode};
use crate::domain::schedule::{holds, DueItem, DueKind};
use crate::domain::seminar::{
    Notification, NotificationKind, Outcome, Recipient, Seminar, SeminarState, StageStatus,
};
use crate::domain::workflow::{DeadlineRule, Stage, StageCondition, Waiting};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

/// Whether item `s` goes through stage `st` with a clock: a stage of its kind, with a
/// deadline, its condition met, and not the report of a kind whose claim is the report.
pub fn stage_runs(prog: &Program, s: &Seminar, st: &Stage) -> bool {
    if s.item.is_flagship() {
        return true;
    }
    let kind = prog.wf.kinds.iter().find(|k| k.id == s.item.kind);
    let of_kind = s.stages.contains_key(&st.id);
    let claim_is_report = st.report && kind.is_some_and(|k| k.claim_is_report);
    let condition = match st.only_if {
        Some(StageCondition::InfoSupport) => promotion::has_info_support(s),
        None => true,
    };
    of_kind && st.deadline != DeadlineRule::None && !claim_is_report && condition
}

/// An item takes submissions only for the stages of its kind, and a conditional stage only
/// while its condition holds (promo materials need information support).
///
/// # Errors
/// `invalid_state` otherwise.
pub fn check_stage_of_item(s: &Seminar, st: &Stage) -> Result<(), DomainError> {
    if s.item.is_flagship() {
        return Ok(());
    }
    if !s.stages.contains_key(&st.id) {
        return refuse(
            RefusalCode::InvalidState,
            format!("у этого мероприятия нет этапа «{}»", st.name),
        );
    }
    let condition = match st.only_if {
        Some(StageCondition::InfoSupport) => promotion::has_info_support(s),
        None => true,
    };
    if !condition {
        return refuse(
            RefusalCode::InvalidState,
            format!(
                "этап «{}» нужен только при информационной поддержке, а у мероприятия её нет",
                st.name
            ),
        );
    }
    Ok(())
}

/// The date a submission of `st` is measured against: the designated deadline, or for a stage
/// without one (`deadline = "none"`) a due date the coordinator set on return, else the item's
/// last day; no rule watches such a stage.
///
/// # Errors
/// When the calendar cannot resolve the deadline.
pub fn measured_against(prog: &Program, s: &Seminar, st: &Stage) -> Result<NaiveDate, DomainError> {
    if st.deadline == DeadlineRule::None {
        let due = s.stages.get(&st.id).and_then(|p| p.due_override);
        return Ok(due.unwrap_or(s.last_day()));
    }
    prog.designated(s, &st.id)
}

/// The due items of an item program beyond the flagship's: `(key, instant, kind)`.
///
/// # Errors
/// When the calendar cannot resolve a date.
pub fn plan_item(
    prog: &Program,
    s: &Seminar,
) -> Result<Vec<(String, DateTime<Utc>, DueKind)>, DomainError> {
    let wf = &prog.wf;
    let mut v = Vec::new();
    if s.state == SeminarState::Applied {
        if let Some(code) = &wf.applications.lapse_at_event_date {
            let kind = DueKind::ApplicationLapse { code: code.clone() };
            v.push(("lapse".into(), start_of(prog.tz, s.date), kind));
        }
        let arrived = local_date(prog.tz, s.applied_at);
        plan_waiting(prog, Waiting::Application, arrived, 0, &mut v)?;
        return Ok(v);
    }
    if s.state == SeminarState::Preparing && wf.promotion.is_some() {
        v.push((
            "promo_missing".into(),
            start_of(prog.tz, s.date),
            DueKind::PromoMissing,
        ));
    }
    if s.state.is_active() {
        plan_report_waiting(prog, s, &mut v)?;
        for st in wf.stages.iter().filter(|st| stage_runs(prog, s, st)) {
            plan_cutoff_reminders(prog, s, st, &mut v)?;
        }
    }
    Ok(v)
}

/// `[[alerts]] on = <on>`: 00:00 after `working_days` working days from `since`.
fn plan_waiting(
    prog: &Program,
    on: Waiting,
    since: NaiveDate,
    round: u32,
    v: &mut Vec<(String, DateTime<Utc>, DueKind)>,
) -> Result<(), DomainError> {
    for a in prog.wf.waiting_alerts.iter().filter(|a| a.on == on) {
        let day = waiting_day(&prog.cal, since, a.working_days)?;
        let kind = DueKind::Waiting {
            on,
            code: a.code.clone(),
            round,
        };
        v.push((
            format!("waiting:{}:r{round}", a.code),
            end_of(prog.tz, day),
            kind,
        ));
    }
    Ok(())
}

/// The N-th working day after `since`: the alert fires when it ends.
pub fn waiting_day(
    cal: &Calendar,
    since: NaiveDate,
    working_days: u32,
) -> Result<NaiveDate, DomainError> {
    Ok(cal.add_working_days(since, working_days as i32)?)
}

/// A report submission waiting for the coordinator.
fn plan_report_waiting(
    prog: &Program,
    s: &Seminar,
    v: &mut Vec<(String, DateTime<Utc>, DueKind)>,
) -> Result<(), DomainError> {
    let Some(st) = prog.wf.report_stage() else {
        return Ok(());
    };
    let Some(p) = s.stages.get(&st.id) else {
        return Ok(());
    };
    if p.status != StageStatus::Submitted {
        return Ok(());
    }
    let Some(last) = p.versions.last() else {
        return Ok(());
    };
    let since = local_date(prog.tz, last.submitted_at);
    plan_waiting(prog, Waiting::Report, since, p.round, v)
}

/// The stage's reminder offsets before its cut-off, while the partner holds it.
fn plan_cutoff_reminders(
    prog: &Program,
    s: &Seminar,
    st: &Stage,
    v: &mut Vec<(String, DateTime<Utc>, DueKind)>,
) -> Result<(), DomainError> {
    let Some(cutoff) = prog.cutoff(s, &st.id)? else {
        return Ok(());
    };
    let Some(p) = s.stages.get(&st.id).filter(|p| p.partner_holds()) else {
        return Ok(());
    };
    for r in prog.wf.reminder_offsets(st) {
        let day = prog
            .cal
            .add_working_days(cutoff, -(r.working_days_before as i32))?;
        let at = local_instant(prog.tz, day, r.at);
        // Not before the item's day: the report stage opens then.
        if day >= s.last_day() {
            let kind = DueKind::CutoffReminder {
                stage: st.id.clone(),
                round: p.round,
            };
            let key = format!("cutoff:{}:r{}:{}", st.id, p.round, at.timestamp());
            v.push((key, at, kind));
        }
    }
    Ok(())
}

/// Fires one of the item program's due kinds (see [`plan_item`]); an empty outcome when it no
/// longer applies.
///
/// # Errors
/// When the calendar cannot resolve a date.
pub fn fire_item(prog: &Program, s: Seminar, item: &DueItem) -> Result<Outcome, DomainError> {
    let mut out = Outcome::default();
    match &item.kind {
        DueKind::ApplicationLapse { code } if s.state == SeminarState::Applied => {
            out = apply::reject(prog, s, code, None, "scheduler", item.at)?;
        }
        DueKind::Waiting { on, code, round } if still_waiting(prog, &s, *on, *round) => {
            out.notifications.push(Notification {
                key: format!("review_due:{}", item.key),
                kind: NotificationKind::ReviewDue,
                to: Recipient::Coordinator,
                seminar: s.id.clone(),
                stage: prog
                    .wf
                    .report_stage()
                    .filter(|_| *on == Waiting::Report)
                    .map(|st| st.id.clone()),
                at: item.at,
                data: json!({ "code": code, "codes": [code], "partner": s.partner }),
            });
        }
        DueKind::PromoMissing => {
            if let Some(c) = promotion::promo_missing(prog, &s, item.at) {
                let mut s = s;
                apply::consequence_events(&s, std::slice::from_ref(&c), "scheduler", &mut out);
                let why = "промо-материалы не были согласованы до дня мероприятия";
                out.notifications
                    .push(promotion::support_changed(&s, &c, "", why));
                s.item.consequences.push(c);
                s.info_support = promotion::has_info_support(&s);
                out.seminars.push(s);
            }
        }
        DueKind::CutoffReminder { stage, round } if holds(&s, stage, *round) => {
            let cutoff = prog.cutoff(&s, stage)?;
            out.notifications.push(Notification {
                key: format!("deadline_reminder:{}", item.key),
                kind: NotificationKind::DeadlineReminder,
                to: Recipient::Partner(s.partner.clone()),
                seminar: s.id.clone(),
                stage: Some(stage.clone()),
                at: item.at,
                data: json!({ "deadline": cutoff, "round": round, "cutoff": true }),
            });
        }
        _ => {}
    }
    Ok(out)
}

fn still_waiting(prog: &Program, s: &Seminar, on: Waiting, round: u32) -> bool {
    match on {
        Waiting::Application => s.state == SeminarState::Applied,
        Waiting::Report => {
            s.state.is_active()
                && prog.wf.report_stage().is_some_and(|st| {
                    s.stages
                        .get(&st.id)
                        .is_some_and(|p| p.status == StageStatus::Submitted && p.round == round)
                })
        }
    }
}

/// The low-attendance alert (`[partner_rules.low_attendance]`) when accepting `accepted`
/// makes the `streak`-th accepted item in a row of the counted kinds below the minimum.
/// `earlier` are the partner's other items of the program, in any order; an item counts by its
/// date, and a counted item at or above the minimum breaks the streak.
pub fn low_attendance_alert(
    prog: &Program,
    accepted: &Seminar,
    earlier: &[Seminar],
    at: DateTime<Utc>,
) -> Option<Notification> {
    let rule = prog.wf.partner_rules.low_attendance.as_ref()?;
    let counted =
        |s: &Seminar| rule.kinds.contains(&s.item.kind) && s.report.is_some() && s.result.is_some();
    let below = |s: &Seminar| s.report.as_ref().is_some_and(|r| r.attendees < rule.below);
    if !counted(accepted) || !below(accepted) {
        return None;
    }
    let mut before: Vec<&Seminar> = earlier
        .iter()
        .filter(|s| s.id != accepted.id && counted(s) && s.state == SeminarState::Closed)
        .filter(|s| (s.date, &s.id) < (accepted.date, &accepted.id))
        .collect();
    before.sort_by_key(|s| std::cmp::Reverse((s.date, s.id.clone())));
    let run = 1 + before.iter().take_while(|s| below(s)).count() as u32;
    (run == rule.streak).then(|| Notification {
        key: format!("{}:{}", accepted.id, rule.alert),
        kind: NotificationKind::ReviewDue,
        to: Recipient::Coordinator,
        seminar: accepted.id.clone(),
        stage: None,
        at,
        data: json!({ "code": rule.alert, "codes": [rule.alert], "partner": accepted.partner,
                      "streak": run, "below": rule.below }),
    })
}
