//! Example 06 (shared/scenarios/06-partner-status) run as a literal daily loop over the shipped
//! `bitrix-partner-status.toml`, plus threshold edges and a Gold partner falling to Certified.

use super::*;
use crate::domain::standing::metrics::{PointsEntry, StaffMember};

fn program() -> StandingProgram {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/bitrix-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped file");
    let wf = crate::catalog::parse_workflow(&text, "bitrix-partner-status").expect("parses");
    wf.standing.expect("a partner program")
}

fn tz() -> Tz {
    // The program's own zone, read from the file (no zone name in Rust).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/bitrix-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped file");
    let wf = crate::catalog::parse_workflow(&text, "x").expect("parses");
    wf.deadline_zone.parse().expect("an IANA zone")
}

/// A local wall-clock instant in the program's zone.
fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    tz().with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

/// An entry valid through its booking date + 12 months (S§1.4).
fn points(n: i64, booked: DateTime<Utc>) -> PointsEntry {
    let date = booked.with_timezone(&tz()).date_naive();
    PointsEntry {
        ledger: "points".into(),
        product: "site".into(),
        entry_kind: String::from("purchase"),
        points: n,
        booked,
        date,
        expires: Some(midnight_after(
            date.checked_add_months(Months::new(12)).unwrap(),
            tz(),
        )),
    }
}

fn certified(id: &str, course: &str, attached: DateTime<Utc>) -> StaffMember {
    StaffMember {
        id: id.into(),
        role: "full_rights".into(),
        courses: vec![course.into()],
        attached,
        detached: None,
    }
}

fn active(code: &str, since: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Standing {
    let mut s = Standing::new("p", "bitrix-partner-status");
    s.state = StandingState::Active;
    s.code = Some(code.into());
    s.since = Some(since);
    s.until = until;
    s
}

/// Runs the ladder at every local 00:00 from the day after `from` to `to`, applying changes.
fn daily(
    p: &StandingProgram,
    facts: &Facts,
    s: &mut Standing,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Change> {
    let mut out = vec![];
    let mut d = from;
    while d < to {
        let at = midnight_after(d, tz());
        if let Some(c) = evaluate(p, facts, s, at, tz()) {
            s.apply(&c);
            out.push(c);
        }
        d = d.succ_opt().unwrap();
    }
    out
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn example_06_p1_is_promoted_on_2017_04_07_and_loses_certified_on_2018_04_08() {
    let p = program();
    let facts = Facts {
        ledger: vec![
            points(30, local(2017, 3, 15, 11)),
            points(120, local(2017, 4, 6, 10)),
            points(59, local(2018, 2, 20, 10)),
        ],
        staff: vec![certified(
            "ivanov",
            "content_manager",
            local(2017, 2, 1, 10),
        )],
        ..Facts::default()
    };
    let mut s = active("business_partner", local(2016, 11, 1, 10), None);
    let changes = daily(&p, &facts, &mut s, day(2016, 11, 1), day(2018, 4, 10));
    assert_eq!(changes.len(), 2, "{changes:#?}");
    let up = &changes[0];
    assert_eq!(
        (up.change, up.code.as_str()),
        (ChangeKind::Promoted, "certified_partner")
    );
    assert_eq!(up.at, local(2017, 4, 7, 0));
    assert_eq!(up.until, Some(local(2018, 4, 8, 0)));
    assert_eq!(
        (up.snapshot["active_points"], up.snapshot["certified_staff"]),
        (150, 1)
    );
    let lost = &changes[1];
    assert_eq!(
        (lost.change, lost.code.as_str()),
        (ChangeKind::Lost, "business_partner")
    );
    assert_eq!(lost.at, local(2018, 4, 8, 0));
    assert_eq!(lost.until, None);
    assert_eq!(lost.snapshot["active_points"], 59);
    assert_eq!(lost.unmet, ["active_points"]);
}

#[test]
fn example_06_p2_is_promoted_the_night_after_its_first_certified_employee() {
    let p = program();
    let facts = Facts {
        ledger: vec![points(120, local(2017, 4, 6, 15))],
        staff: vec![certified(
            "sidorov",
            "site_admin_basic",
            local(2017, 5, 10, 10),
        )],
        ..Facts::default()
    };
    let mut s = active("business_partner", local(2017, 1, 20, 12), None);
    let changes = daily(&p, &facts, &mut s, day(2017, 1, 20), day(2018, 4, 10));
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].at, local(2017, 5, 11, 0));
    assert_eq!(changes[0].code, "certified_partner");
    assert_eq!(changes[0].until, Some(local(2018, 5, 12, 0)));
    assert_eq!(changes[0].snapshot["active_points"], 120);
}

#[test]
fn ninety_nine_points_are_not_enough_and_a_hundred_are() {
    let p = program();
    let staff = vec![certified("a", "developer", local(2017, 1, 1, 10))];
    let at = local(2017, 3, 1, 0);
    let s = active("business_partner", local(2016, 1, 1, 10), None);
    let with = |n| Facts {
        ledger: vec![points(n, local(2017, 2, 1, 10))],
        staff: staff.clone(),
        ..Facts::default()
    };
    assert_eq!(evaluate(&p, &with(99), &s, at, tz()), None);
    let c = evaluate(&p, &with(100), &s, at, tz()).expect("promoted");
    assert_eq!(c.code, "certified_partner");
    // 500 points but one certified employee: Certified, not Gold.
    assert_eq!(
        evaluate(&p, &with(500), &s, at, tz()).unwrap().code,
        "certified_partner"
    );
}

#[test]
fn gold_failing_at_its_term_end_falls_to_certified_and_is_kept_mid_term() {
    let p = program();
    let mut quality = points(10, local(2017, 1, 10, 10));
    quality.entry_kind = String::from("quality_project");
    let facts = Facts {
        ledger: vec![quality, points(150, local(2017, 6, 1, 10))],
        staff: vec![
            certified("a", "developer", local(2016, 1, 1, 10)),
            certified("b", "developer", local(2016, 1, 1, 10)),
        ],
        ..Facts::default()
    };
    let until = local(2018, 1, 2, 0);
    let s = active("gold_certified_partner", local(2017, 1, 1, 0), Some(until));
    // Mid-term: 160 points < 500, but no downgrade before `until` (C18).
    assert_eq!(evaluate(&p, &facts, &s, local(2017, 12, 1, 0), tz()), None);
    let c = evaluate(&p, &facts, &s, until, tz()).expect("a change at the term end");
    assert_eq!(
        (c.change, c.code.as_str()),
        (ChangeKind::Lost, "certified_partner")
    );
    assert_eq!(c.unmet, ["active_points"]);
    // A new term from the day of the change: through 2019-01-02 (C22).
    assert_eq!(c.until, Some(local(2019, 1, 3, 0)));
}

fn moysklad() -> StandingProgram {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/moysklad-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped file");
    let wf = crate::catalog::parse_workflow(&text, "moysklad-partner-status").expect("parses");
    wf.standing.expect("a partner program")
}

#[test]
fn a_review_date_ladder_moves_only_at_its_reviews_and_runs_to_the_next_one() {
    use crate::domain::standing::metrics::{FlagSpan, Record};
    let p = moysklad();
    let sale = |d: NaiveDate, rub: i64| Record {
        record: "sale".into(),
        date: d,
        at: local(d.year(), d.month(), d.day(), 12),
        amount: rub * 100,
        reference: None,
        marks: BTreeMap::new(),
    };
    let mut facts = Facts {
        records: vec![sale(day(2026, 2, 1), 60_000), sale(day(2026, 5, 1), 60_000)],
        staff: vec![certified("a", "uc_basics", local(2026, 1, 20, 10))],
        ..Facts::default()
    };
    facts.flags.insert(
        "site_info".into(),
        vec![FlagSpan {
            since: local(2026, 1, 20, 10),
            until: None,
        }],
    );
    facts.reached.insert("ms_start".into(), day(2026, 1, 12));
    let mut marketing = points(100, local(2026, 3, 1, 10));
    marketing.ledger = "ms_marketing".into();
    marketing.expires = None;
    facts.ledger.push(marketing);
    let s = active("ms_start", local(2026, 1, 12, 10), None);
    // Criteria met since May, but no promotion between reviews.
    assert_eq!(evaluate(&p, &facts, &s, local(2026, 6, 1, 0), tz()), None);
    let c = evaluate(&p, &facts, &s, local(2026, 7, 1, 0), tz()).expect("the 07-01 review");
    assert_eq!(
        (c.change, c.code.as_str()),
        (ChangeKind::Promoted, "ms_partner")
    );
    assert_eq!(c.until, Some(local(2027, 1, 1, 0)));
    assert_eq!(c.snapshot["quarterly_sales"], 60_000 * 100);
}
