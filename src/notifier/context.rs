//! What a template sees: one JSON object per e-mail, built from the outbox row, the seminar as
//! stored now, its program and the recipient. Every key is always present (`null` when it does
//! not apply), so strict-mode templates can test it with `{{#if}}`. Money is left out entirely
//! for recipients who may not see it.

use super::recipients::Addressee;
use super::russian;
use crate::domain::workflow::{Effect, Round, Trigger};
use crate::domain::{Kopecks, Notification, NotificationKind, Program, Seminar};
use chrono::NaiveDate;
use serde_json::{json, Value};

/// The seminar side of an e-mail: the seminar, its program and the partner's name.
pub struct Facts<'a> {
    pub seminar: &'a Seminar,
    pub program: &'a Program,
    pub partner_name: &'a str,
    /// Address of the web interface, without a trailing slash.
    pub base_url: &'a str,
}

impl Facts<'_> {
    pub fn link(&self) -> String {
        format!("{}/seminars/{}", self.base_url, self.seminar.id)
    }

    fn stage_name(&self, id: &str) -> String {
        self.program
            .wf
            .stage(id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn deadline(&self, d: NaiveDate) -> Value {
        let s = self.seminar;
        json!(russian::deadline(self.program, d, &s.city))
    }

    fn seminar_json(&self) -> Value {
        let s = self.seminar;
        let wf = &self.program.wf;
        json!({
            "id": s.id,
            "title": wf.seminar_title,
            "city": s.city,
            "date": russian::date(s.date),
            "date_long": russian::date_long(s.date),
            "week": wf.seminars.weeks.iter().find(|w| w.id == s.week).map(|w| w.name.clone()).unwrap_or_else(|| s.week.clone()),
            "partner": self.partner_name,
            "partner_id": s.partner,
            "state": s.state.label(),
            "link": self.link(),
        })
    }

    /// The stage that follows `after` in the workflow (the first one with `None`), with its own
    /// deadline: what the e-mail tells them to do next. Taken from the workflow, not from the
    /// seminar's current progress, so the e-mail says the same whenever it is rendered.
    fn next_stage(&self, after: Option<&str>) -> Value {
        let stages = &self.program.wf.stages;
        let start = match after {
            Some(a) => stages
                .iter()
                .position(|st| st.id == a)
                .map(|i| i + 1)
                .unwrap_or(stages.len()),
            None => 0,
        };
        for st in &stages[start..] {
            if st.submittable {
                let deadline = self
                    .program
                    .stage_deadline(self.seminar, &st.id)
                    .ok()
                    .map(|d| self.deadline(d));
                return json!({ "id": st.id, "name": st.name, "deadline": deadline });
            }
        }
        Value::Null
    }
}

fn date_field(data: &Value, key: &str) -> Option<NaiveDate> {
    data.get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn str_field(data: &Value, key: &str) -> Option<String> {
    data.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn int_field(data: &Value, key: &str) -> Option<i64> {
    data.get(key).and_then(Value::as_i64)
}

fn need_date(n: &Notification, key: &str) -> Result<NaiveDate, String> {
    date_field(&n.data, key).ok_or_else(|| format!("в уведомлении {} нет даты «{key}»", n.key))
}

fn recipient_json(to: &Addressee) -> Value {
    json!({ "name": to.name, "coordinator": to.coordinator, "money": to.money })
}

/// What a penalty rule costs in words: `−10 баллов`, `исключение из программы`, ….
fn consequences(points: i64, effects: &[Effect], bars_partner: bool) -> Vec<String> {
    let mut v = Vec::new();
    if points != 0 {
        v.push(format!(
            "списание {}",
            russian::count(points.abs(), "балла", "баллов", "баллов")
        ));
    }
    for e in effects {
        v.push(e.consequence().to_string());
        if *e == Effect::Exclusion && bars_partner && !effects.contains(&Effect::BarPartner) {
            v.push(Effect::BarPartner.consequence().into());
        }
    }
    v
}

/// The context of one notification e-mail to `to`.
///
/// # Errors
/// The row lacks a value its kind needs (e.g. a reminder without its deadline).
pub fn notification(n: &Notification, f: &Facts, to: &Addressee) -> Result<Value, String> {
    let prog = f.program;
    let wf = &prog.wf;
    let d = &n.data;
    let mut stage = n
        .stage
        .as_deref()
        .map(|id| json!({ "id": id, "name": f.stage_name(id) }))
        .unwrap_or(Value::Null);
    let mut deadline = Value::Null;
    let mut next = Value::Null;
    let details = match n.kind {
        NotificationKind::ApplicationApproved => {
            next = f.next_stage(None);
            json!({})
        }
        NotificationKind::ApplicationRejected => json!({
            "reason": str_field(d, "message"),
            "comment": str_field(d, "comment"),
        }),
        NotificationKind::DeadlineReminder => {
            let due = need_date(n, "deadline")?;
            deadline = f.deadline(due);
            let today = n.at.with_timezone(&prog.tz).date_naive();
            let days_left = (due - today).num_days().max(0);
            // `round` is the round number: 0 for the first submission, n after the n-th return.
            let round = match d.get("round").and_then(Value::as_u64) {
                Some(n) if n > 0 => Round::Resubmit,
                _ => Round::First,
            };
            let risks: Vec<Value> = wf
                .penalties
                .automatic
                .iter()
                .filter(|r| r.stage.as_deref() == n.stage.as_deref() && r.round.is_none_or(|x| x == round))
                .filter(|r| matches!(r.trigger, Trigger::LateSubmission | Trigger::StillHeld))
                .map(|r| json!({ "name": r.name, "consequences": consequences(r.points, &r.effects, wf.exclusion.bars_partner).join(", ") }))
                .collect();
            json!({
                "days_left": days_left,
                "today": days_left == 0,
                "resubmit": round == Round::Resubmit,
                "reminder_only": n.stage.as_deref().and_then(|st| wf.stage(st)).is_some_and(|st| !st.submittable),
                "risks": risks,
            })
        }
        NotificationKind::SubmissionReceived => {
            if let Some(due) = date_field(d, "deadline") {
                deadline = f.deadline(due);
            }
            let late = int_field(d, "days_late").unwrap_or(0).max(0);
            json!({ "version": int_field(d, "version").unwrap_or(1), "days_late": late, "late": late > 0 })
        }
        NotificationKind::SubmissionReturned => {
            let st = n
                .stage
                .as_deref()
                .ok_or_else(|| format!("в уведомлении {} не указан этап", n.key))?;
            let due = match date_field(d, "due") {
                Some(due) => Some(due),
                None => prog.stage_deadline(f.seminar, st).ok(),
            };
            deadline = due.map(|x| f.deadline(x)).unwrap_or(Value::Null);
            json!({
                "version": int_field(d, "version").unwrap_or(1),
                "comment": str_field(d, "comment"),
                "due_set": date_field(d, "due").is_some(),
            })
        }
        NotificationKind::SubmissionApproved => {
            next = f.next_stage(n.stage.as_deref());
            json!({ "version": int_field(d, "version").unwrap_or(1) })
        }
        NotificationKind::PenaltyApplied => {
            let code = str_field(d, "code")
                .ok_or_else(|| format!("в уведомлении {} нет кода штрафа", n.key))?;
            let points = int_field(d, "points").unwrap_or(0);
            let count = int_field(d, "count").unwrap_or(1).max(1);
            let auto = wf.penalties.automatic.iter().find(|r| r.code == code);
            let manual = wf.penalties.manual.iter().find(|r| r.code == code);
            let mut effects = auto
                .map(|r| r.effects.clone())
                .or_else(|| manual.map(|r| r.effects.clone()))
                .unwrap_or_default();
            if d.get("exclusion").and_then(Value::as_bool) == Some(true)
                && !effects.contains(&Effect::Exclusion)
            {
                effects.push(Effect::Exclusion);
            }
            if d.get("info_support_withdrawn").and_then(Value::as_bool) == Some(true)
                && !effects.contains(&Effect::InfoSupportWithdrawn)
            {
                effects.push(Effect::InfoSupportWithdrawn);
            }
            if let Some(due) = date_field(d, "deadline") {
                deadline = f.deadline(due);
            }
            let days_late = int_field(d, "days_late");
            json!({
                "code": code,
                "name": str_field(d, "name").or_else(|| auto.map(|r| r.name.clone())).or_else(|| manual.map(|r| r.name.clone())).unwrap_or_else(|| code.clone()),
                "points": points.abs(),
                "has_points": points != 0,
                "count": count,
                "repeated": count > 1,
                "exclusion": effects.contains(&Effect::Exclusion),
                "consequences": consequences(0, &effects, wf.exclusion.bars_partner),
                "days_late": days_late,
                "late": days_late.unwrap_or(0) > 0,
                "note": str_field(d, "note"),
                "manual": manual.is_some() && auto.is_none(),
            })
        }
        NotificationKind::Excluded => {
            let code = str_field(d, "reason");
            let penalty = code
                .as_ref()
                .and_then(|c| f.seminar.penalties.iter().rev().find(|p| &p.code == c));
            let name = penalty.map(|p| p.name.clone()).or_else(|| {
                let c = code.as_deref()?;
                wf.penalties
                    .automatic
                    .iter()
                    .map(|r| (&r.code, &r.name))
                    .chain(wf.penalties.manual.iter().map(|r| (&r.code, &r.name)))
                    .find(|(rc, _)| rc.as_str() == c)
                    .map(|(_, n)| n.clone())
            });
            json!({ "code": code, "name": name, "bars_partner": wf.exclusion.bars_partner })
        }
        NotificationKind::ReportAccepted => {
            let points = int_field(d, "points").unwrap_or(0);
            let compensation = d
                .get("compensation")
                .and_then(|v| serde_json::from_value::<Kopecks>(v.clone()).ok());
            // Limited-rights users see no money: no amount, and no reason the result marks as
            // speaking of money — the pages' rule (`SeminarResult::reasons_for`). Without a stored
            // result nobody can tell which lines are money, so those users get none.
            let reasons = match &f.seminar.result {
                Some(r) => r.reasons_for(to.money),
                None if to.money => d
                    .get("reasons")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            let compensation = if to.money {
                compensation.map(russian::roubles)
            } else {
                None
            };
            json!({
                "points": points,
                "compensation": compensation,
                "reasons": reasons,
                "comment": str_field(d, "comment"),
                "credit_days": wf.results.credit_within_working_days,
            })
        }
        NotificationKind::ReviewDue => {
            let due = need_date(n, "deadline")?;
            deadline = f.deadline(due);
            let today = n.at.with_timezone(&prog.tz).date_naive();
            let alert = wf
                .alerts
                .iter()
                .find(|a| Some(a.stage.as_str()) == n.stage.as_deref() && a.kind == n.kind);
            let risk = wf
                .penalties
                .automatic
                .iter()
                .find(|r| r.trigger == Trigger::LateReturn && r.stage.as_deref() == n.stage.as_deref())
                .map(|r| json!({ "name": r.name, "consequences": consequences(r.points, &r.effects, wf.exclusion.bars_partner).join(", ") }));
            json!({
                "days_overdue": (today - due).num_days().max(0),
                "allowed_days": alert.map(|a| a.days_after_deadline),
                "risk": risk,
            })
        }
        NotificationKind::DutyReminder => {
            stage = Value::Null;
            json!({
                "duty": str_field(d, "duty"),
                "name": str_field(d, "name").ok_or_else(|| format!("в уведомлении {} нет названия обязанности", n.key))?,
                "text": str_field(d, "text").ok_or_else(|| format!("в уведомлении {} нет текста обязанности", n.key))?,
            })
        }
        NotificationKind::Digest => {
            return Err(format!(
                "уведомление {} — сам дайджест, не его пункт",
                n.key
            ))
        }
    };
    Ok(json!({
        "kind": n.kind,
        "recipient": recipient_json(to),
        "program": { "name": wf.name, "vendor": wf.vendor },
        "seminar": f.seminar_json(),
        "stage": stage,
        "deadline": deadline,
        "next": next,
        "at": russian::instant(prog, n.at),
        "link": f.link(),
        "details": details,
    }))
}

/// One entry of a digest: the kind's subject line, when, and where to look.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DigestItem {
    pub kind: NotificationKind,
    pub subject: String,
    pub at: String,
    pub link: String,
}

/// Section titles of a digest, in the order they appear.
const SECTIONS: &[(NotificationKind, &str, &str)] = &[
    // (kind, title for coordinators, title for partner users)
    (
        NotificationKind::ReviewDue,
        "Просроченные проверки",
        "Просроченные проверки",
    ),
    (
        NotificationKind::SubmissionReceived,
        "Ждут вашей проверки",
        "Материалы получены",
    ),
    (
        NotificationKind::DeadlineReminder,
        "Сроки партнёров",
        "Сроки",
    ),
    (NotificationKind::PenaltyApplied, "Штрафы", "Штрафы"),
    (
        NotificationKind::Excluded,
        "Исключения из программы",
        "Исключения из программы",
    ),
    (
        NotificationKind::SubmissionReturned,
        "Возвращено на доработку",
        "Возвращено на доработку",
    ),
    (
        NotificationKind::SubmissionApproved,
        "Согласовано",
        "Согласовано",
    ),
    (
        NotificationKind::ApplicationApproved,
        "Одобренные заявки",
        "Одобренные заявки",
    ),
    (
        NotificationKind::ApplicationRejected,
        "Отклонённые заявки",
        "Отклонённые заявки",
    ),
    (
        NotificationKind::ReportAccepted,
        "Принятые отчёты",
        "Принятые отчёты",
    ),
    (
        NotificationKind::DutyReminder,
        "Обязанности организаторов",
        "Обязанности организатора",
    ),
];

/// The context of a daily digest for `to` on `date` with `items` (any order).
pub fn digest(to: &Addressee, date: NaiveDate, items: Vec<DigestItem>) -> Value {
    let total = items.len();
    let mut sections = Vec::new();
    for (kind, staff, partner) in SECTIONS {
        let mine: Vec<&DigestItem> = items.iter().filter(|i| i.kind == *kind).collect();
        if !mine.is_empty() {
            sections.push(
                json!({ "title": if to.coordinator { staff } else { partner }, "items": mine }),
            );
        }
    }
    let other: Vec<&DigestItem> = items
        .iter()
        .filter(|i| !SECTIONS.iter().any(|(k, _, _)| *k == i.kind))
        .collect();
    if !other.is_empty() {
        sections.push(json!({ "title": "Прочее", "items": other }));
    }
    json!({
        "kind": NotificationKind::Digest,
        "recipient": recipient_json(to),
        "date": russian::date(date),
        "date_long": russian::date_long(date),
        "total": total,
        "sections": sections,
    })
}
