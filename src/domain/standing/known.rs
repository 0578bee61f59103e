//! Facts the engine keeps about a partner as records of a program (design §4.1 `Facts`):
//! flags set and cleared (`partnership`, another competence such as `competence:sysadmin`)
//! and a constant status of another program (a scenario's `[partners.opening] status` when that
//! program is not in the run). [`apply`] reads them back into the [`Facts`] the requirements
//! and metrics see.

use super::actions::ActionRecord;
use super::metrics::{Facts, FlagSpan, OtherStanding};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// The record kind of a flag set (`data.held = true`) or cleared (`false`); reference = the
/// flag's name plus the instant, `data.flag` = the flag.
pub const FLAG_RECORD: &str = "flag";
/// The record kind of another program's status held as a constant; `data.program`,
/// `data.code`.
pub const STATUS_RECORD: &str = "status";
/// The flag of a partner whose partnership is in force (set from its admission).
pub const PARTNERSHIP_FLAG: &str = "partnership";

/// A flag set or cleared at `at`, as a record of `program` for `partner`.
pub fn flag_record(
    program: &str,
    partner: &str,
    flag: &str,
    at: DateTime<Utc>,
    held: bool,
) -> ActionRecord {
    let key = format!(
        "st:{program}:{partner}:flag:{flag}:{}",
        at.timestamp_micros()
    );
    let mut data = BTreeMap::new();
    data.insert("flag".to_string(), Value::from(flag));
    data.insert("held".to_string(), Value::from(held));
    ActionRecord {
        reference: key.clone(),
        key,
        kind: FLAG_RECORD.to_string(),
        at,
        kopecks: None,
        data,
    }
}

/// The status `code` of `other` (another program) held as a constant since `at`.
pub fn status_record(
    program: &str,
    partner: &str,
    other: &str,
    code: &str,
    at: DateTime<Utc>,
) -> ActionRecord {
    let key = format!("st:{program}:{partner}:status:{other}");
    let mut data = BTreeMap::new();
    data.insert("program".to_string(), Value::from(other));
    data.insert("code".to_string(), Value::from(code));
    ActionRecord {
        reference: key.clone(),
        key,
        kind: STATUS_RECORD.to_string(),
        at,
        kopecks: None,
        data,
    }
}

/// Adds the flags and constant statuses of `records` to `facts`: a flag holds from a record
/// setting it until the next one clearing it; a constant status is used only where no live
/// standing of that program is known (`facts.other_standings` already holds it).
pub fn apply(records: &[ActionRecord], facts: &mut Facts) {
    let mut flags: Vec<&ActionRecord> = records.iter().filter(|r| r.kind == FLAG_RECORD).collect();
    flags.sort_by_key(|r| r.at);
    for r in flags {
        let Some(flag) = r.text("flag") else { continue };
        let held = r.data.get("held").and_then(Value::as_bool).unwrap_or(true);
        // A flag may be set for a time (`data.until`, e.g. a watcher's warning).
        let until = r
            .text("until")
            .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
            .map(|u| u.to_utc());
        let spans = facts.flags.entry(flag.to_string()).or_default();
        let holds_at = |s: &FlagSpan| s.since <= r.at && s.until.is_none_or(|u| r.at < u);
        if held {
            if !spans.iter().any(holds_at) {
                spans.push(FlagSpan { since: r.at, until });
            }
        } else {
            for s in spans.iter_mut().filter(|s| holds_at(s)) {
                s.until = Some(r.at);
            }
        }
    }
    for r in records.iter().filter(|r| r.kind == STATUS_RECORD) {
        let (Some(program), Some(code)) = (r.text("program"), r.text("code")) else {
            continue;
        };
        facts
            .other_standings
            .entry(program.to_string())
            .or_insert_with(|| OtherStanding {
                code: code.to_string(),
                ladder: vec![code.to_string()],
            });
    }
}

/// Whether `flag` holds at `at` by `records`.
pub fn flag_holds(records: &[ActionRecord], flag: &str, at: DateTime<Utc>) -> bool {
    let mut f = Facts::default();
    apply(records, &mut f);
    f.flags.get(flag).is_some_and(|spans| {
        spans
            .iter()
            .any(|s| s.since <= at && s.until.is_none_or(|u| at < u))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_flag_holds_from_its_setting_until_its_clearing_and_a_constant_status_yields_to_a_live_one()
    {
        let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
        let rs = vec![
            flag_record("p", "k", "competence:x", t(5), false),
            flag_record("p", "k", "competence:x", t(1), true),
            flag_record("p", "k", "competence:x", t(3), false),
            status_record("p", "k", "q", "gold", t(1)),
        ];
        assert!(flag_holds(&rs, "competence:x", t(2)));
        assert!(!flag_holds(&rs, "competence:x", t(3)));
        assert!(!flag_holds(&rs, "competence:x", t(6)));
        let mut f = Facts::default();
        apply(&rs, &mut f);
        assert_eq!(f.other_standings["q"].code, "gold");
        let mut live = Facts::default();
        live.other_standings.insert(
            "q".into(),
            OtherStanding {
                code: "business".into(),
                ladder: vec!["business".into()],
            },
        );
        apply(&rs, &mut live);
        assert_eq!(live.other_standings["q"].code, "business");
    }
}
