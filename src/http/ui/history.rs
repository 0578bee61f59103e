//! The audit history of a seminar, told in Russian: who did what and when.

use super::format;
use crate::domain::{Event, EventKind, Program};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub struct EventUi {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub details: Vec<String>,
}

/// `coordinator:anna@x` → `anna@x (координатор)`.
pub fn actor(a: &str) -> String {
    match a.split_once(':') {
        Some(("coordinator", who)) => format!("координатор {who}"),
        Some(("admin", who)) => format!("администратор {who}"),
        Some(("partner", who)) => format!("партнёр {who}"),
        Some(("scheduler", _)) => "система (по расписанию)".into(),
        _ if a == "scheduler" => "система (по расписанию)".into(),
        _ => a.to_string(),
    }
}

/// Like [`actor`], with the person's name where the account is known:
/// `coordinator:anna@x` → `координатор Анна Иванова`.
pub fn actor_named(a: &str, names: &std::collections::BTreeMap<String, String>) -> String {
    let Some((role, who)) = a.split_once(':') else {
        return actor(a);
    };
    match names.get(who) {
        Some(name) => actor(&format!("{role}:{name}")),
        None => actor(a),
    }
}

/// The e-mails of the people behind `actors` (`<role>:<e-mail>`), for a name lookup.
pub fn actor_emails<'a>(actors: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = actors
        .filter_map(|a| a.split_once(':').map(|(_, who)| who.to_string()))
        .filter(|who| who.contains('@'))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

pub fn event_ui(prog: &Program, e: &Event) -> EventUi {
    let d = &e.data;
    let kind = e.kind.parse::<EventKind>().ok();
    let mut details = vec![];
    if let Some(st) = text(d, "stage") {
        let name = prog.wf.stage(&st).map(|s| s.name.clone()).unwrap_or(st);
        details.push(format!("этап: {name}"));
    }
    if kind == Some(EventKind::Apply) {
        if let (Some(city), Some(date)) = (text(d, "city"), text(d, "date")) {
            let date = date.parse().map(format::date).unwrap_or(date);
            details.push(format!("{city}, {date}"));
        }
    }
    if matches!(kind, Some(EventKind::Violation | EventKind::PenaltyBooked)) {
        let code = text(d, "code").unwrap_or_default();
        let name = text(d, "name")
            .or_else(|| prog.wf.manual(&code).map(|m| m.name.clone()))
            .unwrap_or(code);
        if !name.is_empty() {
            details.push(name);
        }
        if let Some(p) = d.get("points").and_then(Value::as_i64).filter(|p| *p != 0) {
            details.push(format::points(p));
        }
        if let Some(n) = text(d, "note") {
            details.push(format!("примечание: {n}"));
        }
    }
    if kind == Some(EventKind::Excluded) {
        if let Some(code) = text(d, "reason") {
            let name = prog
                .wf
                .automatic(&code)
                .map(|r| r.name.clone())
                .or_else(|| prog.wf.manual(&code).map(|m| m.name.clone()))
                .unwrap_or(code);
            details.push(format!("причина: {name}"));
        }
    }
    if let Some(due) = text(d, "due") {
        let due = due.parse().map(format::date).unwrap_or(due);
        details.push(format!("новый срок: {due}"));
    }
    if let Some(c) = text(d, "comment") {
        details.push(format!("комментарий: «{c}»"));
    }
    if let Some(v) = text(d, "venue") {
        details.push(format!("место: {v}"));
    }
    if let Some(files) = d
        .get("files")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
    {
        details.push(format!("вложений: {}", files.len()));
    }
    EventUi {
        at: format::instant(prog, e.at),
        actor: actor(&e.actor),
        what: kind.map_or_else(|| e.kind.clone(), |k| k.label().to_string()),
        details,
    }
}
