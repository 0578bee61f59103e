//! The read model a standing is evaluated on ([`Facts`]) and every metric type of
//! `workflow::MetricType` as a pure function of it: [`metric`]. This is the one place where the
//! 1С-Битрикс and MoySklad ladders differ only by data (docs/design/programs.md §4.1).
//!
//! Units: points and counts as they are; money in kopecks. Dates of records and ledger entries
//! are local dates in the program's deadline zone; instants are UTC.

use crate::domain::workflow::{Metric, MetricType, QuarterRule};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// One entry of a points ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsEntry {
    pub ledger: String,
    pub product: String,
    pub entry_kind: String,
    pub points: i64,
    pub booked: DateTime<Utc>,
    /// Local booking date (calendar-year windows).
    pub date: NaiveDate,
    /// The instant the entry stops counting; `None`: never.
    pub expires: Option<DateTime<Utc>>,
}

/// A dated record of a kind the program declares (a sale, a client, an event, a publication…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record kind the program declares (`sale`, `client`…).
    pub record: String,
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
    /// Money in kopecks (negative for a refund); 0 when the record has no amount.
    pub amount: i64,
    /// The client or event the record is about (for `distinct`).
    pub reference: Option<String>,
    /// Named boolean fields (`approved`), compared with the metric's `filter`.
    pub marks: BTreeMap<String, bool>,
}

/// A partner's employee: attached between `attached` and `detached`, with passed courses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub role: String,
    pub courses: Vec<String>,
    pub attached: DateTime<Utc>,
    pub detached: Option<DateTime<Utc>>,
}

/// A flag that holds from `since` until `until` (exclusive; `None`: still holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSpan {
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// The partner's position in another program, with that program's ladder (low → high).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherStanding {
    pub code: String,
    pub ladder: Vec<String>,
}

/// Everything the metrics of one partner read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub ledger: Vec<PointsEntry>,
    pub records: Vec<Record>,
    pub staff: Vec<StaffMember>,
    pub flags: BTreeMap<String, Vec<FlagSpan>>,
    /// Program id → standing there (for `status_at_least`).
    pub other_standings: BTreeMap<String, OtherStanding>,
    /// Opening values given when the partner was imported (`opening = "sales_total"`).
    pub openings: BTreeMap<String, i64>,
    /// Status code → local date the partner first reached it (for `skip_before`).
    pub reached: BTreeMap<String, NaiveDate>,
}

/// The term the metric is read over (`record_in_term`, `every_nth_renewal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TermWindow {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub renewals: u32,
}

/// The value of `def` for the partner of `facts` at instant `at` (local date `today`).
/// Yes/no metrics are 1 or 0; an unknown type (rejected by `workflow check`) is 0.
pub fn metric(
    facts: &Facts,
    def: &Metric,
    at: DateTime<Utc>,
    today: NaiveDate,
    term: TermWindow,
) -> i64 {
    let Some(t) = def.metric_type() else { return 0 };
    match t {
        MetricType::LedgerBalance => ledger_balance(facts, def, at),
        MetricType::LedgerEver => entries(facts, def)
            .filter(|e| Some(&e.entry_kind) == def.entry_kind.as_ref() && e.booked <= at)
            .count() as i64,
        MetricType::LedgerCalendarYear => best_year(today, |y| {
            entries(facts, def)
                .filter(|e| e.date.year() == y && e.date <= today && e.points > 0)
                .map(|e| e.points)
                .sum()
        }),
        MetricType::StaffCount => staff_count(facts, def, at),
        MetricType::Flag => flag_at(facts, def.flag.as_deref().unwrap_or_default(), at) as i64,
        MetricType::FlagsAll => def.flags.iter().all(|f| flag_at(facts, f, at)) as i64,
        MetricType::RecordSumTotal => {
            let opening = def.opening.as_ref().and_then(|o| facts.openings.get(o));
            opening.copied().unwrap_or(0)
                + records(facts, def, today).map(|r| r.amount).sum::<i64>()
        }
        MetricType::RecordSumPerQuarter => per_quarter(facts, def, today),
        MetricType::RecordCountCalendarYear => {
            best_year(today, |y| count_in_year(facts, def, today, y))
        }
        MetricType::RecordInTerm => record_in_term(facts, def, today, term),
        MetricType::StatusAtLeast => status_at_least(facts, def) as i64,
        MetricType::EveryNthRenewal => {
            let n = def.n.unwrap_or(1).max(1);
            let due = term.renewals.saturating_add(1) % n == 0;
            (!due || flag_at(facts, def.flag.as_deref().unwrap_or_default(), at)) as i64
        }
    }
}

fn entries<'a>(facts: &'a Facts, def: &'a Metric) -> impl Iterator<Item = &'a PointsEntry> + 'a {
    facts.ledger.iter().filter(move |e| {
        Some(&e.ledger) == def.ledger.as_ref()
            && (def.products.is_empty() || def.products.contains(&e.product))
    })
}

/// Active balance: entries booked by `at` and not expired at `at`.
fn ledger_balance(facts: &Facts, def: &Metric, at: DateTime<Utc>) -> i64 {
    entries(facts, def)
        .filter(|e| e.booked <= at && e.expires.is_none_or(|x| at < x))
        .map(|e| e.points)
        .sum()
}

fn staff_count(facts: &Facts, def: &Metric, at: DateTime<Utc>) -> i64 {
    facts
        .staff
        .iter()
        .filter(|s| s.attached <= at && s.detached.is_none_or(|d| at < d))
        .filter(|s| def.roles.is_empty() || def.roles.contains(&s.role))
        .filter(|s| s.courses.iter().any(|c| def.courses.contains(c)))
        .count() as i64
}

/// Whether `flag` holds at `at` by the facts' spans.
pub fn flag_at(facts: &Facts, flag: &str, at: DateTime<Utc>) -> bool {
    facts.flags.get(flag).is_some_and(|spans| {
        spans
            .iter()
            .any(|s| s.since <= at && s.until.is_none_or(|u| at < u))
    })
}

/// Records of the metric's kind dated up to `today` that pass its `filter`.
fn records<'a>(
    facts: &'a Facts,
    def: &'a Metric,
    today: NaiveDate,
) -> impl Iterator<Item = &'a Record> + 'a {
    facts.records.iter().filter(move |r| {
        Some(&r.record) == def.record.as_ref()
            && r.date <= today
            && def.filter.iter().all(|(k, v)| {
                v.as_bool()
                    .is_none_or(|want| r.marks.get(k).copied().unwrap_or(false) == want)
            })
    })
}

/// The better of the last complete calendar year and the current one to date.
fn best_year(today: NaiveDate, value: impl Fn(i32) -> i64) -> i64 {
    value(today.year() - 1).max(value(today.year()))
}

fn count_in_year(facts: &Facts, def: &Metric, today: NaiveDate, year: i32) -> i64 {
    if !def.distinct {
        return records(facts, def, today)
            .filter(|r| r.date.year() == year)
            .count() as i64;
    }
    // Each reference counts once, in the year it was first recorded.
    let mut first: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for r in records(facts, def, today) {
        let key = r.reference.as_deref().unwrap_or_default();
        let d = first.entry(key).or_insert(r.date);
        *d = (*d).min(r.date);
    }
    first.values().filter(|d| d.year() == year).count() as i64
}

/// First day of the quarter containing `d`.
fn quarter_start(d: NaiveDate) -> NaiveDate {
    let m = (d.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(d.year(), m, 1).unwrap_or(d)
}

fn previous_quarter(start: NaiveDate) -> NaiveDate {
    let day_before = start.pred_opt().unwrap_or(start);
    quarter_start(day_before)
}

/// The two complete quarters before `today` (the half-year under review), quarters that ended
/// before the partner reached `skip_before` left out; `each`: the smallest quarter, `average`:
/// the mean. No quarter to count: 0.
fn per_quarter(facts: &Facts, def: &Metric, today: NaiveDate) -> i64 {
    let reached = def.skip_before.as_ref().and_then(|s| facts.reached.get(s));
    let current = quarter_start(today);
    let q2 = previous_quarter(current);
    let q1 = previous_quarter(q2);
    let sums: Vec<i64> = [(q1, q2), (q2, current)]
        .into_iter()
        .filter(|(_, end)| reached.is_none_or(|r| *r < *end))
        .map(|(from, end)| {
            records(facts, def, today)
                .filter(|r| from <= r.date && r.date < end)
                .map(|r| r.amount)
                .sum()
        })
        .collect();
    if sums.is_empty() {
        return 0;
    }
    match def.rule.as_deref().and_then(QuarterRule::parse) {
        Some(QuarterRule::Average) => sums.iter().sum::<i64>() / sums.len() as i64,
        _ => sums.iter().copied().min().unwrap_or(0),
    }
}

/// Records in the current term (from `since` to `today`): at least `min`, or none with `none`.
fn record_in_term(facts: &Facts, def: &Metric, today: NaiveDate, term: TermWindow) -> i64 {
    let n = records(facts, def, today)
        .filter(|r| term.since.is_none_or(|s| s <= r.at))
        .filter(|r| term.until.is_none_or(|u| r.at < u))
        .count() as i64;
    if def.none {
        (n == 0) as i64
    } else {
        (n >= def.min.unwrap_or(1)) as i64
    }
}

fn status_at_least(facts: &Facts, def: &Metric) -> bool {
    let (Some(program), Some(code)) = (&def.program, &def.code) else {
        return false;
    };
    let Some(o) = facts.other_standings.get(program) else {
        return false;
    };
    let rank = |c: &str| o.ladder.iter().position(|x| x == c);
    matches!((rank(&o.code), rank(code)), (Some(held), Some(need)) if held >= need)
}

/// Distinct references of the records a metric counts (for reports showing what counted).
pub fn references<'a>(facts: &'a Facts, def: &'a Metric, today: NaiveDate) -> BTreeSet<&'a str> {
    records(facts, def, today)
        .filter_map(|r| r.reference.as_deref())
        .collect()
}

#[cfg(test)]
mod tests;
