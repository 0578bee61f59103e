//! Applications: weekly review groups, priority inside a group, and city × week slot allocation
//! (DOMAIN.md §2.2).

use super::calendar::CalendarError;
use super::deadline::local_date;
use super::penalties::slot_of;
use super::program::{DomainError, Program, RefusalCode};
use super::rules::View;
use super::seminar::{
    Event, EventKind, Notification, NotificationKind, Outcome, Recipient, Seminar, SeminarState,
};
use super::workflow::{Priority, Slots};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::json;

/// The review day of an application received on `received` (a date in the deadline zone):
/// applications received up to the end of the N-th working day of a calendar week form that
/// week's group; later ones join the next week's group. The group is reviewed the configured
/// number of working days after the group's last working day.
pub fn review_day(prog: &Program, received: NaiveDate) -> Result<NaiveDate, CalendarError> {
    let a = &prog.wf.applications;
    let mut monday = received - Duration::days(received.weekday().num_days_from_monday() as i64);
    for _ in 0..60 {
        let mut last = None;
        let mut counted = 0;
        for i in 0..7 {
            let d = monday + Duration::days(i);
            if prog.cal.is_working_day(d)? {
                counted += 1;
                last = Some(d);
                if counted == a.group_working_days {
                    break;
                }
            }
        }
        if let Some(cutoff) = last {
            if received <= cutoff {
                return prog
                    .cal
                    .add_working_days(cutoff, a.review_after_working_days as i32);
            }
        }
        monday += Duration::days(7);
    }
    Err(CalendarError::Invalid(
        "не удалось найти рабочие дни для группы заявок".into(),
    ))
}

/// The latest day (in the deadline zone) on or before `today` whose applications are due for
/// review by `today`: review days never decrease as the received day grows, so every
/// application received up to the end of that day is due, and none after it.
pub fn received_cutoff(
    prog: &Program,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, CalendarError> {
    // A group is reviewed within a few weeks of its days (the search below looks 60 weeks ahead).
    for back in 0..400 {
        let d = today - Duration::days(back);
        if review_day(prog, d)? <= today {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// The slot rule for one city and week, whoever applies: the refusal code when the city is
/// closed to the program, already holds `per_city` seminars (`in_city` seminars hold slots
/// there), or the week holds `per_city_week` (`in_week`). The API's slot grid, the partner's
/// apply page and the review all ask this one function.
pub fn city_week_refusal(
    slots: &Slots,
    city: &str,
    in_city: u64,
    in_week: u64,
) -> Option<RefusalCode> {
    if slots.closed_cities.iter().any(|c| c == city) || in_city >= u64::from(slots.per_city) {
        return Some(RefusalCode::CityFull);
    }
    if in_week >= u64::from(slots.per_city_week) {
        return Some(RefusalCode::CityWeekTaken);
    }
    None
}

/// The refusal code if `s` cannot take its city × week slot among `all` approved seminars.
pub fn slot_conflict(prog: &Program, all: &[Seminar], s: &Seminar) -> Option<RefusalCode> {
    let slots = &prog.wf.slots;
    let approved: Vec<&Seminar> = all
        .iter()
        .filter(|o| o.id != s.id && o.state.holds_slot() && o.city == s.city)
        .collect();
    let in_week = approved.iter().filter(|o| o.week == s.week).count();
    if let Some(code) = city_week_refusal(slots, &s.city, approved.len() as u64, in_week as u64) {
        return Some(code);
    }
    let same_partner = approved.iter().filter(|o| o.partner == s.partner).count() as u32;
    if same_partner >= slots.per_partner_city {
        return Some(RefusalCode::PartnerCityDuplicate);
    }
    None
}

pub fn conflict_message(code: RefusalCode, s: &Seminar) -> String {
    match code {
        RefusalCode::CityFull => format!("в городе {} больше нет свободных мест", s.city),
        RefusalCode::CityWeekTaken => format!("неделя семинара в городе {} уже занята", s.city),
        RefusalCode::PartnerCityDuplicate => {
            format!("у партнёра уже есть семинар в городе {}", s.city)
        }
        _ => "место недоступно".into(),
    }
}

pub fn approve(
    _prog: &Program,
    s: &mut Seminar,
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    s.state = SeminarState::Preparing;
    s.decided_at = Some(now);
    out.slots_taken.push(slot_of(s));
    out.notifications.push(Notification {
        key: format!("{}:application_approved", s.id),
        kind: NotificationKind::ApplicationApproved,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: None,
        at: now,
        data: json!({ "city": s.city, "date": s.date, "week": s.week }),
    });
    out.events.push(Event {
        at: now,
        actor: actor.into(),
        kind: EventKind::ApplicationApproved.to_string(),
        seminar: Some(s.id.clone()),
        data: json!({}),
    });
}

pub fn reject(
    s: &mut Seminar,
    actor: &str,
    code: Option<RefusalCode>,
    comment: Option<String>,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    s.state = SeminarState::Rejected;
    s.decided_at = Some(now);
    out.events.push(Event {
        at: now,
        actor: actor.into(),
        kind: EventKind::ApplicationRejected.to_string(),
        seminar: Some(s.id.clone()),
        data: json!({ "reason": code.map(|c| c.as_str()), "comment": comment }),
    });
    out.notifications.push(Notification {
        key: format!("{}:application_rejected", s.id),
        kind: NotificationKind::ApplicationRejected,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: None,
        at: now,
        data: json!({ "reason": code.map(|c| c.as_str()), "message": code.map(|c| conflict_message(c, s)), "comment": comment }),
    });
}

/// Applications whose review day has come by `today`, with their review days, unordered:
/// [`sort_queue`] puts them in the order the engine decides them.
pub fn queue(
    prog: &Program,
    seminars: &[Seminar],
    today: NaiveDate,
) -> Result<Vec<(NaiveDate, Seminar)>, DomainError> {
    let mut due = Vec::new();
    for s in seminars.iter().filter(|s| s.state == SeminarState::Applied) {
        let day = review_day(prog, local_date(prog.tz, s.applied_at))?;
        if day <= today {
            due.push((day, s.clone()));
        }
    }
    Ok(due)
}

/// Orders applications due for review as the engine decides them: earlier review days first;
/// inside a group by the workflow's `applications.priority`; then by id, so the order never
/// depends on how the seminars were read. `experienced` answers for a partner id.
pub fn sort_queue(
    prog: &Program,
    due: &mut [(NaiveDate, Seminar)],
    experienced: impl Fn(&str) -> bool,
) {
    due.sort_by(|(da, a), (db, b)| {
        da.cmp(db).then_with(|| {
            for p in &prog.wf.applications.priority {
                let o = match p {
                    Priority::Experienced => experienced(&b.partner).cmp(&experienced(&a.partner)),
                    Priority::Earliest => a.applied_at.cmp(&b.applied_at),
                };
                if o.is_ne() {
                    return o;
                }
            }
            a.id.cmp(&b.id)
        })
    });
}

/// `review_applications`: accepts the engine's allocation for every group whose review day has come.
pub fn review_due_groups(
    prog: &Program,
    view: &View,
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    let today = local_date(prog.tz, now);
    let mut due = queue(prog, &view.seminars, today)?;
    sort_queue(prog, &mut due, |partner| {
        view.partners.get(partner).is_some_and(|p| p.experienced)
    });
    let mut all = view.seminars.clone();
    for (_, mut s) in due {
        match slot_conflict(prog, &all, &s) {
            None => approve(prog, &mut s, actor, now, out),
            Some(code) => reject(&mut s, actor, Some(code), None, now, out),
        }
        if let Some(slot) = all.iter_mut().find(|o| o.id == s.id) {
            *slot = s.clone();
        }
        out.seminars.push(s);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_rule_refuses_a_closed_or_full_city_then_a_full_week() {
        let slots = Slots {
            per_city_week: 2,
            per_city: 3,
            per_partner_city: 1,
            closed_cities: vec!["Сочи".into()],
        };
        assert_eq!(city_week_refusal(&slots, "Тула", 1, 1), None);
        assert_eq!(
            city_week_refusal(&slots, "Тула", 2, 2),
            Some(RefusalCode::CityWeekTaken)
        );
        assert_eq!(
            city_week_refusal(&slots, "Тула", 3, 0),
            Some(RefusalCode::CityFull)
        );
        assert_eq!(
            city_week_refusal(&slots, "Сочи", 0, 0),
            Some(RefusalCode::CityFull)
        );
    }

    #[test]
    fn only_approved_seminars_not_excluded_or_withdrawn_hold_a_slot() {
        let holding: Vec<SeminarState> = [
            SeminarState::Applied,
            SeminarState::Rejected,
            SeminarState::Preparing,
            SeminarState::Excluded,
            SeminarState::Withdrawn,
            SeminarState::Held,
            SeminarState::Closed,
        ]
        .into_iter()
        .filter(|s| s.holds_slot())
        .collect();
        assert_eq!(holding, SeminarState::HOLDING_SLOT.to_vec());
    }
}
