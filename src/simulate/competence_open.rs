//! `[partners.opening]` of a competence program (S§5.1: `competences`, `kkv_level`,
//! `kkv_since`, `kkv_bonus`, `kkv_points`, and `status` held constant when the status program
//! is not in the run): parsed here and booked through `Service::open_partner` before the first
//! step.

use super::partner::Opening;
use super::scenario::ScenarioError;
use super::SimulateError;
use crate::domain::money::Kopecks;
use crate::domain::standing::ops::decided::{opening, OpeningFacts};
use crate::domain::workflow::StandingMode;
use crate::domain::Program;
use crate::service::{Service, ServiceError};
use chrono::{DateTime, Utc};

/// The competence part of a partner's opening.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompetenceOpening {
    pub competences: Vec<String>,
    pub level: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub bonus: Option<Kopecks>,
    pub points: Option<i64>,
}

fn malformed(field: &str, message: &str) -> SimulateError {
    SimulateError::Malformed(ScenarioError {
        step: None,
        field: field.into(),
        message: message.into(),
        line: None,
    })
}

/// Parses the competence keys of an `opening` table (`at` names it in errors).
///
/// # Errors
/// `Malformed` naming the key.
pub fn parse(o: &toml::Table, at: &str) -> Result<CompetenceOpening, SimulateError> {
    let f = |k: &str| format!("{at}.{k}");
    let competences = match o.get("competences") {
        None => vec![],
        Some(v) => v
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|x| x.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| malformed(&f("competences"), "нужен список строк"))?,
    };
    let level = match o.get("kkv_level") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| malformed(&f("kkv_level"), "нужна строка — уровень"))?
                .to_string(),
        ),
    };
    let since = match o.get("kkv_since") {
        None => None,
        Some(v) => {
            let text = v
                .as_str()
                .map(String::from)
                .or_else(|| v.as_datetime().map(|d| d.to_string()));
            let t = text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
            Some(
                t.ok_or_else(|| malformed(&f("kkv_since"), "нужен момент времени RFC 3339"))?
                    .with_timezone(&Utc),
            )
        }
    };
    if level.is_some() != since.is_some() {
        return Err(malformed(
            &f("kkv_level"),
            "kkv_level и kkv_since задаются вместе",
        ));
    }
    let bonus = match o.get("kkv_bonus") {
        None => None,
        Some(v) => {
            let rub = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .filter(|r| (0.0..1e13).contains(r))
                .ok_or_else(|| {
                    malformed(&f("kkv_bonus"), "нужна сумма в рублях, не меньше нуля")
                })?;
            Some(Kopecks((rub * 100.0).round() as i64))
        }
    };
    let points = match o.get("kkv_points") {
        None => None,
        Some(v) => Some(
            v.as_integer()
                .filter(|n| *n >= 0)
                .ok_or_else(|| malformed(&f("kkv_points"), "нужно целое число не меньше нуля"))?,
        ),
    };
    Ok(CompetenceOpening {
        competences,
        level,
        since,
        bonus,
        points,
    })
}

/// Whether `prog` is a decided ladder (a competence).
pub fn is_decided(prog: &Program) -> bool {
    prog.wf
        .standing
        .as_ref()
        .is_some_and(|p| p.standing.mode == StandingMode::DecidedLadder)
}

/// Books the opening of `partner` in the competence program `prog` as of `from`.
///
/// # Errors
/// A refusal (an unknown level) or a store failure.
pub async fn open(
    service: &Service,
    prog: &Program,
    partner: &str,
    o: &Opening,
    from: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some(p) = prog.wf.standing.as_ref() else {
        return Ok(());
    };
    let c = &o.competence;
    let facts = OpeningFacts {
        admitted_at: o.admitted_at,
        status: o.status.clone(),
        competences: c.competences.clone(),
        level: c.level.clone().zip(c.since),
        bonus: c.bonus,
        points: c.points,
    };
    let effects = opening(p, &prog.cal, prog.tz, &prog.wf.id, partner, &facts, from)
        .map_err(ServiceError::Refused)?;
    service
        .open_partner(&prog.wf.id, partner, effects, from)
        .await
}
