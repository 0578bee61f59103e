//! `project_add` / `project_publish` / `project_return` (S§1.4, S§1.7): a project is registered
//! once, moderated within the file's working days when complete, and scores on publication.

use super::points::{denied, pending, points_for, price_kopecks, split};
use crate::domain::kinds::NotificationKind;
use crate::domain::program::Refusal;
use crate::domain::standing::actions::{
    bad_field, codes, notice, opt_text, param, refuse, text, ActionRecord, Credit, Ctx, Effects,
    Fields,
};
use crate::domain::workflow::Action;
use serde_json::Value;

/// The record kind of projects: the review they wait for.
fn kind_of(ctx: &Ctx) -> String {
    ctx.program
        .actions
        .iter()
        .find(|a| a.op == "project_add")
        .and_then(|a| param(a, "review"))
        .unwrap_or("project")
        .to_string()
}

fn find<'a>(ctx: &'a Ctx, id: &str) -> Result<&'a ActionRecord, Refusal> {
    let kind = kind_of(ctx);
    ctx.records
        .iter()
        .find(|r| r.kind == kind && r.reference == id)
        .ok_or_else(|| refuse(codes::UNKNOWN_PROJECT, format!("проекта «{id}» нет")))
}

pub fn add(ctx: &Ctx, _action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "project")?;
    let kind = kind_of(ctx);
    if ctx
        .records
        .iter()
        .any(|r| r.kind == kind && r.reference == id)
    {
        return Err(refuse(
            codes::DUPLICATE_PROJECT,
            format!("проект «{id}» уже добавлен: опубликовать его можно только один раз"),
        ));
    }
    let kopecks = price_kopecks(fields)?.ok_or_else(|| bad_field("price", "нужна цена"))?;
    let complete = fields
        .get("complete")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut rec = ActionRecord {
        key: format!("{}:{}:{kind}:{id}", ctx.program_id, ctx.partner),
        kind: kind.clone(),
        reference: id.to_string(),
        at: ctx.now,
        kopecks: Some(kopecks),
        ..ActionRecord::default()
    };
    rec.data.insert("state".into(), Value::from("added"));
    rec.data.insert("complete".into(), Value::from(complete));
    for k in ["joint_with", "contract_holder"] {
        if let Some(v) = opt_text(fields, k) {
            rec.data.insert(k.into(), Value::from(v));
        }
    }
    let mut next = ctx.standing.clone();
    next.pending.extend(pending(ctx, &kind, id, complete)?);
    Ok(Effects {
        standing: Some(next),
        records: vec![rec],
        ..Effects::default()
    })
}

pub fn publish(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "project")?;
    let rec = find(ctx, id)?;
    if rec.text("state") == Some("published") {
        return Err(refuse(
            codes::DUPLICATE_PROJECT,
            format!("проект «{id}» уже опубликован"),
        ));
    }
    let lid = param(action, "ledger").unwrap_or_default();
    let l = ctx
        .program
        .ledgers
        .iter()
        .find(|l| l.id == lid)
        .ok_or_else(|| bad_field("ledger", &format!("реестра «{lid}» нет в программе")))?;
    let points = points_for(l, rec.kopecks.unwrap_or(0));
    denied(ctx, points)?;
    let c = Credit {
        partner: ctx.partner.to_string(),
        ledger: l.id.clone(),
        entry_kind: param(action, "entry_kind").unwrap_or("project").to_string(),
        points,
        reference: id.to_string(),
    };
    let mut joint = fields.clone();
    for k in ["joint_with", "contract_holder"] {
        if let Some(v) = rec.data.get(k) {
            joint.insert(k.into(), v.clone());
        }
    }
    let mut rec = rec.clone();
    rec.data.insert("state".into(), Value::from("published"));
    let mut next = ctx.standing.clone();
    next.pending
        .retain(|p| !(p.review == rec.kind && p.reference == id));
    let n = notice(
        NotificationKind::ProjectPublished,
        false,
        &[
            ("project", Value::from(id)),
            ("points", Value::from(points)),
        ],
    );
    Ok(Effects {
        standing: Some(next),
        credits: split(ctx, &joint, points, c),
        records: vec![rec],
        notices: vec![n],
        inputs_changed: true,
        ..Effects::default()
    })
}

pub fn give_back(ctx: &Ctx, _action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "project")?;
    let rec = find(ctx, id)?;
    if rec.text("state") == Some("published") {
        return Err(refuse(
            crate::domain::RefusalCode::InvalidState.as_str(),
            format!("проект «{id}» уже опубликован"),
        ));
    }
    let mut rec = rec.clone();
    let note = opt_text(fields, "note").unwrap_or_default();
    rec.data.insert("state".into(), Value::from("returned"));
    rec.data.insert("note".into(), Value::from(note));
    let mut next = ctx.standing.clone();
    next.pending
        .retain(|p| !(p.review == rec.kind && p.reference == id));
    let n = notice(
        NotificationKind::ProjectReturned,
        false,
        &[("project", Value::from(id)), ("note", Value::from(note))],
    );
    Ok(Effects {
        standing: Some(next),
        records: vec![rec],
        notices: vec![n],
        ..Effects::default()
    })
}
