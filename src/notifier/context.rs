//! What a template sees: one JSON object per e-mail, built from the outbox row, the seminar as
//! stored now, its program and the recipient. Every key is always present (`null` when it does
//! not apply), so strict-mode templates can test it with `{{#if}}`. Money is left out entirely
//! for recipients who may not see it.

use super::recipients::{Addressee, Contact};
use super::russian;
use crate::domain::workflow::{AutomaticRule, Effect, Round, Trigger, Workflow};
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
    /// The partner's coordinator, when there is one to name.
    pub contact: Option<&'a Contact>,
}

impl Facts<'_> {
    /// The item's page: `/seminars/{id}`, or `/events/{id}` for an item program's event.
    pub fn link(&self) -> String {
        let page = if self.seminar.item.is_flagship() {
            "seminars"
        } else {
            "events"
        };
        format!("{}/{page}/{}", self.base_url, self.seminar.id)
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
        let n = &wf.item_noun;
        let title = wf
            .kinds
            .iter()
            .find(|k| k.id == s.item.kind)
            .map_or(wf.seminar_title.as_str(), |k| k.name.as_str());
        json!({
            "id": s.id,
            "title": title,
            "noun": { "nom": n.nom, "gen": n.gen, "dat": n.dat, "prep": n.prep, "Nom": russian::capitalized(&n.nom) },
            "city": s.city,
            "date": russian::date(s.date),
            "date_long": russian::date_long(s.date),
            "week": wf.seminars.weeks.iter().find(|w| w.id == s.week).map(|w| w.name.clone()).unwrap_or_else(|| s.week.clone()),
            "partner": one_line(self.partner_name),
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

/// A notification row that lacks what its kind needs: the e-mail cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    #[error("в уведомлении {key} нет даты «{field}»")]
    NoDate { key: String, field: &'static str },
    #[error("в уведомлении {0} не указан этап")]
    NoStage(String),
    /// `what` in the genitive: `кода штрафа`, `названия обязанности`.
    #[error("в уведомлении {key} нет {what}")]
    Missing { key: String, what: &'static str },
    #[error("уведомление {0} — сам дайджест, не его пункт")]
    Digest(String),
}

/// Delivery records the reason as text (the outbox row's last error).
fn need_date(n: &Notification, field: &'static str) -> Result<NaiveDate, ContextError> {
    date_field(&n.data, field).ok_or_else(|| ContextError::NoDate {
        key: n.key.clone(),
        field,
    })
}

fn need_str(n: &Notification, field: &str, what: &'static str) -> Result<String, ContextError> {
    str_field(&n.data, field).ok_or_else(|| ContextError::Missing {
        key: n.key.clone(),
        what,
    })
}

fn recipient_json(to: &Addressee) -> Value {
    json!({ "name": one_line(&to.name), "coordinator": to.coordinator, "money": to.money })
}

/// A stored name as one line: a line break in it (an account stored before names were
/// checked) never starts a new line of the e-mail.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// A rule's name and its consequences in one line, as reminders list risks.
fn risk_json(wf: &Workflow, r: &AutomaticRule) -> Value {
    let mut c = consequences(r.points, &r.effects, wf.exclusion.bars_partner).join(", ");
    if c.is_empty() {
        c = "без списания баллов, но нарушение записывается в историю".into();
    }
    json!({ "name": r.name, "consequences": c })
}

/// The kind-specific parts of the context; `stage` is the row's stage unless a kind drops it.
struct Parts {
    details: Value,
    deadline: Value,
    next: Value,
    /// Leave the stage out (a duty is not about a stage).
    no_stage: bool,
}

impl Parts {
    fn details(details: Value) -> Parts {
        Parts {
            details,
            deadline: Value::Null,
            next: Value::Null,
            no_stage: false,
        }
    }

    fn with_deadline(mut self, deadline: Value) -> Parts {
        self.deadline = deadline;
        self
    }

    fn with_next(mut self, next: Value) -> Parts {
        self.next = next;
        self
    }
}

/// An item's consequences booked by `until` (the notice's instant, so a mail rendered later
/// says the same), in Russian, one line each: what it costs (the effects' labels).
/// Empty for a flagship seminar.
fn consequence_lines(s: &Seminar, until: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    s.item
        .consequences
        .iter()
        .filter(|c| c.at <= until)
        .map(|c| {
            let what: Vec<&str> = c.effects.iter().map(|e| e.label()).collect();
            what.join(", ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The context of one notification e-mail to `to`.
///
/// # Errors
/// The row lacks a value its kind needs (e.g. a reminder without its deadline).
pub fn notification(n: &Notification, f: &Facts, to: &Addressee) -> Result<Value, ContextError> {
    let d = &n.data;
    let parts = match n.kind {
        NotificationKind::ApplicationApproved => {
            Parts::details(json!({ "consequences": consequence_lines(f.seminar, n.at) }))
                .with_next(f.next_stage(None))
        }
        NotificationKind::ApplicationRejected => Parts::details(json!({
            "reason": str_field(d, "message"),
            "comment": str_field(d, "comment"),
        })),
        NotificationKind::DeadlineReminder => deadline_reminder(n, f)?,
        NotificationKind::SubmissionReceived => {
            let late = int_field(d, "days_late").unwrap_or(0).max(0);
            Parts::details(json!({ "version": int_field(d, "version").unwrap_or(1), "days_late": late, "late": late > 0 }))
                .with_deadline(date_field(d, "deadline").map_or(Value::Null, |x| f.deadline(x)))
        }
        NotificationKind::SubmissionReturned => submission_returned(n, f)?,
        NotificationKind::SubmissionApproved => {
            Parts::details(json!({ "version": int_field(d, "version").unwrap_or(1) }))
                .with_next(f.next_stage(n.stage.as_deref()))
        }
        NotificationKind::PenaltyApplied => penalty_applied(n, f)?,
        NotificationKind::Excluded => excluded(n, f),
        NotificationKind::ReportAccepted => report_accepted(n, f, to),
        NotificationKind::ReviewDue => review_due(n, f)?,
        NotificationKind::DutyReminder => Parts {
            no_stage: true,
            ..Parts::details(json!({
                "duty": str_field(d, "duty"),
                "name": need_str(n, "name", "названия обязанности")?,
                "text": need_str(n, "text", "текста обязанности")?,
            }))
        },
        NotificationKind::Digest => return Err(ContextError::Digest(n.key.clone())),
        NotificationKind::InfoSupportChanged
        | NotificationKind::SupportSuspended
        | NotificationKind::SupportResumed => Parts {
            no_stage: true,
            ..Parts::details(json!({
                "codes": d.get("codes").cloned().unwrap_or_else(|| json!([])),
                "note": str_field(d, "note"),
                "why": str_field(d, "why"),
            }))
        },
        // Partner programs: the templates read the notice's own fields (design §4.5).
        _ => Parts {
            no_stage: true,
            ..Parts::details(
                super::kkv_details::details(n.kind, d, f.program)
                    .unwrap_or_else(|| super::standing_details::details(d, f.program)),
            )
        },
    };
    let stage = match n.stage.as_deref() {
        Some(id) if !parts.no_stage => json!({ "id": id, "name": f.stage_name(id) }),
        _ => Value::Null,
    };
    let wf = &f.program.wf;
    Ok(json!({
        "kind": n.kind,
        "recipient": recipient_json(to),
        "program": { "name": wf.name, "vendor": wf.vendor },
        "seminar": f.seminar_json(),
        "stage": stage,
        "deadline": parts.deadline,
        "next": parts.next,
        "at": russian::instant(f.program, n.at),
        "link": f.link(),
        "coordinator": f.contact,
        "details": parts.details,
    }))
}

fn deadline_reminder(n: &Notification, f: &Facts) -> Result<Parts, ContextError> {
    let wf = &f.program.wf;
    let due = need_date(n, "deadline")?;
    let today = n.at.with_timezone(&f.program.tz).date_naive();
    let days_left = (due - today).num_days().max(0);
    // `round` is the round number: 0 for the first submission, n after the n-th return.
    let round = match n.data.get("round").and_then(Value::as_u64) {
        Some(r) if r > 0 => Round::Resubmit,
        _ => Round::First,
    };
    let risks: Vec<Value> = wf
        .penalties
        .automatic
        .iter()
        .filter(|r| {
            r.stage.as_deref() == n.stage.as_deref() && r.round.is_none_or(|x| x.covers(round))
        })
        .filter(|r| matches!(r.trigger, Trigger::LateSubmission | Trigger::StillHeld))
        .map(|r| risk_json(wf, r))
        .collect();
    let reminder_only = n
        .stage
        .as_deref()
        .and_then(|st| wf.stage(st))
        .is_some_and(|st| !st.submittable);
    Ok(Parts::details(json!({
        "days_left": days_left,
        "today": days_left == 0,
        "resubmit": round == Round::Resubmit,
        "reminder_only": reminder_only,
        "risks": risks,
    }))
    .with_deadline(f.deadline(due)))
}

fn submission_returned(n: &Notification, f: &Facts) -> Result<Parts, ContextError> {
    let d = &n.data;
    let st = n
        .stage
        .as_deref()
        .ok_or_else(|| ContextError::NoStage(n.key.clone()))?;
    let due = match date_field(d, "due") {
        Some(due) => Some(due),
        None => f.program.stage_deadline(f.seminar, st).ok(),
    };
    Ok(Parts::details(json!({
        "version": int_field(d, "version").unwrap_or(1),
        "comment": str_field(d, "comment"),
        "due_set": date_field(d, "due").is_some(),
    }))
    .with_deadline(due.map_or(Value::Null, |x| f.deadline(x))))
}

/// The effects a booked penalty had: its rule's, plus what the row itself records.
fn penalty_effects(d: &Value, rule_effects: Option<Vec<Effect>>) -> Vec<Effect> {
    let mut effects = rule_effects.unwrap_or_default();
    for (flag, effect) in [
        ("exclusion", Effect::Exclusion),
        ("info_support_withdrawn", Effect::InfoSupportWithdrawn),
    ] {
        if d.get(flag).and_then(Value::as_bool) == Some(true) && !effects.contains(&effect) {
            effects.push(effect);
        }
    }
    effects
}

fn penalty_applied(n: &Notification, f: &Facts) -> Result<Parts, ContextError> {
    let (wf, d) = (&f.program.wf, &n.data);
    let code = need_str(n, "code", "кода штрафа")?;
    let points = int_field(d, "points").unwrap_or(0);
    let count = int_field(d, "count").unwrap_or(1).max(1);
    let auto = wf.penalties.automatic.iter().find(|r| r.code == code);
    let manual = wf.penalties.manual.iter().find(|r| r.code == code);
    let rule_effects = auto
        .map(|r| r.effects.clone())
        .or_else(|| manual.map(|r| r.effects.clone()));
    let effects = penalty_effects(d, rule_effects);
    let name = str_field(d, "name")
        .or_else(|| auto.map(|r| r.name.clone()))
        .or_else(|| manual.map(|r| r.name.clone()))
        .unwrap_or_else(|| code.clone());
    let days_late = int_field(d, "days_late");
    Ok(Parts::details(json!({
        "code": code,
        "name": name,
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
    }))
    .with_deadline(date_field(d, "deadline").map_or(Value::Null, |x| f.deadline(x))))
}

fn excluded(n: &Notification, f: &Facts) -> Parts {
    let wf = &f.program.wf;
    let code = str_field(&n.data, "reason");
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
    Parts::details(json!({ "code": code, "name": name, "bars_partner": wf.exclusion.bars_partner }))
}

fn report_accepted(n: &Notification, f: &Facts, to: &Addressee) -> Parts {
    let d = &n.data;
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
    let has_compensation = compensation.is_some_and(|k| k.0 > 0);
    let compensation = compensation.filter(|_| to.money).map(russian::roubles);
    // Acceptance books points and compensation at once (`rules::credit`): the e-mail says
    // until when they are valid, the last day of their term in the program's zone.
    let ledgers = &f.program.wf.ledgers;
    let last_day = |months: u32| {
        let end = crate::domain::penalties::expiry(f.program, n.at, months);
        russian::date(
            (end - chrono::Duration::seconds(1))
                .with_timezone(&f.program.tz)
                .date_naive(),
        )
    };
    Parts::details(json!({
        "points": points,
        "compensation": compensation,
        "reasons": reasons,
        "comment": str_field(d, "comment"),
        "points_booked": points != 0,
        "points_until": last_day(ledgers.points_valid_months),
        "compensation_booked": has_compensation && to.money,
        "compensation_until": last_day(ledgers.bonus_valid_months),
    }))
}

fn review_due(n: &Notification, f: &Facts) -> Result<Parts, ContextError> {
    if n.data.get("deadline").is_none() {
        // An item program's waiting alert (`code`) or a partner program's overdue review.
        return Ok(Parts {
            no_stage: true,
            ..Parts::details(super::alert_details::details(&n.data, f.program))
        });
    }
    let wf = &f.program.wf;
    let due = need_date(n, "deadline")?;
    let today = n.at.with_timezone(&f.program.tz).date_naive();
    let alert = wf
        .alerts
        .iter()
        .find(|a| Some(a.stage.as_str()) == n.stage.as_deref() && a.kind == n.kind);
    let risk = wf
        .penalties
        .automatic
        .iter()
        .find(|r| r.trigger == Trigger::LateReturn && r.stage.as_deref() == n.stage.as_deref())
        .map(|r| risk_json(wf, r));
    Ok(Parts::details(json!({
        "alert": Value::Null,
        "days_overdue": (today - due).num_days().max(0),
        "allowed_days": alert.map(|a| a.days_after_deadline),
        "risk": risk,
    }))
    .with_deadline(f.deadline(due)))
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

/// The context of a daily digest for `to` on `date` with `items` (any order); `contact` is the
/// coordinator a partner user asks.
pub fn digest(
    to: &Addressee,
    date: NaiveDate,
    items: Vec<DigestItem>,
    contact: Option<&Contact>,
) -> Value {
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
        "coordinator": contact,
    })
}
