//! `admission_apply` / `admission_decide` (S§1.2): the Анкета, its review target, and the floor
//! status granted on approval.

use crate::domain::kinds::NotificationKind;
use crate::domain::program::Refusal;
use crate::domain::standing::actions::{
    codes, notice, opt_text, refuse, text, working_days_after, Ctx, Effects, Fields,
};
use crate::domain::standing::{HistoryEntry, PendingReview, StandingState};
use crate::domain::workflow::Action;
use serde_json::Value;

/// The review kind of an admission in `vendor_deadlines`.
const ADMISSION: &str = "admission";

pub fn apply(ctx: &Ctx, _action: &Action) -> Result<Effects, Refusal> {
    let s = ctx.standing;
    match s.state {
        StandingState::NotAdmitted => {}
        StandingState::Applied => {
            return Err(refuse(
                crate::domain::RefusalCode::InvalidState.as_str(),
                "анкета уже подана и ждёт решения",
            ))
        }
        _ => return Err(refuse(codes::ALREADY_ADMITTED, "партнёр уже принят")),
    }
    let mut next = s.clone();
    next.state = StandingState::Applied;
    if let Some(d) = ctx
        .program
        .vendor_deadlines
        .iter()
        .find(|d| d.review == ADMISSION)
    {
        next.pending.push(PendingReview {
            review: ADMISSION.into(),
            reference: ctx.partner.to_string(),
            since: ctx.now,
            due: working_days_after(ctx, d.working_days)?,
            timed: true,
        });
    }
    Ok(Effects {
        standing: Some(next),
        ..Effects::default()
    })
}

pub fn decide(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let s = ctx.standing;
    if s.state == StandingState::NotAdmitted {
        return Err(refuse(codes::NOT_ADMITTED, "анкета партнёра не подана"));
    }
    if s.state != StandingState::Applied {
        return Err(refuse(codes::ALREADY_ADMITTED, "партнёр уже принят"));
    }
    let mut next = s.clone();
    next.pending.retain(|p| p.review != ADMISSION);
    let outcome = text(fields, "outcome")?;
    let floor = ctx.program.standing.floor.clone();
    let out = match outcome {
        "approve" => {
            next.state = StandingState::Active;
            next.code = floor.clone();
            next.since = Some(ctx.now);
            next.until = None;
            next.history.push(HistoryEntry {
                at: ctx.now,
                code: floor.clone(),
                change: "granted".into(),
                ..HistoryEntry::default()
            });
            let status = floor.map_or(Value::Null, Value::from);
            notice(
                NotificationKind::AdmissionApproved,
                false,
                &[("status", status)],
            )
        }
        "refuse" => {
            let reason = opt_text(fields, "reason");
            if let Some(r) = reason {
                let allowed = action.params.get("reasons").and_then(toml::Value::as_array);
                if allowed.is_some_and(|a| !a.iter().any(|x| x.as_str() == Some(r))) {
                    return Err(crate::domain::standing::actions::bad_field(
                        "reason",
                        &format!("причины «{r}» нет в программе"),
                    ));
                }
            }
            next.state = StandingState::NotAdmitted;
            let reason = reason.map_or(Value::Null, Value::from);
            notice(
                NotificationKind::AdmissionRefused,
                false,
                &[("reason", reason)],
            )
        }
        _ => {
            return Err(crate::domain::standing::actions::bad_field(
                "outcome",
                "ожидается approve или refuse",
            ))
        }
    };
    next.version = s.version;
    Ok(Effects {
        standing: Some(next),
        notices: vec![out],
        inputs_changed: true,
        ..Effects::default()
    })
}
