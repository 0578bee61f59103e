//! What the review-date ladder keeps beside the standing, as partner records (the store's
//! `records` table, both backends), and how the read model is rebuilt from them: flags set and
//! cleared (kind [`FLAG_RECORD`], `data.flag`), a partner's opening values and country
//! (kind [`OPENING_RECORD`], reference = the name), and the date each status was first reached
//! (from the standing's history, for `skip_before`).

use super::super::super::actions::ActionRecord;
use super::super::super::metrics::Facts;
use super::super::super::review_outcome::{local_date, FlagChange};
use super::super::super::Standing;
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::BTreeMap;

/// One encoding of flag records for every program (`standing::known`).
pub use crate::domain::standing::known::FLAG_RECORD;
/// The record kind of an opening value (`sales_total` in kopecks, `country` in `data.value`).
pub const OPENING_RECORD: &str = "opening";
/// The country a partner has unless its opening names one (S§5.1 `[[partners]] country`).
const DEFAULT_COUNTRY: &str = "RU";

/// A flag change as a record to keep.
pub fn flag_record(f: &FlagChange, key: String) -> ActionRecord {
    let (flag, at, set, until) = match f {
        FlagChange::Set { flag, since, until } => (flag, *since, true, *until),
        FlagChange::Clear { flag, at } => (flag, *at, false, None),
    };
    let mut data = BTreeMap::new();
    data.insert("flag".to_string(), Value::from(flag.as_str()));
    // The one encoding of flag records (`standing::known` reads them for every program).
    data.insert("held".to_string(), Value::from(set));
    if let Some(u) = until {
        data.insert("until".to_string(), Value::from(u.to_rfc3339()));
    }
    ActionRecord {
        reference: key.clone(),
        key,
        kind: FLAG_RECORD.into(),
        at,
        kopecks: None,
        data,
    }
}

/// The read model completed from the kept records and the standing: flags, openings, the
/// dates statuses were reached; the bookkeeping records are no facts of the metrics.
pub fn enrich(facts: &mut Facts, s: &Standing, records: &[ActionRecord], tz: Tz) {
    // Flags are read by `standing::known::apply`, which the service runs before this.
    for r in records.iter().filter(|r| r.kind == OPENING_RECORD) {
        if let Some(k) = r.kopecks {
            facts.openings.insert(r.reference.clone(), k);
        }
    }
    for h in &s.history {
        if let Some(code) = &h.code {
            let d = local_date(h.at, tz);
            let e = facts.reached.entry(code.clone()).or_insert(d);
            *e = (*e).min(d);
        }
    }
    facts
        .records
        .retain(|r| r.record != FLAG_RECORD && r.record != OPENING_RECORD);
}

/// The partner's country (its opening record), `RU` by default.
pub fn country(records: &[ActionRecord]) -> String {
    records
        .iter()
        .find(|r| r.kind == OPENING_RECORD && r.reference == "country")
        .and_then(|r| r.text("value"))
        .unwrap_or(DEFAULT_COUNTRY)
        .to_string()
}
