//! How a review-date ladder shows (S§5.1 output, S§5.4): the history's `metrics` (money as
//! roubles, flags as yes/no, the quarters a review read), the partner's flags, its points
//! counted under the annual rule, its bonus-program balance, and what a warning says is missing.

use super::super::super::ladder;
use super::super::super::metrics::Facts;
use super::super::super::review::known_by;
use super::super::super::review_outcome::{flag_at, flags};
use super::super::super::Standing;
use crate::domain::money::Kopecks;
use crate::domain::workflow::{MetricType, StandingProgram};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Snapshot keys of the quarter sums a review read (`quarters.2026-Q1`, kopecks).
pub const QUARTER_PREFIX: &str = "quarters.";

/// A history entry's `metrics` (None: the program does not move at review dates, its history
/// shows the snapshot flat).
pub fn history_metrics(p: &StandingProgram, snapshot: &BTreeMap<String, i64>) -> Option<Value> {
    if !super::review_dates(p) || snapshot.is_empty() {
        return None;
    }
    let mut m = Map::new();
    let mut quarters = Map::new();
    for (k, v) in snapshot {
        if let Some(q) = k.strip_prefix(QUARTER_PREFIX) {
            quarters.insert(q.to_string(), Kopecks(*v).to_string().into());
            continue;
        }
        let ty = p.metrics.get(k).and_then(|d| d.metric_type());
        let shown = match ty {
            Some(MetricType::RecordSumPerQuarter) => continue,
            Some(t) if t.is_money() => Kopecks(*v).to_string().into(),
            Some(MetricType::Flag | MetricType::FlagsAll) => Value::from(*v > 0),
            _ => Value::from(*v),
        };
        m.insert(k.clone(), shown);
    }
    m.insert("quarters".into(), Value::Object(quarters));
    Some(Value::Object(m))
}

/// The flags a partner shows at `at` (S§5.1 `partners[].flags`): the watchers' flags and the
/// engine's `disconnected`, `terminated` — not onboarding steps or the account manager's marks.
pub fn output_flags(p: &StandingProgram, facts: &Facts, at: DateTime<Utc>) -> Vec<String> {
    let mut names: Vec<String> = p.watchers.values().map(|w| w.flag.clone()).collect();
    names.push(flags::DISCONNECTED.into());
    names.push(flags::TERMINATED.into());
    names.retain(|f| flag_at(facts, f, at));
    names.dedup();
    names
}

/// The bonus-program balance (the welcome bonus's ledger) at `at`; None without one.
pub fn bonus_points(p: &StandingProgram, facts: &Facts, at: DateTime<Utc>) -> Option<i64> {
    let ledger = &p.onboarding.as_ref()?.welcome_bonus.as_ref()?.ledger;
    Some(
        facts
            .ledger
            .iter()
            .filter(|e| &e.ledger == ledger && e.booked <= at)
            .filter(|e| e.expires.is_none_or(|x| at < x))
            .map(|e| e.points)
            .sum(),
    )
}

/// The points a review-date ladder reports at `at`: its calendar-year points metric (S§5.1
/// «For MoySklad it is the marketing points counted at `until` under the annual rule»).
pub fn points(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    at: DateTime<Utc>,
    tz: Tz,
) -> Option<i64> {
    if !super::review_dates(p) {
        return None;
    }
    let name = p
        .metrics
        .iter()
        .find(|(_, d)| d.metric_type() == Some(MetricType::LedgerCalendarYear))?
        .0;
    ladder::snapshot(p, facts, s, at, tz).get(name).copied()
}

/// What a warning before the review at `review_at` says is missing: per unmet criterion its
/// value on the facts booked by `now` and the threshold (money in roubles).
pub fn missing(
    p: &StandingProgram,
    facts: &Facts,
    s: &Standing,
    review_at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
    unmet: &[String],
) -> Value {
    let values = ladder::snapshot(p, &known_by(facts, now), s, review_at, tz);
    let need = |m: &str| {
        let mut cur = p.statuses.iter().find(|x| Some(&x.code) == s.code.as_ref());
        while let Some(st) = cur {
            if let Some(c) = st.criteria.iter().find(|c| c.metric == m) {
                return serde_json::to_value(&c.min).unwrap_or(Value::Null);
            }
            cur = st
                .includes
                .as_ref()
                .and_then(|i| p.statuses.iter().find(|x| &x.code == i));
        }
        Value::Null
    };
    let money = |m: &str| {
        p.metrics
            .get(m)
            .and_then(|d| d.metric_type())
            .is_some_and(MetricType::is_money)
    };
    let list: Vec<Value> = unmet
        .iter()
        .map(|m| {
            let v = values.get(m).copied().unwrap_or(0);
            let value = if money(m) {
                Value::from(Kopecks(v).to_string())
            } else {
                Value::from(v)
            };
            json!({ "metric": m, "value": value, "threshold": need(m) })
        })
        .collect();
    Value::from(list)
}
