//! DOMAIN.md §2.1–2.2 through the library API, on the shipped spring-2017 workflow: stage
//! deadlines, the end of a "by date D" deadline in Moscow time, lateness in calendar days,
//! reminders, the weekly application review groups, and the application and slot rules.

use crate::support::catalog;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use seminarflow::domain::deadline::{days_late, end_of, local_date, stage_deadline};
use seminarflow::domain::review::{review_day, slot_conflict};
use seminarflow::domain::schedule::{plan, DueKind};
use seminarflow::domain::{
    decide, Command, DomainError, Kopecks, Partner, Program, RefusalCode, Seminar, SeminarState,
    StageProgress, View,
};
use std::collections::BTreeMap;

const FLAGSHIP: &str = "bitrix24-seminars-2017-spring";

fn prog() -> Program {
    catalog()
        .program(FLAGSHIP)
        .expect("the flagship workflow loads")
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// An instant written with its offset, e.g. `2017-02-22T23:59:59+03:00`.
fn at(s: &str) -> DateTime<Utc> {
    s.parse::<DateTime<FixedOffset>>()
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

fn moscow() -> Tz {
    "Europe/Moscow".parse().unwrap()
}

/// The deadline date of `stage` for a seminar on `date` (its week taken from the workflow).
fn due(p: &Program, stage: &str, date: &str) -> NaiveDate {
    let date = d(date);
    let week =
        p.wf.week_of(date)
            .expect("date in a seminar week")
            .id
            .clone();
    stage_deadline(&p.wf, &p.cal, stage, date, &week).expect("deadline resolves")
}

// --- §2.1 calendar: stage deadlines -------------------------------------------------------

#[test]
fn the_flagship_workflow_runs_in_moscow_on_the_russian_calendar() {
    let p = prog();
    assert_eq!(p.tz, moscow());
    assert_eq!(p.cal.id, "ru");
    assert_eq!(p.wf.seminars.from, d("2017-03-27"));
    assert_eq!(p.wf.seminars.to, d("2017-04-08"));
    assert_eq!(p.wf.applications.from, d("2017-01-23"));
    assert_eq!(p.wf.applications.to, d("2017-02-10"));
    assert_eq!(p.wf.withdrawal.free_until, Some(d("2017-03-06")));
}

#[test]
fn seminar_weeks_split_the_period_at_monday_april_3() {
    let p = prog();
    let week = |s: &str| p.wf.week_of(d(s)).map(|w| w.id.clone());
    assert_eq!(week("2017-03-27").as_deref(), Some("week1"));
    assert_eq!(week("2017-04-02").as_deref(), Some("week1"));
    assert_eq!(week("2017-04-03").as_deref(), Some("week2"));
    assert_eq!(week("2017-04-08").as_deref(), Some("week2"));
    assert_eq!(week("2017-03-26"), None);
    assert_eq!(week("2017-04-09"), None);
}

#[test]
fn fixed_date_stage_deadlines_are_the_same_for_every_seminar() {
    let p = prog();
    for date in ["2017-03-27", "2017-04-08"] {
        assert_eq!(due(&p, "program", date), d("2017-02-22"));
        assert_eq!(due(&p, "postal_address", date), d("2017-02-22"));
        assert_eq!(due(&p, "estimate", date), d("2017-03-01"));
        assert_eq!(due(&p, "landing", date), d("2017-03-07"));
    }
}

#[test]
fn a_report_for_a_wednesday_seminar_is_due_five_working_days_later_on_wednesday() {
    // Seminar Wed 2017-03-29 → Thu 30, Fri 31, Mon 3, Tue 4, Wed 5.
    assert_eq!(due(&prog(), "report", "2017-03-29"), d("2017-04-05"));
}

#[test]
fn a_report_for_a_saturday_seminar_is_due_the_next_friday() {
    // Seminar Sat 2017-04-08 → Mon 10 … Fri 14.
    assert_eq!(due(&prog(), "report", "2017-04-08"), d("2017-04-14"));
}

#[test]
fn report_due_dates_count_working_days_not_calendar_days() {
    let p = prog();
    assert_eq!(due(&p, "report", "2017-03-27"), d("2017-04-03")); // Mon → Mon
    assert_eq!(due(&p, "report", "2017-03-31"), d("2017-04-07")); // Fri → Fri
    assert_eq!(due(&p, "report", "2017-04-01"), d("2017-04-07")); // Sat → Fri
    assert_eq!(due(&p, "report", "2017-04-02"), d("2017-04-07")); // Sun → Fri
}

#[test]
fn a_week_one_seminar_has_its_announcement_plan_due_on_march_10() {
    let p = prog();
    for date in ["2017-03-27", "2017-03-29", "2017-04-02"] {
        assert_eq!(
            due(&p, "announcement_plan", date),
            d("2017-03-10"),
            "{date}"
        );
    }
}

#[test]
fn a_week_two_seminar_has_its_announcement_plan_due_on_march_17() {
    let p = prog();
    for date in ["2017-04-03", "2017-04-05", "2017-04-08"] {
        assert_eq!(
            due(&p, "announcement_plan", date),
            d("2017-03-17"),
            "{date}"
        );
    }
}

#[test]
fn conversion_data_is_due_three_months_after_the_seminar() {
    let p = prog();
    assert_eq!(due(&p, "conversion_data", "2017-03-29"), d("2017-06-29"));
    assert_eq!(due(&p, "conversion_data", "2017-03-31"), d("2017-06-30"));
}

// --- §2.1 Decision: end of day in Moscow, lateness in calendar days -----------------------

#[test]
fn a_deadline_ends_at_midnight_of_the_next_day_moscow_time() {
    assert_eq!(
        end_of(moscow(), d("2017-02-22")),
        at("2017-02-23T00:00:00+03:00")
    );
    assert_eq!(
        end_of(moscow(), d("2017-02-22")),
        at("2017-02-22T21:00:00Z")
    );
}

#[test]
fn the_end_of_a_deadline_is_the_instant_clock_penalties_are_booked_at() {
    // landing due 03-07; `landing_first_very_late` fires at the end of day +1.
    assert_eq!(
        end_of(moscow(), d("2017-03-08")),
        at("2017-03-09T00:00:00+03:00")
    );
}

#[test]
fn a_deadline_ends_in_the_deadline_zone_whatever_the_partners_city() {
    let p = prog();
    // Even for a seminar in Novosibirsk (UTC+7), the deadline ends at 00:00 Moscow time.
    assert_eq!(p.city_zone("Новосибирск").name(), "Asia/Novosibirsk");
    assert_eq!(
        end_of(p.tz, d("2017-03-07")),
        at("2017-03-08T00:00:00+03:00")
    );
}

#[test]
fn a_submission_up_to_235959_moscow_time_on_the_deadline_day_is_on_time() {
    let tz = moscow();
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-22T23:59:59+03:00")),
        0
    );
    assert!(days_late(tz, d("2017-02-22"), at("2017-02-20T10:00:00+03:00")) <= 0);
}

#[test]
fn a_submission_on_the_day_after_the_deadline_is_one_day_late() {
    let tz = moscow();
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-23T00:00:00+03:00")),
        1
    );
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-23T23:59:59+03:00")),
        1
    );
}

#[test]
fn lateness_counts_calendar_dates_not_working_days_or_hours() {
    let tz = moscow();
    // 02-23 and 02-24 are holidays and 02-25/26 a weekend: they still count.
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-24T09:00:00+03:00")),
        2
    );
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-27T00:30:00+03:00")),
        5
    );
    // 00:01 on D+2 is 2 days late although barely 24 hours after the deadline ended.
    assert_eq!(
        days_late(tz, d("2017-03-07"), at("2017-03-09T00:01:00+03:00")),
        2
    );
}

#[test]
fn lateness_is_counted_on_the_moscow_date_not_the_utc_date() {
    let tz = moscow();
    // 2017-02-22T22:30Z is 01:30 on 02-23 in Moscow: one day late.
    let instant = at("2017-02-22T22:30:00Z");
    assert_eq!(local_date(tz, instant), d("2017-02-23"));
    assert_eq!(days_late(tz, d("2017-02-22"), instant), 1);
    // 2017-02-22T20:59:59Z is 23:59:59 Moscow: on time.
    assert_eq!(
        days_late(tz, d("2017-02-22"), at("2017-02-22T20:59:59Z")),
        0
    );
}

// --- §2.1 reminders ------------------------------------------------------------------------

fn preparing_seminar(p: &Program, id: &str, partner: &str, city: &str, date: &str) -> Seminar {
    let date = d(date);
    Seminar {
        id: id.into(),
        program: p.wf.id.clone(),
        partner: partner.into(),
        city: city.into(),
        date,
        week: p.wf.week_of(date).expect("seminar week").id.clone(),
        state: SeminarState::Preparing,
        applied_at: at("2017-01-24T10:00:00+03:00"),
        decided_at: Some(at("2017-01-27T10:00:00+03:00")),
        info_support: true,
        coordinator: None,
        venue: None,
        stages: p
            .wf
            .stages
            .iter()
            .map(|s| (s.id.clone(), StageProgress::new()))
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

fn reminders(p: &Program, s: &Seminar, stage: &str) -> Vec<DateTime<Utc>> {
    let mut v: Vec<DateTime<Utc>> = plan(p, s, at("2017-01-01T00:00:00Z"))
        .expect("plan")
        .into_iter()
        .filter(|i| matches!(&i.kind, DueKind::Reminder { stage: st, .. } if st == stage))
        .map(|i| i.at)
        .collect();
    v.sort();
    v
}

#[test]
fn the_week_one_announcement_plan_reminder_comes_monday_march_6_skipping_the_march_8_holiday() {
    let p = prog();
    let s = preparing_seminar(&p, "s1", "p1", "Тула", "2017-03-29");
    assert_eq!(
        reminders(&p, &s, "announcement_plan"),
        vec![
            at("2017-03-06T09:00:00+03:00"),
            at("2017-03-10T09:00:00+03:00")
        ]
    );
}

#[test]
fn the_program_reminder_comes_three_working_days_before_february_22_and_on_the_day() {
    let p = prog();
    let s = preparing_seminar(&p, "s1", "p1", "Тула", "2017-03-29");
    // 02-22 (Wed) − 3 working days = Fri 02-17.
    assert_eq!(
        reminders(&p, &s, "program"),
        vec![
            at("2017-02-17T09:00:00+03:00"),
            at("2017-02-22T09:00:00+03:00")
        ]
    );
}

// --- §2.2 weekly review groups --------------------------------------------------------------

#[test]
fn applications_from_the_first_four_working_days_of_a_week_are_reviewed_the_next_working_day() {
    let p = prog();
    for r in ["2017-01-23", "2017-01-24", "2017-01-25", "2017-01-26"] {
        assert_eq!(
            review_day(&p, d(r)).unwrap(),
            d("2017-01-27"),
            "received {r}"
        );
    }
    for r in ["2017-02-06", "2017-02-07", "2017-02-08", "2017-02-09"] {
        assert_eq!(
            review_day(&p, d(r)).unwrap(),
            d("2017-02-10"),
            "received {r}"
        );
    }
}

#[test]
fn an_application_received_on_friday_joins_the_next_weeks_group() {
    let p = prog();
    assert_eq!(review_day(&p, d("2017-01-27")).unwrap(), d("2017-02-03"));
    assert_eq!(review_day(&p, d("2017-02-10")).unwrap(), d("2017-02-17"));
}

#[test]
fn an_application_received_on_a_weekend_joins_the_next_weeks_group() {
    let p = prog();
    assert_eq!(review_day(&p, d("2017-01-28")).unwrap(), d("2017-02-03"));
    assert_eq!(review_day(&p, d("2017-01-29")).unwrap(), d("2017-02-03"));
}

#[test]
fn the_2017_review_days_are_january_27_and_february_3_10_and_17() {
    let p = prog();
    let mut days: Vec<NaiveDate> = d("2017-01-23")
        .iter_days()
        .take_while(|x| *x <= d("2017-02-10"))
        .map(|x| review_day(&p, x).unwrap())
        .collect();
    days.dedup();
    assert_eq!(
        days,
        vec![
            d("2017-01-27"),
            d("2017-02-03"),
            d("2017-02-10"),
            d("2017-02-17")
        ]
    );
}

#[test]
fn in_a_week_with_a_holiday_the_group_still_takes_the_first_four_working_days() {
    let p = prog();
    // Week of 2017-03-06: Wed 03-08 is a holiday, so the 4 working days are Mon, Tue, Thu, Fri;
    // the group closes on Fri 03-10 and is reviewed Mon 03-13.
    assert_eq!(review_day(&p, d("2017-03-09")).unwrap(), d("2017-03-13"));
    assert_eq!(review_day(&p, d("2017-03-10")).unwrap(), d("2017-03-13"));
    // Week of 2017-02-20: 02-23/24 off, only 3 working days; reviewed the next working day, Mon 02-27.
    assert_eq!(review_day(&p, d("2017-02-22")).unwrap(), d("2017-02-27"));
}

// --- §2.2 applications and city slots -------------------------------------------------------

fn partner(id: &str, experienced: bool, barred: bool) -> Partner {
    Partner {
        id: id.into(),
        name: format!("Партнёр {id}"),
        experienced,
        barred,
        late_withdrawal: false,
    }
}

fn view(seminars: Vec<Seminar>, partners: &[Partner]) -> View {
    View {
        seminars,
        partners: partners
            .iter()
            .map(|p| (p.id.clone(), p.clone()))
            .collect::<BTreeMap<_, _>>(),
        ..View::default()
    }
}

fn apply(
    p: &Program,
    v: &View,
    id: &str,
    partner: &str,
    city: &str,
    date: &str,
    now: &str,
) -> Result<Seminar, DomainError> {
    let cmd = Command::Apply {
        seminar: id.into(),
        partner: partner.into(),
        city: city.into(),
        date: d(date),
    };
    let out = decide(p, v, &cmd, partner, at(now))?;
    Ok(out
        .seminars
        .into_iter()
        .next()
        .expect("the applied seminar"))
}

fn refusal(r: Result<Seminar, DomainError>) -> RefusalCode {
    match r {
        Err(DomainError::Refused(f)) => f.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn approved(mut s: Seminar) -> Seminar {
    s.state = SeminarState::Preparing;
    s
}

#[test]
fn applications_are_accepted_from_january_23_to_february_10_moscow_time() {
    let p = prog();
    let v = view(vec![], &[partner("p1", false, false)]);
    let ok = |now: &str| apply(&p, &v, "s1", "p1", "Тула", "2017-03-29", now);
    assert_eq!(
        refusal(ok("2017-01-22T23:59:59+03:00")),
        RefusalCode::ApplicationWindowClosed
    );
    let s = ok("2017-01-23T00:00:00+03:00").expect("first day");
    assert_eq!(s.state, SeminarState::Applied);
    assert_eq!(s.week, "week1");
    ok("2017-02-10T23:59:59+03:00").expect("last day");
    assert_eq!(
        refusal(ok("2017-02-11T00:00:00+03:00")),
        RefusalCode::ApplicationWindowClosed
    );
    // 2017-02-10T21:30Z is already 02-11 in Moscow.
    assert_eq!(
        refusal(ok("2017-02-10T21:30:00Z")),
        RefusalCode::ApplicationWindowClosed
    );
}

#[test]
fn a_seminar_date_outside_march_27_to_april_8_is_refused() {
    let p = prog();
    let v = view(vec![], &[partner("p1", false, false)]);
    let now = "2017-01-24T10:00:00+03:00";
    for date in ["2017-03-26", "2017-04-09"] {
        assert_eq!(
            refusal(apply(&p, &v, "s1", "p1", "Тула", date, now)),
            RefusalCode::DateOutsideProgram,
            "{date}"
        );
    }
    assert!(apply(&p, &v, "s1", "p1", "Тула", "2017-04-08", now).is_ok());
}

#[test]
fn a_partner_barred_by_an_earlier_program_is_refused() {
    let p = prog();
    let v = view(vec![], &[partner("p1", false, true)]);
    assert_eq!(
        refusal(apply(
            &p,
            &v,
            "s1",
            "p1",
            "Тула",
            "2017-03-29",
            "2017-01-24T10:00:00+03:00"
        )),
        RefusalCode::PartnerBarred
    );
}

#[test]
fn a_partner_may_not_apply_twice_for_one_city_but_may_for_another_city() {
    let p = prog();
    let partners = [partner("p1", false, false)];
    let now = "2017-01-24T10:00:00+03:00";
    let first = apply(
        &p,
        &view(vec![], &partners),
        "s1",
        "p1",
        "Тула",
        "2017-03-29",
        now,
    )
    .unwrap();
    let v = view(vec![first], &partners);
    assert_eq!(
        refusal(apply(&p, &v, "s2", "p1", "Тула", "2017-04-05", now)),
        RefusalCode::PartnerCityDuplicate
    );
    assert!(apply(&p, &v, "s2", "p1", "Казань", "2017-04-05", now).is_ok());
}

#[test]
fn a_city_takes_one_seminar_in_week_one_and_one_in_week_two() {
    let p = prog();
    let partners = [
        partner("p1", false, false),
        partner("p2", false, false),
        partner("p3", false, false),
    ];
    let now = "2017-01-24T10:00:00+03:00";
    let a = approved(
        apply(
            &p,
            &view(vec![], &partners),
            "a",
            "p1",
            "Тула",
            "2017-03-29",
            now,
        )
        .unwrap(),
    );
    let b = apply(
        &p,
        &view(vec![], &partners),
        "b",
        "p2",
        "Тула",
        "2017-03-31",
        now,
    )
    .unwrap();
    let c = apply(
        &p,
        &view(vec![], &partners),
        "c",
        "p2",
        "Тула",
        "2017-04-05",
        now,
    )
    .unwrap();
    let all = vec![a.clone(), b.clone(), c.clone()];
    assert_eq!(
        slot_conflict(&p, &all, &b),
        Some(RefusalCode::CityWeekTaken)
    );
    assert_eq!(slot_conflict(&p, &all, &c), None);
    // With week 2 taken as well, the city is full for anyone.
    let c = approved(c);
    let d3 = apply(
        &p,
        &view(vec![], &partners),
        "d",
        "p3",
        "Тула",
        "2017-04-06",
        now,
    )
    .unwrap();
    let all = vec![a, c, d3.clone()];
    assert_eq!(slot_conflict(&p, &all, &d3), Some(RefusalCode::CityFull));
    // Another city is unaffected.
    let e = apply(
        &p,
        &view(vec![], &partners),
        "e",
        "p3",
        "Казань",
        "2017-03-29",
        now,
    )
    .unwrap();
    assert_eq!(slot_conflict(&p, std::slice::from_ref(&e), &e), None);
}

#[test]
fn an_excluded_or_withdrawn_seminar_frees_its_city_week_slot() {
    let p = prog();
    let partners = [partner("p1", false, false), partner("p2", false, false)];
    let now = "2017-01-24T10:00:00+03:00";
    for gone in [SeminarState::Excluded, SeminarState::Withdrawn] {
        let mut a = apply(
            &p,
            &view(vec![], &partners),
            "a",
            "p1",
            "Тула",
            "2017-03-29",
            now,
        )
        .unwrap();
        a.state = gone;
        let b = apply(
            &p,
            &view(vec![], &partners),
            "b",
            "p2",
            "Тула",
            "2017-03-30",
            now,
        )
        .unwrap();
        assert_eq!(slot_conflict(&p, &[a, b.clone()], &b), None, "{gone:?}");
    }
}

#[test]
fn inside_a_review_group_an_experienced_partner_goes_first_then_the_earliest_application() {
    let p = prog();
    let partners = [
        partner("novice", false, false),
        partner("veteran", true, false),
        partner("late", false, false),
        partner("early", false, false),
    ];
    let v0 = view(vec![], &partners);
    // All three in the group of 01-23…01-26 (reviewed 01-27), same city and week.
    let novice = apply(
        &p,
        &v0,
        "s-novice",
        "novice",
        "Тула",
        "2017-03-29",
        "2017-01-23T10:00:00+03:00",
    )
    .unwrap();
    let veteran = apply(
        &p,
        &v0,
        "s-veteran",
        "veteran",
        "Тула",
        "2017-03-30",
        "2017-01-25T10:00:00+03:00",
    )
    .unwrap();
    let late = apply(
        &p,
        &v0,
        "s-late",
        "late",
        "Тула",
        "2017-04-04",
        "2017-01-26T10:00:00+03:00",
    )
    .unwrap();
    let early = apply(
        &p,
        &v0,
        "s-early",
        "early",
        "Тула",
        "2017-04-05",
        "2017-01-24T10:00:00+03:00",
    )
    .unwrap();
    // Stored order must not matter: the latest application is listed first.
    let v = view(vec![late, novice, veteran, early], &partners);
    // Nothing is decided before the review day.
    let before = decide(
        &p,
        &v,
        &Command::ReviewApplications,
        "coordinator",
        at("2017-01-26T18:00:00+03:00"),
    )
    .unwrap();
    assert!(before.seminars.is_empty(), "{:?}", before.seminars);
    let out = decide(
        &p,
        &v,
        &Command::ReviewApplications,
        "coordinator",
        at("2017-01-27T10:00:00+03:00"),
    )
    .unwrap();
    let state = |id: &str| out.seminars.iter().find(|s| s.id == id).map(|s| s.state);
    assert_eq!(
        state("s-veteran"),
        Some(SeminarState::Preparing),
        "experience wins week 1"
    );
    assert_eq!(
        state("s-novice"),
        Some(SeminarState::Rejected),
        "week 1 taken"
    );
    assert_eq!(
        state("s-early"),
        Some(SeminarState::Preparing),
        "earliest wins week 2"
    );
    assert_eq!(
        state("s-late"),
        Some(SeminarState::Rejected),
        "week 2 taken"
    );
    let rejected = out
        .notifications
        .iter()
        .find(|n| n.kind.as_str() == "application_rejected" && n.seminar == "s-novice")
        .expect("the refused partner is told");
    assert_eq!(rejected.data["reason"], "city_week_taken");
}

#[test]
fn an_application_received_on_friday_waits_for_the_next_weeks_review() {
    let p = prog();
    let partners = [partner("p1", false, false)];
    let s = apply(
        &p,
        &view(vec![], &partners),
        "s1",
        "p1",
        "Тула",
        "2017-03-29",
        "2017-01-27T09:00:00+03:00",
    )
    .unwrap();
    let v = view(vec![s], &partners);
    let on_27 = decide(
        &p,
        &v,
        &Command::ReviewApplications,
        "c",
        at("2017-01-27T18:00:00+03:00"),
    )
    .unwrap();
    assert!(on_27.seminars.is_empty());
    let on_feb_3 = decide(
        &p,
        &v,
        &Command::ReviewApplications,
        "c",
        at("2017-02-03T10:00:00+03:00"),
    )
    .unwrap();
    assert_eq!(on_feb_3.seminars.len(), 1);
    assert_eq!(on_feb_3.seminars[0].state, SeminarState::Preparing);
}

#[test]
fn a_city_closed_to_the_program_refuses_every_application() {
    let mut p = prog();
    p.wf.slots.closed_cities = vec!["Тула".into()];
    let v = view(vec![], &[partner("p1", false, false)]);
    assert_eq!(
        refusal(apply(
            &p,
            &v,
            "s1",
            "p1",
            "Тула",
            "2017-03-29",
            "2017-01-24T10:00:00+03:00"
        )),
        RefusalCode::CityFull
    );
}
