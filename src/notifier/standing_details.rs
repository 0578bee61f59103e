//! What the partner programs' mail templates read (status, admission, sanctions, records,
//! watchers; design §4.5): every field present (`null` when the notice has none, so strict
//! rendering never fails) and in Russian — status names from the file, the change in words,
//! the last day of a term, a review date, and what is missing as `{metric, value, threshold}`.

use super::russian;
use crate::domain::Program;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Fields the templates read that a notice may lack.
const FIELDS: [&str; 17] = [
    "status_name",
    "from_name",
    "change_text",
    "last_day",
    "until_date",
    "missing",
    "partner",
    "review_date",
    "reason",
    "count",
    "approved",
    "points",
    "request",
    "project",
    "note",
    "code",
    "client",
];

/// The template details of a partner program's notice with data `d`.
pub fn details(d: &Value, prog: &Program) -> Value {
    let mut out: Map<String, Value> = d.as_object().cloned().unwrap_or_default();
    for f in FIELDS {
        out.entry(f).or_insert(Value::Null);
    }
    let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(code) = text("status") {
        out.insert("status_name".into(), Value::from(name_of(prog, &code)));
    }
    if let Some(code) = text("from") {
        out.insert("from_name".into(), Value::from(name_of(prog, &code)));
    }
    if let Some(change) = text("change") {
        out.insert("change_text".into(), Value::from(change_text(&change)));
    }
    if let Some(until) = text("until").and_then(|u| DateTime::parse_from_rfc3339(&u).ok()) {
        let until = until.with_timezone(&Utc);
        out.insert(
            "until_date".into(),
            Value::from(russian::instant(prog, until)),
        );
        out.insert("last_day".into(), Value::from(last_day(prog, until)));
    }
    if let Some(at) = text("review_at").and_then(|u| DateTime::parse_from_rfc3339(&u).ok()) {
        let day = at.with_timezone(&prog.tz).date_naive();
        out.insert("review_date".into(), Value::from(russian::date(day)));
    }
    out.insert("missing".into(), missing(d, prog));
    Value::Object(out)
}

/// A status's name by the program's file.
fn name_of(prog: &Program, code: &str) -> String {
    prog.wf
        .standing
        .as_ref()
        .map_or_else(|| code.to_string(), |s| s.status_name(code))
}

/// A history change in words.
fn change_text(change: &str) -> String {
    match change {
        "promoted" => "повышение",
        "demoted" => "понижение",
        "lost" => "статус утрачен",
        "granted" => "статус присвоен",
        "confirmed" => "статус подтверждён",
        other => other,
    }
    .to_string()
}

/// The last day a term that ends at `until` covers, in words.
fn last_day(prog: &Program, until: DateTime<Utc>) -> String {
    russian::date(crate::domain::deadline::last_day_before(prog.tz, until))
}

/// What is missing: the notice's `missing` (metric, value, threshold), else its `unmet` names
/// (value and threshold unknown); `null` when nothing is.
fn missing(d: &Value, prog: &Program) -> Value {
    let as_text = |v: Option<&Value>| match v {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => Value::from(s.clone()),
        Some(other) => Value::from(other.to_string()),
    };
    let metric = |v: Option<&Value>| {
        let id = v.and_then(Value::as_str).unwrap_or_default();
        let def = prog.wf.standing.as_ref().and_then(|s| s.metrics.get(id));
        let name = def
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| id.to_string());
        let money = def
            .and_then(|m| m.metric_type())
            .is_some_and(|t| t.is_money());
        (Value::from(name), money)
    };
    // Money metrics: the value is roubles with kopecks, the threshold whole roubles.
    let rub = |v: Value, money: bool| match (money, v.as_str()) {
        (true, Some(s)) => s
            .parse::<crate::domain::Kopecks>()
            .or_else(|_| format!("{s}.00").parse::<crate::domain::Kopecks>())
            .map_or(v.clone(), |k| Value::from(russian::roubles(k))),
        _ => v,
    };
    let rows: Vec<Value> = match (d.get("missing"), d.get("unmet")) {
        (Some(Value::Array(m)), _) if !m.is_empty() => m
            .iter()
            .map(|r| {
                let (name, money) = metric(r.get("metric"));
                serde_json::json!({
                    "metric": name,
                    "value": rub(as_text(r.get("value")), money),
                    "threshold": rub(as_text(r.get("threshold")), money),
                })
            })
            .collect(),
        (_, Some(Value::Array(u))) => u
            .iter()
            .map(|m| serde_json::json!({ "metric": metric(Some(m)).0, "value": null, "threshold": null }))
            .collect(),
        _ => vec![],
    };
    if rows.is_empty() {
        Value::Null
    } else {
        Value::Array(rows)
    }
}
