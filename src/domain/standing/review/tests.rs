//! Review and warning edges: quarter and points thresholds, the annual rule, the warning's
//! figures to date, the warning offset, onboarding order and the employee's test.

use super::example_08::{program, tz};
use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::metrics::{FlagSpan, StaffMember};

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    tz().with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn sale(at: DateTime<Utc>, kopecks: i64) -> crate::domain::standing::metrics::Record {
    crate::domain::standing::metrics::Record {
        record: "sale".into(),
        date: local_date(at, tz()),
        at,
        amount: kopecks,
        reference: None,
        marks: BTreeMap::new(),
    }
}

/// A Start partner (since 2026-01-12) meeting every Partner criterion but the quarter sums,
/// with `q1` and `q2` kopecks of sales in the first half of 2026 and `points` marketing points.
fn partner_facts(q1: i64, q2: i64, points: i64) -> Facts {
    let mut f = Facts {
        records: vec![
            sale(local(2026, 2, 1, 10), q1),
            sale(local(2026, 5, 1, 10), q2),
        ],
        ..Facts::default()
    };
    f.staff.push(StaffMember {
        id: "a".into(),
        role: "employee".into(),
        courses: vec!["uc_basics".into()],
        attached: local(2026, 1, 20, 10),
        detached: None,
    });
    f.flags.insert(
        "site_info".into(),
        vec![FlagSpan {
            since: local(2026, 1, 20, 10),
            until: None,
        }],
    );
    f.reached.insert(
        "ms_start".into(),
        NaiveDate::from_ymd_opt(2026, 1, 12).unwrap(),
    );
    f.ledger.push(PointsEntry {
        ledger: "ms_marketing".into(),
        product: String::new(),
        entry_kind: "marketing".into(),
        points,
        booked: local(2026, 3, 1, 10),
        date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        expires: None,
    });
    f
}

fn standing(code: &str) -> Standing {
    let mut s = Standing::new("m", "moysklad-partner-status");
    s.state = StandingState::Active;
    s.code = Some(code.into());
    s.since = Some(local(2026, 1, 12, 10));
    s
}

#[test]
fn a_quarter_one_kopeck_short_of_the_threshold_keeps_the_floor_and_tells_nothing() {
    let p = program();
    let review_at = local(2026, 7, 1, 0);
    let short = review(
        &p,
        &partner_facts(5_000_000, 4_999_999, 100),
        &standing("ms_start"),
        review_at,
        tz(),
    );
    assert!(
        short.changes.is_empty() && short.notices.is_empty(),
        "{short:#?}"
    );
    // The next review is planned, with no warning for the floor.
    assert_eq!(short.due.len(), 1);
    assert_eq!(short.due[0].at, local(2027, 1, 1, 0));
    let met = review(
        &p,
        &partner_facts(5_000_000, 5_000_000, 100),
        &standing("ms_start"),
        review_at,
        tz(),
    );
    assert_eq!(met.changes[0].code, "ms_partner");
    assert_eq!(met.changes[0].until, Some(local(2027, 1, 1, 0)));
    // Above the floor: the next review and the warning 14 days before it at 09:00.
    assert_eq!(met.due[1].at, local(2026, 12, 18, 9));
}

#[test]
fn ninety_nine_marketing_points_are_not_enough_and_a_hundred_are() {
    let p = program();
    let at = local(2026, 7, 1, 0);
    let s = standing("ms_start");
    assert!(
        review(&p, &partner_facts(6_000_000, 6_000_000, 99), &s, at, tz())
            .changes
            .is_empty()
    );
    let c = &review(&p, &partner_facts(6_000_000, 6_000_000, 100), &s, at, tz()).changes[0];
    assert_eq!(
        (c.change, c.code.as_str()),
        (ChangeKind::Promoted, "ms_partner")
    );
}

#[test]
fn a_review_between_review_dates_does_nothing() {
    let p = program();
    let out = review(
        &p,
        &partner_facts(9_000_000, 9_000_000, 500),
        &standing("ms_start"),
        local(2026, 6, 30, 0),
        tz(),
    );
    assert!(out.is_empty());
}

#[test]
fn a_demotion_tells_partner_and_coordinator_what_failed() {
    let p = program();
    let mut s = standing("ms_partner");
    s.since = Some(local(2026, 1, 1, 0));
    let out = review(
        &p,
        &partner_facts(6_000_000, 4_000_000, 150),
        &s,
        local(2026, 7, 1, 0),
        tz(),
    );
    assert_eq!(out.changes[0].change, ChangeKind::Demoted);
    assert_eq!(out.changes[0].until, None);
    let to: Vec<&Recipient> = out.notices.iter().map(|n| &n.to).collect();
    assert_eq!(
        to,
        [&Recipient::Partner("m".into()), &Recipient::Coordinator]
    );
    assert_eq!(out.notices[0].unmet, ["quarterly_sales"]);
}

#[test]
fn the_warning_reads_the_figures_to_date_at_the_review_and_names_what_is_missing() {
    let p = program();
    let s = standing("ms_partner");
    let review_at = local(2027, 1, 1, 0);
    let mut f = partner_facts(6_000_000, 6_000_000, 150);
    f.records.push(sale(local(2026, 8, 1, 10), 5_000_000));
    f.records.push(sale(local(2026, 11, 1, 10), 4_999_999));
    // A sale after the warning is not known yet.
    f.records.push(sale(local(2026, 12, 20, 10), 1));
    let out = at_risk(&p, &f, &s, review_at, local(2026, 12, 18, 9), tz());
    assert_eq!(out.notices.len(), 2);
    assert_eq!(out.notices[0].unmet, ["quarterly_sales"]);
    assert_eq!(out.notices[0].review_at, Some(review_at));
    // Counted with that sale, Q4 reaches 50 000: no warning.
    assert!(at_risk(&p, &f, &s, review_at, local(2026, 12, 21, 9), tz()).is_empty());
}

#[test]
fn last_years_annual_count_still_stands_at_the_july_review() {
    let p = program();
    let mut f = partner_facts(6_000_000, 6_000_000, 0);
    f.ledger[0].booked = local(2025, 6, 1, 10);
    f.ledger[0].date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    f.ledger[0].points = 100;
    let c = &review(&p, &f, &standing("ms_start"), local(2026, 7, 1, 0), tz()).changes[0];
    assert_eq!(c.snapshot["marketing_points"], 100);
    // Two years back no longer counts.
    let out = review(&p, &f, &standing("ms_start"), local(2027, 7, 1, 0), tz());
    assert!(out.changes.is_empty());
}

#[test]
fn a_zero_day_warning_offset_turns_the_warning_off() {
    let mut p = program();
    p.evaluation
        .as_mut()
        .unwrap()
        .at_risk
        .as_mut()
        .unwrap()
        .days_before = 0;
    let due = plan_reviews(&p, &standing("ms_partner"), local(2026, 2, 1, 0), tz());
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].due, StandingDue::Review);
}

fn action(name: &str) -> Action {
    program()
        .actions
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

#[test]
fn onboarding_refuses_out_of_order_steps_and_waits_for_the_contract_in_kazakhstan() {
    let p = program();
    let now = local(2026, 1, 12, 10);
    let new = Standing::new("k", "moysklad-partner-status");
    let kz = OnboardingArgs {
        country: "KZ".into(),
        staff: None,
    };
    let err = onboarding_flag(
        &p,
        &action("pass_test"),
        &Facts::default(),
        &new,
        &kz,
        now,
        tz(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DomainError::Refused(ref r) if r.code_str() == "not_admitted"),
        "{err:?}"
    );
    let mut f = Facts::default();
    let mut s = new.clone();
    onboarding_flag(&p, &action("register"), &f, &s, &kz, now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    assert_eq!(s.state, StandingState::Admitted);
    let again = onboarding_flag(&p, &action("register"), &f, &s, &kz, now, tz()).unwrap_err();
    assert!(matches!(again, DomainError::Refused(ref r) if r.code_str() == "already_admitted"));
    let test = onboarding_flag(&p, &action("pass_test"), &f, &s, &kz, now, tz()).unwrap();
    assert!(test.changes.is_empty(), "KZ: no Start before the agreement");
    test.apply(&mut f, &mut s, tz());
    let twice = onboarding_flag(&p, &action("pass_test"), &f, &s, &kz, now, tz()).unwrap_err();
    assert!(matches!(twice, DomainError::Refused(ref r) if r.code_str() == "invalid_state"));
    let agreed = onboarding_flag(&p, &action("accept_agreement"), &f, &s, &kz, now, tz()).unwrap();
    assert_eq!(agreed.changes[0].change, ChangeKind::Granted);
    assert_eq!(agreed.ledger[0].points, 10_000);
    assert_eq!(agreed.notices[0].bonus_points, Some(10_000));
}

#[test]
fn an_employees_test_does_not_count_for_start() {
    let p = program();
    let now = local(2026, 1, 12, 10);
    let (mut f, mut s) = (
        Facts::default(),
        Standing::new("e", "moysklad-partner-status"),
    );
    let ru = OnboardingArgs {
        country: "RU".into(),
        staff: None,
    };
    onboarding_flag(&p, &action("register"), &f, &s, &ru, now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    f.staff.push(StaffMember {
        id: "ivanova".into(),
        role: "employee".into(),
        courses: vec![],
        attached: now,
        detached: None,
    });
    let by_employee = OnboardingArgs {
        staff: Some("ivanova".into()),
        ..ru.clone()
    };
    assert!(
        onboarding_flag(&p, &action("pass_test"), &f, &s, &by_employee, now, tz())
            .unwrap()
            .is_empty()
    );
    let by_admin = onboarding_flag(&p, &action("pass_test"), &f, &s, &ru, now, tz()).unwrap();
    assert_eq!(by_admin.changes[0].code, "ms_start");
    assert_eq!(by_admin.due[0].at, local(2026, 7, 1, 0));
}
