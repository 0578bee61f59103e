//! Periodic obligations over the shipped KKV file: due dates, reminders on days off, overdue
//! records, refusals for projects, and no duty once the competence is not in force.

use super::*;
use crate::domain::calendar::Calendar;
use crate::domain::standing::outcome::Rules;
use crate::domain::standing::StandingState;
use chrono::TimeZone;
use chrono_tz::Tz;

struct Env {
    p: crate::domain::workflow::StandingProgram,
    tz: Tz,
    cal: Calendar,
}

fn env() -> Env {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/bitrix-kkv-competence.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped file");
    let wf = crate::catalog::parse_workflow(&text, "kkv").expect("parses");
    Env {
        tz: wf.deadline_zone.parse().expect("an IANA zone"),
        p: wf.standing.expect("a partner program"),
        cal: Calendar::from_toml(include_str!("../../../../workflows/calendars/ru.toml")).unwrap(),
    }
}

impl Env {
    fn r(&self) -> Rules<'_> {
        Rules {
            p: &self.p,
            tz: self.tz,
            cal: &self.cal,
        }
    }
    fn at(&self, y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        self.tz
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }
}

fn active() -> Standing {
    let mut s = Standing::new("p", "kkv");
    s.state = StandingState::Active;
    s
}

const REPORT: &str = "progress_report";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn a_report_is_due_two_months_after_the_last_with_reminders_on_working_days_and_the_due_day() {
    let e = env();
    let o = obligation_start(e.r(), &active(), REPORT, Some("x"), e.at(2026, 5, 25, 10)).unwrap();
    assert_eq!(o.standing.obligations[0].due, day(2026, 7, 25));
    let at: Vec<DateTime<Utc>> = o.due.iter().map(|p| p.at).collect();
    // Sat 07-25: 3rd working day before is Wed 07-22; the due-day reminder on the Saturday.
    assert_eq!(
        at,
        vec![
            e.at(2026, 7, 22, 9),
            e.at(2026, 7, 25, 9),
            e.at(2026, 7, 26, 0)
        ]
    );
    // Month-end clamp: 2026-12-31 + 2 months = 2027-02-28.
    let o = obligation_start(e.r(), &active(), REPORT, Some("y"), e.at(2026, 12, 31, 10)).unwrap();
    assert_eq!(o.standing.obligations[0].due, day(2027, 2, 28));
}

#[test]
fn overdue_is_recorded_once_and_gets_its_done_at_when_met() {
    let e = env();
    let s = obligation_start(e.r(), &active(), REPORT, Some("x"), e.at(2026, 5, 25, 10))
        .unwrap()
        .standing;
    let due = StandingDue::ObligationOverdue {
        obligation: REPORT.into(),
        project: Some("x".into()),
        due: day(2026, 7, 25),
    };
    let o = fire(e.r(), &s, &due, e.at(2026, 7, 26, 0));
    assert_eq!(o.notices.len(), 1);
    assert_eq!(o.notices[0].to, vec!["partner", "coordinator"]);
    let s = o.standing;
    assert_eq!(s.overdue.len(), 1);
    let o = obligation_done(e.r(), &s, REPORT, Some("x"), e.at(2026, 7, 28, 10)).unwrap();
    assert_eq!(o.standing.overdue[0].done_at, Some(e.at(2026, 7, 28, 10)));
    assert_eq!(o.standing.obligations[0].due, day(2026, 9, 28));
    // The old due date's items are void now.
    assert_eq!(
        fire(e.r(), &o.standing, &due, e.at(2026, 7, 26, 0))
            .notices
            .len(),
        0
    );
}

#[test]
fn projects_must_be_open_once_and_duties_stop_outside_the_term() {
    let e = env();
    let t = e.at(2026, 5, 25, 10);
    let s = obligation_start(e.r(), &active(), REPORT, Some("x"), t)
        .unwrap()
        .standing;
    let code = |r: Result<Outcome, DomainError>| match r {
        Err(DomainError::Refused(x)) => x.code_str().to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        code(obligation_start(e.r(), &s, REPORT, Some("x"), t)),
        DUPLICATE_PROJECT
    );
    assert_eq!(
        code(obligation_done(e.r(), &s, REPORT, Some("z"), t)),
        UNKNOWN_PROJECT
    );
    assert_eq!(
        code(obligation_end(e.r(), &s, REPORT, Some("z"), t)),
        UNKNOWN_PROJECT
    );
    assert_eq!(
        code(obligation_start(e.r(), &s, REPORT, None, t)),
        "invalid_input"
    );
    let mut expired = s.clone();
    expired.state = StandingState::Expired;
    assert_eq!(
        code(obligation_start(e.r(), &expired, REPORT, Some("y"), t)),
        "invalid_state"
    );
    let due = StandingDue::ObligationReminder {
        obligation: REPORT.into(),
        project: Some("x".into()),
        due: day(2026, 7, 25),
    };
    assert!(fire(e.r(), &expired, &due, e.at(2026, 7, 22, 9))
        .notices
        .is_empty());
    assert_eq!(fire(e.r(), &s, &due, e.at(2026, 7, 22, 9)).notices.len(), 1);
    let ended = obligation_end(e.r(), &s, REPORT, Some("x"), t)
        .unwrap()
        .standing;
    assert!(fire(e.r(), &ended, &due, e.at(2026, 7, 22, 9))
        .notices
        .is_empty());
}

#[test]
fn the_pipeline_review_opens_per_standing_and_restarts_from_each_review() {
    let e = env();
    let o = open_per_standing(e.r(), &active(), e.at(2026, 3, 13, 10));
    assert_eq!(o.standing.obligations.len(), 1);
    assert_eq!(o.standing.obligations[0].due, day(2026, 9, 13));
    let review = &o.standing.obligations[0].obligation.clone();
    let o = obligation_done(e.r(), &o.standing, review, None, e.at(2026, 9, 1, 11)).unwrap();
    assert_eq!(o.standing.obligations[0].due, day(2027, 3, 1));
}
