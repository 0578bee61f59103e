//! Russian text helpers shared by pages, e-mails and the command line: plurals, dates, zone
//! names and UTC offsets, amounts of money. Pages (`http::ui::format`) and e-mails
//! (`notifier::russian`) build their wording on these, never on their own copies.

use crate::domain::{Kopecks, Program};
use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

/// Russian plural with the number: 1 день, 2 дня, 5 дней, 11 дней, 21 день.
pub fn plural(n: i64, one: &str, few: &str, many: &str) -> String {
    format!("{n} {}", plural_word(n, one, few, many))
}

/// Just the word form for `n`.
pub fn plural_word<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let a = n.unsigned_abs();
    if (11..=14).contains(&(a % 100)) {
        return many;
    }
    match a % 10 {
        1 => one,
        2..=4 => few,
        _ => many,
    }
}

/// Month names in the genitive: «22 февраля».
pub const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// `22.02.2017`
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// An instant as RFC 3339 in zone `tz`, for machines: `2017-02-23T00:00:00+03:00`.
pub fn zoned(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A zone's offset from UTC at `at`, as people read it: `UTC+3`, `UTC+5:30`, `UTC−4`.
pub fn utc_offset(tz: Tz, at: DateTime<Utc>) -> String {
    let seconds = at.with_timezone(&tz).offset().fix().local_minus_utc();
    let sign = if seconds < 0 { '−' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m) = (s / 3600, (s % 3600) / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// How a program names its deadline zone after a time (`МСК`): the workflow's
/// `deadline_zone_names.label`, else the zone's UTC offset at `at`.
pub fn zone_label(prog: &Program, at: DateTime<Utc>) -> String {
    match &prog.wf.deadline_zone_names.label {
        Some(label) => label.clone(),
        None => utc_offset(prog.tz, at),
    }
}

/// How a program names its deadline zone in a sentence (`по московскому времени`): the
/// workflow's `deadline_zone_names.phrase`, else `по времени <zone> (UTC+N)`.
pub fn zone_phrase(prog: &Program, at: DateTime<Utc>) -> String {
    match &prog.wf.deadline_zone_names.phrase {
        Some(phrase) => phrase.clone(),
        None => format!(
            "по времени {} ({})",
            prog.tz.name(),
            utc_offset(prog.tz, at)
        ),
    }
}

/// An amount of money without its unit: `48 000,50`, `−0,99` (thousands grouped by a no-break
/// space, always two kopeck digits). Pages add `₽`, e-mails `руб.`.
pub fn amount(k: Kopecks) -> String {
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
    format!("{sign}{grouped},{:02}", a % 100)
}

/// What is wrong with text a person typed, in Russian, without the field's name (the caller
/// adds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("не может быть пустым")]
    Empty,
    #[error("не может содержать переводы строк и другие управляющие символы")]
    LineBreak,
    #[error("не длиннее {0} символов")]
    TooLong(usize),
    #[error("не может содержать управляющие символы (кроме перевода строки)")]
    ControlCharacter,
}

/// A one-line name as people type it (a person, a company, a city): trimmed, not empty, at
/// most `max` characters, and without control characters — a line break would end an e-mail
/// header, and PostgreSQL refuses NUL in text.
///
/// # Errors
/// What is wrong, in Russian, without the field's name (the caller adds it).
pub fn single_line(value: &str, max: usize) -> Result<String, TextError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(TextError::Empty);
    }
    if v.chars().any(char::is_control) {
        return Err(TextError::LineBreak);
    }
    if v.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(v.to_string())
}

/// Free text (a comment, a note): any length the body allows, line breaks and tabs allowed,
/// other control characters (NUL above all) not.
///
/// # Errors
/// What is wrong, in Russian.
pub fn free_text(value: &str) -> Result<(), TextError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{free_text, plural, single_line};

    #[test]
    fn names_are_one_line_and_free_text_has_no_nul() {
        assert_eq!(single_line("  Анна ", 10), Ok("Анна".into()));
        assert!(single_line("Анна\nBcc: x@y", 100).is_err());
        assert!(single_line("Ан\u{0}на", 100).is_err());
        assert!(single_line("   ", 100).is_err());
        assert!(single_line("абвгд", 4).is_err());
        assert!(free_text("строка\nещё\tтаб").is_ok());
        assert!(free_text("nul\u{0}").is_err());
    }

    #[test]
    fn offsets_and_amounts_read_the_same_everywhere() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2017, 2, 22, 12, 0, 0).unwrap();
        assert_eq!(super::utc_offset(chrono_tz::Asia::Novosibirsk, at), "UTC+7");
        assert_eq!(super::utc_offset(chrono_tz::Asia::Kolkata, at), "UTC+5:30");
        assert_eq!(super::utc_offset(chrono_tz::America::New_York, at), "UTC−5");
        assert_eq!(super::amount(super::Kopecks(4_800_050)), "48\u{a0}000,50");
        assert_eq!(super::amount(super::Kopecks(-99)), "−0,99");
    }

    #[test]
    fn russian_plurals_follow_the_last_digits() {
        assert_eq!(plural(1, "день", "дня", "дней"), "1 день");
        assert_eq!(plural(2, "день", "дня", "дней"), "2 дня");
        assert_eq!(plural(5, "день", "дня", "дней"), "5 дней");
        assert_eq!(plural(11, "балл", "балла", "баллов"), "11 баллов");
        assert_eq!(plural(21, "балл", "балла", "баллов"), "21 балл");
        assert_eq!(plural(112, "балл", "балла", "баллов"), "112 баллов");
        assert_eq!(plural(-10, "балл", "балла", "баллов"), "-10 баллов");
    }
}
