//! What accepting an item's report checks and promises besides its price (E§4.6, E§4.15):
//! the report fields its kind requires, and the day points and compensation are credited by.

use crate::domain::calendar::{Calendar, CalendarError};
use crate::domain::deadline::local_date;
use crate::domain::workflow::Kind;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The report fields `kind` requires that the report leaves empty, in the kind's order; empty
/// when the report can be accepted.
pub fn missing_report_fields<'k>(kind: &'k Kind, filled: &[&str]) -> Vec<&'k str> {
    kind.report_requires
        .iter()
        .map(String::as_str)
        .filter(|f| !filled.contains(f))
        .collect()
}

/// The last day points and compensation are credited by: `working_days` after the date of the
/// acceptance in the program's zone (`[results] credit_within_working_days`).
///
/// # Errors
/// The calendar does not cover the days counted.
pub fn credit_due(
    cal: &Calendar,
    tz: Tz,
    accepted_at: DateTime<Utc>,
    working_days: u32,
) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(local_date(tz, accepted_at), working_days as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::parse_normalised;
    use chrono::TimeZone;

    fn ru() -> Calendar {
        Calendar::from_toml(include_str!("../../../workflows/calendars/ru.toml")).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn credit_is_due_five_working_days_after_acceptance_as_in_the_worked_examples() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        // (accepted at, UTC; credit due) — rule book Part 2, examples A and B.
        let table = [
            ((2017, 5, 26, 9), "2017-06-02"),
            ((2017, 5, 23, 9), "2017-05-30"),
            ((2017, 6, 1, 9), "2017-06-08"),
            ((2017, 6, 28, 9), "2017-07-05"),
            ((2017, 10, 2, 9), "2017-10-09"),
            // 22:30 UTC on 06-07 is 01:30 on 06-08 in Moscow: counted from Thursday 06-08,
            // across the 06-12 holiday.
            ((2017, 6, 7, 22), "2017-06-16"),
        ];
        for ((y, m, d, h), due) in table {
            let at = Utc.with_ymd_and_hms(y, m, d, h, 30, 0).unwrap();
            assert_eq!(credit_due(&ru(), tz, at, 5).unwrap(), day(due), "{at}");
        }
    }

    #[test]
    fn a_report_without_a_required_field_names_what_is_missing() {
        let text = include_str!("../../../workflows/bitrix-partner-events-2017.toml");
        let wf = parse_normalised(text, "bitrix-partner-events-2017")
            .unwrap()
            .unwrap();
        let kind = |id: &str| wf.kinds.iter().find(|k| k.id == id).unwrap();
        assert_eq!(
            missing_report_fields(kind("seminar"), &["announcement_link"]),
            ["photos"]
        );
        assert!(
            missing_report_fields(kind("seminar"), &["photos", "announcement_link"]).is_empty()
        );
        assert!(missing_report_fields(kind("webinar"), &["announcement_link"]).is_empty());
        assert_eq!(
            missing_report_fields(kind("exhibition"), &[]),
            ["photos", "announcement_link"]
        );
    }
}
