//! The decided ladder (KKV) and its periodic obligations as action ops and due items: the pure
//! functions of `standing::{decided, obligations}` return an `outcome::Outcome`; this module
//! calls them with the step's fields and turns their outcome into the [`Effects`] the service
//! books — history entries appended to the standing, notices with their engine kind, due items
//! of kind [`DueKind::Decided`], and the program's bonus-ledger movements kept as records of
//! kind [`BONUS_RECORD`] (money in kopecks; the store's bonus table is the flagship's own).

use super::super::actions::{
    bad_field, opt_text, refusal, text, ActionRecord, Credit, Ctx, Effects, Fields,
};
use super::super::decided::{self, bonus_on_purchase, bonus_spend, in_force};
use super::super::obligations;
use super::super::outcome::{Change, LedgerEffect, Notice, Outcome, Planned, Rules};
use super::super::{HistoryEntry, Standing};
use crate::domain::calendar::Calendar;
use crate::domain::kinds::NotificationKind;
use crate::domain::money::Kopecks;
use crate::domain::program::{Refusal, RefusalCode};
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::workflow::{Action, StandingProgram};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The record kind of a bonus-ledger movement (`data.ledger`, `data.effect`).
pub const BONUS_RECORD: &str = "bonus_ledger";

mod opening;
pub use opening::{opening, OpeningFacts};

/// The ops this module runs.
pub const OPS: [&str; 11] = [
    "standing_apply",
    "standing_request_documents",
    "standing_documents",
    "standing_decide",
    "standing_renewal_request",
    "bonus_spend",
    "obligation_start",
    "obligation_done",
    "obligation_end",
    "record",
    "flag_set",
];

/// Runs a decided-ladder or obligation op.
///
/// # Errors
/// The op's refusal; `invalid_input` naming a missing or malformed field.
pub fn run(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let r = Rules {
        p: ctx.program,
        tz: ctx.tz,
        cal: ctx.cal,
    };
    let (s, now) = (ctx.standing, ctx.now);
    let project = opt_text(fields, "project");
    let o = match action.op.as_str() {
        "standing_apply" => {
            decided::standing_apply(r, s, opt_text(fields, "level"), complete(fields)?, now)
        }
        "standing_request_documents" => {
            decided::standing_request_documents(r, s, opt_text(fields, "note"), now)
        }
        "standing_documents" => decided::standing_documents(r, s, now),
        "standing_decide" => decided::standing_decide(
            r,
            s,
            ctx.facts,
            text(fields, "level")?,
            flag(fields, "override")?,
            opt_text(fields, "note"),
            now,
        ),
        "standing_renewal_request" => {
            let flags = request_flags(action, fields);
            decided::standing_renewal_request(r, s, complete(fields)?, &flags, now)
        }
        "obligation_start" => obligations::obligation_start(r, s, duty(action)?, project, now),
        "obligation_done" => obligations::obligation_done(r, s, duty(action)?, project, now),
        "obligation_end" => obligations::obligation_end(r, s, duty(action)?, project, now),
        "bonus_spend" => return spend(ctx, r, action, fields),
        "record" => return record(ctx, r, action, fields),
        "flag_set" => return opening::flag_set(ctx, action, fields),
        other => return Err(bad_field("do", &format!("операция «{other}» не из ККВ"))),
    };
    effects(ctx, o.map_err(refusal)?)
}

/// Fires a decided-ladder due item on `s` (the scheduler's side).
///
/// # Errors
/// The program's data cannot answer (a calendar gap), or a notice kind the engine lacks.
#[allow(clippy::too_many_arguments)]
pub fn fire(
    p: &StandingProgram,
    cal: &Calendar,
    tz: Tz,
    program: &str,
    s: &Standing,
    records: &[ActionRecord],
    item: &DueItem,
) -> Result<Effects, Refusal> {
    let DueKind::Decided { due } = &item.kind else {
        return Ok(Effects::default());
    };
    let r = Rules { p, tz, cal };
    let mut bonus = BTreeMap::new();
    for b in &p.bonus_ledgers {
        bonus.insert(b.id.clone(), balance(records, &b.id));
    }
    let o = decided::fire(r, s, &bonus, due, item.at).map_err(refusal)?;
    convert(program, tz, s, records, item.at, o)
}

/// A sanction that suspends or revokes a decided ladder's standing (S§2.8), until `end`.
///
/// # Errors
/// The standing is not in force, or a suspension has no end.
pub fn sanction(
    ctx: &Ctx,
    code: &str,
    effect: &str,
    end: Option<DateTime<Utc>>,
) -> Result<Effects, Refusal> {
    let r = Rules {
        p: ctx.program,
        tz: ctx.tz,
        cal: ctx.cal,
    };
    let mut bonus = BTreeMap::new();
    for b in &ctx.program.bonus_ledgers {
        bonus.insert(b.id.clone(), balance(ctx.records, &b.id));
    }
    let o = decided::sanction::freeze(r, ctx.standing, code, effect, end, &bonus, ctx.now)
        .map_err(refusal)?;
    effects(ctx, o)
}

/// A suspension lifted before its end: the standing is in force again (or expired).
///
/// # Errors
/// Never in practice (the conversion of the outcome).
pub fn lift(ctx: &Ctx, code: &str) -> Result<Effects, Refusal> {
    effects(
        ctx,
        decided::sanction::reinstate(ctx.standing, code, ctx.now),
    )
}

fn effects(ctx: &Ctx, o: Outcome) -> Result<Effects, Refusal> {
    convert(
        ctx.program_id,
        ctx.tz,
        ctx.standing,
        ctx.records,
        ctx.now,
        o,
    )
}

/// The outcome as effects: the standing (at the version read) with the changes in its history,
/// notices, due items and bonus records.
fn convert(
    program: &str,
    tz: Tz,
    was: &Standing,
    records: &[ActionRecord],
    now: DateTime<Utc>,
    o: Outcome,
) -> Result<Effects, Refusal> {
    let mut standing = o.standing;
    standing.history.extend(o.changes.iter().map(history));
    standing.version = was.version;
    let partner = was.partner.clone();
    let mut e = Effects {
        standing: (standing != *was).then_some(standing),
        records: ledger_records(program, &partner, records, now, &o.ledger),
        ..Effects::default()
    };
    for n in &o.notices {
        e.notices.push(notice(tz, n)?);
    }
    e.due = o
        .due
        .iter()
        .map(|d| due_item(program, &partner, d))
        .collect();
    Ok(e)
}

/// A history entry of a change (S§5.1 `history`).
pub fn history(c: &Change) -> HistoryEntry {
    HistoryEntry {
        at: c.at,
        code: c.level.clone(),
        change: c.change.as_str().to_string(),
        unmet: c.unmet.clone(),
        due: c.due,
        amount: c.amount,
        ..HistoryEntry::default()
    }
}

/// A planned effect as a due item of the standing's subject, fired exactly once by its key.
pub fn due_item(program: &str, partner: &str, d: &Planned) -> DueItem {
    DueItem {
        key: format!("st:{program}:{partner}:{}", d.key()),
        subject: super::super::clock::subject(partner, program),
        at: d.at,
        rank: super::super::clock::NOTICE_RANK,
        kind: DueKind::Decided { due: d.due.clone() },
    }
}

/// A notice with its engine kind and the contract's fields (instants in the program's zone).
fn notice(tz: Tz, n: &Notice) -> Result<super::super::actions::Notice, Refusal> {
    let kind = NotificationKind::from_str(&n.kind).map_err(|e| Refusal {
        code: RefusalCode::InvalidInput,
        message: e.to_string(),
        rule: None,
    })?;
    let at = |t: DateTime<Utc>| Value::from(t.with_timezone(&tz).to_rfc3339());
    let mut data = serde_json::Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            data.insert(k.to_string(), v);
        }
    };
    put("level", n.level.clone().map(Value::from));
    put("until", n.until.map(at));
    put("due", n.due.map(|d| Value::from(d.to_string())));
    put("review", n.review.clone().map(Value::from));
    put("amount", n.amount.map(|a| Value::from(a.to_string())));
    put("cancel_at", n.cancel_at.map(at));
    put("project", n.project.clone().map(Value::from));
    if !n.unmet.is_empty() {
        put("unmet", Some(Value::from(n.unmet.clone())));
    }
    Ok(super::super::actions::Notice {
        kind,
        data,
        loss: n.to.iter().any(|t| t == "coordinator"),
    })
}

/// `complete` (default true): whether the package is complete with the request.
fn complete(f: &Fields) -> Result<bool, Refusal> {
    flag_or(f, "complete", true)
}

fn flag(f: &Fields, key: &str) -> Result<bool, Refusal> {
    flag_or(f, key, false)
}

fn flag_or(f: &Fields, key: &str, default: bool) -> Result<bool, Refusal> {
    match f.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad_field(key, "нужно true или false")),
    }
}

/// The action's `flags` the step gives true (`biennial_docs = true`).
fn request_flags(a: &Action, f: &Fields) -> Vec<String> {
    let Some(toml::Value::Array(list)) = a.params.get("flags") else {
        return vec![];
    };
    list.iter()
        .filter_map(toml::Value::as_str)
        .filter(|n| f.get(*n).and_then(Value::as_bool) == Some(true))
        .map(String::from)
        .collect()
}

/// The action's `obligation` parameter.
fn duty(a: &Action) -> Result<&str, Refusal> {
    super::super::actions::param(a, "obligation")
        .ok_or_else(|| bad_field("obligation", "действие не называет обязанность"))
}

/// Money in RUB (a number, kopecks as fractions) as kopecks.
fn money(f: &Fields, key: &str) -> Result<Kopecks, Refusal> {
    let rub = f.get(key).and_then(Value::as_f64);
    match rub {
        Some(r) if (0.0..1e15).contains(&r) => Ok(Kopecks((r * 100.0).round() as i64)),
        _ => Err(bad_field(key, "нужна сумма в рублях, не меньше нуля")),
    }
}

/// The `{ ledger, from }` table of an action parameter.
fn ledger_spec<'a>(a: &'a Action, key: &str) -> Option<(&'a str, &'a str)> {
    let t = a.params.get(key)?.as_table()?;
    Some((t.get("ledger")?.as_str()?, t.get("from")?.as_str()?))
}

/// `bonus_spend`: pays `amount` RUB of `product` from the action's bonus ledger.
fn spend(ctx: &Ctx, r: Rules<'_>, a: &Action, f: &Fields) -> Result<Effects, Refusal> {
    let ledger = super::super::actions::param(a, "ledger")
        .ok_or_else(|| bad_field("ledger", "действие не называет бонусный счёт"))?;
    let amount = money(f, "amount")?;
    let have = balance(ctx.records, ledger);
    let e =
        bonus_spend(r, ctx.standing, ledger, text(f, "product")?, amount, have).map_err(refusal)?;
    let mut o = Outcome::unchanged(ctx.standing);
    o.ledger.push(e);
    effects(ctx, o)
}

/// `record`: a dated record of the action's `record` kind with its money `amount`; its
/// `credit = { ledger, from }` credits points (the amount divided by the ledger's
/// `price_divisor`, only while in force when the ledger says so), its `bonus = { ledger,
/// from }` books a bonus (credited in force, held while the first application is pending).
fn record(ctx: &Ctx, r: Rules<'_>, a: &Action, f: &Fields) -> Result<Effects, Refusal> {
    let kind = super::super::actions::param(a, "record")
        .ok_or_else(|| bad_field("record", "действие не называет вид записи"))?;
    // Records with a field spec never come here: `actions::decide` sends them to `ops::reviewed`.
    let amount = match f.get("amount") {
        None | Some(Value::Null) => None,
        Some(_) => Some(money(f, "amount")?),
    };
    let mut o = Outcome::unchanged(ctx.standing);
    if let Some((ledger, from)) = ledger_spec(a, "bonus") {
        if let Some(l) = bonus_on_purchase(r, ctx.standing, ledger, money(f, from)?) {
            o.ledger.push(l);
        }
    }
    let mut e = effects(ctx, o)?;
    let mut data = BTreeMap::new();
    if let Some(note) = opt_text(f, "note") {
        data.insert("note".to_string(), Value::from(note));
    }
    let key = format!(
        "st:{}:{}:{kind}:{}",
        ctx.program_id,
        ctx.partner,
        ctx.now.timestamp_micros()
    );
    // The store keeps one record per (kind, reference): without a `ref` each record is its own.
    e.records.push(ActionRecord {
        reference: opt_text(f, "ref").map_or_else(|| key.clone(), String::from),
        key,
        kind: kind.to_string(),
        at: ctx.now,
        kopecks: amount.map(|k| k.0),
        data,
    });
    if let Some((ledger, from)) = ledger_spec(a, "credit") {
        let def = ctx.program.ledgers.iter().find(|l| l.id == ledger);
        let divisor = i64::from(def.and_then(|l| l.price_divisor).unwrap_or(1).max(1));
        let only_in_force = def.is_some_and(|l| l.credit_only_in_force);
        let rub = money(f, from)?.0 / 100;
        let points = (rub + divisor / 2) / divisor;
        if points > 0 && (!only_in_force || in_force(ctx.standing)) {
            e.credits.push(Credit {
                partner: ctx.partner.to_string(),
                ledger: ledger.to_string(),
                entry_kind: kind.to_string(),
                points,
                reference: kind.to_string(),
            });
        }
    }
    Ok(e)
}

/// Available and held kopecks of `ledger` from its movement records.
pub fn balances(records: &[ActionRecord], ledger: &str) -> (Kopecks, Kopecks) {
    let (mut available, mut held) = (0i64, 0i64);
    for r in records
        .iter()
        .filter(|r| r.kind == BONUS_RECORD && r.text("ledger").unwrap_or(&r.reference) == ledger)
    {
        let k = r.kopecks.unwrap_or(0);
        match r.text("effect").unwrap_or_default() {
            "credit" => available += k,
            "hold" => held += k,
            "release_held" => {
                available += k;
                held -= k;
            }
            "drop_held" => held -= k,
            "spend" | "cancel" => available -= k,
            _ => {}
        }
    }
    (Kopecks(available), Kopecks(held))
}

/// The available bonus of `ledger`.
pub fn balance(records: &[ActionRecord], ledger: &str) -> Kopecks {
    balances(records, ledger).0
}

/// The movement records of `effects`, each with its amount (a release or drop moves what is
/// held when it happens).
fn ledger_records(
    program: &str,
    partner: &str,
    records: &[ActionRecord],
    now: DateTime<Utc>,
    effects: &[LedgerEffect],
) -> Vec<ActionRecord> {
    let mut out: Vec<ActionRecord> = vec![];
    for (i, l) in effects.iter().enumerate() {
        let (ledger, effect, amount) = match l {
            LedgerEffect::Credit { ledger, amount } => (ledger, "credit", *amount),
            LedgerEffect::Hold { ledger, amount } => (ledger, "hold", *amount),
            LedgerEffect::Spend { ledger, amount } => (ledger, "spend", *amount),
            LedgerEffect::Cancel { ledger, amount } => (ledger, "cancel", *amount),
            LedgerEffect::ReleaseHeld { ledger } | LedgerEffect::DropHeld { ledger } => {
                let all: Vec<ActionRecord> = records.iter().chain(out.iter()).cloned().collect();
                let held = balances(&all, ledger).1;
                let effect = if matches!(l, LedgerEffect::ReleaseHeld { .. }) {
                    "release_held"
                } else {
                    "drop_held"
                };
                (ledger, effect, held)
            }
        };
        let mut data = BTreeMap::new();
        data.insert("ledger".to_string(), Value::from(ledger.as_str()));
        data.insert("effect".to_string(), Value::from(effect));
        // The store keeps one record per (kind, reference): each movement is its own.
        let key = format!(
            "st:{program}:{partner}:bonus:{}:{}",
            now.timestamp_micros(),
            records.len() + i
        );
        out.push(ActionRecord {
            reference: key.clone(),
            key,
            kind: BONUS_RECORD.to_string(),
            at: now,
            kopecks: Some(amount.0),
            data,
        });
    }
    out
}

#[cfg(test)]
mod tests;
