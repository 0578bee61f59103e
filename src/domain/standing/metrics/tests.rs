//! One test per metric type, with the edges the rule book names.

use super::*;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn def(text: &str) -> Metric {
    toml::from_str(text).expect("metric")
}

fn entry(points: i64, booked: DateTime<Utc>, months: Option<u32>) -> PointsEntry {
    PointsEntry {
        ledger: "points".into(),
        product: "site".into(),
        entry_kind: String::from("purchase"),
        points,
        booked,
        date: booked.date_naive(),
        expires: months.map(|m| booked + chrono::Months::new(m)),
    }
}

fn sale(date: NaiveDate, rub: i64) -> Record {
    Record {
        record: "sale".into(),
        date,
        at: Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap()),
        amount: rub * 100,
        reference: None,
        marks: BTreeMap::new(),
    }
}

fn value(facts: &Facts, m: &Metric, now: DateTime<Utc>) -> i64 {
    metric(facts, m, now, now.date_naive(), TermWindow::default())
}

#[test]
fn ledger_balance_counts_entries_booked_and_not_yet_expired_at_the_instant() {
    let m = def("type = \"ledger_balance\"\nledger = \"points\"");
    let facts = Facts {
        ledger: vec![
            entry(60, at(2017, 4, 6), Some(12)),
            entry(40, at(2017, 5, 1), Some(12)),
        ],
        ..Facts::default()
    };
    assert_eq!(value(&facts, &m, at(2017, 4, 30)), 60);
    assert_eq!(value(&facts, &m, at(2017, 5, 1)), 100);
    // The first entry stops counting at its expiry instant, not a day later.
    assert_eq!(value(&facts, &m, at(2018, 4, 5)), 100);
    assert_eq!(value(&facts, &m, at(2018, 4, 6)), 40);
    let never = Facts {
        ledger: vec![entry(7, at(2017, 1, 1), None)],
        ..Facts::default()
    };
    assert_eq!(value(&never, &m, at(2030, 1, 1)), 7);
}

#[test]
fn ledger_ever_counts_entries_of_its_kind_even_expired() {
    let m = def("type = \"ledger_ever\"\nledger = \"points\"\nentry_kind = \"quality_project\"");
    let mut q = entry(5, at(2016, 1, 1), Some(12));
    q.entry_kind = "quality_project".into();
    let facts = Facts {
        ledger: vec![q, entry(500, at(2017, 1, 1), Some(12))],
        ..Facts::default()
    };
    assert_eq!(value(&facts, &m, at(2015, 12, 31)), 0);
    assert_eq!(value(&facts, &m, at(2018, 6, 1)), 1);
}

#[test]
fn staff_count_drops_a_detached_employee_at_the_detach_instant() {
    let m = def("type = \"staff_count\"\ncourses = [\"developer\"]");
    let member = |id: &str, course: &str, detached| StaffMember {
        id: id.into(),
        role: "certified_employee".into(),
        courses: vec![course.into()],
        attached: at(2017, 1, 1),
        detached,
    };
    let facts = Facts {
        staff: vec![
            member("a", "developer", Some(at(2017, 6, 1))),
            member("b", "developer", None),
            member("c", "sales", None),
        ],
        ..Facts::default()
    };
    assert_eq!(value(&facts, &m, at(2017, 5, 31)), 2);
    assert_eq!(value(&facts, &m, at(2017, 6, 1)), 1);
}

#[test]
fn quarterly_sales_each_is_the_weaker_quarter_and_average_the_mean() {
    let each = def("type = \"record_sum_per_quarter\"\nrecord = \"sale\"\nrule = \"each\"");
    let avg = def("type = \"record_sum_per_quarter\"\nrecord = \"sale\"\nrule = \"average\"");
    let facts = Facts {
        records: vec![
            sale(day(2026, 1, 20), 40_000),
            sale(day(2026, 4, 10), 80_000),
            sale(day(2026, 5, 10), -10_000),  // a refund
            sale(day(2026, 7, 1), 1_000_000), // the current quarter: not counted yet
        ],
        ..Facts::default()
    };
    let review = at(2026, 7, 1);
    assert_eq!(value(&facts, &each, review), 40_000 * 100);
    assert_eq!(value(&facts, &avg, review), 55_000 * 100);
}

#[test]
fn quarters_ended_before_the_start_status_are_skipped() {
    let m = def("type = \"record_sum_per_quarter\"\nrecord = \"sale\"\nskip_before = \"ms_start\"");
    let mut facts = Facts {
        records: vec![sale(day(2026, 1, 20), 60_000)],
        ..Facts::default()
    };
    facts.reached.insert("ms_start".into(), day(2026, 1, 12));
    // Q4 2025 ended before Start: only Q1 2026 counts (C31).
    assert_eq!(value(&facts, &m, at(2026, 4, 1)), 60_000 * 100);
    assert_eq!(value(&facts, &m, at(2026, 7, 1)), 0); // Q2 empty, Q1 60 000: each → 0
    facts.records.push(sale(day(2026, 5, 1), 70_000));
    assert_eq!(value(&facts, &m, at(2026, 7, 1)), 60_000 * 100);
}

#[test]
fn calendar_year_metrics_take_the_better_of_last_and_current_year() {
    let m = def(
        "type = \"record_count_calendar_year\"\nrecord = \"event\"\nfilter = { approved = true }",
    );
    let event = |d: NaiveDate, approved: bool| Record {
        record: "event".into(),
        marks: BTreeMap::from([("approved".to_string(), approved)]),
        ..sale(d, 0)
    };
    let facts = Facts {
        records: vec![
            event(day(2025, 3, 1), true),
            event(day(2025, 9, 1), true),
            event(day(2026, 2, 1), true),
            event(day(2026, 3, 1), false),
        ],
        ..Facts::default()
    };
    assert_eq!(value(&facts, &m, at(2026, 7, 1)), 2);
    assert_eq!(value(&facts, &m, at(2027, 1, 1)), 1);
    let points = def("type = \"ledger_calendar_year\"\nledger = \"points\"");
    let ledger = Facts {
        ledger: vec![
            entry(150, at(2025, 5, 1), None),
            entry(-50, at(2026, 2, 1), None),
            entry(120, at(2026, 3, 1), None),
        ],
        ..Facts::default()
    };
    // Spending does not reduce the count; last year's 150 still stands on 07-01.
    assert_eq!(value(&ledger, &points, at(2026, 7, 1)), 150);
}

#[test]
fn distinct_clients_count_once_in_the_year_first_recorded() {
    let m = def("type = \"record_count_calendar_year\"\nrecord = \"client\"\ndistinct = true");
    let client = |d: NaiveDate, c: &str| Record {
        record: "client".into(),
        reference: Some(c.into()),
        ..sale(d, 0)
    };
    let facts = Facts {
        records: vec![
            client(day(2025, 12, 1), "x"),
            client(day(2026, 2, 1), "x"),
            client(day(2026, 3, 1), "y"),
        ],
        ..Facts::default()
    };
    assert_eq!(value(&facts, &m, at(2026, 7, 1)), 1);
}

#[test]
fn totals_flags_terms_statuses_and_renewals() {
    let total = def("type = \"record_sum_total\"\nrecord = \"sale\"\nopening = \"sales_total\"");
    let mut facts = Facts {
        records: vec![sale(day(2026, 2, 1), 30_000)],
        ..Facts::default()
    };
    facts.openings.insert("sales_total".into(), 80_000 * 100);
    assert_eq!(value(&facts, &total, at(2026, 3, 1)), 110_000 * 100);
    let flag = def("type = \"flag\"\nflag = \"site_info\"");
    facts.flags.insert(
        "site_info".into(),
        vec![FlagSpan {
            since: at(2026, 1, 1),
            until: Some(at(2026, 6, 1)),
        }],
    );
    assert_eq!(value(&facts, &flag, at(2026, 5, 31)), 1);
    assert_eq!(value(&facts, &flag, at(2026, 6, 1)), 0);
    let all = def("type = \"flags_all\"\nflags = [\"site_info\", \"agreement\"]");
    assert_eq!(value(&facts, &all, at(2026, 2, 1)), 0);
    let none = def("type = \"record_in_term\"\nrecord = \"sale\"\nnone = true");
    let term = TermWindow {
        since: Some(at(2026, 3, 1)),
        until: Some(at(2027, 3, 1)),
        renewals: 0,
    };
    assert_eq!(
        metric(&facts, &none, at(2026, 4, 1), day(2026, 4, 1), term),
        1
    );
    let gold = def("type = \"status_at_least\"\nprogram = \"p\"\ncode = \"gold\"");
    let ladder = vec!["business".to_string(), "certified".into(), "gold".into()];
    facts.other_standings.insert(
        "p".into(),
        OtherStanding {
            code: "certified".into(),
            ladder,
        },
    );
    assert_eq!(value(&facts, &gold, at(2026, 4, 1)), 0);
    facts.other_standings.get_mut("p").unwrap().code = "gold".into();
    assert_eq!(value(&facts, &gold, at(2026, 4, 1)), 1);
    let nth = def("type = \"every_nth_renewal\"\nn = 2\nflag = \"biennial_docs\"");
    let renewal = |renewals| TermWindow {
        renewals,
        ..TermWindow::default()
    };
    // The first renewal needs nothing; the second needs the biennial documents.
    assert_eq!(
        metric(&facts, &nth, at(2026, 4, 1), day(2026, 4, 1), renewal(0)),
        1
    );
    assert_eq!(
        metric(&facts, &nth, at(2026, 4, 1), day(2026, 4, 1), renewal(1)),
        0
    );
}
