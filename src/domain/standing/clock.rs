//! The standing's side of the exactly-once clock (design §4.3): which due items a change
//! plans, and what each does when it fires. Every item re-checks what it is about when it fires
//! (an evaluation that finds nothing to change changes nothing; a warning for a term that moved
//! on stays silent), so items are only ever added — keyed by kind, program, partner and
//! instant, duplicates collapse — and never have to be withdrawn.
//!
//! "Daily at 00:00" is an evaluation at every 00:00 where an input can have changed: the night
//! after a command or a booking, each entry's expiry, the term's end (S§0, design §4.3).

use super::actions::{notice, Notice};
use super::ladder::{self, ChangeKind};
use super::metrics::Facts;
use super::{HistoryEntry, Standing, StandingState};
use crate::domain::kinds::NotificationKind;
use crate::domain::schedule::{DueItem, DueKind, Subject};
use crate::domain::workflow::{EvaluationMode, Recipients, StandingProgram};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// Evaluations fire after every other effect of their instant (S§0 «Daily runs»).
pub const EVALUATION_RANK: u8 = 9;
/// Partner notices, sanctions and terminations.
pub const NOTICE_RANK: u8 = 1;
/// When a term notice goes out if the file names no time (S§0 «Reminders»: 09:00).
const DEFAULT_NOTICE_TIME: (u32, u32) = (9, 0);

pub fn subject(partner: &str, program: &str) -> Subject {
    Subject::Standing {
        partner: partner.to_string(),
        program: program.to_string(),
    }
}

/// 00:00 local at the start of `d`.
pub fn start_of(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc))
}

/// The first local 00:00 strictly after `at`.
pub fn next_midnight(tz: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let d = at.with_timezone(&tz).date_naive();
    start_of(tz, d.checked_add_days(Days::new(1)).unwrap_or(d))
}

fn item(
    program: &str,
    partner: &str,
    at: DateTime<Utc>,
    rank: u8,
    kind: DueKind,
    tag: &str,
) -> DueItem {
    DueItem {
        key: format!("st:{program}:{partner}:{tag}:{}", at.timestamp_micros()),
        subject: subject(partner, program),
        at,
        rank,
        kind,
    }
}

/// An evaluation of `partner` in `program` at `at`.
pub fn evaluation(program: &str, partner: &str, at: DateTime<Utc>) -> DueItem {
    item(
        program,
        partner,
        at,
        EVALUATION_RANK,
        DueKind::Evaluate,
        "eval",
    )
}

/// What a points entry booked at `booked` and stopping at `expires` plans: the evaluation the
/// night after, and one at the expiry (S§4.4).
pub fn after_booking(
    tz: Tz,
    program: &str,
    partner: &str,
    booked: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Vec<DueItem> {
    let mut out = vec![evaluation(program, partner, next_midnight(tz, booked))];
    if expires < DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1) {
        out.push(evaluation(program, partner, expires));
    }
    out
}

/// The items a standing plans after a change at `now`: the night's evaluation when inputs
/// changed, the term's end and its warning, review dates, vendor reviews, a noticed end.
pub fn plan(
    p: &StandingProgram,
    program: &str,
    s: &Standing,
    now: DateTime<Utc>,
    inputs_changed: bool,
    tz: Tz,
) -> Vec<DueItem> {
    // A decided ladder plans its own items (`ops::decided`): no evaluations, no reviews.
    if p.standing.mode == crate::domain::workflow::StandingMode::DecidedLadder {
        return vec![];
    }
    let partner = s.partner.as_str();
    let mut out = vec![];
    if s.state == StandingState::Active {
        if inputs_changed {
            out.push(evaluation(program, partner, next_midnight(tz, now)));
        }
        out.extend(term_items(p, program, s, now, tz));
        out.extend(super::ops::reviewed::plan(p, program, s, now, tz));
    }
    for r in s.pending.iter().filter(|r| r.timed) {
        let at = start_of(tz, r.due.checked_add_days(Days::new(1)).unwrap_or(r.due));
        let kind = DueKind::VendorReview {
            review: r.review.clone(),
            reference: r.reference.clone(),
            due: r.due,
        };
        let tag = format!("review:{}:{}", r.review, r.reference);
        out.push(item(program, partner, at, NOTICE_RANK, kind, &tag));
    }
    if let Some(at) = s.terminates_at {
        out.push(item(
            program,
            partner,
            at,
            NOTICE_RANK,
            DueKind::TerminationEffective,
            "end",
        ));
    }
    out.retain(|i| i.at > now || (inputs_changed && i.at == now));
    out
}

fn term_items(
    p: &StandingProgram,
    program: &str,
    s: &Standing,
    now: DateTime<Utc>,
    tz: Tz,
) -> Vec<DueItem> {
    let partner = s.partner.as_str();
    let mut out = vec![];
    if let Some(e) = &p.evaluation {
        if e.mode == EvaluationMode::ReviewDates {
            if let Some(at) = ladder::next_review(&e.review_dates, now, tz) {
                out.push(item(
                    program,
                    partner,
                    at,
                    EVALUATION_RANK,
                    DueKind::Review,
                    "review",
                ));
            }
        }
    }
    let Some(until) = s.until else { return out };
    out.push(evaluation(program, partner, until));
    let days = p.notices.expiry_warning_days_before.unwrap_or(0);
    if days > 0 {
        let last = until
            .with_timezone(&tz)
            .date_naive()
            .pred_opt()
            .unwrap_or_default();
        let (h, m) = DEFAULT_NOTICE_TIME;
        let time = p
            .evaluation
            .as_ref()
            .and_then(|e| e.at_risk.as_ref())
            .map_or(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default(), |n| {
                n.at
            });
        let day = last
            .checked_sub_days(Days::new(u64::from(days)))
            .unwrap_or(last);
        let at = tz
            .from_local_datetime(&day.and_time(time))
            .earliest()
            .map_or(until, |t| t.with_timezone(&Utc));
        out.push(item(
            program,
            partner,
            at,
            NOTICE_RANK,
            DueKind::ExpiryWarning { until },
            "warn",
        ));
    }
    out
}

/// What firing an item did.
#[derive(Debug, Default)]
pub struct Fired {
    pub standing: Option<Standing>,
    pub notices: Vec<Notice>,
    pub due: Vec<DueItem>,
}

/// Fires `it` on standing `s` with the partner's `facts`.
pub fn fire(
    p: &StandingProgram,
    program: &str,
    s: &Standing,
    facts: &Facts,
    it: &DueItem,
    tz: Tz,
) -> Fired {
    match &it.kind {
        DueKind::Evaluate | DueKind::Review => run_ladder(p, program, s, facts, it.at, tz),
        DueKind::ExpiryWarning { until } => Fired {
            notices: warning(p, s, facts, *until, tz),
            ..Fired::default()
        },
        DueKind::VendorReview {
            review,
            reference,
            due,
        } => {
            let waiting = s
                .pending
                .iter()
                .any(|r| &r.review == review && &r.reference == reference);
            let n = notice(
                NotificationKind::ReviewDue,
                true,
                &[
                    ("review", Value::from(review.as_str())),
                    ("due", Value::from(due.to_string())),
                ],
            );
            Fired {
                notices: if waiting { vec![n] } else { vec![] },
                ..Fired::default()
            }
        }
        DueKind::TerminationEffective if s.terminates_at == Some(it.at) => {
            let mut next = s.clone();
            let from = next.code.take();
            next.state = StandingState::Terminated;
            next.until = None;
            next.terminates_at = None;
            next.history.push(HistoryEntry {
                at: it.at,
                from: from.clone(),
                change: "terminated".into(),
                ..HistoryEntry::default()
            });
            let from = from.map_or(Value::Null, Value::from);
            Fired {
                standing: Some(next),
                notices: vec![notice(
                    NotificationKind::PartnershipTerminated,
                    true,
                    &[("from", from)],
                )],
                due: vec![],
            }
        }
        _ => Fired::default(),
    }
}

fn nfr(p: &StandingProgram, code: &str) -> u32 {
    p.statuses
        .iter()
        .find(|x| x.code == code)
        .and_then(|x| x.nfr)
        .unwrap_or(0)
}

fn run_ladder(
    p: &StandingProgram,
    program: &str,
    s: &Standing,
    facts: &Facts,
    at: DateTime<Utc>,
    tz: Tz,
) -> Fired {
    let Some(c) = ladder::evaluate(p, facts, s, at, tz) else {
        return Fired::default();
    };
    let mut next = s.clone();
    next.apply(&c);
    // Written at the version read (the store bumps it).
    next.version = s.version;
    let (old, new) = (nfr(p, &c.from), nfr(p, &c.code));
    next.nfr = new;
    let change = c.change.as_str();
    let loss = matches!(c.change, ChangeKind::Lost | ChangeKind::Demoted);
    next.history.push(HistoryEntry {
        at,
        code: Some(c.code.clone()),
        from: Some(c.from.clone()),
        change: change.into(),
        snapshot: c.snapshot.clone(),
        unmet: c.unmet.clone(),
        ..HistoryEntry::default()
    });
    let mut notices = vec![];
    let status = Value::from(c.code.as_str());
    let until = c.until.map_or(Value::Null, |u| Value::from(u.to_rfc3339()));
    if c.change == ChangeKind::Confirmed {
        notices.push(notice(
            NotificationKind::StatusConfirmed,
            false,
            &[("status", status), ("until", until)],
        ));
        if new > 0 {
            notices.push(notice(
                NotificationKind::NfrRenewed,
                false,
                &[("count", Value::from(new))],
            ));
        }
    } else {
        let fields = [
            ("status", status),
            ("from", Value::from(c.from.as_str())),
            ("change", Value::from(change)),
            ("until", until),
        ];
        notices.push(notice(NotificationKind::StatusChanged, loss, &fields));
        if new > old {
            notices.push(notice(
                NotificationKind::NfrIssued,
                false,
                &[("count", Value::from(new - old))],
            ));
        } else if old > new {
            notices.push(notice(
                NotificationKind::NfrRevoked,
                false,
                &[("count", Value::from(old - new))],
            ));
        }
    }
    let due = term_items(p, program, &next, at, tz);
    Fired {
        standing: Some(next),
        notices,
        due,
    }
}

/// `status_expiry_warning` when the term ending at `until` would not be confirmed on the
/// entries booked so far and the staff attached now (S§1.9).
fn warning(
    p: &StandingProgram,
    s: &Standing,
    facts: &Facts,
    until: DateTime<Utc>,
    tz: Tz,
) -> Vec<Notice> {
    if s.state != StandingState::Active || s.until != Some(until) {
        return vec![];
    }
    let Some(status) = p.statuses.iter().find(|x| Some(&x.code) == s.code.as_ref()) else {
        return vec![];
    };
    let values = ladder::snapshot(p, facts, s, until, tz);
    let unmet = ladder::unmet(p, status, &values);
    if unmet.is_empty() {
        return vec![];
    }
    let missing: Vec<Value> = unmet
        .iter()
        .map(|m| {
            let need = status
                .criteria
                .iter()
                .find(|c| &c.metric == m)
                .map(|c| serde_json::to_value(&c.min).unwrap_or(Value::Null));
            serde_json::json!({ "metric": m, "value": values.get(m), "threshold": need })
        })
        .collect();
    vec![notice(
        NotificationKind::StatusExpiryWarning,
        true,
        &[
            ("status", Value::from(status.code.as_str())),
            ("until", Value::from(until.to_rfc3339())),
            ("unmet", Value::from(unmet.clone())),
            ("missing", Value::from(missing)),
        ],
    )]
}

/// Who gets `kind` (with `change`): the file's `[recipients]`, else the partner, and the
/// coordinator too for a loss or a risk (S§0 «Who is told»).
pub fn recipients(p: &StandingProgram, n: &Notice) -> (bool, bool) {
    let change = n
        .data
        .get("change")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let listed = match p.recipients.get(n.kind.as_str()) {
        Some(Recipients::All(v)) => Some(v.clone()),
        Some(Recipients::ByChange(m)) => m.get(change).cloned(),
        None => None,
    };
    match listed {
        Some(v) => (
            v.iter().any(|r| r == "partner"),
            v.iter().any(|r| r == "coordinator"),
        ),
        None if n.kind == NotificationKind::ReviewDue => (false, true),
        None => (true, n.loss),
    }
}
