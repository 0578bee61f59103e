//! Deadlines: resolving a stage's deadline rule to a date for one seminar, the instant a date
//! ends in the deadline zone, and lateness in calendar days (DOMAIN.md §2.1 Decision).

use super::calendar::{Calendar, CalendarError};
use super::workflow::{DeadlineRule, Workflow};
use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant local time `t` on date `d` begins in zone `tz`. A time skipped by a DST jump
/// resolves to the first instant after the gap.
pub fn local_instant(tz: Tz, d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    let mut naive = d.and_time(t);
    for _ in 0..6 {
        if let Some(dt) = tz.from_local_datetime(&naive).earliest() {
            return dt.with_timezone(&Utc);
        }
        naive += Duration::minutes(30);
    }
    // Unreachable for real zones; fall back to reading the wall time as UTC.
    Utc.from_utc_datetime(&d.and_time(t))
}

/// Start of date `d` (00:00) in zone `tz`.
pub fn start_of(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, d, NaiveTime::MIN)
}

/// "By date D" ends at 00:00 of D+1 in the deadline zone: the instant clock penalties are booked.
pub fn end_of(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    start_of(tz, d + Duration::days(1))
}

/// The calendar date of an instant in zone `tz`.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The last local day an exclusive end `until` covers: the day before when it ends at 00:00
/// (the inverse of [`end_of`]), else its own day.
pub fn last_day_before(tz: Tz, until: DateTime<Utc>) -> NaiveDate {
    local_date(tz, until - Duration::microseconds(1)).min(local_date(tz, until))
}

/// Days late: calendar dates between deadline D and the date of `at` (D+1 = 1 day late; ≤ 0 on time).
pub fn days_late(tz: Tz, deadline: NaiveDate, at: DateTime<Utc>) -> i64 {
    (local_date(tz, at) - deadline).num_days()
}

/// Resolves a deadline rule to its date for a seminar on `seminar_date` in week `week`.
pub fn resolve(
    rule: &DeadlineRule,
    cal: &Calendar,
    seminar_date: NaiveDate,
    week: &str,
) -> Result<NaiveDate, DeadlineError> {
    Ok(match rule {
        DeadlineRule::None => return Err(DeadlineError::NoDeadline),
        DeadlineRule::Date(d) => *d,
        DeadlineRule::PerWeek(map) => *map
            .get(week)
            .ok_or_else(|| DeadlineError::NoWeekDate(week.to_string()))?,
        DeadlineRule::WorkingDaysAfterSeminar(n) => {
            cal.add_working_days(seminar_date, *n as i32)?
        }
        DeadlineRule::WorkingDaysBeforeSeminar(n) => {
            cal.add_working_days(seminar_date, -(*n as i32))?
        }
        DeadlineRule::DaysAfterSeminar(n) => seminar_date + Duration::days(*n as i64),
        DeadlineRule::DaysBeforeSeminar(n) => seminar_date - Duration::days(*n as i64),
        DeadlineRule::MonthsAfterSeminar(n) => seminar_date
            .checked_add_months(Months::new(*n))
            .ok_or(DeadlineError::OutOfRange)?,
    })
}

/// The deadline date of `stage` for a seminar, by the workflow's rule.
pub fn stage_deadline(
    wf: &Workflow,
    cal: &Calendar,
    stage: &str,
    seminar_date: NaiveDate,
    week: &str,
) -> Result<NaiveDate, DeadlineError> {
    let s = wf
        .stage(stage)
        .ok_or_else(|| DeadlineError::UnknownStage(stage.to_string()))?;
    resolve(&s.deadline, cal, seminar_date, week)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error("для недели «{0}» не задан срок")]
    NoWeekDate(String),
    #[error("неизвестный этап «{0}»")]
    UnknownStage(String),
    #[error("дата вне допустимого диапазона")]
    OutOfRange,
    #[error("у этапа нет срока")]
    NoDeadline,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_deadline_ends_at_midnight_after_its_date_in_moscow() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(
            end_of(tz, d("2017-02-22")).to_rfc3339(),
            "2017-02-22T21:00:00+00:00"
        );
    }

    #[test]
    fn submitting_the_day_after_the_deadline_is_one_day_late() {
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        let at: DateTime<Utc> = "2017-02-23T11:00:00+03:00"
            .parse::<DateTime<chrono::FixedOffset>>()
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(days_late(tz, d("2017-02-22"), at), 1);
        let late_evening: DateTime<Utc> = "2017-02-22T23:59:59+03:00"
            .parse::<DateTime<chrono::FixedOffset>>()
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(days_late(tz, d("2017-02-22"), late_evening), 0);
    }

    #[test]
    fn three_months_after_the_last_day_of_a_month_clamps_to_the_month_end() {
        let cal = Calendar::from_toml("id='x'\nname='x'\nweekend=['sat','sun']\nyears=[]").unwrap();
        assert_eq!(
            resolve(
                &DeadlineRule::MonthsAfterSeminar(3),
                &cal,
                d("2017-03-31"),
                "w"
            )
            .unwrap(),
            d("2017-06-30")
        );
    }
}
