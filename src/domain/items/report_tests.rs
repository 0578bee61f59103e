//! B3: report deadlines of the worked examples (design §5.1 f1, f2, f3) with the 2017 `ru`
//! calendar, reminders before the deadline and the cut-off, `report_late` (0 points) and
//! `report_missing` (exclusion without barring, also for a returned report not resubmitted),
//! the `report_pending` alert and the low-attendance streak.

use super::report::low_attendance_alert;
use super::test_support::*;
use crate::domain::money::Kopecks;
use crate::domain::schedule::{fire, plan, DueItem, DueKind};
use crate::domain::seminar::{
    NotificationKind, ReportFigures, Seminar, SeminarResult, SeminarState, StageStatus,
};
use chrono::{DateTime, Utc};

fn held(s: &Seminar) -> Seminar {
    let mut s = s.clone();
    s.state = SeminarState::Held;
    s
}

fn due_of(s: &Seminar, after: &str) -> Vec<DueItem> {
    plan(&events(), s, msk(after)).unwrap()
}

fn reminders(items: &[DueItem]) -> Vec<DateTime<Utc>> {
    let report = events().wf.report_stage().unwrap().id.clone();
    let mut v: Vec<_> = items
        .iter()
        .filter(|i| matches!(&i.kind, DueKind::Reminder { stage, .. } if *stage == report))
        .map(|i| i.at)
        .collect();
    v.sort();
    v
}

fn still_held<'a>(items: &'a [DueItem], code: &str) -> &'a DueItem {
    items
        .iter()
        .find(|i| matches!(&i.kind, DueKind::StillHeld { code: c, .. } if c == code))
        .unwrap_or_else(|| panic!("{code} not planned"))
}

fn f1() -> Seminar {
    let prog = events();
    let mut a = app("seminar", "site", "Тула", "2017-06-08");
    a.materials = Some("send".into());
    approved(&prog, "f1", &a, "2017-05-29T10:00", "2017-05-30T12:00")
}

fn f2() -> Seminar {
    let prog = events();
    approved(
        &prog,
        "f2",
        &app("seminar", "site", "Тула", "2017-06-29"),
        "2017-06-01T10:00",
        "2017-06-02T12:00",
    )
}

#[test]
fn f1_report_is_due_ten_working_days_after_with_reminders_and_a_zero_point_late_penalty() {
    let prog = events();
    let s = held(&f1());
    assert_eq!(prog.stage_deadline(&s, "report").unwrap(), d("2017-06-23"));
    let due = due_of(&s, "2017-06-09T00:00");
    assert_eq!(
        reminders(&due),
        [msk("2017-06-20T09:00"), msk("2017-06-23T09:00")]
    );
    let late = still_held(&due, "report_late");
    assert_eq!(late.at, msk("2017-06-24T00:00"));
    let out = fire(&prog, &s, late).unwrap();
    let p = &out.seminars[0].penalties[0];
    assert_eq!(
        (p.code.as_str(), p.points, p.exclusion),
        ("report_late", 0, false)
    );
    assert!(
        out.points.is_empty(),
        "a 0-point penalty books no ledger entry"
    );
    assert_eq!(out.notifications[0].kind, NotificationKind::PenaltyApplied);
    // No promo stage clock: f1 lost its info support, and promo has no deadline anyway.
    let promo = prog.wf.promotion.as_ref().map(|p| p.stage.as_str());
    assert!(!due.iter().any(
        |i| matches!(&i.kind, DueKind::Reminder { stage, .. } if Some(stage.as_str()) == promo)
    ));
}

#[test]
fn f2_misses_the_cut_off_and_is_excluded_but_not_barred() {
    let prog = events();
    let s = held(&f2());
    assert_eq!(prog.stage_deadline(&s, "report").unwrap(), d("2017-07-13"));
    assert_eq!(prog.cutoff(&s, "report").unwrap(), Some(d("2017-07-27")));
    let due = due_of(&s, "2017-06-30T00:00");
    assert_eq!(still_held(&due, "report_late").at, msk("2017-07-14T00:00"));
    let missing = still_held(&due, "report_missing");
    assert_eq!(missing.at, msk("2017-07-28T00:00"));
    let mut cutoff: Vec<_> = due
        .iter()
        .filter(|i| matches!(i.kind, DueKind::CutoffReminder { .. }))
        .map(|i| i.at)
        .collect();
    cutoff.sort();
    assert_eq!(cutoff, [msk("2017-07-24T09:00"), msk("2017-07-27T09:00")]);
    let out = fire(
        &prog,
        &s,
        &due.iter()
            .find(|i| i.at == msk("2017-07-24T09:00"))
            .unwrap()
            .clone(),
    )
    .unwrap();
    assert_eq!(
        out.notifications[0].kind,
        NotificationKind::DeadlineReminder
    );
    assert_eq!(out.notifications[0].data["deadline"], "2017-07-27");
    let out = fire(&prog, &s, missing).unwrap();
    let x = &out.seminars[0];
    assert_eq!(x.state, SeminarState::Excluded);
    assert!(x.penalties[0].exclusion);
    assert!(
        out.flags.is_empty(),
        "report_missing does not bar: {:?}",
        out.flags
    );
    let kinds: Vec<_> = out.notifications.iter().map(|n| (n.kind, n.at)).collect();
    assert_eq!(
        kinds,
        [
            (NotificationKind::PenaltyApplied, msk("2017-07-28T00:00")),
            (NotificationKind::Excluded, msk("2017-07-28T00:00"))
        ]
    );
}

#[test]
fn a_returned_report_not_resubmitted_is_missing_at_the_cut_off() {
    let prog = events();
    let mut s = held(&f2());
    s = submitted(s, "report", "2017-07-10T10:00", false);
    {
        let p = s.stages.get_mut("report").unwrap();
        p.status = StageStatus::Returned;
        p.round = 1;
        p.due_override = Some(d("2017-07-20"));
    }
    let due = due_of(&s, "2017-07-11T10:00");
    let missing = still_held(&due, "report_missing");
    assert_eq!(missing.at, msk("2017-07-28T00:00"));
    assert!(
        !due.iter()
            .any(|i| matches!(&i.kind, DueKind::StillHeld { code, .. } if code == "report_late")),
        "report_late watches the first round only"
    );
    let out = fire(&prog, &s, missing).unwrap();
    assert_eq!(out.seminars[0].state, SeminarState::Excluded);
}

#[test]
fn an_exhibition_report_counts_from_its_last_day() {
    let prog = events();
    let mut a = app("exhibition", "site", "Тула", "2017-09-20");
    a.end_date = Some(d("2017-09-22"));
    let s = approved(&prog, "f3", &a, "2017-08-15T10:00", "2017-08-16T10:00");
    assert_eq!(prog.stage_deadline(&s, "report").unwrap(), d("2017-10-06"));
    let due = due_of(&s, "2017-08-16T10:00");
    let passed = due
        .iter()
        .find(|i| i.kind == DueKind::SeminarDayPassed)
        .unwrap();
    assert_eq!(passed.at, msk("2017-09-23T00:00"));
    assert!(!due.iter().any(|i| i.kind == DueKind::PromoMissing
        && fire(&prog, &s, i).map(|o| !o.is_empty()).unwrap_or(true)));
}

#[test]
fn a_report_waiting_ten_working_days_alerts_the_coordinator() {
    let prog = events();
    let s = submitted(held(&f1()), "report", "2017-06-26T10:00", false);
    let due = due_of(&s, "2017-06-26T10:00");
    let alert = due
        .iter()
        .find(|i| matches!(&i.kind, DueKind::Waiting { code, .. } if code == "report_pending"))
        .expect("report_pending planned");
    // 10 working days after Mon 06-26: 07-10 ends → 07-11T00:00.
    assert_eq!(alert.at, msk("2017-07-11T00:00"));
    let out = fire(&prog, &s, alert).unwrap();
    assert_eq!(out.notifications[0].kind, NotificationKind::ReviewDue);
    assert_eq!(out.notifications[0].data["code"], "report_pending");
    let accepted = submitted(held(&f1()), "report", "2017-06-26T10:00", true);
    assert!(fire(&prog, &accepted, alert).unwrap().is_empty());
}

fn closed(id: &str, (kind, city): (&str, &str), date: &str, attendees: u32) -> Seminar {
    let prog = events();
    let mut s = approved(
        &prog,
        id,
        &app(kind, "site", city, date),
        "2017-03-01T10:00",
        "2017-03-02T10:00",
    );
    s.state = SeminarState::Closed;
    s.report = Some(ReportFigures {
        attendees,
        registrations: attendees,
        costs: Kopecks::ZERO,
        third_party_companies: 0,
        estimate: None,
        co_organizers: vec![],
        vendor_talks_by: None,
        item: Default::default(),
    });
    s.result = Some(SeminarResult {
        points: 0,
        compensation: Kopecks::ZERO,
        reasons: vec![],
        money_reasons: vec![],
    });
    s
}

#[test]
fn the_third_low_attendance_seminar_in_a_row_alerts_once() {
    let prog = events();
    let at = msk("2017-06-01T12:00");
    let a = closed("a", ("seminar", "Тула"), "2017-04-10", 9);
    let b = closed("b", ("breakfast", "Тула"), "2017-04-20", 5);
    let w = closed("w", ("webinar", ""), "2017-04-25", 3); // webinars do not count
    let c = closed("c", ("seminar", "Тула"), "2017-05-10", 8);
    let n = low_attendance_alert(&prog, &c, &[a.clone(), b.clone(), w.clone()], at).expect("alert");
    assert_eq!(n.kind, NotificationKind::ReviewDue);
    assert_eq!(n.data["code"], "low_attendance_repeated");
    assert!(
        low_attendance_alert(&prog, &b, std::slice::from_ref(&a), at).is_none(),
        "second only"
    );
    let full = closed("f", ("seminar", "Тула"), "2017-04-15", 10);
    assert!(
        low_attendance_alert(&prog, &c, &[a, full, b, w], at).is_none(),
        "10 breaks the streak"
    );
}

#[test]
fn promo_is_submitted_without_a_deadline_and_only_with_info_support() {
    use crate::domain::program::{DomainError, RefusalCode};
    use crate::domain::rules::{decide, Command, View};
    let prog = events();
    let promo = prog.wf.promotion.as_ref().unwrap().stage.clone();
    let submit = |id: &str| Command::Submit {
        seminar: id.into(),
        stage: promo.clone(),
        report: None,
        estimate: vec![],
        files: vec!["banner.png".into()],
        comment: None,
    };
    let s = approved(
        &prog,
        "m1",
        &app("seminar", "site", "Тула", "2017-06-20"),
        "2017-05-01T10:00",
        "2017-05-02T10:00",
    );
    let view = View {
        seminars: vec![s, f1()],
        ..View::default()
    };
    let out = decide(&prog, &view, &submit("m1"), "p1", msk("2017-06-05T10:00")).unwrap();
    let v = &out.seminars[0].stages[&promo].versions[0];
    assert_eq!((v.days_late, v.deadline), (0, d("2017-06-20")));
    assert!(out.penalties.is_empty());
    let back = Command::Return {
        seminar: "m1".into(),
        stage: promo.clone(),
        due: None,
        comment: None,
    };
    let view = View {
        seminars: out.seminars.clone(),
        ..View::default()
    };
    let r = decide(&prog, &view, &back, "coord", msk("2017-06-06T10:00"));
    assert!(r.is_ok(), "{r:?}");
    // f1 lost its info support at apply: no promo stage to speak of.
    let r = decide(
        &prog,
        &view_of(f1()),
        &submit("f1"),
        "p2",
        msk("2017-06-01T10:00"),
    );
    assert!(matches!(r, Err(DomainError::Refused(r)) if r.code == RefusalCode::InvalidState));
    // An exhibition has no promo stage at all.
    let mut a = app("exhibition", "site", "Тула", "2017-09-20");
    a.end_date = Some(d("2017-09-22"));
    let e = approved(&prog, "f3", &a, "2017-08-15T10:00", "2017-08-16T10:00");
    let r = decide(
        &prog,
        &view_of(e),
        &submit("f3"),
        "p2",
        msk("2017-08-20T10:00"),
    );
    assert!(matches!(r, Err(DomainError::Refused(r)) if r.code == RefusalCode::InvalidState));
}

fn view_of(s: Seminar) -> crate::domain::rules::View {
    crate::domain::rules::View {
        seminars: vec![s],
        ..Default::default()
    }
}
