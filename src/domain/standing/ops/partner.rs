//! Partner-level ops shared by a vendor's programs (S§1.8, S§2.8, S§1.7): violations recorded by
//! the coordinator, sanctions of the file's catalogue, and the end of the partnership.

use crate::domain::kinds::NotificationKind;
use crate::domain::program::Refusal;
use crate::domain::standing::actions::{
    bad_field, notice, opt_int, opt_text, refuse, text, ActionRecord, Ctx, Effects, Fields,
};
use crate::domain::standing::decided::sanction::{REVOKE, SUSPEND};
use crate::domain::standing::{HistoryEntry, Standing, StandingState};
use crate::domain::workflow::Action;
use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use serde_json::Value;

/// The record kind of violations (the op's name: `disconnect`'s `requires_warning` names it).
pub const VIOLATION: &str = "partner_violation";

pub fn violation(ctx: &Ctx, fields: &Fields) -> Result<Effects, Refusal> {
    let code = text(fields, "code")?;
    if !ctx.program.violations.iter().any(|v| v == code) {
        return Err(bad_field(
            "code",
            &format!("нарушения «{code}» нет в программе"),
        ));
    }
    let n = ctx.records.iter().filter(|r| r.kind == VIOLATION).count();
    let mut rec = ActionRecord {
        key: format!("{}:{}:{VIOLATION}:{n}", ctx.program_id, ctx.partner),
        kind: VIOLATION.into(),
        reference: format!("{n}"),
        at: ctx.now,
        ..ActionRecord::default()
    };
    rec.data.insert("code".into(), Value::from(code));
    let note = opt_text(fields, "note").unwrap_or_default();
    rec.data.insert("note".into(), Value::from(note));
    Ok(Effects {
        records: vec![rec],
        // Told to the partner only (S§2.8, S§3.6): a warning, not a loss.
        notices: vec![notice(
            NotificationKind::ViolationRecorded,
            false,
            &[("code", Value::from(code)), ("note", Value::from(note))],
        )],
        ..Effects::default()
    })
}

/// 00:00 local after date `d`.
fn end_of(ctx: &Ctx, d: NaiveDate) -> DateTime<Utc> {
    let next = d.succ_opt().unwrap_or(d).and_time(chrono::NaiveTime::MIN);
    ctx.tz
        .from_local_datetime(&next)
        .earliest()
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc))
}

fn date_field(fields: &Fields, key: &str) -> Result<Option<NaiveDate>, Refusal> {
    opt_text(fields, key)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| bad_field(key, "нужна дата ГГГГ-ММ-ДД"))
        })
        .transpose()
}

pub fn sanction(ctx: &Ctx, fields: &Fields) -> Result<Effects, Refusal> {
    let code = text(fields, "code")?;
    let Some(def) = ctx.program.sanctions.iter().find(|s| s.code == code) else {
        return Err(bad_field(
            "code",
            &format!("санкции «{code}» нет в программе"),
        ));
    };
    if def.effect == "terminate" {
        return Ok(end(ctx, ctx.standing.clone(), ctx.now));
    }
    if ctx
        .standing
        .sanctions
        .get(code)
        .is_some_and(|u| u.is_none_or(|u| u > ctx.now))
    {
        return Err(refuse(
            crate::domain::RefusalCode::InvalidState.as_str(),
            format!("санкция «{code}» уже действует"),
        ));
    }
    let today = ctx.now.with_timezone(&ctx.tz).date_naive();
    let months = opt_int(fields, "months")?;
    check_sanction_params(def, fields, months, today)?;
    if let (Some(m), Some(max)) = (months, def.max_months) {
        if m > i64::from(max) {
            let code = def.refuse_over.as_deref().unwrap_or("invalid_input");
            return Err(refuse(
                code,
                format!("санкция дольше {max} мес. не применяется"),
            ));
        }
    }
    let until = match (date_field(fields, "until")?, months) {
        (Some(d), _) => Some(end_of(ctx, d)),
        (None, Some(m)) => {
            let m = u32::try_from(m).map_err(|_| bad_field("months", "нужно число месяцев"))?;
            today
                .checked_add_months(Months::new(m))
                .map(|d| end_of(ctx, d))
        }
        (None, None) => None,
    };
    let mut data = vec![("code", Value::from(code))];
    if let Some(u) = until {
        data.push(("until", Value::from(u.to_rfc3339())));
    }
    let applied = notice(NotificationKind::SanctionApplied, true, &data);
    if matches!(def.effect.as_str(), SUSPEND | REVOKE) {
        // The competence itself is frozen or taken (the decided ladder, S§2.8).
        let mut e = super::decided::sanction(ctx, code, &def.effect, until)?;
        e.notices.push(applied);
        return Ok(e);
    }
    let mut next = ctx.standing.clone();
    next.sanctions.insert(code.to_string(), until);
    Ok(Effects {
        standing: Some(next),
        notices: vec![applied],
        ..Effects::default()
    })
}

/// A sanction's parameters as the catalogue declares them: `months` (1…) only where it takes
/// them, `until` only where it takes it and not in the past.
fn check_sanction_params(
    def: &crate::domain::workflow::Sanction,
    fields: &Fields,
    months: Option<i64>,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let takes = |x: &str| def.params.iter().any(|p| p == x);
    if months.is_some() && !takes("months") {
        return Err(bad_field(
            "months",
            "срок в месяцах у этой санкции не задаётся",
        ));
    }
    if months.is_some_and(|m| m < 1) {
        return Err(bad_field("months", "срок должен быть не меньше 1 месяца"));
    }
    if months.is_none() && takes("months") {
        return Err(bad_field("months", "нужен срок в месяцах"));
    }
    match date_field(fields, "until")? {
        Some(_) if !takes("until") => Err(bad_field(
            "until",
            "дата окончания у этой санкции не задаётся",
        )),
        Some(d) if d < today => Err(bad_field(
            "until",
            &format!("дата окончания {d} уже прошла"),
        )),
        _ => Ok(()),
    }
}

pub fn lift_sanction(ctx: &Ctx, fields: &Fields) -> Result<Effects, Refusal> {
    let code = text(fields, "code")?;
    let effect = ctx
        .program
        .sanctions
        .iter()
        .find(|s| s.code == code)
        .map(|s| s.effect.as_str());
    if matches!(effect, Some(REVOKE | "terminate")) {
        return Err(refuse(
            crate::domain::RefusalCode::InvalidState.as_str(),
            format!("санкция «{code}» окончательна и не снимается"),
        ));
    }
    if effect == Some(SUSPEND)
        && ctx.standing.state == StandingState::Suspended
        && ctx.standing.sanctions.contains_key(code)
    {
        return super::decided::lift(ctx, code);
    }
    let mut next = ctx.standing.clone();
    if next.sanctions.remove(code).is_none() {
        return Err(refuse(
            crate::domain::RefusalCode::InvalidState.as_str(),
            format!("санкция «{code}» не применена"),
        ));
    }
    Ok(Effects {
        standing: Some(next),
        ..Effects::default()
    })
}

/// `by = "vendor"` ends the partnership at once; `by = "partner"` at the end of the notice
/// date + the file's `notice_months`, or at a later `effective` date (S§1.7).
pub fn terminate(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let who = opt_text(fields, "by").unwrap_or("vendor");
    if who == "vendor" {
        return Ok(end(ctx, ctx.standing.clone(), ctx.now));
    }
    let months = action
        .params
        .get("notice_months")
        .and_then(toml::Value::as_integer)
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(0);
    let today = ctx.now.with_timezone(&ctx.tz).date_naive();
    let earliest = today
        .checked_add_months(Months::new(months))
        .unwrap_or(today);
    let day = date_field(fields, "effective")?.map_or(earliest, |d| d.max(earliest));
    let mut next = ctx.standing.clone();
    next.terminates_at = Some(end_of(ctx, day));
    Ok(Effects {
        standing: Some(next),
        ..Effects::default()
    })
}

/// The partnership ends at `at`: every status ends (S§1.5 rule 4).
pub fn end(ctx: &Ctx, mut s: Standing, at: DateTime<Utc>) -> Effects {
    let from = s.code.take();
    s.state = StandingState::Terminated;
    s.since = Some(at);
    s.until = None;
    s.terminates_at = None;
    s.history.push(HistoryEntry {
        at,
        code: None,
        from: from.clone(),
        change: "terminated".into(),
        ..HistoryEntry::default()
    });
    let _ = ctx;
    Effects {
        standing: Some(s),
        notices: vec![notice(
            NotificationKind::PartnershipTerminated,
            true,
            &[("from", from.map_or(Value::Null, Value::from))],
        )],
        ..Effects::default()
    }
}
