//! Scenario steps of item programs (`[events]`, rule book events-000.md Part 2): the fields an
//! event's application, approval, report and acceptance carry, and suspended support.
//! The report fields the reductions read are those the workflow file names
//! (`[results] reductions[].input`), and the evidence those its kinds require
//! (`report_requires`, true unless the step says false).

use super::scenario::{err, Fields, ScenarioError};
use crate::domain::items::accept::Settings;
use crate::domain::items::apply::{ApprovalTerms, ArticleFacts, ItemApplication};
use crate::domain::items::brackets::Input;
use crate::domain::items::details::{Agreed, ItemReport};
use crate::domain::workflow::CityRule;
use crate::domain::{Command, ReportFigures, Workflow};
use std::collections::HashSet;
use toml::Value;

/// The scenario command that submits the report (SCENARIOS.md), whatever the stage is called.
const REPORT: &str = "report";

/// The command of an item program's step, or `None` when the flagship's reading applies.
pub(super) fn item_step(
    f: &mut Fields,
    action: &str,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Option<Command>, ScenarioError> {
    Ok(Some(match action {
        "apply" => apply(f, wf, partners)?,
        "approve_application" => approve(f)?,
        "reject_application" => {
            let seminar = f.string("seminar")?;
            let code = match f.opt_string("code")? {
                Some(c) => c,
                None => wf
                    .rejections
                    .first()
                    .map(|r| r.code.clone())
                    .ok_or_else(|| err(f.step, "code", "в программе нет кодов отказа"))?,
            };
            Command::RejectItem {
                seminar,
                code,
                comment: f.opt_string("comment")?,
            }
        }
        REPORT => report(f, wf)?,
        "accept_report" => Command::AcceptReport {
            seminar: f.string("seminar")?,
            comment: f.opt_string("comment")?,
            settings: Settings {
                points: f.count_opt("points")?.map(i64::from),
                compensation: f.money_opt("compensation")?,
            },
        },
        "suspend_support" | "resume_support" => {
            let partner = partner(f, partners)?;
            let note = f.opt_string("note")?;
            if action == "suspend_support" {
                Command::SuspendSupport { partner, note }
            } else {
                Command::ResumeSupport { partner, note }
            }
        }
        _ => return Ok(None),
    }))
}

fn partner(f: &mut Fields, partners: &HashSet<String>) -> Result<String, ScenarioError> {
    let partner = f.string("partner")?;
    if !partners.contains(&partner) {
        return Err(err(
            f.step,
            "partner",
            format!("партнёр «{partner}» не описан в [[partners]]"),
        ));
    }
    Ok(partner)
}

fn opt_bool(f: &mut Fields, k: &'static str) -> Result<Option<bool>, ScenarioError> {
    match f.get(k) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err(err(f.step, k, "ожидается true или false")),
    }
}

/// `co_organizers = ["p2", …]` of an `apply`: partners of the scenario.
fn co_organizer_ids(
    f: &mut Fields,
    partners: &HashSet<String>,
) -> Result<Vec<String>, ScenarioError> {
    let ids = f.strings("co_organizers")?;
    if let Some(unknown) = ids.iter().find(|p| !partners.contains(*p)) {
        return Err(err(
            f.step,
            "co_organizers",
            format!("партнёр «{unknown}» не описан в [[partners]]"),
        ));
    }
    Ok(ids)
}

/// `apply`: the event's kind, topic, dates, support asked for and amounts applied for.
fn apply(
    f: &mut Fields,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Command, ScenarioError> {
    let partner = partner(f, partners)?;
    let seminar = f.string("seminar")?;
    let kind = f.opt_string("kind")?.unwrap_or_else(|| "seminar".into());
    fits_kind(f, wf, &kind)?;
    let article = article(f)?;
    let item = ItemApplication {
        kind,
        topic: f.opt_string("topic")?,
        city: f.opt_string("city")?.unwrap_or_default(),
        date: f.date("date")?,
        end_date: f.date_opt("end_date")?,
        info_support: opt_bool(f, "info_support")?,
        materials: f.opt_string("materials")?,
        audience: f.opt_string("audience")?,
        repeat_of: f.opt_string("repeat_of")?,
        article,
        estimate: f.money_opt("estimate")?,
        materials_cost: f.money_opt("materials_cost")?,
        co_organizers: co_organizer_ids(f, partners)?,
    };
    Ok(Command::ApplyItem {
        seminar,
        partner,
        item,
    })
}

/// E Part 2 "Input": a field that does not apply to the event's kind is a malformed scenario.
/// What applies is the kind's declaration in the workflow file: `city = "none"` takes no city,
/// only kinds with `end_date = true` take an end date, only kinds with `requirements` take the
/// claim's facts. An unknown kind is left to the engine's refusal.
fn fits_kind(f: &mut Fields, wf: &Workflow, kind: &str) -> Result<(), ScenarioError> {
    let Some(k) = wf.kinds.iter().find(|k| k.id == kind) else {
        return Ok(());
    };
    let step = f.step;
    let not_for = |field: &'static str| {
        err(
            step,
            field,
            format!("поле не относится к мероприятию вида «{kind}»"),
        )
    };
    if k.city == CityRule::None && f.get_named("city").is_some() {
        return Err(not_for("city"));
    }
    if !k.end_date && f.get_named("end_date").is_some() {
        return Err(not_for("end_date"));
    }
    if k.requirements.is_none() {
        for field in [
            "chars",
            "vendor_share",
            "circulation",
            "daily_views",
            "reprint",
        ] {
            if f.get_named(field).is_some() {
                return Err(not_for(field));
            }
        }
    }
    Ok(())
}

/// `costs_by_partner = { p1 = 10000, … }` of a report: each organizer's documented costs.
fn costs_by_partner(
    f: &mut Fields,
) -> Result<std::collections::BTreeMap<String, crate::domain::Kopecks>, ScenarioError> {
    const K: &str = "costs_by_partner";
    let mut out = std::collections::BTreeMap::new();
    let Some(v) = f.get(K) else {
        return Ok(out);
    };
    let Value::Table(t) = v else {
        return Err(err(f.step, K, "ожидается таблица { партнёр = сумма }"));
    };
    for (p, v) in t {
        let amount = match v {
            Value::Integer(n) => crate::domain::Kopecks::try_from_rub(*n).ok(),
            Value::String(s) => s.parse().ok(),
            Value::Float(x) => format!("{x}").parse().ok(),
            _ => None,
        };
        match amount {
            Some(a) if a >= crate::domain::Kopecks::ZERO => {
                out.insert(p.clone(), a);
            }
            _ => return Err(err(f.step, K, format!("{p}: ожидается сумма в рублях"))),
        }
    }
    Ok(out)
}

/// An article's facts, when any is given.
fn article(f: &mut Fields) -> Result<Option<ArticleFacts>, ScenarioError> {
    let chars = f.count_opt("chars")?;
    let share = f.count_opt("vendor_share")?;
    let circulation = f.count_opt("circulation")?;
    let views = f.count_opt("daily_views")?;
    let reprint = opt_bool(f, "reprint")?;
    if chars.is_none() && share.is_none() && circulation.is_none() && views.is_none() {
        return Ok(None);
    }
    Ok(Some(ArticleFacts {
        chars: chars.unwrap_or(0),
        vendor_share_pct: share.unwrap_or(0),
        circulation: circulation.unwrap_or(0),
        daily_views: views.unwrap_or(0),
        reprint: reprint.unwrap_or(false),
    }))
}

/// `approve_application`: the agreed amounts (default: as applied for).
fn approve(f: &mut Fields) -> Result<Command, ScenarioError> {
    let seminar = f.string("seminar")?;
    let terms = ApprovalTerms {
        agreed: Agreed {
            estimate: f.money_opt("estimate")?,
            materials_cost: f.money_opt("materials_cost")?,
            compensation: f.money_opt("compensation")?,
        },
        info_support: opt_bool(f, "info_support")?,
        // The reason the coordinator gives for refusing support.
        code: f.opt_string("code")?,
    };
    Ok(Command::ApproveItem { seminar, terms })
}

/// `report`: the figures, the inputs of the file's reductions and the evidence given.
fn report(f: &mut Fields, wf: &Workflow) -> Result<Command, ScenarioError> {
    let seminar = f.string("seminar")?;
    let Some(stage) = wf.report_stage() else {
        return Err(err(f.step, "do", "в программе нет этапа отчёта"));
    };
    let mut item = ItemReport {
        materials_costs: f.money_opt("materials_costs")?,
        ledger: f.opt_string("ledger")?,
        ..ItemReport::default()
    };
    let third_party_companies = f.count_opt("third_party_companies")?.unwrap_or(0);
    let mut inputs: Vec<&str> = wf
        .results
        .by_kind
        .reductions
        .iter()
        .map(|r| r.input.as_str())
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    for name in inputs.into_iter().filter(|n| *n != "third_party_companies") {
        let input = match f.get_named(name) {
            None => continue,
            Some(Value::Boolean(b)) => Input::Flag(*b),
            Some(Value::Integer(n)) if *n >= 0 && *n <= i64::from(u32::MAX) => {
                Input::Count(*n as u32)
            }
            Some(_) => return Err(err(f.step, name, "ожидается true, false или целое число")),
        };
        item.inputs.insert(name.to_string(), input);
    }
    let mut evidence: Vec<&str> = wf
        .kinds
        .iter()
        .flat_map(|k| k.report_requires.iter().map(String::as_str))
        .collect();
    evidence.sort_unstable();
    evidence.dedup();
    for name in evidence {
        match f.get_named(name) {
            None | Some(Value::Boolean(true)) => item.evidence.push(name.to_string()),
            Some(Value::Boolean(false)) => {}
            Some(_) => return Err(err(f.step, name, "ожидается true или false")),
        }
    }
    item.speakers = f.strings("speakers")?;
    item.costs_by_partner = costs_by_partner(f)?;
    let figures = ReportFigures {
        attendees: f.count("attendees")?,
        registrations: f.count_opt("registrations")?.unwrap_or(0),
        costs: f.money_opt("costs")?.unwrap_or_default(),
        third_party_companies,
        estimate: f.money_opt("estimate")?,
        co_organizers: vec![],
        vendor_talks_by: None,
        item,
    };
    Ok(Command::Submit {
        seminar,
        stage: stage.id.clone(),
        report: Some(figures),
        estimate: vec![],
        files: f.strings("links")?,
        comment: f.opt_string("comment")?,
    })
}
