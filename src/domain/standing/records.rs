//! Dated records of a partner program (S§3.3: sales, clients, events, publications) and the
//! watchers they start (S§3.5 `single_client_account`), plus the project rules of 002 the
//! project ops share (S§1.4: `duplicate_project`, `unknown_project`, main-points rounding,
//! the joint project's odd point).
//!
//! Ops and due items, as the dispatcher calls them:
//! - op `record` → [`record`] (action params `record`, `fields`; command fields as JSON);
//! - due `Watcher { code }` → [`watch`];
//! - ops `project_add` / `project_publish` → [`refuse_known_project`],
//!   [`refuse_unpublishable`], [`project_points`], [`joint_share`].

use super::ladder::midnight_after;
use super::metrics::{Facts, Record};
use super::review_outcome::{
    codes, flag_at, gate, local_date, param, FlagChange, Outcome, Planned, StandingDue, FLAG_RANK,
};
use super::Standing;
use crate::domain::kinds::StandingNotice;
use crate::domain::money::Kopecks;
use crate::domain::program::{refuse, refuse_by_rule, DomainError, RefusalCode};
use crate::domain::workflow::{Action, StandingProgram, Watcher};
use chrono::{DateTime, Months, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// `from = "first_record:<kind>"` of a watcher.
const FIRST_RECORD: &str = "first_record:";
/// Most records one `expand` field may create.
const MAX_EXPAND: i64 = 1000;

/// `record`: a dated record of the action's `record` kind, its command `fields` read by the
/// action's field spec (`fields = { name = "type" }`):
/// - `money_signed` (required; RUB as a number or a string with kopecks, negative = refund,
///   not 0) and `money` (the same, not negative) → `amount`;
/// - `ref` (required, non-empty) → the record's reference; each reference once per kind;
/// - `expand` (optional count, default 1): `n` records `<ref>-1` … `<ref>-n` (1: `<ref>`);
/// - `bool_true` / `bool_false` (optional, default true / false) → a mark;
/// - `enum:a,b` (required, one of the values) → the value as a mark.
///
/// `note` is always allowed. A first record of a kind a watcher starts from plans that
/// watcher; a record that ends a watcher's condition clears its flag.
pub fn record(
    p: &StandingProgram,
    action: &Action,
    facts: &Facts,
    s: &Standing,
    fields: &Map<String, Value>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Outcome, DomainError> {
    gate(s, facts, now)?;
    let Some(kind) = param(action, "record") else {
        return Err(DomainError::Program(format!(
            "действие «{}»: нет поля record",
            action.name
        )));
    };
    let spec: BTreeMap<String, String> = action
        .params
        .get("fields")
        .and_then(|v| v.as_table())
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if let Some(extra) = fields
        .keys()
        .find(|k| *k != "note" && !spec.contains_key(*k))
    {
        return refuse(
            RefusalCode::InvalidInput,
            format!("«{}»: поле «{extra}» не предусмотрено", action.name),
        );
    }
    let mut base = Record {
        record: kind.to_string(),
        date: local_date(now, tz),
        at: now,
        amount: 0,
        reference: None,
        marks: BTreeMap::new(),
    };
    let mut count = 1;
    for (name, ty) in &spec {
        read_field(
            &action.name,
            name,
            ty,
            fields.get(name),
            &mut base,
            &mut count,
        )?;
    }
    let refs: Vec<Option<String>> = match (&base.reference, count) {
        (Some(r), n) if n > 1 => (1..=n).map(|i| Some(format!("{r}-{i}"))).collect(),
        (r, _) => vec![r.clone()],
    };
    if let Some(dup) = refs.iter().flatten().find(|r| has_ref(facts, kind, r)) {
        return refuse(
            RefusalCode::InvalidInput,
            format!("«{dup}» уже учтён ({kind})"),
        );
    }
    let mut out = Outcome {
        records: refs
            .into_iter()
            .map(|reference| Record {
                reference,
                ..base.clone()
            })
            .collect(),
        ..Outcome::default()
    };
    watchers_after(p, facts, &mut out, kind, now, tz);
    Ok(out)
}

/// Reads one command field into the record by its spec type.
fn read_field(
    action: &str,
    name: &str,
    ty: &str,
    value: Option<&Value>,
    r: &mut Record,
    count: &mut i64,
) -> Result<(), DomainError> {
    let bad = |why: &str| {
        refuse(
            RefusalCode::InvalidInput,
            format!("«{action}»: поле «{name}» {why}"),
        )
    };
    match (ty, value) {
        ("money_signed" | "money", None) => bad("обязательно (сумма в рублях)"),
        ("money_signed" | "money", Some(v)) => {
            let Some(k) = signed_kopecks(v) else {
                return bad("должно быть суммой в рублях, например 50000 или \"-1200.50\"");
            };
            if k == 0 || (ty == "money" && k < 0) {
                return bad("не может быть нулевым или отрицательным");
            }
            r.amount = k;
            Ok(())
        }
        ("ref", v) => match v.and_then(Value::as_str).map(str::trim) {
            Some(id) if !id.is_empty() => {
                r.reference = Some(id.to_string());
                Ok(())
            }
            _ => bad("обязательно (непустой идентификатор)"),
        },
        ("expand", None) => Ok(()),
        ("expand", Some(v)) => match v.as_i64().filter(|n| (1..=MAX_EXPAND).contains(n)) {
            Some(n) => {
                *count = n;
                Ok(())
            }
            None => bad(&format!("должно быть целым числом от 1 до {MAX_EXPAND}")),
        },
        ("bool_true" | "bool_false", v) => match v.map(Value::as_bool) {
            None => {
                r.marks.insert(name.to_string(), ty == "bool_true");
                Ok(())
            }
            Some(Some(b)) => {
                r.marks.insert(name.to_string(), b);
                Ok(())
            }
            Some(None) => bad("должно быть true или false"),
        },
        (t, v) if t.starts_with("enum:") => {
            let allowed: Vec<&str> = t["enum:".len()..].split(',').map(str::trim).collect();
            match v.and_then(Value::as_str).filter(|x| allowed.contains(x)) {
                Some(x) => {
                    r.marks.insert(x.to_string(), true);
                    Ok(())
                }
                None => bad(&format!("должно быть одним из: {}", allowed.join(", "))),
            }
        }
        (t, _) => Err(DomainError::Program(format!(
            "действие «{action}»: неизвестный тип поля «{name}» = «{t}»"
        ))),
    }
}

/// RUB (a JSON integer, or a string such as `-1200.50`) in kopecks.
fn signed_kopecks(v: &Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return n.checked_mul(100);
    }
    let t = v.as_str()?.trim();
    let (neg, digits) = t.strip_prefix('-').map_or((false, t), |d| (true, d));
    let k = digits.parse::<Kopecks>().ok()?.0;
    Some(if neg { -k } else { k })
}

fn has_ref(facts: &Facts, kind: &str, reference: &str) -> bool {
    facts
        .records
        .iter()
        .any(|r| r.record == kind && r.reference.as_deref() == Some(reference))
}

/// Distinct references (records without one count each) of `kind`, among `records`.
fn distinct<'a>(records: impl Iterator<Item = &'a Record>, kind: &str) -> usize {
    let mut seen = BTreeSet::new();
    let mut bare = 0;
    for r in records.filter(|r| r.record == kind) {
        match &r.reference {
            Some(x) => {
                seen.insert(x.as_str());
            }
            None => bare += 1,
        }
    }
    seen.len() + bare
}

/// The record kind a watcher starts from, and the condition `while = { record_count, equals }`.
fn watcher_parts(w: &Watcher) -> Option<(&str, &str, i64)> {
    let from = w.from.strip_prefix(FIRST_RECORD)?;
    let counted = w.condition.get("record_count")?.as_str()?;
    let equals = w.condition.get("equals")?.as_integer()?;
    Some((from, counted, equals))
}

/// Plans the watchers a first record of `kind` starts; clears the flags of watchers whose
/// condition the new records end.
fn watchers_after(
    p: &StandingProgram,
    facts: &Facts,
    out: &mut Outcome,
    kind: &str,
    now: DateTime<Utc>,
    tz: Tz,
) {
    for (code, w) in &p.watchers {
        let Some((from, counted, equals)) = watcher_parts(w) else {
            continue;
        };
        if from == kind && !facts.records.iter().any(|r| r.record == kind) {
            let due = local_date(now, tz)
                .checked_add_months(Months::new(w.after_months))
                .map(|d| midnight_after(d, tz));
            out.due.extend(due.map(|at| Planned {
                at,
                rank: FLAG_RANK,
                due: StandingDue::Watcher { code: code.clone() },
            }));
        }
        let n = distinct(facts.records.iter().chain(&out.records), counted) as i64;
        if counted == kind && n != equals && flag_at(facts, &w.flag, now) {
            out.flags.push(FlagChange::Clear {
                flag: w.flag.clone(),
                at: now,
            });
        }
    }
}

/// A watcher's check (due `Watcher { code }`): when its condition holds at `now` and its flag
/// does not, the flag is set and the watcher's `notice` told (with the one `client` when the
/// condition counts exactly one reference). A partner cut off, or a condition that no longer
/// holds: empty.
pub fn watch(
    p: &StandingProgram,
    code: &str,
    facts: &Facts,
    s: &Standing,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let mut out = Outcome::default();
    let Some((w, (_, counted, equals))) = p
        .watchers
        .get(code)
        .and_then(|w| watcher_parts(w).map(|x| (w, x)))
    else {
        return Err(DomainError::Program(format!(
            "наблюдатель «{code}» не объявлен или задан не полностью"
        )));
    };
    if gate(s, facts, now).is_err() || flag_at(facts, &w.flag, now) {
        return Ok(out);
    }
    let known: Vec<&Record> = facts.records.iter().filter(|r| r.at <= now).collect();
    if distinct(known.iter().copied(), counted) as i64 != equals {
        return Ok(out);
    }
    let Some(kind) = StandingNotice::named(&w.notice) else {
        return Err(DomainError::Program(format!(
            "наблюдатель «{code}»: неизвестный вид уведомления «{}»",
            w.notice
        )));
    };
    let client = (equals == 1)
        .then(|| {
            known
                .iter()
                .find(|r| r.record == counted)
                .and_then(|r| r.reference.clone())
        })
        .flatten();
    out.flags.push(FlagChange::Set {
        flag: w.flag.clone(),
        since: now,
        until: None,
    });
    out.notify(p, kind, None, &s.partner, |n| n.client = client.clone());
    Ok(out)
}

/// `duplicate_project` when `project` is already on record as `kind` (added twice, or a
/// mirror registered under the same id: «Проект можно опубликовать только один раз», l.396).
pub fn refuse_known_project(facts: &Facts, kind: &str, project: &str) -> Result<(), DomainError> {
    if has_ref(facts, kind, project) {
        return refuse_by_rule(
            codes::DUPLICATE_PROJECT,
            format!("проект «{project}» уже зарегистрирован"),
        );
    }
    Ok(())
}

/// A project may be published once it was added (`unknown_project`) and only once
/// (`duplicate_project`).
pub fn refuse_unpublishable(
    facts: &Facts,
    added: &str,
    published: &str,
    project: &str,
) -> Result<(), DomainError> {
    if !has_ref(facts, added, project) {
        return refuse_by_rule(
            codes::UNKNOWN_PROJECT,
            format!("проект «{project}» не добавлен"),
        );
    }
    if has_ref(facts, published, project) {
        return refuse_by_rule(
            codes::DUPLICATE_PROJECT,
            format!("проект «{project}» уже опубликован"),
        );
    }
    Ok(())
}

/// Main points of an end-user price (S§1.4): price / divisor roubles, a half rounded up, exact
/// from kopecks. A divisor of 0 gives 0.
pub fn project_points(price: i64, divisor: u32) -> i64 {
    let d = i64::from(divisor) * 100;
    if d == 0 {
        return 0;
    }
    let (q, r) = (price.div_euclid(d), price.rem_euclid(d));
    q + i64::from(r * 2 >= d)
}

/// A joint project's share for one partner (S§1.4): the points halved, the odd point to the
/// partner that holds the client contract.
pub fn joint_share(points: i64, holds_contract: bool) -> i64 {
    points.div_euclid(2)
        + if holds_contract {
            points.rem_euclid(2)
        } else {
            0
        }
}

#[cfg(test)]
mod tests;
