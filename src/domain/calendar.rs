//! Working-day calendars as data (`workflows/calendars/*.toml`): weekends, public holidays,
//! transferred days off and transferred working days, and the arithmetic over them.
//! A date outside the years a calendar covers is an error, never a guess.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("календарь «{calendar}» не содержит данных за {year} год")]
    YearNotCovered { calendar: String, year: i32 },
    #[error("календарь: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct Calendar {
    pub id: String,
    pub name: String,
    weekend: BTreeSet<u32>,
    years: BTreeMap<i32, YearDays>,
}

#[derive(Debug, Clone, Default)]
struct YearDays {
    days_off: BTreeMap<NaiveDate, String>,
    working: BTreeMap<NaiveDate, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    id: String,
    name: String,
    weekend: Vec<String>,
    years: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    #[serde(default)]
    days_off: Vec<RawDay>,
    #[serde(default)]
    working_days: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    date: NaiveDate,
    #[serde(default)]
    name: String,
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

impl Calendar {
    /// Parses a calendar file's text. Errors name the field that is wrong.
    pub fn from_toml(src: &str) -> Result<Calendar, CalendarError> {
        let raw: RawCalendar =
            toml::from_str(src).map_err(|e| CalendarError::Invalid(e.message().to_string()))?;
        let mut weekend = BTreeSet::new();
        for (i, w) in raw.weekend.iter().enumerate() {
            let day = parse_weekday(w).ok_or_else(|| {
                CalendarError::Invalid(format!("weekend[{i}]: неизвестный день недели «{w}»"))
            })?;
            weekend.insert(day.num_days_from_monday());
        }
        let mut years = BTreeMap::new();
        for (i, y) in raw.years.into_iter().enumerate() {
            let mut days = YearDays::default();
            for (j, d) in y.days_off.into_iter().enumerate() {
                if d.date.year() != y.year {
                    return Err(CalendarError::Invalid(format!(
                        "years[{i}].days_off[{j}]: дата {} не относится к {} году",
                        d.date, y.year
                    )));
                }
                days.days_off.insert(d.date, d.name);
            }
            for (j, d) in y.working_days.into_iter().enumerate() {
                if d.date.year() != y.year {
                    return Err(CalendarError::Invalid(format!(
                        "years[{i}].working_days[{j}]: дата {} не относится к {} году",
                        d.date, y.year
                    )));
                }
                if days.days_off.contains_key(&d.date) {
                    return Err(CalendarError::Invalid(format!("years[{i}].working_days[{j}]: дата {} указана и как выходной, и как рабочий день", d.date)));
                }
                days.working.insert(d.date, d.name);
            }
            if years.insert(y.year, days).is_some() {
                return Err(CalendarError::Invalid(format!(
                    "years[{i}]: {} год указан дважды",
                    y.year
                )));
            }
        }
        Ok(Calendar {
            id: raw.id,
            name: raw.name,
            weekend,
            years,
        })
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    fn year(&self, year: i32) -> Result<&YearDays, CalendarError> {
        self.years
            .get(&year)
            .ok_or_else(|| CalendarError::YearNotCovered {
                calendar: self.id.clone(),
                year,
            })
    }

    /// Whether `d` is a working day: not a weekend (unless transferred to working) and
    /// not a public holiday or transferred day off.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let y = self.year(d.year())?;
        if y.working.contains_key(&d) {
            return Ok(true);
        }
        if y.days_off.contains_key(&d) {
            return Ok(false);
        }
        Ok(!self.weekend.contains(&d.weekday().num_days_from_monday()))
    }

    /// The `n`-th working day strictly after `d` (`n > 0`), strictly before it (`n < 0`),
    /// or `d` itself (`n == 0`).
    pub fn add_working_days(&self, d: NaiveDate, n: i32) -> Result<NaiveDate, CalendarError> {
        let step = if n >= 0 {
            Duration::days(1)
        } else {
            Duration::days(-1)
        };
        let mut left = n.unsigned_abs();
        let mut cur = d;
        while left > 0 {
            cur += step;
            if self.is_working_day(cur)? {
                left -= 1;
            }
        }
        Ok(cur)
    }

    /// Every non-working date of `year` with its reason, in date order.
    pub fn non_working_days(&self, year: i32) -> Result<Vec<(NaiveDate, String)>, CalendarError> {
        let y = self.year(year)?;
        let mut out = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| {
            CalendarError::Invalid(format!("год {year} вне допустимого диапазона"))
        })?;
        while d.year() == year {
            if !self.is_working_day(d)? {
                let name = y
                    .days_off
                    .get(&d)
                    .cloned()
                    .unwrap_or_else(|| "Выходной день".to_string());
                out.push((d, name));
            }
            d += Duration::days(1);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = r#"
id = "t"
name = "test"
weekend = ["saturday", "sunday"]
[[years]]
year = 2017
days_off = [
  { date = "2017-01-02", name = "Новогодние каникулы" },
  { date = "2017-02-23", name = "День защитника Отечества" },
  { date = "2017-02-24", name = "Перенос" },
  { date = "2017-03-08", name = "Международный женский день" },
  { date = "2017-05-01" }, { date = "2017-05-08" }, { date = "2017-05-09" },
]
working_days = [{ date = "2017-03-11", name = "test working Saturday" }]
[[years]]
year = 2018
"#;

    fn cal() -> Calendar {
        Calendar::from_toml(SAMPLE).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_transferred_working_saturday_counts_as_a_working_day() {
        assert!(cal().is_working_day(d("2017-03-11")).unwrap());
        assert!(!cal().is_working_day(d("2017-03-12")).unwrap());
    }

    #[test]
    fn counting_working_days_skips_holidays() {
        assert_eq!(
            cal().add_working_days(d("2017-03-10"), -3).unwrap(),
            d("2017-03-06")
        );
        assert_eq!(
            cal().add_working_days(d("2017-02-22"), 1).unwrap(),
            d("2017-02-27")
        );
    }

    #[test]
    fn a_year_without_data_is_an_error_not_a_guess() {
        let err = cal().is_working_day(d("2019-01-01")).unwrap_err();
        assert_eq!(
            err,
            CalendarError::YearNotCovered {
                calendar: "t".into(),
                year: 2019
            }
        );
    }

    #[test]
    fn a_date_listed_both_off_and_working_is_rejected() {
        let bad = SAMPLE.replace("2017-03-11", "2017-03-08");
        assert!(Calendar::from_toml(&bad).is_err());
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day_and_counting_back_inverts_it(start in 0i64..600, n in 1i32..40) {
            let c = cal();
            let d0 = d("2017-01-01") + Duration::days(start);
            prop_assume!(c.add_working_days(d0, n + 30).is_ok());
            let later = c.add_working_days(d0, n).unwrap();
            prop_assert!(c.is_working_day(later).unwrap());
            prop_assert!(later > d0);
            let further = c.add_working_days(d0, n + 1).unwrap();
            prop_assert!(further > later);
            if c.is_working_day(d0).unwrap() {
                prop_assert_eq!(c.add_working_days(later, -n).unwrap(), d0);
            }
        }
    }
}
