//! How pages show dates, instants, countdowns, points and money in Russian.

use crate::domain::deadline::end_of;
use crate::domain::{Kopecks, Program};
use crate::http::views::plural;
use chrono::{DateTime, Datelike, NaiveDate, Offset, Utc, Weekday};
use chrono_tz::Tz;

use crate::text::{self, MONTHS_GENITIVE as MONTHS};

pub use crate::text::date;

/// `29.03`.
pub fn day_month(d: NaiveDate) -> String {
    d.format("%d.%m").to_string()
}

fn weekday(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "пн",
        Weekday::Tue => "вт",
        Weekday::Wed => "ср",
        Weekday::Thu => "чт",
        Weekday::Fri => "пт",
        Weekday::Sat => "сб",
        Weekday::Sun => "вс",
    }
}

/// `ср, 29 марта 2017`.
pub fn date_long(d: NaiveDate) -> String {
    format!(
        "{}, {} {} {}",
        weekday(d),
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

/// `04.04.2017 12:00 МСК`: in the program's deadline zone, named as the program names it.
pub fn instant(prog: &Program, at: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        at.with_timezone(&prog.tz).format("%d.%m.%Y %H:%M"),
        text::zone_label(prog, at)
    )
}

/// `04.04.2017 16:00 UTC+7`: in another zone (a city's, the server's), named by its offset.
pub fn instant_in(tz: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%d.%m.%Y %H:%M"),
        text::utc_offset(tz, at)
    )
}

/// The last minute of a "by date D" deadline in the program's deadline zone:
/// `22.02.2017 23:59 МСК`.
pub fn deadline(prog: &Program, d: NaiveDate) -> String {
    instant(prog, end_of(prog.tz, d) - chrono::Duration::seconds(1))
}

/// The same moment in the city's local time, when the city lives in another zone.
pub fn deadline_local(prog: &Program, city: &str, d: NaiveDate) -> Option<String> {
    let tz = prog.city_zone(city);
    let last = end_of(prog.tz, d) - chrono::Duration::seconds(1);
    let differs =
        last.with_timezone(&tz).offset().fix() != last.with_timezone(&prog.tz).offset().fix();
    differs.then(|| instant_in(tz, last))
}

pub fn days(n: i64) -> String {
    plural(n, "день", "дня", "дней")
}

/// Countdown text and its tone (`ok`, `soon`, `late`) while the partner holds a stage.
pub fn countdown(days_left: Option<i64>, days_late: Option<i64>) -> Option<(String, &'static str)> {
    match (days_left, days_late) {
        (_, Some(n)) => Some((format!("просрочено на {}", days(n)), "late")),
        (Some(0), _) => Some(("сегодня последний день".into(), "soon")),
        (Some(1), _) => Some(("остался 1 день — срок завтра".into(), "soon")),
        (Some(n), _) => {
            let word = if n % 10 == 1 && n % 100 != 11 {
                "остался"
            } else {
                "осталось"
            };
            Some((
                format!("{word} {}", days(n)),
                if n <= 3 { "soon" } else { "ok" },
            ))
        }
        _ => None,
    }
}

/// `−10 баллов`, `+120 баллов`, `без баллов`.
pub fn points(n: i64) -> String {
    if n == 0 {
        return "баллы не списываются".into();
    }
    let sign = if n < 0 { "−" } else { "+" };
    format!("{sign}{}", plural(n.abs(), "балл", "балла", "баллов"))
}

/// A balance: `120 баллов`, `−10 баллов`, `0 баллов`.
pub fn balance(n: i64) -> String {
    plural(n, "балл", "балла", "баллов").replace('-', "−")
}

/// `48 000,00 ₽`.
pub fn money(k: Kopecks) -> String {
    format!("{}\u{a0}₽", text::amount(k))
}

/// Why a user's money input is no amount; the message is the reason shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyInputError {
    #[error("укажите сумму в рублях")]
    Empty,
    #[error("сумма не может быть отрицательной")]
    Negative,
    #[error("«{0}» — не сумма в рублях; пример: 48000 или 48000,50")]
    NotANumber(String),
    /// Too precise or too large: the domain's own message.
    #[error(transparent)]
    OutOfBounds(crate::domain::MoneyError),
}

/// A user's money input: `48000`, `48 000,50`, `48000.50`.
pub fn parse_money(s: &str) -> Result<Kopecks, MoneyInputError> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '₽')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Err(MoneyInputError::Empty);
    }
    if cleaned.starts_with('-') {
        return Err(MoneyInputError::Negative);
    }
    cleaned.parse::<Kopecks>().map_err(|e| match e {
        crate::domain::MoneyError::NotANumber(_) => MoneyInputError::NotANumber(s.to_string()),
        bounds => MoneyInputError::OutOfBounds(bounds),
    })
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
pub fn url_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_by_thousands_with_kopecks() {
        assert_eq!(money(Kopecks(4_800_050)), "48\u{a0}000,50\u{a0}₽");
        assert_eq!(money(Kopecks(99)), "0,99\u{a0}₽");
        assert_eq!(parse_money("48 000,5"), Ok(Kopecks(4_800_050)));
        assert!(parse_money("-1").is_err());
    }

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown(Some(21), None).unwrap().0, "остался 21 день");
        assert_eq!(countdown(Some(5), None).unwrap().0, "осталось 5 дней");
        assert_eq!(countdown(None, Some(2)).unwrap().0, "просрочено на 2 дня");
        assert_eq!(
            date_long(NaiveDate::from_ymd_opt(2017, 3, 29).unwrap()),
            "ср, 29 марта 2017"
        );
    }
}
