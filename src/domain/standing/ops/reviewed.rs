//! The review-date ladder (MoySklad, S§3) as action ops and due items: onboarding flags, a
//! flag the account manager sets, records with a field spec (sales, clients, events,
//! publications), disconnection, the reviews, the warning before a review and the watchers.
//! The pure functions of `standing::{review, records, sanctions}` decide; this module turns
//! what they decide into the [`Effects`] every partner op returns, in one place ([`convert`]):
//! history entries on the standing, flags kept as records of kind [`FLAG_RECORD`], records,
//! points entries, due items and notices with their engine kind.
//!
//! Partner-level violations, sanctions and termination are the generic ops of `ops::partner`.

pub mod facts;
pub mod report;

use super::super::actions::{
    bad_field, opt_text, refusal, ActionRecord, Credit, Ctx, Effects, Fields,
};
use super::super::clock;
use super::super::ladder::ChangeKind;
use super::super::metrics::Facts;
use super::super::review::{self, OnboardingArgs};
use super::super::review_outcome::{
    flag_at, gate, param, FlagChange, Outcome, Planned, StandingDue,
};
use super::super::{records, sanctions, HistoryEntry, Standing};
use crate::domain::kinds::NotificationKind;
use crate::domain::program::{DomainError, Refusal, RefusalCode};
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::seminar::Recipient;
use crate::domain::workflow::{Action, EvaluationMode, StandingProgram};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

pub use facts::{enrich, FLAG_RECORD, OPENING_RECORD};

/// The ops this module runs (and `record` when the action has a field spec).
pub const OPS: [&str; 3] = ["onboarding_flag", "flag_set", "disconnect"];

/// Whether `action` is run here.
pub fn runs(p: &StandingProgram, action: &Action) -> bool {
    match action.op.as_str() {
        // Both ladders set flags: a review-date ladder's are read by its reviews, a decided
        // ladder's (`flag_prefix`) by its requirements (`ops::decided`).
        "flag_set" => review_dates(p),
        op => OPS.contains(&op) || (op == "record" && has_field_spec(action)),
    }
}

fn has_field_spec(action: &Action) -> bool {
    action.params.contains_key("fields")
}

/// Whether the scheduler fires `kind` here: a review of a review-date ladder, or its own items.
pub fn fires(p: &StandingProgram, kind: &DueKind) -> bool {
    match kind {
        DueKind::Ladder { .. } => true,
        // The auto ladder's evaluations (a command's night, a term's end) change nothing on
        // a review-date ladder: only its reviews move it.
        DueKind::Review | DueKind::Evaluate => review_dates(p),
        _ => false,
    }
}

/// Whether the program moves only at review dates (S§3.4).
pub fn review_dates(p: &StandingProgram) -> bool {
    p.evaluation
        .as_ref()
        .is_some_and(|e| e.mode == EvaluationMode::ReviewDates)
}

/// Runs a review-date ladder op.
///
/// # Errors
/// The op's refusal; `invalid_input` naming a missing or malformed field.
pub fn run(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let (p, s, f, now, tz) = (ctx.program, ctx.standing, ctx.facts, ctx.now, ctx.tz);
    let o = match action.op.as_str() {
        "onboarding_flag" => {
            let args = OnboardingArgs {
                country: facts::country(ctx.records),
                staff: opt_text(fields, "staff").map(String::from),
            };
            review::onboarding_flag(p, action, f, s, &args, now, tz)
        }
        "flag_set" => flag_set(action, f, s, fields, now),
        "record" => {
            let map: Map<String, Value> = fields.clone().into_iter().collect();
            records::record(p, action, f, s, &map, now, tz)
        }
        "disconnect" => sanctions::disconnect(p, action, f, s, now),
        other => return Err(bad_field("do", &format!("операция «{other}» не отсюда"))),
    };
    convert(ctx.program_id, p, tz, s, f, now, o.map_err(refusal)?)
}

/// `flag_set`: the account manager confirms (`present = true`, the default) or withdraws the
/// action's `flag` (S§3.3 `site_info`); setting a flag that holds changes nothing.
fn flag_set(
    action: &Action,
    facts: &Facts,
    s: &Standing,
    fields: &Fields,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let Some(flag) = param(action, "flag") else {
        return Err(DomainError::Program(format!(
            "действие «{}»: нет поля flag",
            action.name
        )));
    };
    let present = match fields.get("present") {
        None | Some(Value::Null) => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| DomainError::Refused(bad_field("present", "нужно true или false")))?,
    };
    let mut out = Outcome::default();
    match (present, flag_at(facts, flag, now)) {
        (true, false) => out.flags.push(FlagChange::Set {
            flag: flag.into(),
            since: now,
            until: None,
        }),
        (false, true) => out.flags.push(FlagChange::Clear {
            flag: flag.into(),
            at: now,
        }),
        _ => {}
    }
    Ok(out)
}

/// Fires a review, a warning before one, or a watcher's check on `s` (the scheduler's side).
///
/// # Errors
/// The program's data cannot answer (a watcher not declared), or a notice kind the engine lacks.
pub fn fire(
    p: &StandingProgram,
    program: &str,
    tz: Tz,
    s: &Standing,
    facts: &Facts,
    item: &DueItem,
) -> Result<Effects, Refusal> {
    let at = item.at;
    let o = match &item.kind {
        DueKind::Review
        | DueKind::Ladder {
            due: StandingDue::Review,
        } => review::review(p, facts, s, at, tz),
        DueKind::Ladder {
            due: StandingDue::AtRisk { review_at },
        } => review::at_risk(p, facts, s, *review_at, at, tz),
        DueKind::Ladder {
            due: StandingDue::Watcher { code },
        } => records::watch(p, code, facts, s, at).map_err(refusal)?,
        _ => return Ok(Effects::default()),
    };
    convert(program, p, tz, s, facts, at, o)
}

/// A planned item as a due item of the standing's subject; a review shares the key of the one
/// `clock::plan` adds, so the two collapse.
pub fn due_item(program: &str, partner: &str, d: &Planned) -> DueItem {
    let (kind, tag) = match &d.due {
        StandingDue::Review => (DueKind::Review, "review".to_string()),
        StandingDue::AtRisk { .. } => (DueKind::Ladder { due: d.due.clone() }, "at_risk".into()),
        StandingDue::Watcher { code } => (
            DueKind::Ladder { due: d.due.clone() },
            format!("watch:{code}"),
        ),
    };
    DueItem {
        key: format!("st:{program}:{partner}:{tag}:{}", d.at.timestamp_micros()),
        subject: clock::subject(partner, program),
        at: d.at,
        rank: d.rank,
        kind,
    }
}

/// The warnings a standing of a review-date ladder plans (for `clock::plan`): the one before
/// its next review, when its status is above the floor.
pub fn plan(
    p: &StandingProgram,
    program: &str,
    s: &Standing,
    now: DateTime<Utc>,
    tz: Tz,
) -> Vec<DueItem> {
    if !review_dates(p) {
        return vec![];
    }
    review::plan_reviews(p, s, now, tz)
        .iter()
        .filter(|d| matches!(d.due, StandingDue::AtRisk { .. }))
        .map(|d| due_item(program, &s.partner, d))
        .collect()
}

/// The standing after `o`: each change applied and kept in the history (a review's with the
/// quarter sums it read), the lifecycle state moved, written at the version read.
fn standing_after(
    p: &StandingProgram,
    tz: Tz,
    was: &Standing,
    facts: &Facts,
    o: &Outcome,
) -> Standing {
    let mut s = was.clone();
    for c in &o.changes {
        let mut h = HistoryEntry {
            at: c.at,
            code: Some(c.code.clone()),
            change: c.change.as_str().to_string(),
            snapshot: c.snapshot.clone(),
            unmet: c.unmet.clone(),
            ..HistoryEntry::default()
        };
        match c.change {
            ChangeKind::Terminated => {
                h.code = None;
                h.from = Some(c.from.clone());
                s.code = None;
                s.since = Some(c.at);
                s.until = None;
                s.terminates_at = None;
            }
            ChangeKind::Granted | ChangeKind::Confirmed => s.apply(c),
            _ => {
                h.from = (!c.from.is_empty()).then(|| c.from.clone());
                s.apply(c);
            }
        }
        if !c.snapshot.is_empty() {
            for (q, k) in review::quarter_sums(p, facts, c.at, tz) {
                h.snapshot
                    .insert(format!("{}{q}", report::QUARTER_PREFIX), k);
            }
        }
        s.history.push(h);
    }
    if let Some(st) = o.state {
        s.state = st;
    }
    s.version = was.version;
    s
}

/// What the pure functions decided, as effects: the standing (at the version read) with its
/// history, flags and records to keep, points to book, items to plan and notices to send.
fn convert(
    program: &str,
    p: &StandingProgram,
    tz: Tz,
    was: &Standing,
    facts: &Facts,
    now: DateTime<Utc>,
    o: Outcome,
) -> Result<Effects, Refusal> {
    let partner = was.partner.clone();
    let s = standing_after(p, tz, was, facts, &o);
    let mut e = Effects {
        standing: (s != *was).then_some(s),
        ..Effects::default()
    };
    let key = |what: &str, i: usize| {
        format!(
            "st:{program}:{partner}:{what}:{}:{i}",
            now.timestamp_micros()
        )
    };
    for (i, f) in o.flags.iter().enumerate() {
        e.records.push(facts::flag_record(f, key("flag", i)));
    }
    for (i, r) in o.records.iter().enumerate() {
        let mut data = BTreeMap::new();
        for (k, v) in &r.marks {
            data.insert(k.clone(), Value::from(*v));
        }
        // A record without a reference (a sale) is referenced by its key: the store keeps
        // one record per reference and kind.
        let k = key(&format!("rec:{}", r.record), i);
        e.records.push(ActionRecord {
            reference: r.reference.clone().unwrap_or_else(|| k.clone()),
            key: k,
            kind: r.record.clone(),
            at: r.at,
            kopecks: (r.amount != 0).then_some(r.amount),
            data,
        });
    }
    for l in &o.ledger {
        e.credits.push(Credit {
            partner: partner.clone(),
            ledger: l.ledger.clone(),
            entry_kind: l.entry_kind.clone(),
            points: l.points,
            reference: l.entry_kind.clone(),
        });
    }
    e.due = o
        .due
        .iter()
        .map(|d| due_item(program, &partner, d))
        .collect();
    for n in o.notices.iter().filter(|n| n.to != Recipient::Coordinator) {
        let loss = o
            .notices
            .iter()
            .any(|m| m.kind == n.kind && m.to == Recipient::Coordinator);
        e.notices.push(notice(p, tz, was, facts, now, n, loss)?);
    }
    Ok(e)
}

/// A notice with its engine kind and the contract's fields (instants in the program's zone);
/// a warning before a review also says what is missing (value and threshold per criterion).
fn notice(
    p: &StandingProgram,
    tz: Tz,
    s: &Standing,
    facts: &Facts,
    now: DateTime<Utc>,
    n: &super::super::review_outcome::Notice,
    loss: bool,
) -> Result<super::super::actions::Notice, Refusal> {
    let kind = NotificationKind::from_str(n.kind.as_str()).map_err(|e| Refusal {
        code: RefusalCode::InvalidInput,
        message: e.to_string(),
        rule: None,
    })?;
    let at = |t: DateTime<Utc>| Value::from(t.with_timezone(&tz).to_rfc3339());
    let mut data = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            data.insert(k.to_string(), v);
        }
    };
    put("status", n.status.clone().map(Value::from));
    put("from", n.from.clone().map(Value::from));
    put("change", n.change.map(|c| Value::from(c.as_str())));
    put("until", n.until.map(at));
    put("review_at", n.review_at.map(at));
    put("client", n.client.clone().map(Value::from));
    put("bonus_points", n.bonus_points.map(Value::from));
    put("code", n.code.clone().map(Value::from));
    put("note", n.note.clone().map(Value::from));
    if !n.unmet.is_empty() {
        put("unmet", Some(Value::from(n.unmet.clone())));
    }
    if let (Some(review_at), false) = (n.review_at, n.unmet.is_empty()) {
        put(
            "missing",
            Some(report::missing(p, facts, s, review_at, now, tz, &n.unmet)),
        );
    }
    Ok(super::super::actions::Notice { kind, data, loss })
}
