//! Russian wording for e-mails: plural forms of counted nouns, dates with month names,
//! deadlines in the deadline zone and in a city's local time, roubles.

use crate::domain::deadline::end_of;
use crate::domain::{Kopecks, Program};
use crate::text;
use chrono::{DateTime, Datelike, NaiveDate, Offset, Utc};

/// The plural form for `n` (1 день, 2 дня, 5 дней; 11–14 always the last form), and the
/// number with it (`2 дня`, `11 дней`, `21 балл`): the shared ones of `text`.
pub use crate::text::{plural as count, plural_word as plural};

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

/// `10.02.2017 10:00 по московскому времени`: in the program's deadline zone, named as the
/// program names it in a sentence.
pub fn instant(prog: &Program, at: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        at.with_timezone(&prog.tz).format("%d.%m.%Y %H:%M"),
        text::zone_phrase(prog, at)
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

/// Formats deadline date `d` of `prog`'s deadline zone for a seminar in `city`.
pub fn deadline(prog: &Program, d: NaiveDate, city: &str) -> DeadlineText {
    let (tz, city_tz) = (prog.tz, prog.city_zone(city));
    // 23:59 of the date, the minute people read as "by D" (the deadline itself ends a minute
    // later, at midnight).
    let end = end_of(tz, d) - chrono::Duration::minutes(1);
    let local = end.with_timezone(&city_tz);
    let same_zone = local.offset().fix() == end.with_timezone(&tz).offset().fix();
    DeadlineText {
        date: date(d),
        date_long: date_long(d),
        main: format!("{} до 23:59 {}", date(d), text::zone_phrase(prog, end)),
        local: format!(
            "{} до {} ({city}, {})",
            local.format("%d.%m.%Y"),
            local.format("%H:%M"),
            text::utc_offset(city_tz, end)
        ),
        same_zone,
    }
}

/// `48 000,00 руб.`
pub fn roubles(k: Kopecks) -> String {
    format!("{}\u{a0}руб.", text::amount(k))
}

/// The first letter upper-case: `мероприятие` → `Мероприятие`.
pub fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
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

    fn flagship() -> Program {
        crate::catalog::Catalog::open(crate::catalog::default_dir())
            .and_then(|c| c.program("bitrix24-seminars-2017-spring"))
            .unwrap()
    }

    #[test]
    fn a_moscow_deadline_is_shown_in_novosibirsk_time_too() {
        let prog = flagship();
        let d = NaiveDate::from_ymd_opt(2017, 2, 22).unwrap();
        let t = deadline(&prog, d, "Новосибирск");
        assert_eq!(t.main, "22.02.2017 до 23:59 по московскому времени");
        assert_eq!(t.local, "23.02.2017 до 03:59 (Новосибирск, UTC+7)");
        assert!(!t.same_zone);
        assert_eq!(t.date_long, "22 февраля 2017 (среда)");
        assert!(deadline(&prog, d, "Тула").same_zone);
    }

    #[test]
    fn a_program_without_zone_names_is_read_by_its_utc_offset() {
        let mut prog = flagship();
        prog.wf.deadline_zone_names.phrase = None;
        let d = NaiveDate::from_ymd_opt(2017, 2, 22).unwrap();
        assert_eq!(
            deadline(&prog, d, "Тула").main,
            "22.02.2017 до 23:59 по времени Europe/Moscow (UTC+3)"
        );
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
