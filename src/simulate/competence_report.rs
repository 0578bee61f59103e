//! `partners[].competences[]` of a competence program's report (S§5.1): level, state, term,
//! KKV points, the bonus balance, late obligations and the history.

use super::zoned;
use crate::domain::standing::ops::decided::balance;
use crate::domain::Program;
use crate::service::standing::read_partner;
use crate::service::ServiceError;
use crate::storage::DynStore;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// The competences of `partner` in the decided-ladder program `prog` at `until`; `None` when
/// `prog` is not a decided ladder or the partner never held or asked for it.
///
/// # Errors
/// Store failures.
pub async fn competences(
    store: &DynStore,
    prog: &Program,
    partner: &str,
    until: DateTime<Utc>,
) -> Result<Option<Value>, ServiceError> {
    if !super::competence_open::is_decided(prog) {
        return Ok(None);
    }
    let Some(p) = prog.wf.standing.as_ref() else {
        return Ok(None);
    };
    let rows = read_partner(store, prog, partner).await?;
    let s = &rows.standing;
    if s.history.is_empty() {
        return Ok(Some(json!([])));
    }
    let tz = prog.tz;
    let points: i64 = p.ledgers.first().map_or(0, |l| {
        rows.facts
            .ledger
            .iter()
            .filter(|e| {
                e.ledger == l.id && e.booked <= until && e.expires.is_none_or(|x| until < x)
            })
            .map(|e| e.points)
            .sum()
    });
    let bonus = p
        .bonus_ledgers
        .first()
        .map_or(crate::domain::Kopecks::ZERO, |b| {
            balance(&rows.records, &b.id)
        });
    let overdue: Vec<Value> = s
        .overdue
        .iter()
        .map(|o| {
            json!({
                "kind": o.kind,
                "project": o.project,
                "due": o.due.to_string(),
                "done_at": o.done_at.map(|t| zoned(tz, t)),
            })
        })
        .collect();
    let history: Vec<Value> = s
        .history
        .iter()
        .map(|h| {
            let mut e = Map::new();
            e.insert("at".into(), zoned(tz, h.at).into());
            e.insert("change".into(), h.change.clone().into());
            if let Some(l) = &h.code {
                e.insert("level".into(), l.clone().into());
            }
            if let Some(d) = h.due {
                e.insert("due".into(), d.to_string().into());
            }
            if let Some(a) = h.amount {
                e.insert("amount".into(), a.to_string().into());
            }
            if !h.unmet.is_empty() {
                e.insert("unmet".into(), h.unmet.clone().into());
            }
            Value::Object(e)
        })
        .collect();
    let state = serde_json::to_value(s.state).unwrap_or(Value::Null);
    Ok(Some(json!([{
        "program": prog.wf.id,
        "code": p.standing.code,
        "level": s.code,
        "state": state,
        "since": s.since.map(|t| zoned(tz, t)),
        "until": s.until.map(|t| zoned(tz, t)),
        "kkv_points": points,
        "bonus": bonus.to_string(),
        "overdue": overdue,
        "history": history,
    }])))
}
