//! Russian wording for e-mails: plural forms of counted nouns, dates with month names,
//! deadlines in the deadline zone and in a city's local time, roubles.

use crate::domain::Kopecks;
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The plural form for `n` (1 день, 2 дня, 5 дней; 11–14 always the last form).
pub fn plural<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    crate::text::plural_word(n, one, few, many)
}

/// `2 дня`, `11 дней`, `21 балл`.
pub fn count(n: i64, one: &str, few: &str, many: &str) -> String {
    crate::text::plural(n, one, few, many)
}

use crate::text::MONTHS_GENITIVE;

const WEEKDAYS: [&str; 7] = [
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
];

pub use crate::text::date;

/// `22 февраля 2017 (среда)`
pub fn date_long(d: NaiveDate) -> String {
    format!(
        "{} {} {} ({})",
        d.day(),
        MONTHS_GENITIVE[d.month0() as usize],
        d.year(),
        WEEKDAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// `+3`, `+5:30`
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '−' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m) = (s / 3600, (s % 3600) / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// How an instant's zone is named in a sentence: `по московскому времени` or
/// `по времени Asia/Almaty (UTC+6)`.
pub fn zone_phrase(tz: Tz, at: DateTime<Utc>) -> String {
    if tz == chrono_tz::Europe::Moscow {
        "по московскому времени".into()
    } else {
        let off = tz
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc();
        format!("по времени {} ({})", tz.name(), utc_offset(off))
    }
}

/// `10.02.2017 10:00 по московскому времени`
pub fn instant(tz: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%d.%m.%Y %H:%M"),
        zone_phrase(tz, at)
    )
}

/// A deadline date ("by D", inclusive) shown as its last minute in the deadline zone and in the
/// seminar city's local time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineText {
    /// `22.02.2017`
    pub date: String,
    /// `22 февраля 2017 (среда)`
    pub date_long: String,
    /// `22.02.2017 до 23:59 по московскому времени`
    pub main: String,
    /// `23.02.2017 до 03:59 (Новосибирск, UTC+7)`
    pub local: String,
    /// The city keeps the deadline zone's clock: the local line says the same.
    pub same_zone: bool,
}

/// Formats deadline date `d` of deadline zone `tz` for a seminar in `city` (zone `city_tz`).
pub fn deadline(d: NaiveDate, tz: Tz, city: &str, city_tz: Tz) -> DeadlineText {
    let last = d.and_hms_opt(23, 59, 0).unwrap_or_default();
    let end = tz
        .from_local_datetime(&last)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&last));
    let local = end.with_timezone(&city_tz);
    let off = local.offset().fix().local_minus_utc();
    let same_zone = off == end.with_timezone(&tz).offset().fix().local_minus_utc();
    DeadlineText {
        date: date(d),
        date_long: date_long(d),
        main: format!("{} до 23:59 {}", date(d), zone_phrase(tz, end)),
        local: format!(
            "{} до {} ({city}, {})",
            local.format("%d.%m.%Y"),
            local.format("%H:%M"),
            utc_offset(off)
        ),
        same_zone,
    }
}

/// `48 000,00 руб.`
pub fn roubles(k: Kopecks) -> String {
    let sign = if k.0 < 0 { "−" } else { "" };
    let a = k.0.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}\u{a0}руб.", a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: i64) -> String {
        count(n, "день", "дня", "дней")
    }
    fn points(n: i64) -> String {
        count(n, "балл", "балла", "баллов")
    }

    #[test]
    fn days_take_the_right_form() {
        let cases = [
            (0, "0 дней"),
            (1, "1 день"),
            (2, "2 дня"),
            (4, "4 дня"),
            (5, "5 дней"),
            (11, "11 дней"),
            (12, "12 дней"),
            (14, "14 дней"),
            (21, "21 день"),
            (22, "22 дня"),
            (25, "25 дней"),
            (101, "101 день"),
            (111, "111 дней"),
            (112, "112 дней"),
        ];
        for (n, want) in cases {
            assert_eq!(days(n), want, "{n}");
        }
    }

    #[test]
    fn points_take_the_right_form_also_when_negative() {
        assert_eq!(points(1), "1 балл");
        assert_eq!(points(2), "2 балла");
        assert_eq!(points(10), "10 баллов");
        assert_eq!(points(13), "13 баллов");
        assert_eq!(points(20), "20 баллов");
        assert_eq!(points(-21), "-21 балл");
        assert_eq!(plural(-10, "балл", "балла", "баллов"), "баллов");
    }

    #[test]
    fn a_moscow_deadline_is_shown_in_novosibirsk_time_too() {
        let d = NaiveDate::from_ymd_opt(2017, 2, 22).unwrap();
        let t = deadline(
            d,
            chrono_tz::Europe::Moscow,
            "Новосибирск",
            chrono_tz::Asia::Novosibirsk,
        );
        assert_eq!(t.main, "22.02.2017 до 23:59 по московскому времени");
        assert_eq!(t.local, "23.02.2017 до 03:59 (Новосибирск, UTC+7)");
        assert!(!t.same_zone);
        assert_eq!(t.date_long, "22 февраля 2017 (среда)");
        let m = deadline(
            d,
            chrono_tz::Europe::Moscow,
            "Тула",
            chrono_tz::Europe::Moscow,
        );
        assert!(m.same_zone);
    }

    #[test]
    fn roubles_are_grouped_with_kopecks() {
        assert_eq!(roubles(Kopecks(4_800_000)), "48\u{a0}000,00\u{a0}руб.");
        assert_eq!(roubles(Kopecks(2_499_950)), "24\u{a0}999,50\u{a0}руб.");
        assert_eq!(roubles(Kopecks(5)), "0,05\u{a0}руб.");
        assert_eq!(
            roubles(Kopecks(100_000_000)),
            "1\u{a0}000\u{a0}000,00\u{a0}руб."
        );
    }
}
