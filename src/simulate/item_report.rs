//! The output keys of item programs (rule book events-000.md Part 2 "Output"): per event its
//! kind, topic, ledger, bracket, promotion span, consequences, rejection, compensation parts and
//! credit day; per partner the points by product ledger, suspended support and the
//! low-attendance streak; the `codes` of a notification. None of it appears for the flagship.

use super::zoned;
use crate::domain::items::details::Consequence;
use crate::domain::workflow::Effect;
use crate::domain::{Notification, NotificationKind, Program, Seminar, SeminarState};
use crate::service::ServiceError;
use crate::storage::DynStore;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize, PartialEq)]
pub struct ItemOut {
    pub kind: String,
    pub topic: String,
    pub ledger: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    pub bracket: Option<String>,
    pub promotion: Option<SpanOut>,
    pub consequences: Vec<ConsequenceOut>,
    pub rejection: Option<String>,
    pub compensation_parts: PartsOut,
    pub credit_due: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<ShareOut>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ShareOut {
    pub partner: String,
    pub points: i64,
    pub compensation: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SpanOut {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PartsOut {
    pub costs: String,
    pub materials: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ConsequenceOut {
    pub code: String,
    pub effects: Vec<Effect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub at: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PartnerItemOut {
    pub points_by_ledger: BTreeMap<String, i64>,
    pub support_suspended: bool,
    pub low_attendance_streak: u32,
}

/// The item keys of `s`, for an item of a rolling program.
pub fn item_out(prog: Option<&Program>, s: &Seminar, tz: Tz) -> Option<ItemOut> {
    let prog = prog.filter(|p| p.wf.events.is_some())?;
    if s.item.is_flagship() {
        return None;
    }
    let award = s.item.award.as_ref();
    let ledger = match award {
        Some(a) => a.ledger.clone(),
        None => {
            let empty = crate::domain::ReportFigures::default();
            crate::domain::items::accept::ledger_of(prog, s, s.report.as_ref().unwrap_or(&empty))
        }
    };
    Some(ItemOut {
        kind: s.item.kind.clone(),
        topic: s.item.topic.clone(),
        ledger,
        end_date: s.item.end_date.map(|d| d.to_string()),
        bracket: award.and_then(|a| a.bracket.clone()),
        promotion: s.item.promotion.map(|p| SpanOut {
            from: p.from.to_string(),
            to: p.to.to_string(),
        }),
        consequences: s
            .item
            .consequences
            .iter()
            .map(|c| consequence(c, tz))
            .collect(),
        rejection: s.item.rejection.clone(),
        compensation_parts: PartsOut {
            costs: award.map(|a| a.costs).unwrap_or_default().to_string(),
            materials: award.map(|a| a.materials).unwrap_or_default().to_string(),
        },
        credit_due: award.and_then(|a| a.credit_due).map(|d| d.to_string()),
        shares: award
            .map(|a| {
                a.shares
                    .iter()
                    .map(|s| ShareOut {
                        partner: s.partner.clone(),
                        points: s.points,
                        compensation: s.compensation.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn consequence(c: &Consequence, tz: Tz) -> ConsequenceOut {
    ConsequenceOut {
        code: c.code.clone(),
        effects: c.effects.clone(),
        points: c.points,
        factor: c.factor.clone(),
        amount: c.amount.map(|a| a.to_string()),
        from: c.from.map(|d| d.to_string()),
        at: zoned(tz, c.at),
    }
}

/// The partner keys of an item program.
pub async fn partner_out(
    store: &DynStore,
    prog: Option<&Program>,
    partner: &str,
    until: DateTime<Utc>,
) -> Result<Option<PartnerItemOut>, ServiceError> {
    let Some(prog) = prog.filter(|p| p.wf.events.is_some()) else {
        return Ok(None);
    };
    let mut points_by_ledger: BTreeMap<String, i64> = BTreeMap::new();
    for e in store.points_entries(partner).await? {
        if e.ledger == crate::domain::seminar::POINTS_LEDGER
            && e.booked_at <= until
            && e.expires_at > until
        {
            *points_by_ledger.entry(e.product).or_default() += e.points;
        }
    }
    points_by_ledger.retain(|_, v| *v != 0);
    let items = crate::service::items::partner_items(store, prog.id(), partner).await?;
    Ok(Some(PartnerItemOut {
        points_by_ledger,
        support_suspended: store.support_suspended(partner).await?,
        low_attendance_streak: streak(prog, items),
    }))
}

/// The accepted items of the counted kinds below the minimum at the end of the partner's run,
/// by item date.
fn streak(prog: &Program, mut items: Vec<Seminar>) -> u32 {
    let Some(rule) = prog.wf.partner_rules.low_attendance.as_ref() else {
        return 0;
    };
    items.retain(|s| {
        s.state == SeminarState::Closed && rule.kinds.contains(&s.item.kind) && s.report.is_some()
    });
    items.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    items
        .iter()
        .rev()
        .take_while(|s| s.report.as_ref().is_some_and(|r| r.attendees < rule.below))
        .count() as u32
}

/// The codes a notification of an item program carries: its `codes`, or a penalty's code.
pub fn codes(n: &Notification) -> Option<Vec<String>> {
    let listed: Vec<String> = n
        .data
        .get("codes")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return Some(listed);
    }
    if n.kind == NotificationKind::PenaltyApplied {
        return n
            .data
            .get("code")
            .and_then(|c| c.as_str())
            .map(|c| vec![c.to_string()]);
    }
    None
}
