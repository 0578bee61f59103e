//! What the `kkv_*` mail templates read (`templates/email/kkv_*`): every field present, so a
//! strict-mode template never fails on a notice that lacks one, and in Russian — instants as
//! `14.03.2027 00:00 по московскому времени`, dates as `27.02.2027`, money as `80 000,00 руб.`,
//! requirement codes joined by commas. A missing value is empty (`unmet`: `null`, which the
//! templates test with `{{#if}}`).

use super::russian;
use crate::domain::{Kopecks, NotificationKind, Program};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// The fields the templates read as text.
const TEXT_FIELDS: [&str; 6] = ["level", "until", "due", "cancel_at", "amount", "project"];

/// Whether `kind` is one of the KKV competence's notices.
pub fn is_kkv(kind: NotificationKind) -> bool {
    kind.as_str().starts_with("kkv_")
}

/// The template details of a `kkv_*` notice with data `d`; `None` for other kinds.
pub fn details(kind: NotificationKind, d: &Value, prog: &Program) -> Option<Value> {
    if !is_kkv(kind) {
        return None;
    }
    let mut out = d.as_object().cloned().unwrap_or_default();
    for k in TEXT_FIELDS {
        let raw = d.get(k).and_then(Value::as_str).unwrap_or_default();
        let text = match k {
            "until" | "cancel_at" => DateTime::parse_from_rfc3339(raw).map_or_else(
                |_| raw.to_string(),
                |t| russian::instant(prog, t.with_timezone(&Utc)),
            ),
            "due" => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_or_else(|_| raw.to_string(), russian::date),
            "amount" => raw
                .parse::<Kopecks>()
                .map_or_else(|_| raw.to_string(), russian::roubles),
            "level" => prog
                .wf
                .standing
                .as_ref()
                .and_then(|s| s.level_names.get(raw))
                .cloned()
                .unwrap_or_else(|| raw.to_string()),
            _ => raw.to_string(),
        };
        out.insert(k.to_string(), Value::from(text));
    }
    let unmet = d
        .get("unmet")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .map(|a| {
            let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            Value::from(names.join(", "))
        });
    out.insert("unmet".into(), unmet.unwrap_or(Value::Null));
    Some(Value::Object(out))
}
