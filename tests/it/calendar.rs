//! `seminarflow calendar show ru YEAR` through the real binary, against the official Russian
//! production calendars (производственный календарь):
//! - 2017: Decree No. 756 of 04.08.2016 — Jan 1 → Fri Feb 24, Jan 7 → Mon May 8; Nov 4 (Sat) → Nov 6.
//! - 2018: Decree No. 1250 of 14.10.2017 — Jan 6 → Fri Mar 9, Jan 7 → Wed May 2, Sat Apr 28 worked
//!   for Mon Apr 30, Sat Jun 9 for Mon Jun 11, Sat Dec 29 for Mon Dec 31; Nov 4 (Sun) → Nov 5.
//! - 2026: Decree No. 1466 of 24.09.2025 — Jan 3 → Fri Jan 9, Jan 4 → Thu Dec 31; Mar 8 (Sun) → Mar 9,
//!   May 9 (Sat) → May 11.
//! - 2027: per `workflows/calendars/ru.toml` — Sat Feb 20 worked for Mon Feb 22, Jan 2 → Nov 5,
//!   Jan 3 → Dec 31; May 1 → May 3, May 9 → May 10, Jun 12 → Jun 14.
//!
//! Every year has 247 working days, so 365 − 247 = 118 non-working dates are printed.

use crate::support::root;
use chrono::{Datelike, NaiveDate, Weekday};
use std::process::{Command, Output};

fn show(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seminarflow"))
        .arg("--workflows")
        .arg(root().join("workflows"))
        .args(["calendar", "show"])
        .args(args)
        .env_remove("SEMINARFLOW_WORKFLOWS")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("the seminarflow binary runs")
}

/// Every line of `calendar show ru YEAR` parsed as (date, optional name); asserts success and
/// the line format: an ISO date, optionally followed by a tab and a non-empty name.
fn non_working(year: i32) -> Vec<(NaiveDate, Option<String>)> {
    let out = show(&["ru", &year.to_string()]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert_eq!(
        out.status.code(),
        Some(0),
        "calendar show ru {year} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            let (date, name) = match line.split_once('\t') {
                Some((d, n)) => (d, Some(n)),
                None => (line, None),
            };
            assert!(
                date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
                "not an ISO date: {line:?}"
            );
            let d = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .unwrap_or_else(|e| panic!("not an ISO date: {line:?}: {e}"));
            if let Some(n) = name {
                assert!(
                    !n.trim().is_empty() && !n.contains('\t'),
                    "after the tab comes one non-empty name: {line:?}"
                );
            }
            (d, name.map(str::to_owned))
        })
        .collect()
}

fn dates(year: i32) -> Vec<NaiveDate> {
    non_working(year).into_iter().map(|(d, _)| d).collect()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn days_in(year: i32) -> i64 {
    (NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap()
        - NaiveDate::from_ymd_opt(year, 1, 1).unwrap())
    .num_days()
}

/// The dates of `year` that are Saturdays or Sundays.
fn weekends(year: i32) -> Vec<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap()
        .iter_days()
        .take_while(|x| x.year() == year)
        .filter(|x| matches!(x.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

fn assert_year(year: i32, off: &[&str], working: &[&str]) {
    let got = dates(year);
    for s in off {
        assert!(
            got.contains(&d(s)),
            "{s} must be printed as non-working in {year}"
        );
    }
    for s in working {
        assert!(
            !got.contains(&d(s)),
            "{s} is a working day in {year}, must not be printed"
        );
    }
}

#[test]
fn every_line_is_an_iso_date_optionally_followed_by_a_tab_and_a_name() {
    for year in [2017, 2018, 2026, 2027] {
        let days = non_working(year);
        assert!(!days.is_empty());
        for (date, _) in &days {
            assert_eq!(date.year(), year, "only dates of {year} are printed");
        }
    }
}

#[test]
fn dates_are_printed_once_each_in_ascending_order() {
    for year in [2017, 2018, 2026, 2027] {
        let got = dates(year);
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "{year}: dates strictly ascending"
        );
    }
}

#[test]
fn each_covered_year_has_247_working_days_so_118_non_working_dates_are_printed() {
    for year in [2017, 2018, 2026, 2027] {
        let printed = dates(year).len() as i64;
        assert_eq!(days_in(year), 365);
        assert_eq!(printed, 118, "{year}: 365 − 247 working days");
        assert_eq!(days_in(year) - printed, 247, "{year}: working days");
    }
}

#[test]
fn the_2017_calendar_follows_decree_756_with_feb_24_and_may_8_off() {
    assert_year(
        2017,
        &[
            "2017-01-01",
            "2017-01-02",
            "2017-01-06",
            "2017-01-07",
            "2017-01-08",
            "2017-02-23",
            "2017-02-24",
            "2017-03-08",
            "2017-05-01",
            "2017-05-08",
            "2017-05-09",
            "2017-06-12",
            "2017-11-04",
            "2017-11-06",
        ],
        &[
            "2017-01-09",
            "2017-02-22",
            "2017-02-27",
            "2017-03-07",
            "2017-03-09",
            "2017-05-02",
            "2017-05-10",
            "2017-11-03",
            "2017-11-07",
            "2017-12-29",
        ],
    );
}

#[test]
fn the_2017_seminar_and_report_period_has_no_weekday_holiday() {
    // 2017-03-27…2017-04-14 (seminars and their report due dates): only weekends are
    // non-working there, which the report-due examples of DOMAIN.md §2.1 rely on.
    let in_period: Vec<NaiveDate> = dates(2017)
        .into_iter()
        .filter(|x| *x >= d("2017-03-27") && *x <= d("2017-04-14"))
        .collect();
    assert_eq!(
        in_period,
        vec![
            d("2017-04-01"),
            d("2017-04-02"),
            d("2017-04-08"),
            d("2017-04-09")
        ]
    );
}

#[test]
fn the_2018_calendar_follows_decree_1250_with_three_working_saturdays() {
    assert_year(
        2018,
        &[
            "2018-01-01",
            "2018-01-05",
            "2018-01-08",
            "2018-02-23",
            "2018-03-08",
            "2018-03-09",
            "2018-04-29",
            "2018-04-30",
            "2018-05-01",
            "2018-05-02",
            "2018-05-09",
            "2018-06-10",
            "2018-06-11",
            "2018-06-12",
            "2018-11-04",
            "2018-11-05",
            "2018-12-30",
            "2018-12-31",
        ],
        &[
            "2018-01-09",
            "2018-02-22",
            "2018-03-07",
            "2018-04-28",
            "2018-05-03",
            "2018-06-09",
            "2018-06-13",
            "2018-11-06",
            "2018-12-28",
            "2018-12-29",
        ],
    );
}

#[test]
fn the_2026_calendar_follows_decree_1466_with_jan_9_and_dec_31_off() {
    assert_year(
        2026,
        &[
            "2026-01-01",
            "2026-01-08",
            "2026-01-09",
            "2026-01-10",
            "2026-01-11",
            "2026-02-23",
            "2026-03-09",
            "2026-05-01",
            "2026-05-11",
            "2026-06-12",
            "2026-11-04",
            "2026-12-31",
        ],
        &[
            "2026-01-12",
            "2026-02-24",
            "2026-03-10",
            "2026-05-04",
            "2026-05-12",
            "2026-11-05",
            "2026-12-30",
        ],
    );
}

#[test]
fn the_2027_calendar_has_feb_20_as_a_working_saturday_that_is_not_printed() {
    let got = dates(2027);
    assert_eq!(d("2027-02-20").weekday(), Weekday::Sat);
    assert!(
        !got.contains(&d("2027-02-20")),
        "2027-02-20 is a working Saturday"
    );
    assert!(
        got.contains(&d("2027-02-21")),
        "Sunday 2027-02-21 stays off"
    );
    assert_year(
        2027,
        &[
            "2027-01-01",
            "2027-01-08",
            "2027-02-22",
            "2027-02-23",
            "2027-03-08",
            "2027-05-03",
            "2027-05-10",
            "2027-06-14",
            "2027-11-04",
            "2027-11-05",
            "2027-12-31",
        ],
        &[
            "2027-01-11",
            "2027-02-24",
            "2027-03-09",
            "2027-05-04",
            "2027-06-15",
            "2027-12-30",
        ],
    );
}

#[test]
fn every_weekend_date_is_printed_except_transferred_working_saturdays() {
    for (year, working_weekend) in [
        (2017, vec![]),
        (2026, vec![]),
        (2027, vec![d("2027-02-20")]),
    ] {
        let got = dates(year);
        for w in weekends(year) {
            if working_weekend.contains(&w) {
                assert!(!got.contains(&w), "{w} is a working weekend day");
            } else {
                assert!(got.contains(&w), "{w} is a weekend day and must be printed");
            }
        }
    }
}

#[test]
fn public_holidays_are_printed_with_their_names() {
    let days = non_working(2017);
    let name_of = |s: &str| {
        days.iter()
            .find(|(x, _)| *x == d(s))
            .and_then(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    assert_eq!(name_of("2017-02-23"), "День защитника Отечества");
    assert_eq!(name_of("2017-03-08"), "Международный женский день");
    assert!(
        name_of("2017-02-24").contains("Перенос"),
        "{}",
        name_of("2017-02-24")
    );
    assert!(
        name_of("2017-05-08").contains("Перенос"),
        "{}",
        name_of("2017-05-08")
    );
}

#[test]
fn a_year_the_calendar_does_not_cover_is_an_error_naming_the_year() {
    let out = show(&["ru", "2030"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "2030 is not covered");
    assert!(stderr.contains("2030"), "message names the year: {stderr}");
    assert!(
        stderr.contains("«ru»"),
        "message names the calendar: {stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "no guessed dates are printed"
    );
}

#[test]
fn the_year_between_covered_years_is_not_guessed_either() {
    let out = show(&["ru", "2019"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2019"));
}

#[test]
fn an_unknown_calendar_is_an_error_listing_the_known_ones() {
    let out = show(&["by", "2017"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("«by»") && stderr.contains("ru"), "{stderr}");
}
