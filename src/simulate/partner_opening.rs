//! The parts of `[partners.opening]` (S§5.1) a review-date ladder reads beside the standing,
//! matched by the program's metric names: an opening total (`sales_total`, a metric's
//! `opening`), trained employees (`trained_staff`, a `staff_count` metric: that many employees
//! with its courses), a flag (`site_info`, a `flag` metric), and the partner's `country`.

use super::SimulateError;
use crate::domain::standing::actions::ActionRecord;
use crate::domain::standing::ops::reviewed::{facts::flag_record, OPENING_RECORD};
use crate::domain::standing::review_outcome::FlagChange;
use crate::domain::workflow::MetricType;
use crate::domain::Program;
use crate::service::Service;
use crate::storage::{CertificateRow, RecordRow, StaffRow};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a partner opens with besides its standing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpeningRows {
    /// `[[partners]] country` (absent: `RU`).
    pub country: Option<String>,
    /// The opening table's other keys, as given.
    pub values: BTreeMap<String, toml::Value>,
}

/// The opening rows of one `[[partners]]` table.
pub fn parse(partner: &toml::Table, opening: Option<&toml::Table>) -> OpeningRows {
    OpeningRows {
        country: partner
            .get("country")
            .and_then(toml::Value::as_str)
            .map(String::from),
        values: opening.cloned().unwrap_or_default().into_iter().collect(),
    }
}

/// Books `o` for `partner` at `from` (nothing when the program reads none of it).
///
/// # Errors
/// `Failed` on a store failure; `Malformed` for a value of the wrong kind.
pub async fn book(
    service: &Service,
    prog: &Program,
    partner: &str,
    o: &OpeningRows,
    from: DateTime<Utc>,
) -> Result<(), SimulateError> {
    let Some(p) = prog.wf.standing.as_ref() else {
        return Ok(());
    };
    let mut records: Vec<ActionRecord> = vec![];
    let mut staff = vec![];
    let mut certs = vec![];
    let key = |what: &str| format!("st:{}:{partner}:opening:{what}", prog.wf.id);
    let bad = |k: &str, why: &str| {
        SimulateError::Malformed(crate::simulate::scenario::ScenarioError {
            step: None,
            field: format!("partners.opening.{k}"),
            message: why.into(),
            line: None,
        })
    };
    if let Some(c) = &o.country {
        let mut data = BTreeMap::new();
        data.insert("value".to_string(), Value::from(c.as_str()));
        records.push(opening(key("country"), "country", from, None, data));
    }
    for (name, def) in &p.metrics {
        match def.metric_type() {
            Some(t) if def.opening.is_some() => {
                let k = def.opening.clone().unwrap_or_default();
                let Some(v) = o.values.get(&k) else { continue };
                let n = v.as_integer().ok_or_else(|| bad(&k, "нужно целое число"))?;
                let value = if t.is_money() {
                    n.saturating_mul(100)
                } else {
                    n
                };
                records.push(opening(key(&k), &k, from, Some(value), BTreeMap::new()));
            }
            Some(MetricType::Flag) => {
                let (Some(flag), Some(v)) = (def.flag.as_ref(), o.values.get(name)) else {
                    continue;
                };
                if v.as_bool()
                    .ok_or_else(|| bad(name, "нужно true или false"))?
                {
                    let set = FlagChange::Set {
                        flag: flag.clone(),
                        since: from,
                        until: None,
                    };
                    records.push(flag_record(&set, key(&format!("flag:{flag}"))));
                }
            }
            Some(MetricType::StaffCount) => {
                let Some(v) = o.values.get(name) else {
                    continue;
                };
                let n = v
                    .as_integer()
                    .ok_or_else(|| bad(name, "нужно целое число"))?;
                let (s, c) = trained(p, partner, name, &def.courses, n, from);
                staff.extend(s);
                certs.extend(c);
            }
            _ => {}
        }
    }
    if records.is_empty() && staff.is_empty() {
        return Ok(());
    }
    let rows = records
        .into_iter()
        .map(|r| row(&prog.wf.id, partner, r))
        .collect();
    service
        .open_partner_rows(staff, certs, rows)
        .await
        .map_err(|e| SimulateError::Failed(e.to_string()))
}

/// `n` employees `<metric>-1` … of the role without rights (the employee), each with `courses`.
fn trained(
    p: &crate::domain::workflow::StandingProgram,
    partner: &str,
    name: &str,
    courses: &[String],
    n: i64,
    from: DateTime<Utc>,
) -> (Vec<StaffRow>, Vec<CertificateRow>) {
    let role = p
        .roles
        .iter()
        .find(|r| r.rights.is_empty())
        .or(p.roles.first())
        .map_or_else(String::new, |r| r.code.clone());
    let (mut staff, mut certs) = (vec![], vec![]);
    for i in 1..=n.max(0) {
        let id = format!("{name}-{i}");
        staff.push(StaffRow {
            partner: partner.into(),
            staff: id.clone(),
            role: role.clone(),
            attached: from,
            detached: None,
        });
        certs.extend(courses.iter().map(|c| CertificateRow {
            partner: partner.into(),
            staff: id.clone(),
            course: c.clone(),
            at: from,
        }));
    }
    (staff, certs)
}

fn row(program: &str, partner: &str, r: ActionRecord) -> RecordRow {
    RecordRow {
        key: r.key,
        partner: partner.into(),
        program: program.into(),
        kind: r.kind,
        reference: Some(r.reference),
        at: r.at,
        kopecks: r.kopecks,
        qty: None,
        data: serde_json::to_string(&r.data).unwrap_or_default(),
    }
}

fn opening(
    key: String,
    name: &str,
    at: DateTime<Utc>,
    kopecks: Option<i64>,
    data: BTreeMap<String, Value>,
) -> ActionRecord {
    ActionRecord {
        key,
        kind: OPENING_RECORD.into(),
        reference: name.into(),
        at,
        kopecks,
        data,
    }
}
