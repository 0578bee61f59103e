//! Reading what people type: one parser per kind of value, each with the Russian message that
//! names the field. A JSON number and the same digits typed into a form read the same.

use super::{Field, Invalid};
use crate::domain::Kopecks;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use std::ops::RangeInclusive;

fn invalid(field: Field, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

/// The first letter upper-case (a message shown as a sentence on a page).
pub use crate::notifier::russian::capitalized as capitalize;

/// Trimmed text, `None` when empty.
pub fn optional_text(v: Option<String>) -> Option<String> {
    v.map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
}

/// Trimmed text that must be there; `missing` says what to write.
pub fn required_text(field: Field, v: Option<String>, missing: &str) -> Result<String, Invalid> {
    optional_text(v).ok_or_else(|| invalid(field, missing))
}

/// A whole non-negative number (a count of people, companies…).
pub fn parse_number(field: Field, text: &str) -> Result<u32, Invalid> {
    let t = text.trim();
    t.parse::<u32>().map_err(|_| {
        invalid(
            field,
            format!("{}: «{t}» — не целое неотрицательное число.", field.label()),
        )
    })
}

/// A whole number within `range`.
pub fn parse_count(field: Field, text: &str, range: RangeInclusive<u32>) -> Result<u32, Invalid> {
    match text.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(
            field,
            format!(
                "{} — целое число от {} до {}.",
                field.label(),
                range.start(),
                range.end()
            ),
        )),
    }
}

/// An amount in roubles as people write it (`48000`, `48 000,50`, `48000.50 ₽`).
pub fn parse_money(field: Field, text: &str) -> Result<Kopecks, Invalid> {
    crate::http::ui::format::parse_money(text)
        .map_err(|m| invalid(field, format!("{}: {m}.", field.label())))
}

/// A date as `2017-02-17` (a date input) or `17.02.2017` (typed).
pub fn parse_date(field: Field, text: &str) -> Result<NaiveDate, Invalid> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .map_err(|_| {
            invalid(
                field,
                format!("{}: укажите дату в формате ДД.ММ.ГГГГ.", field.label()),
            )
        })
}

/// The longest link a version may carry.
const MAX_LINK: usize = 2000;

/// A web link (`http://` or `https://`, at most [`MAX_LINK`] characters).
pub fn parse_link(text: &str) -> Result<String, Invalid> {
    let l = text.trim();
    if (l.starts_with("https://") || l.starts_with("http://")) && l.len() <= MAX_LINK {
        Ok(l.to_string())
    } else {
        Err(invalid(
            Field::Links,
            format!(
                "Ссылка «{}» должна начинаться с https:// или http:// и быть не длиннее {MAX_LINK} символов.",
                l.chars().take(80).collect::<String>()
            ),
        ))
    }
}

/// Deserializes a JSON number or string as the text a form would send, so that one parser
/// (and one message) serves both: `10`, `"10"` and `null`/absent (`None`).
///
/// # Errors
/// A JSON array, object or boolean.
pub fn loose<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(D::Error::custom("ожидается число или строка")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_number_and_the_typed_digits_read_the_same() {
        assert_eq!(parse_number(Field::Attendees, " 30 "), Ok(30));
        let e = parse_number(Field::Attendees, "-3").unwrap_err();
        assert_eq!(
            e.message,
            "Участники: «-3» — не целое неотрицательное число."
        );
        assert!(parse_count(Field::Count, "0", 1..=100).is_err());
    }

    #[test]
    fn dates_read_in_both_spellings_and_links_need_a_web_scheme() {
        let d = NaiveDate::from_ymd_opt(2017, 2, 17).unwrap();
        assert_eq!(parse_date(Field::Due, "2017-02-17"), Ok(d));
        assert_eq!(parse_date(Field::Due, "17.02.2017"), Ok(d));
        assert!(parse_date(Field::Due, "17/02/2017").is_err());
        assert!(parse_link("javascript:alert(1)").is_err());
        assert_eq!(
            parse_link(" https://example.com ").as_deref(),
            Ok("https://example.com")
        );
    }
}
