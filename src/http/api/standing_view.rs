//! What a partner program's page and API show about one partner (issue 11 item 5): the status
//! or level held, its term and history, the active points with the date each entry stops
//! counting, and exactly what is missing for the next status and for keeping the current one,
//! read from the file's criteria (`[[statuses]]`) or requirements (`[requirements]`).
//!
//! Everything here reads one partner's rows (`service::standing::read_partner`) and calls the
//! pure metric and ladder functions; nothing is written.

use crate::domain::standing::decided::{self, unmet_requirements};
use crate::domain::standing::ladder;
use crate::domain::standing::metrics::metric;
use crate::domain::standing::outcome::Rules;
use crate::domain::standing::{Standing, StandingState};
use crate::domain::workflow::{MetricType, StandingMode, StandingProgram, Status, Threshold};
use crate::domain::Program;
use crate::service::standing::{read_partner, PartnerRows};
use crate::storage::{DynStore, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One partner's position in one partner program.
#[derive(Serialize, ToSchema, Clone)]
pub struct ProgramStanding {
    pub program: String,
    pub program_name: String,
    /// `auto_ladder` (statuses from criteria) or `decided_ladder` (levels the vendor decides).
    pub mode: String,
    /// `not_admitted`, `admitted`, `applied`, `active`, `renewal_pending`, `expired`, …
    pub state: String,
    /// The state in Russian.
    pub state_label: String,
    /// The status or level held (the file's code), if any.
    pub code: Option<String>,
    /// Its name (the status name of the file, else the code).
    pub name: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// The instant the term ends (exclusive); `None` for the floor or no status.
    pub until: Option<DateTime<Utc>>,
    /// The last local day the status is in force.
    pub last_day: Option<NaiveDate>,
    pub history: Vec<HistoryRow>,
    /// Active points per ledger the program counts.
    pub ledgers: Vec<LedgerView>,
    /// Every metric of the program now.
    pub metrics: BTreeMap<String, i64>,
    /// What the next status or level needs that is not there yet.
    pub next: Option<Goal>,
    /// What must hold at the end of the term (or the next review) to keep the current one.
    pub keep: Option<Goal>,
    /// Why the partner is at risk now (empty: not at risk).
    pub risks: Vec<Risk>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct HistoryRow {
    pub at: DateTime<Utc>,
    /// `granted`, `promoted`, `confirmed`, `lost`, `demoted`, `renewed`, …
    pub change: String,
    pub code: Option<String>,
    pub from: Option<String>,
    /// Criteria that failed (a loss or a demotion).
    pub unmet: Vec<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LedgerView {
    pub ledger: String,
    /// Sum of the entries counting now (penalties included).
    pub active: i64,
    /// The entries counting now, oldest first.
    pub entries: Vec<EntryView>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct EntryView {
    pub booked_at: DateTime<Utc>,
    pub kind: String,
    pub points: i64,
    pub reason: String,
    /// The instant the entry stops counting (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// The last local day it counts.
    pub last_day: Option<NaiveDate>,
}

/// A status or level and what it still lacks.
#[derive(Serialize, ToSchema, Clone)]
pub struct Goal {
    pub code: String,
    pub name: String,
    /// The instant the criteria are read at (now for the next status; the end of the term or
    /// the next review for keeping the current one).
    pub at: DateTime<Utc>,
    pub missing: Vec<Missing>,
}

/// One criterion that fails: the metric, what it needs, what there is and the difference.
#[derive(Serialize, ToSchema, Clone)]
pub struct Missing {
    pub metric: String,
    /// The metric in Russian words.
    pub label: String,
    pub need: i64,
    pub have: i64,
    pub missing: i64,
    /// Money metrics are in kopecks.
    pub money: bool,
    /// In Russian: «ещё 40 (нужно 100, есть 60)».
    pub text: String,
}

/// Why a partner is at risk: `expiring`, `below_threshold` or `renewal_not_requested`.
#[derive(Serialize, ToSchema, Clone)]
pub struct Risk {
    pub reason: String,
    /// The date it is about (the last day in force, the review or the request deadline).
    pub date: NaiveDate,
    /// In Russian.
    pub message: String,
}

/// How long before the end of a term a partner counts as expiring: the file's warning offset,
/// else its at-risk notice, else its renewal reminder, else 30 days (S§0).
fn warning_days(p: &StandingProgram) -> i64 {
    let n = &p.notices;
    n.expiry_warning_days_before
        .or_else(|| {
            p.evaluation
                .as_ref()?
                .at_risk
                .as_ref()
                .map(|a| a.days_before)
        })
        .or_else(|| n.renewal_reminder.as_ref().map(|r| r.days_before_last_day))
        .unwrap_or(30)
        .into()
}

/// Every partner program's view of `partner` at `now`.
///
/// # Errors
/// Store failures.
pub async fn partner_standings<'a>(
    store: &DynStore,
    programs: impl Iterator<Item = &'a Program>,
    partner: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ProgramStanding>, StoreError> {
    let mut out = vec![];
    for prog in programs {
        let Some(p) = prog.wf.standing.as_ref() else {
            continue;
        };
        let rows = read_partner(store, prog, partner).await?;
        let ledgers = ledgers(store, prog, p, partner, now).await?;
        out.push(view(prog, p, &rows, ledgers, now));
    }
    Ok(out)
}

async fn ledgers(
    store: &DynStore,
    prog: &Program,
    p: &StandingProgram,
    partner: &str,
    now: DateTime<Utc>,
) -> Result<Vec<LedgerView>, StoreError> {
    let mut out = vec![];
    for l in &p.ledgers {
        let entries: Vec<EntryView> = store
            .ledger_of(partner, &l.id)
            .await?
            .into_iter()
            .filter(|e| e.booked_at <= now && now < e.expires_at)
            .map(|e| {
                let never = e.expires_at == DateTime::<Utc>::MAX_UTC;
                EntryView {
                    booked_at: e.booked_at,
                    kind: e.kind,
                    points: e.points,
                    reason: e.reason,
                    expires_at: (!never).then_some(e.expires_at),
                    last_day: (!never).then(|| last_day(prog, e.expires_at)),
                }
            })
            .collect();
        out.push(LedgerView {
            ledger: l.id.clone(),
            active: entries.iter().map(|e| e.points).sum(),
            entries,
        });
    }
    Ok(out)
}

/// The last local day before the instant `until` (an exclusive end at 00:00).
pub fn last_day(prog: &Program, until: DateTime<Utc>) -> NaiveDate {
    crate::domain::deadline::last_day_before(prog.tz, until)
}

fn view(
    prog: &Program,
    p: &StandingProgram,
    rows: &PartnerRows,
    ledgers: Vec<LedgerView>,
    now: DateTime<Utc>,
) -> ProgramStanding {
    let s = &rows.standing;
    let metrics = ladder::snapshot(p, &rows.facts, s, now, prog.tz);
    let (next, keep) = match p.standing.mode {
        StandingMode::AutoLadder => auto_goals(prog, p, rows, &metrics, now),
        StandingMode::DecidedLadder => decided_goals(prog, p, rows, now),
    };
    let name = s.code.as_ref().map(|c| p.status_name(c));
    let mut v = ProgramStanding {
        program: prog.wf.id.clone(),
        program_name: prog.wf.name.clone(),
        mode: match p.standing.mode {
            StandingMode::AutoLadder => "auto_ladder",
            StandingMode::DecidedLadder => "decided_ladder",
        }
        .into(),
        state: state_code(s.state).into(),
        state_label: state_label(s.state).into(),
        code: s.code.clone(),
        name,
        since: s.since,
        until: s.until,
        last_day: s.until.map(|u| last_day(prog, u)),
        history: s
            .history
            .iter()
            .map(|h| HistoryRow {
                at: h.at,
                change: h.change.clone(),
                code: h.code.clone(),
                from: h.from.clone(),
                unmet: h.unmet.clone(),
            })
            .collect(),
        ledgers,
        metrics,
        next,
        keep,
        risks: vec![],
    };
    v.risks = risks(prog, p, s, &v, now);
    v
}

/// The next status above the one held (now) and the criteria of the held one at the end of
/// its term or at the next review (on the facts booked so far).
fn auto_goals(
    prog: &Program,
    p: &StandingProgram,
    rows: &PartnerRows,
    now_values: &BTreeMap<String, i64>,
    now: DateTime<Utc>,
) -> (Option<Goal>, Option<Goal>) {
    let s = &rows.standing;
    if matches!(
        s.state,
        StandingState::NotAdmitted | StandingState::Applied | StandingState::Terminated
    ) {
        return (None, None);
    }
    let held = s
        .code
        .as_ref()
        .and_then(|c| p.statuses.iter().position(|st| &st.code == c));
    let next_idx = held.map_or(0, |i| i + 1);
    let next = p
        .statuses
        .get(next_idx)
        .map(|st| goal(p, st, now_values, now));
    let keep = held.and_then(|i| {
        let st = &p.statuses[i];
        if !st.term && s.until.is_none() {
            return None;
        }
        let at = s.until.or_else(|| {
            let ev = p.evaluation.as_ref()?;
            ladder::next_review(&ev.review_dates, now, prog.tz)
        })?;
        let values = ladder::snapshot(p, &rows.facts, s, at, prog.tz);
        Some(goal(p, st, &values, at))
    });
    (next, keep)
}

fn goal(
    p: &StandingProgram,
    st: &Status,
    values: &BTreeMap<String, i64>,
    at: DateTime<Utc>,
) -> Goal {
    let mut missing = vec![];
    let mut cur = Some(st);
    while let Some(x) = cur {
        for c in &x.criteria {
            let money = is_money(p, &c.metric);
            let need = threshold(&c.min, money);
            let have = values.get(&c.metric).copied().unwrap_or(0);
            if have < need && !missing.iter().any(|m: &Missing| m.metric == c.metric) {
                missing.push(missing_row(p, &c.metric, need, have, money));
            }
        }
        cur = x
            .includes
            .as_ref()
            .and_then(|i| p.statuses.iter().find(|y| &y.code == i));
    }
    Goal {
        code: st.code.clone(),
        name: st.name.clone(),
        at,
        missing,
    }
}

fn is_money(p: &StandingProgram, metric: &str) -> bool {
    p.metrics
        .get(metric)
        .and_then(|m| m.metric_type())
        .is_some_and(|t| t.is_money())
}

/// A criterion's minimum in the metric's unit (money in kopecks), as the ladder reads it.
fn threshold(min: &Threshold, money: bool) -> i64 {
    match min {
        Threshold::Count(n) if money => n.saturating_mul(100),
        Threshold::Count(n) => *n,
        Threshold::Money(s) => s
            .parse::<crate::domain::money::Kopecks>()
            .map_or(i64::MAX, |k| k.0),
    }
}

fn missing_row(p: &StandingProgram, metric: &str, need: i64, have: i64, money: bool) -> Missing {
    let show = |n: i64| {
        if money {
            format!("{} ₽", crate::domain::money::Kopecks(n))
        } else {
            n.to_string()
        }
    };
    let lack = need.saturating_sub(have);
    let text = if need == 1 && !money {
        "не выполнено".to_string()
    } else {
        format!(
            "ещё {} (нужно {}, есть {})",
            show(lack),
            show(need),
            show(have)
        )
    };
    Missing {
        metric: metric.to_string(),
        label: metric_label(p, metric),
        need,
        have,
        missing: lack,
        money,
        text,
    }
}

/// A metric in Russian words: its `name` in the file, else words by its type (the file names
/// the ledger, record or flag).
pub fn metric_label(p: &StandingProgram, metric: &str) -> String {
    let Some(def) = p.metrics.get(metric) else {
        return metric.to_string();
    };
    if let Some(name) = &def.name {
        return name.clone();
    }
    let what = |o: &Option<String>| o.clone().unwrap_or_default();
    match def.metric_type() {
        Some(MetricType::LedgerBalance) => format!("активные баллы ({})", what(&def.ledger)),
        Some(MetricType::LedgerEver) => {
            format!("записи «{}» в журнале баллов", what(&def.entry_kind))
        }
        Some(MetricType::LedgerCalendarYear) => {
            format!("баллы за календарный год ({})", what(&def.ledger))
        }
        Some(MetricType::StaffCount) => "сертифицированные сотрудники".into(),
        Some(MetricType::Flag) => format!("отметка «{}»", what(&def.flag)),
        Some(MetricType::FlagsAll) => format!("отметки {}", def.flags.join(", ")),
        Some(MetricType::RecordSumTotal) => format!("сумма «{}»", what(&def.record)),
        Some(MetricType::RecordSumPerQuarter) => {
            format!("сумма «{}» за квартал", what(&def.record))
        }
        Some(MetricType::RecordCountCalendarYear) => {
            format!("число «{}» за год", what(&def.record))
        }
        Some(MetricType::RecordInTerm) => format!("«{}» за срок", what(&def.record)),
        Some(MetricType::StatusAtLeast) => format!("статус не ниже требуемого ({metric})"),
        Some(MetricType::EveryNthRenewal) => format!("условие продления ({metric})"),
        None => metric.to_string(),
    }
}

/// The decided ladder: the level above the one held needs the grant's requirements; keeping
/// the held one needs the renewal's, read over the term so far.
fn decided_goals(
    prog: &Program,
    p: &StandingProgram,
    rows: &PartnerRows,
    now: DateTime<Utc>,
) -> (Option<Goal>, Option<Goal>) {
    let s = &rows.standing;
    let r = Rules {
        p,
        tz: prog.tz,
        cal: &prog.cal,
    };
    let levels = &p.standing.levels;
    let held = s
        .code
        .as_ref()
        .and_then(|c| levels.iter().position(|l| l == c))
        .filter(|_| decided::in_force(s));
    let req_goal = |level: &str, renewal: bool, at: DateTime<Utc>| Goal {
        code: level.to_string(),
        name: level.to_string(),
        at,
        missing: unmet_requirements(r, s, &rows.facts, level, renewal, now)
            .into_iter()
            .map(|m: String| {
                let have = rows_metric(prog, p, rows, &m, now);
                missing_row(p, &m, 1, have, false)
            })
            .collect(),
    };
    let next = levels
        .get(held.map_or(0, |i| i + 1))
        .map(|l| req_goal(l, false, now));
    let keep = held.and_then(|i| s.until.map(|u| req_goal(&levels[i], true, u)));
    (next, keep)
}

fn rows_metric(
    prog: &Program,
    p: &StandingProgram,
    rows: &PartnerRows,
    name: &str,
    now: DateTime<Utc>,
) -> i64 {
    p.metrics.get(name).map_or(0, |def| {
        let today = now.with_timezone(&prog.tz).date_naive();
        metric(&rows.facts, def, now, today, rows.standing.term())
    })
}

fn risks(
    prog: &Program,
    p: &StandingProgram,
    s: &Standing,
    v: &ProgramStanding,
    now: DateTime<Utc>,
) -> Vec<Risk> {
    let mut out = vec![];
    let today = now.with_timezone(&prog.tz).date_naive();
    let in_force = matches!(
        s.state,
        StandingState::Active | StandingState::RenewalPending | StandingState::Admitted
    );
    if !in_force {
        return out;
    }
    if let (Some(until), Some(last)) = (s.until, v.last_day) {
        if until > now && (last - today).num_days() <= warning_days(p) {
            out.push(Risk {
                reason: "expiring".into(),
                date: last,
                message: format!(
                    "«{}» действует по {}",
                    v.name.clone().unwrap_or_default(),
                    crate::text::date(last)
                ),
            });
        }
    }
    if let Some(k) = v.keep.as_ref().filter(|k| !k.missing.is_empty()) {
        let date = last_day(prog, k.at);
        out.push(Risk {
            reason: "below_threshold".into(),
            date,
            message: format!(
                "к концу срока ({}) не хватает: {}",
                crate::text::date(date),
                k.missing
                    .iter()
                    .map(|m| format!("{} — {}", m.label, m.text))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    if p.standing.mode == StandingMode::DecidedLadder
        && s.decision.is_none()
        && s.scheduled.is_none()
    {
        if let Some(until) = s.until.filter(|u| *u > now) {
            let r = Rules {
                p,
                tz: prog.tz,
                cal: &prog.cal,
            };
            let by = decided::request_deadline(r, until);
            if (by - today).num_days() <= warning_days(p) {
                out.push(Risk {
                    reason: "renewal_not_requested".into(),
                    date: by,
                    message: format!(
                        "запрос на продление не отправлен; срок — {}",
                        crate::text::date(by)
                    ),
                });
            }
        }
    }
    out
}

pub fn state_code(s: StandingState) -> &'static str {
    match s {
        StandingState::NotAdmitted => "not_admitted",
        StandingState::Admitted => "admitted",
        StandingState::Applied => "applied",
        StandingState::Active => "active",
        StandingState::RenewalPending => "renewal_pending",
        StandingState::Expired => "expired",
        StandingState::Cancelled => "cancelled",
        StandingState::Suspended => "suspended",
        StandingState::Revoked => "revoked",
        StandingState::Terminated => "terminated",
    }
}

pub fn state_label(s: StandingState) -> &'static str {
    match s {
        StandingState::NotAdmitted => "не принят в программу",
        StandingState::Admitted => "участник программы",
        StandingState::Applied => "заявка на рассмотрении",
        StandingState::Active => "действует",
        StandingState::RenewalPending => "ждёт решения о продлении",
        StandingState::Expired => "срок истёк",
        StandingState::Cancelled => "аннулирован",
        StandingState::Suspended => "приостановлен",
        StandingState::Revoked => "отозван",
        StandingState::Terminated => "партнёрство прекращено",
    }
}
