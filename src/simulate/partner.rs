//! `simulate` for partner programs (S§5.1, S§5.2): a scenario whose `workflow` is a partner
//! program, optionally played `with` an item program (the flagship season) on the same
//! partners and clock, so the seminar points feed the status (S§4). Partner steps go to the
//! partner program's actions; the other steps are parsed by the item scenario parser
//! (`scenario::parse`) from the same file and run as always.

use super::scenario::{self, Scenario, ScenarioError};
use super::{RefusedStep, SimulateError};
use crate::catalog::Catalog;
use crate::domain::standing::actions::Fields;
use crate::domain::standing::{HistoryEntry, Standing, StandingState};
use crate::domain::{Partner, Program};
use crate::service::{Service, ServiceError};
use crate::storage::SqliteStore;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A partner's state before the first step (`[partners.opening]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Opening {
    pub admitted_at: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub status_since: Option<DateTime<Utc>>,
    /// The competence program's opening (`competences`, `kkv_level`, `kkv_since`, …).
    pub competence: super::competence_open::CompetenceOpening,
    /// What a review-date ladder reads beside the standing (`sales_total`, `country`, …).
    pub rows: super::partner_opening::OpeningRows,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartnerStep {
    pub index: usize,
    pub at: DateTime<Utc>,
    pub action: String,
    /// The partner program that defines `action` (empty for an item step).
    pub program: String,
    /// The partner program's step: its partner and fields; `None` for an item step.
    pub partner: Option<(String, Fields)>,
}

/// A parsed partner scenario.
#[derive(Debug, Clone)]
pub struct PartnerScenario {
    pub workflow: String,
    /// When the clock starts and the openings hold (S§5.1 `from`); else the first step's `at`.
    pub from: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub partners: Vec<(Partner, Opening)>,
    pub steps: Vec<PartnerStep>,
    /// The item part (`with`): its scenario, whose steps are the item steps in order.
    pub items: Option<Scenario>,
    /// Other partner programs of the run (`with`), on the same partners and clock.
    pub with_partner: Vec<String>,
}

fn malformed(step: Option<usize>, field: &str, message: impl Into<String>) -> SimulateError {
    SimulateError::Malformed(ScenarioError {
        step,
        field: field.into(),
        message: message.into(),
        line: None,
    })
}

/// Whether `text` names a partner program as its `workflow` (then [`run_text`] runs it).
pub fn is_partner_scenario(cat: &Catalog, text: &str) -> bool {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return false;
    };
    let Some(id) = doc.get("workflow").and_then(toml::Value::as_str) else {
        return false;
    };
    let path = cat.dir.join(format!("{id}.toml"));
    cat.load_file(&path).is_ok_and(|p| p.wf.standing.is_some())
}

fn instant(
    v: Option<&toml::Value>,
    step: Option<usize>,
    field: &str,
) -> Result<Option<DateTime<Utc>>, SimulateError> {
    match v {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .or_else(|| {
                v.as_datetime()
                    .and_then(|d| DateTime::parse_from_rfc3339(&d.to_string()).ok())
            })
            .map(|t| Some(t.with_timezone(&Utc)))
            .ok_or_else(|| malformed(step, field, "нужен момент времени RFC 3339")),
    }
}

fn to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::Datetime(d) => serde_json::Value::from(d.to_string()),
        other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
    }
}

/// Parses a partner scenario; the item part by the item parser.
///
/// # Errors
/// `Malformed` naming the step and field.
pub fn parse(cat: &Catalog, text: &str) -> Result<(PartnerScenario, Vec<Program>), SimulateError> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| malformed(None, "", e.message().to_string()))?;
    let workflow = doc
        .get("workflow")
        .and_then(toml::Value::as_str)
        .unwrap_or_default()
        .to_string();
    let prog = cat
        .load_file(&cat.dir.join(format!("{workflow}.toml")))
        .map_err(|e| malformed(None, "workflow", e.to_string()))?;
    let with: Vec<String> = doc
        .get("with")
        .and_then(toml::Value::as_array)
        .map_or(vec![], |a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        });
    let (partner_with, item_with) = split_with(cat, &prog, &with)?;
    // A step goes to the program of the run that defines its `do` (the main one first).
    let actions: Vec<(String, String)> = std::iter::once(&prog)
        .chain(partner_with.iter())
        .flat_map(|p| {
            let id = p.wf.id.clone();
            p.wf.standing
                .iter()
                .flat_map(|s| s.actions.iter())
                .map(move |a| (a.name.clone(), id.clone()))
        })
        .collect();
    let until = instant(doc.get("until"), None, "until")?
        .ok_or_else(|| malformed(None, "until", "обязательное поле"))?;
    let partners = parse_partners(&doc)?;
    let known: Vec<&str> = partners.iter().map(|(p, _)| p.id.as_str()).collect();
    let (steps, item_steps) = parse_steps(&doc, &actions, &known, item_with.is_some())?;
    if steps.windows(2).any(|w| w[1].at < w[0].at) {
        return Err(malformed(None, "steps", "шаги должны идти по времени"));
    }
    let from = instant(doc.get("from"), None, "from")?;
    if let (Some(f), Some(s)) = (from, steps.first()) {
        if f > s.at {
            return Err(malformed(
                None,
                "from",
                "начало не может быть позже первого шага",
            ));
        }
    }
    let mut programs = vec![prog];
    let with_partner: Vec<String> = partner_with.iter().map(|p| p.wf.id.clone()).collect();
    let items = match item_with.as_ref() {
        None => None,
        Some(id) => {
            let (sc, p) = item_part(cat, &doc, id, item_steps)?;
            programs.push(p);
            Some(sc)
        }
    };
    programs.extend(partner_with);
    Ok((
        PartnerScenario {
            workflow,
            from,
            until,
            partners,
            steps,
            items,
            with_partner,
        },
        programs,
    ))
}

/// The `with` programs: partner programs of the same vendor, and at most one item program.
fn split_with(
    cat: &Catalog,
    main: &Program,
    with: &[String],
) -> Result<(Vec<Program>, Option<String>), SimulateError> {
    let mut partner = vec![];
    let mut item = None;
    for id in with {
        let p = cat
            .load_file(&cat.dir.join(format!("{id}.toml")))
            .map_err(|e| malformed(None, "with", e.to_string()))?;
        if p.wf.standing.is_none() {
            if item.replace(id.clone()).is_some() {
                return Err(malformed(
                    None,
                    "with",
                    "в прогоне может быть не больше одной программы семинаров или мероприятий",
                ));
            }
        } else if p.wf.vendor != main.wf.vendor {
            return Err(malformed(
                None,
                "with",
                format!("«{id}» — программа другого вендора: их нельзя играть вместе"),
            ));
        } else {
            partner.push(p);
        }
    }
    Ok((partner, item))
}

type Steps = (Vec<PartnerStep>, Vec<toml::Value>);

/// The steps: partner steps with their fields, and (with an item program) the raw item steps.
fn parse_steps(
    doc: &toml::Table,
    actions: &[(String, String)],
    known: &[&str],
    with: bool,
) -> Result<Steps, SimulateError> {
    let raw_steps = doc
        .get("steps")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut steps = vec![];
    let mut item_steps = vec![];
    for (i, s) in raw_steps.iter().enumerate() {
        let t = s
            .as_table()
            .ok_or_else(|| malformed(Some(i), "", "шаг должен быть таблицей"))?;
        let at = instant(t.get("at"), Some(i), "at")?
            .ok_or_else(|| malformed(Some(i), "at", "обязательное поле"))?;
        let action = t
            .get("do")
            .and_then(toml::Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some((_, program)) = actions.iter().find(|(a, _)| *a == action) else {
            if !with {
                return Err(malformed(
                    Some(i),
                    "do",
                    format!("неизвестное действие «{action}»"),
                ));
            }
            item_steps.push(s.clone());
            steps.push(PartnerStep {
                index: i,
                at,
                action,
                program: String::new(),
                partner: None,
            });
            continue;
        };
        let partner = t
            .get("partner")
            .and_then(toml::Value::as_str)
            .unwrap_or_default();
        if !known.contains(&partner) {
            return Err(malformed(
                Some(i),
                "partner",
                format!("партнёр «{partner}» не объявлен в [[partners]]"),
            ));
        }
        let fields: Fields = t
            .iter()
            .filter(|(k, _)| !["at", "do", "partner"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), to_json(v)))
            .collect();
        steps.push(PartnerStep {
            index: i,
            at,
            action,
            program: program.clone(),
            partner: Some((partner.to_string(), fields)),
        });
    }
    Ok((steps, item_steps))
}

fn parse_partners(doc: &toml::Table) -> Result<Vec<(Partner, Opening)>, SimulateError> {
    let mut out = vec![];
    for (i, p) in doc
        .get("partners")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = |k: &str| format!("partners[{i}].{k}");
        let t = p
            .as_table()
            .ok_or_else(|| malformed(None, &field(""), "нужна таблица"))?;
        let id = t
            .get("id")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| malformed(None, &field("id"), "обязательное поле"))?;
        let flag = |k: &str| t.get(k).and_then(toml::Value::as_bool).unwrap_or(false);
        let partner = Partner {
            id: id.to_string(),
            name: t
                .get("name")
                .and_then(toml::Value::as_str)
                .unwrap_or(id)
                .to_string(),
            experienced: flag("experienced"),
            barred: flag("barred"),
            late_withdrawal: false,
        };
        let o = t.get("opening").and_then(toml::Value::as_table);
        let rows = super::partner_opening::parse(t, o);
        let opening = match o {
            None => Opening {
                rows,
                ..Opening::default()
            },
            Some(o) => Opening {
                // A MoySklad partner is registered rather than admitted (S§5.1).
                admitted_at: instant(
                    o.get("admitted_at").or(o.get("registered_at")),
                    None,
                    &field("opening.admitted_at"),
                )?,
                rows,
                status: o
                    .get("status")
                    .and_then(toml::Value::as_str)
                    .map(String::from),
                status_since: instant(o.get("status_since"), None, &field("opening.status_since"))?,
                competence: super::competence_open::parse(o, &field("opening"))?,
            },
        };
        out.push((partner, opening));
    }
    Ok(out)
}

/// The item program's part of the file, parsed as an item scenario of its own.
fn item_part(
    cat: &Catalog,
    doc: &toml::Table,
    id: &str,
    steps: Vec<toml::Value>,
) -> Result<(Scenario, Program), SimulateError> {
    let mut t = toml::Table::new();
    t.insert("workflow".into(), toml::Value::from(id));
    if let Some(u) = doc.get("until") {
        t.insert("until".into(), u.clone());
    }
    let partners: Vec<toml::Value> = doc
        .get("partners")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let mut p = p.as_table().cloned().unwrap_or_default();
            p.retain(|k, _| ["id", "name", "experienced", "barred"].contains(&k));
            toml::Value::Table(p)
        })
        .collect();
    t.insert("partners".into(), toml::Value::Array(partners));
    t.insert("steps".into(), toml::Value::Array(steps));
    let text = toml::to_string(&t).map_err(|e| malformed(None, "with", e.to_string()))?;
    let (sc, _) = scenario::parse(&text, |id| cat.program(id).map(|p| p.wf))
        .map_err(SimulateError::Malformed)?;
    let prog = cat
        .program(id)
        .map_err(|e| malformed(None, "with", e.to_string()))?;
    Ok((sc, prog))
}

/// The standing a partner opens with: admitted (the floor, or `status`) at `admitted_at`.
fn opening_standing(prog: &Program, partner: &str, o: &Opening) -> Option<Standing> {
    let p = prog.wf.standing.as_ref()?;
    let at = o.status_since.or(o.admitted_at)?;
    let code = o.status.clone().or_else(|| p.standing.floor.clone())?;
    let mut s = Standing::new(partner, &prog.wf.id);
    s.state = StandingState::Active;
    s.code = Some(code.clone());
    s.since = Some(at);
    let termed = p.statuses.iter().any(|x| x.code == code && x.term);
    if termed {
        let months = p.term.as_ref().map_or(12, |t| t.months);
        s.until = Some(crate::service::standing::expiry(prog, at, months));
    }
    s.history.push(HistoryEntry {
        at,
        code: Some(code),
        change: "granted".into(),
        ..HistoryEntry::default()
    });
    Some(s)
}

/// The scenario's partners with their openings, before the first step.
async fn open_partners(
    service: &Service,
    main: &Program,
    sc: &PartnerScenario,
    save: bool,
) -> Result<(), SimulateError> {
    let fail = |e: &dyn std::fmt::Display| SimulateError::Failed(e.to_string());
    let first = sc
        .from
        .unwrap_or_else(|| sc.steps.first().map_or(sc.until, |s| s.at));
    for (p, o) in &sc.partners {
        let by = crate::service::Audit {
            actor: "scenario",
            at: first,
        };
        if save {
            service.save_partner(by, p).await.map_err(|e| fail(&e))?;
        }
        if super::competence_open::is_decided(main) {
            super::competence_open::open(service, main, &p.id, o, first)
                .await
                .map_err(|e| fail(&e))?;
        } else if let Some(s) = opening_standing(main, &p.id, o) {
            service
                .open_standing(main, s, first)
                .await
                .map_err(|e| fail(&e))?;
        }
        super::partner_opening::book(service, main, &p.id, &o.rows, first).await?;
    }
    Ok(())
}

/// Runs a partner scenario; refusals as the item runner records them (with `partner`).
///
/// # Errors
/// `Failed` on a store or program failure.
pub async fn run(
    sc: &PartnerScenario,
    programs: Vec<Program>,
) -> Result<(Service, Vec<(RefusedStep, Option<String>)>), SimulateError> {
    let fail = |e: &dyn std::fmt::Display| SimulateError::Failed(e.to_string());
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .map_err(|e| fail(&e))?;
    let item_program = programs
        .get(1)
        .filter(|p| p.wf.standing.is_none())
        .map(|p| p.wf.id.clone());
    let partner_programs: Vec<Program> = programs
        .iter()
        .filter(|p| p.wf.standing.is_some())
        .cloned()
        .collect();
    let service = Service::new(Arc::new(store), programs);
    for (i, p) in partner_programs.iter().enumerate() {
        open_partners(&service, p, sc, i == 0).await?;
    }
    let mut refused = vec![];
    let mut item_steps = sc
        .items
        .as_ref()
        .map(|s| s.steps.iter())
        .into_iter()
        .flatten();
    for step in &sc.steps {
        service
            .scheduler
            .tick(step.at)
            .await
            .map_err(|e| fail(&e))?;
        let (result, partner, seminar) = match &step.partner {
            Some((partner, fields)) => (
                service
                    .execute_partner(&step.program, partner, &step.action, fields, step.at)
                    .await
                    .map(|_| ()),
                Some(partner.clone()),
                None,
            ),
            None => {
                let Some(it) = item_steps.next() else {
                    continue;
                };
                let program = item_program.clone().unwrap_or_default();
                let r = service
                    .execute(&program, &it.command, "coordinator", step.at)
                    .await
                    .map(|_| ());
                (r, None, it.command.seminar().map(String::from))
            }
        };
        match result {
            Ok(()) => {}
            Err(ServiceError::Refused(r)) => refused.push((
                RefusedStep {
                    step: step.index,
                    action: step.action.clone(),
                    seminar,
                    code: r.code_str().into(),
                    message: r.message,
                },
                partner,
            )),
            Err(e) => return Err(fail(&format!("шаг {}: {e}", step.index))),
        }
    }
    service
        .scheduler
        .tick(sc.until)
        .await
        .map_err(|e| fail(&e))?;
    Ok((service, refused))
}

/// Parses and runs a partner scenario and returns its JSON report.
///
/// # Errors
/// `Malformed` (exit 2) or `Failed`.
pub async fn run_text(
    cat: &Catalog,
    text: &str,
) -> Result<(Service, serde_json::Value), SimulateError> {
    let (sc, programs) = parse(cat, text)?;
    let (service, refused) = run(&sc, programs).await?;
    let report = super::partner_report::report(&service, &sc, refused)
        .await
        .map_err(|e| SimulateError::Failed(e.to_string()))?;
    Ok((service, report))
}
