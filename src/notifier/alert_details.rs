//! What the `review_due` mail reads when no stage deadline is behind it: an item program's
//! waiting alert (`[[alerts]]` with `on = "application"`/`"report"`, or the low-attendance
//! alert of `[partner_rules]`, data `code`) or a partner program's overdue review (data `review`,
//! `due`). One Russian sentence says what waits and for how long, from the file's numbers.

use super::russian;
use crate::domain::workflow::Waiting;
use crate::domain::Program;
use chrono::NaiveDate;
use serde_json::{json, Value};

/// The template details: `alert` (the sentence), `partner`, `code`; the stage-deadline fields
/// (`days_overdue`, `risk`) are empty.
pub fn details(d: &Value, prog: &Program) -> Value {
    let wf = &prog.wf;
    let code = d.get("code").and_then(Value::as_str).unwrap_or_default();
    let waiting = wf.waiting_alerts.iter().find(|a| a.code == code);
    let low = wf
        .partner_rules
        .low_attendance
        .as_ref()
        .filter(|l| l.alert == code);
    let sentence = if let Some(a) = waiting {
        let what = match a.on {
            Waiting::Application => "Заявка партнёра ждёт решения",
            Waiting::Report => "Отчёт партнёра ждёт проверки",
        };
        format!(
            "{what} дольше {}",
            russian::count(
                i64::from(a.working_days),
                "рабочего дня",
                "рабочих дней",
                "рабочих дней"
            )
        )
    } else if let Some(l) = low {
        format!(
            "У партнёра {} подряд с числом слушателей меньше {}",
            russian::count(
                i64::from(l.streak),
                "мероприятие",
                "мероприятия",
                "мероприятий"
            ),
            l.below
        )
    } else if let Some(review) = d.get("review").and_then(Value::as_str) {
        let due = d
            .get("due")
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| format!(", срок был {}", russian::date(d)))
            .unwrap_or_default();
        let name = wf
            .standing
            .as_ref()
            .and_then(|s| s.review_names.get(review))
            .map_or(review, String::as_str);
        format!("Просрочено рассмотрение: {name}{due}")
    } else {
        "Нужно решение координатора".to_string()
    };
    json!({
        "alert": sentence,
        "code": code,
        "partner": d.get("partner").cloned().unwrap_or(Value::Null),
        "days_overdue": Value::Null,
        "allowed_days": Value::Null,
        "risk": Value::Null,
    })
}
