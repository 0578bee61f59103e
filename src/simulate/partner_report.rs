//! The `--json` report of a partner scenario (S§5.1 output): the item part as always, partners
//! with their `status`, refusals with `partner`, notifications with their optional fields.

use super::partner::PartnerScenario;
use super::{zoned, RefusedStep, SeminarReport};
use crate::domain::standing::ladder;
use crate::domain::standing::metrics::Facts;
use crate::domain::standing::ops::reviewed;
use crate::domain::workflow::MetricType;
use crate::domain::{Program, Recipient};
use crate::service::standing::read_partner;
use crate::service::{Service, ServiceError};
use crate::storage::{OutboxQuery, Page, PartnerQuery};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

/// Notice fields the contract lists (S§5.1), copied from a notification's data when present.
const NOTICE_FIELDS: [&str; 17] = [
    "partner",
    "status",
    "from",
    "change",
    "level",
    "until",
    "due",
    "review",
    "review_at",
    "project",
    "client",
    "count",
    "amount",
    "bonus_points",
    "unmet",
    "cancel_at",
    "codes",
];

/// The report as JSON.
///
/// # Errors
/// Store failures.
pub async fn report(
    service: &Service,
    sc: &PartnerScenario,
    refused: Vec<(RefusedStep, Option<String>)>,
) -> Result<Value, ServiceError> {
    let main = service
        .program(&sc.workflow)
        .ok_or_else(|| ServiceError::UnknownProgram(sc.workflow.clone()))?;
    let tz = main.tz;
    let mut seminars = vec![];
    if let Some(items) = &sc.items {
        let prog = service.program(&items.workflow);
        let ip = prog.map_or(tz, |p| p.tz);
        for s in service.store.seminars(Some(&items.workflow)).await? {
            seminars
                .push(serde_json::to_value(SeminarReport::of(s, ip, prog)).unwrap_or(Value::Null));
        }
    }
    let mut partners = vec![];
    let ids: Vec<String> = sc.partners.iter().map(|(p, _)| p.id.clone()).collect();
    let q = PartnerQuery {
        ids: Some(ids),
        ..PartnerQuery::default()
    };
    let found = service.store.find_partners(&q, sc.until).await?;
    for (p, _) in &sc.partners {
        let rec = found.iter().find(|r| r.partner.id == p.id);
        let flags: Vec<String> = rec.map_or_else(Vec::new, |r| {
            r.partner.flags().into_iter().map(String::from).collect()
        });
        let mut out = json!({
            "id": p.id,
            "points": rec.map_or(0, |r| r.points),
            "bonus": rec.map_or(crate::domain::Kopecks::ZERO, |r| r.bonus).to_string(),
            "flags": flags,
        });
        ladder_fields(service, main, &p.id, sc, &mut out).await?;
        // Every partner program of the run: a competence, and/or a status.
        let others = sc.with_partner.iter().filter_map(|id| service.program(id));
        for prog in std::iter::once(main).chain(others) {
            let competences =
                super::competence_report::competences(&service.store, prog, &p.id, sc.until)
                    .await?;
            if let Some(c) = competences {
                out["competences"] = c;
            } else if out.get("status").is_none() {
                if let Some(status) = status(service, prog, &p.id, sc).await? {
                    out["status"] = status;
                }
            }
        }
        partners.push(out);
    }
    let refused: Vec<Value> = refused
        .into_iter()
        .map(|(r, partner)| {
            let mut v =
                json!({ "step": r.step, "do": r.action, "code": r.code, "message": r.message });
            if let Some(s) = r.seminar {
                v["seminar"] = s.into();
            }
            if let Some(p) = partner {
                v["partner"] = p.into();
            }
            v
        })
        .collect();
    Ok(json!({
        "seminars": seminars,
        "partners": partners,
        "refused": refused,
        "notifications": notifications(service, tz).await?,
    }))
}

/// `partners[].status`: the standing, its metrics of staff and "ever" kinds at `until`, history.
async fn status(
    service: &Service,
    prog: &Program,
    partner: &str,
    sc: &PartnerScenario,
) -> Result<Option<Value>, ServiceError> {
    let Some(p) = prog.wf.standing.as_ref() else {
        return Ok(None);
    };
    let rows = read_partner(&service.store, prog, partner).await?;
    let s = &rows.standing;
    if s.history.is_empty() && s.code.is_none() {
        return Ok(None);
    }
    let facts: &Facts = &rows.facts;
    let values = ladder::snapshot(p, facts, s, sc.until, prog.tz);
    let tz = prog.tz;
    let mut out = json!({
        "program": prog.wf.id,
        "code": s.code,
        "since": s.since.map(|t| zoned(tz, t)),
        "until": s.until.map(|t| zoned(tz, t)),
    });
    for (name, def) in &p.metrics {
        let v = values.get(name).copied().unwrap_or(0);
        match def.metric_type() {
            Some(MetricType::StaffCount) => out[name] = v.into(),
            Some(MetricType::LedgerEver) => out[name] = (v > 0).into(),
            _ => {}
        }
    }
    let history: Vec<Value> = s
        .history
        .iter()
        .map(|h| {
            let mut e = Map::new();
            e.insert("at".into(), zoned(tz, h.at).into());
            e.insert(
                "code".into(),
                h.code.clone().map_or(Value::Null, Value::from),
            );
            if let Some(f) = &h.from {
                e.insert("from".into(), f.clone().into());
            }
            e.insert("change".into(), h.change.clone().into());
            match reviewed::report::history_metrics(p, &h.snapshot) {
                Some(m) => {
                    e.insert("metrics".into(), m);
                }
                None => {
                    for (k, v) in &h.snapshot {
                        e.insert(k.clone(), (*v).into());
                    }
                }
            }
            if !h.unmet.is_empty() {
                e.insert("unmet".into(), h.unmet.clone().into());
            }
            Value::Object(e)
        })
        .collect();
    out["history"] = history.into();
    Ok(Some(out))
}

/// A review-date ladder's `points` (its calendar-year count), `bonus_points` and the flags its
/// records keep (S§5.1, S§5.4).
async fn ladder_fields(
    service: &Service,
    prog: &Program,
    partner: &str,
    sc: &PartnerScenario,
    out: &mut Value,
) -> Result<(), ServiceError> {
    let Some(p) = prog.wf.standing.as_ref() else {
        return Ok(());
    };
    let rows = read_partner(&service.store, prog, partner).await?;
    let (f, s) = (&rows.facts, &rows.standing);
    if let Some(n) = reviewed::report::points(p, f, s, sc.until, prog.tz) {
        out["points"] = n.into();
    }
    if let Some(n) = reviewed::report::bonus_points(p, f, sc.until) {
        out["bonus_points"] = n.into();
    }
    let mut flags: Vec<Value> = out["flags"].as_array().cloned().unwrap_or_default();
    for x in reviewed::report::output_flags(p, f, sc.until) {
        if !flags.contains(&Value::from(x.as_str())) {
            flags.push(x.into());
        }
    }
    out["flags"] = flags.into();
    Ok(())
}

/// Every contract notification by instant, then booking order, with its optional fields.
async fn notifications(service: &Service, tz: Tz) -> Result<Vec<Value>, ServiceError> {
    let q = OutboxQuery {
        page: Page::default(),
        ..OutboxQuery::default()
    };
    let mut rows = service.store.find_outbox(&q).await?;
    rows.retain(|r| r.notification.kind.in_scenario_contract());
    rows.sort_by_key(|r| (r.notification.at, r.id));
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = r.notification;
            let mut v = Map::new();
            v.insert("at".into(), zoned(tz, n.at).into());
            let to = match n.to {
                Recipient::Partner(p) => p,
                Recipient::Coordinator => "coordinator".into(),
            };
            v.insert("to".into(), to.into());
            v.insert("kind".into(), n.kind.as_str().into());
            if !n.seminar.is_empty() {
                v.insert("seminar".into(), n.seminar.into());
                v.insert("stage".into(), n.stage.map_or(Value::Null, Value::from));
            }
            for k in NOTICE_FIELDS {
                if let Some(x) = n.data.get(k).filter(|x| !x.is_null()) {
                    let x = match (k, x.as_str()) {
                        ("until" | "review_at" | "cancel_at", Some(s)) => {
                            chrono::DateTime::parse_from_rfc3339(s).map_or(x.clone(), |t| {
                                zoned(tz, t.with_timezone(&chrono::Utc)).into()
                            })
                        }
                        _ => x.clone(),
                    };
                    v.insert(k.into(), x);
                }
            }
            Value::Object(v)
        })
        .collect())
}
