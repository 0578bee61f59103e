//! Booking penalties on a seminar: the effects of the penalty table (points on the ledger,
//! exclusion, withdrawn information support, barred partner) and the notifications they cause.

use super::deadline::{end_of, local_date, start_of};
use super::program::{DomainError, Program};
use super::seminar::{
    Event, EventKind, Notification, NotificationKind, Outcome, Partner, PartnerFlag, Penalty,
    PointsEntry, Recipient, Seminar, SeminarState, Slot,
};
use super::workflow::{AutomaticRule, Effect, ManualViolation};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde_json::json;

/// What a penalty is measured against, for the explanation.
#[derive(Debug, Clone, Default)]
pub struct Circumstances {
    pub stage: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub days_late: Option<i64>,
    pub count: u32,
    pub note: Option<String>,
}

/// The instant an entry booked at `at` stops counting: the active balance is recomputed daily at
/// 00:00 in the deadline zone, so an entry counts through the anniversary of its booking date.
pub fn expiry(prog: &Program, at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    let d = local_date(prog.tz, at);
    let anniversary = d
        .checked_add_months(Months::new(months))
        .unwrap_or(d + Duration::days(365 * months as i64 / 12));
    end_of(prog.tz, anniversary)
}

pub fn automatic_penalty(
    seminar: &str,
    rule: &AutomaticRule,
    at: DateTime<Utc>,
    c: Circumstances,
) -> Penalty {
    Penalty {
        code: rule.code.clone(),
        name: rule.name.clone(),
        points: rule.points,
        exclusion: rule.effects.contains(&Effect::Exclusion),
        effects: rule.effects.clone(),
        at,
        manual: false,
        stage: c.stage,
        deadline: c.deadline,
        days_late: c.days_late,
        count: 1,
        note: c.note,
        // Automatic penalties fire at most once per seminar and code.
        key: format!("{seminar}:auto:{}", rule.code),
        amount: None,
    }
}

pub fn manual_penalty(
    s: &Seminar,
    v: &ManualViolation,
    at: DateTime<Utc>,
    count: u32,
    note: Option<String>,
) -> Penalty {
    let count = if v.repeatable { count.max(1) } else { 1 };
    Penalty {
        code: v.code.clone(),
        name: v.name.clone(),
        points: v.points * count as i64,
        exclusion: v.effects.contains(&Effect::Exclusion),
        effects: v.effects.clone(),
        at,
        manual: true,
        stage: None,
        deadline: None,
        days_late: None,
        count,
        note,
        key: format!("{}:manual:{}:{}", s.id, v.code, s.penalties.len()),
        amount: None,
    }
}

/// Books `p` on `s` (already mutable in the outcome's hands) and applies its effects.
///
/// # Errors
/// When the penalty cannot be written to the journal (serialization), before anything is booked.
pub fn book(
    prog: &Program,
    s: &mut Seminar,
    p: Penalty,
    actor: &str,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let data = serde_json::to_value(&p).map_err(|e| {
        DomainError::Program(format!(
            "штраф «{}» не удалось записать в журнал: {e}",
            p.code
        ))
    })?;
    let at = p.at;
    if p.points != 0 {
        out.points.push(PointsEntry {
            key: format!("points:{}", p.key),
            partner: s.partner.clone(),
            seminar: s.id.clone(),
            points: p.points,
            reason: p.code.clone(),
            booked_at: at,
            expires_at: expiry(prog, at, prog.wf.ledgers.points_valid_months),
            ..PointsEntry::default()
        });
    }
    out.notifications.push(Notification {
        key: format!("penalty_applied:{}", p.key),
        kind: NotificationKind::PenaltyApplied,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: p.stage.clone(),
        at,
        data: json!({
            "code": p.code, "name": p.name, "points": p.points, "exclusion": p.exclusion,
            "deadline": p.deadline, "days_late": p.days_late, "count": p.count, "note": p.note,
            "info_support_withdrawn": p.effects.contains(&Effect::InfoSupportWithdrawn),
        }),
    });
    out.events.push(Event {
        at,
        actor: actor.into(),
        kind: EventKind::PenaltyBooked.to_string(),
        seminar: Some(s.id.clone()),
        data,
    });
    for e in &p.effects {
        match e {
            Effect::InfoSupportWithdrawn | Effect::NoInfoSupport => s.info_support = false,
            Effect::BarPartner => out.flags.push((s.partner.clone(), PartnerFlag::Barred)),
            Effect::Exclusion
            | Effect::VoidItemCost
            | Effect::NoPoints
            | Effect::NoCompensation
            | Effect::NoMaterials
            | Effect::PromotionDelayed
            | Effect::Reduced
            | Effect::CostVoided => {}
        }
    }
    let excludes = p.exclusion;
    out.penalties.push((s.id.clone(), p.clone()));
    s.penalties.push(p);
    if excludes {
        exclude(prog, s, at, actor, out);
    }
    Ok(())
}

/// Exclusion ends the seminar, frees its slot, keeps booked penalties and bars the partner.
fn exclude(prog: &Program, s: &mut Seminar, at: DateTime<Utc>, actor: &str, out: &mut Outcome) {
    if s.state.is_active() {
        out.slots_freed.push(slot_of(s));
    }
    s.state = SeminarState::Excluded;
    if prog.wf.exclusion.bars_partner {
        out.flags.push((s.partner.clone(), PartnerFlag::Barred));
    }
    out.notifications.push(Notification {
        key: format!("{}:excluded", s.id),
        kind: NotificationKind::Excluded,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        // An item program names the stage whose penalty excluded (events-000 Part 2, 05 f2);
        // the flagship's notice names none, as it always did.
        stage: if s.item.is_flagship() {
            None
        } else {
            s.penalties.last().and_then(|p| p.stage.clone())
        },
        at,
        data: json!({ "reason": s.penalties.last().map(|p| p.code.clone()) }),
    });
    out.events.push(Event {
        at,
        actor: actor.into(),
        kind: EventKind::Excluded.to_string(),
        seminar: Some(s.id.clone()),
        data: json!({ "reason": s.penalties.last().map(|p| p.code.clone()) }),
    });
}

pub fn slot_of(s: &Seminar) -> Slot {
    Slot {
        program: s.program.clone(),
        city: s.city.clone(),
        week: s.week.clone(),
        seminar: s.id.clone(),
    }
}

/// Applies partner flags from an outcome to a partner record.
pub fn apply_flags(p: &mut Partner, flags: &[(String, PartnerFlag)]) {
    for (id, f) in flags {
        if *id == p.id {
            match f {
                PartnerFlag::Barred => p.barred = true,
                PartnerFlag::LateWithdrawal => p.late_withdrawal = true,
                // Kept beside the partner (`Store::support_suspended`), not on it.
                PartnerFlag::SupportSuspended | PartnerFlag::SupportResumed => {}
            }
        }
    }
}

/// Start of the lateness band that begins `from` days after `deadline`: 00:00 of deadline + from.
pub fn band_start(prog: &Program, deadline: NaiveDate, from: i64) -> DateTime<Utc> {
    start_of(prog.tz, deadline + Duration::days(from))
}
