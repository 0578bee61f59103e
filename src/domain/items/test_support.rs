//! Shared fixtures of the item engine's unit tests: the shipped events program with the `ru`
//! calendar, Moscow instants, partners and items in a given state.

use super::apply::{self, Applicant, ApprovalTerms, ItemApplication};
use crate::domain::calendar::Calendar;
use crate::domain::program::{DomainError, Program};
use crate::domain::seminar::{Decision, Outcome, Partner, Seminar, StageStatus, Version};
use crate::domain::workflow::{parse_normalised, Workflow};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

pub fn events_wf() -> Workflow {
    let text = include_str!("../../../workflows/bitrix-partner-events-2017.toml");
    parse_normalised(text, "bitrix-partner-events-2017")
        .expect("format")
        .expect("shape")
}

pub fn program_of(wf: Workflow) -> Program {
    let cal = Calendar::from_toml(include_str!("../../../workflows/calendars/ru.toml")).unwrap();
    let cals = BTreeMap::from([(cal.id.clone(), cal)]);
    Program::new(wf, &cals).unwrap_or_else(|p| panic!("{p:?}"))
}

pub fn events() -> Program {
    program_of(events_wf())
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// `2017-05-29T10:00` Moscow time.
pub fn msk(s: &str) -> DateTime<Utc> {
    format!("{s}:00+03:00")
        .parse::<DateTime<chrono::FixedOffset>>()
        .unwrap()
        .with_timezone(&Utc)
}

pub fn partner(id: &str) -> Partner {
    Partner {
        id: id.into(),
        name: id.into(),
        experienced: false,
        barred: false,
        late_withdrawal: false,
    }
}

pub fn app(kind: &str, topic: &str, city: &str, date: &str) -> ItemApplication {
    ItemApplication {
        kind: kind.into(),
        topic: Some(topic.into()),
        city: city.into(),
        date: d(date),
        ..ItemApplication::default()
    }
}

pub fn try_apply(
    prog: &Program,
    id: &str,
    a: &ItemApplication,
    at: &str,
) -> Result<Seminar, DomainError> {
    let p = partner("p1");
    let who = Applicant {
        partner: &p,
        support_suspended: false,
    };
    let out = apply::apply(prog, id, who, a, msk(at))?;
    Ok(out.seminars[0].clone())
}

/// The refusal code of applying `a` at `at` (panics when accepted).
pub fn refused(prog: &Program, a: &ItemApplication, at: &str) -> String {
    match try_apply(prog, "x", a, at) {
        Err(DomainError::Refused(r)) => r.code_str().to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Applied at `applied` and approved at `approved` (Moscow).
pub fn approved(
    prog: &Program,
    id: &str,
    a: &ItemApplication,
    applied: &str,
    approved: &str,
) -> Seminar {
    let s = try_apply(prog, id, a, applied).expect("applied");
    let out = apply::approve(
        prog,
        s,
        &ApprovalTerms::default(),
        None,
        "coord",
        msk(approved),
    )
    .expect("approved");
    out.seminars[0].clone()
}

/// Stage `stage` submitted at `at` (and approved then, when `approve`).
pub fn submitted(mut s: Seminar, stage: &str, at: &str, approve: bool) -> Seminar {
    let p = s.stages.get_mut(stage).expect("stage of the kind");
    p.status = if approve {
        StageStatus::Approved
    } else {
        StageStatus::Submitted
    };
    p.versions.push(Version {
        number: p.versions.len() as u32 + 1,
        round: p.round,
        submitted_at: msk(at),
        deadline: d("2017-12-31"),
        days_late: 0,
        files: vec![],
        comment: None,
        estimate: vec![],
        decision: approve.then(|| Decision {
            approved: true,
            at: msk(at),
            by: "coord".into(),
            comment: None,
            due: None,
        }),
    });
    s
}

/// `items` with the seminars of `out` put in place of those with the same id.
pub fn merged(items: &mut [Seminar], out: &Outcome) {
    for n in &out.seminars {
        if let Some(s) = items.iter_mut().find(|s| s.id == n.id) {
            *s = n.clone();
        }
    }
}
