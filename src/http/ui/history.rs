//! The audit history of a seminar, told in Russian: who did what and when.

use super::format;
use crate::domain::{Event, Program};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub struct EventUi {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub details: Vec<String>,
}

fn label(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "apply" => "Подана заявка",
        "review_applications" => "Заявки распределены",
        "approve_application" => "Координатор утвердил заявку",
        "application_approved" => "Заявка утверждена, место в городе закреплено",
        "reject_application" => "Координатор отклонил заявку",
        "application_rejected" => "Заявка отклонена",
        "submit" => "Отправлены материалы",
        "return" => "Материалы возвращены на доработку",
        "approve" => "Этап согласован",
        "change_venue" => "Изменено место проведения",
        "violation" => "Зафиксировано нарушение",
        "withdraw" => "Семинар отозван партнёром",
        "accept_report" => "Отчёт принят",
        "penalty_booked" => "Начислен штраф",
        "excluded" => "Семинар исключён из программы",
        "seminar_held" => "Семинар проведён",
        _ => return None,
    })
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

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

pub fn event_ui(prog: &Program, e: &Event) -> EventUi {
    let d = &e.data;
    let mut details = vec![];
    if let Some(st) = text(d, "stage") {
        let name = prog.wf.stage(&st).map(|s| s.name.clone()).unwrap_or(st);
        details.push(format!("этап: {name}"));
    }
    if e.kind == "apply" {
        if let (Some(city), Some(date)) = (text(d, "city"), text(d, "date")) {
            let date = date.parse().map(format::date).unwrap_or(date);
            details.push(format!("{city}, {date}"));
        }
    }
    if e.kind == "violation" || e.kind == "penalty_booked" {
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
    if e.kind == "excluded" {
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
        what: label(&e.kind)
            .map(String::from)
            .unwrap_or_else(|| e.kind.clone()),
        details,
    }
}
