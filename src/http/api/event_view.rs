//! What the API and the pages show of an event of an item program: its kind and topic, the
//! promotion window and whether the vendor site shows it today, the consequences booked on it,
//! the amounts agreed, and the points and compensation with the bracket row that produced them
//! (before acceptance: what the report as filed would earn; after: the booked result).

use crate::accounts::User;
use crate::domain::deadline::local_date;
use crate::domain::items::brackets::{price, Award, ItemFacts};
use crate::domain::workflow::BracketRow;
use crate::domain::{Program, Seminar};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Clone)]
pub struct DaySpan {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct BracketRowView {
    /// The row's label in the file (`20-30`, `91+`).
    pub label: String,
    pub points: i64,
    /// Share of the documented costs, e.g. `0.5`; absent: no money by this row.
    pub share: Option<String>,
    /// RUB; absent: no cap.
    pub cap: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AwardView {
    /// `true` once the report is accepted (the booked result); `false`: what the report as
    /// filed would earn.
    pub booked: bool,
    pub points: i64,
    /// RUB with two decimals; absent for users who may not see money.
    pub compensation: Option<String>,
    /// Compensation of documented costs (after cap and reductions), RUB.
    pub costs_part: Option<String>,
    /// Template leaflets, outside the cap, RUB.
    pub materials_part: Option<String>,
    /// The bracket row that produced the numbers (bracket-priced kinds only).
    pub bracket: Option<BracketRowView>,
    /// Codes of the reductions that applied, in the file's order.
    pub reductions: Vec<String>,
    /// The same reductions as the file names them (`name`, else the code).
    pub reduction_names: Vec<String>,
    /// The product ledger the points go to (`site`, `b24`).
    pub ledger: String,
    /// Why the award cannot be computed (a kind or topic the file does not price).
    pub note: Option<String>,
    /// The day the points are credited by (booked awards only).
    pub credit_due: Option<NaiveDate>,
    /// A co-organized event's award per organizer (booked awards only, E§4.14).
    pub shares: Vec<ShareView>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ShareView {
    pub partner: String,
    pub points: i64,
    /// RUB; absent for users who may not see money.
    pub compensation: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct EventDetail {
    pub id: String,
    pub program: String,
    pub program_name: String,
    pub partner: String,
    pub kind: String,
    pub kind_name: String,
    pub topic: String,
    pub topic_name: String,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Empty for an online event.
    pub city: String,
    pub online: bool,
    pub state: String,
    pub state_label: String,
    pub materials: String,
    pub co_organizers: Vec<String>,
    pub info_support_requested: bool,
    /// Information support still stands (asked for and not lost to a consequence).
    pub info_support: bool,
    /// The days the event may be shown on the vendor site (D − window … D), for promoted kinds.
    pub promotion_window: Option<DaySpan>,
    /// The days the promotion pool gave it.
    pub promotion: Option<DaySpan>,
    /// Whether the vendor site shows it today.
    pub shown_now: bool,
    /// «показывается на сайте» / «не показывается».
    pub shown_label: String,
    pub held_back_since: Option<NaiveDate>,
    /// Consequence codes booked on the event, first cause first.
    pub consequences: Vec<String>,
    /// The `[[rejections]]` code of a rejected application.
    pub rejection: Option<String>,
    pub rejection_name: Option<String>,
    /// Agreed at approval, RUB; absent for users who may not see money.
    pub agreed_estimate: Option<String>,
    pub agreed_materials: Option<String>,
    pub agreed_compensation: Option<String>,
    /// Points and compensation: booked, or what the filed report would earn; absent before a report.
    pub award: Option<AwardView>,
}

/// What the pricing reads of the item and its report: what acceptance would read, with no
/// coordinator settings yet.
fn facts(s: &Seminar) -> Option<ItemFacts> {
    let r = s.report.as_ref()?;
    Some(crate::domain::items::accept::facts(
        s,
        r,
        Default::default(),
    ))
}

/// The bracket row labelled `label` in the table of the item's kind and topic.
fn bracket_row<'p>(prog: &'p Program, s: &Seminar, label: &str) -> Option<&'p BracketRow> {
    let kind = prog.wf.kinds.iter().find(|k| k.id == s.item.kind)?;
    prog.wf
        .results
        .by_kind
        .brackets
        .iter()
        .filter(|t| t.kinds.contains(&s.item.kind))
        .filter(|t| {
            t.topics
                .as_ref()
                .unwrap_or(&kind.topics)
                .contains(&s.item.topic)
        })
        .flat_map(|t| t.rows.iter())
        .find(|r| r.label == label)
}

fn row_view(r: &BracketRow) -> BracketRowView {
    BracketRowView {
        label: r.label.clone(),
        points: r.points,
        share: r.share.map(|x| x.to_string()),
        cap: r.cap.map(|x| x.to_string()),
    }
}

/// The award acceptance booked: the bracket row, the two parts, the reductions booked as
/// consequences (codes of the file's reductions), the ledger and the credit day.
fn booked_view(prog: &Program, s: &Seminar, money: bool) -> Option<AwardView> {
    let a = s.item.award.as_ref()?;
    let r = s.result.as_ref()?;
    let rub = |k: crate::domain::Kopecks| money.then(|| k.to_string());
    let codes = &prog.wf.results.by_kind.reductions;
    Some(AwardView {
        booked: true,
        points: r.points,
        compensation: rub(r.compensation),
        costs_part: rub(a.costs),
        materials_part: rub(a.materials),
        bracket: a
            .bracket
            .as_deref()
            .and_then(|l| bracket_row(prog, s, l))
            .map(row_view),
        reductions: s
            .item
            .consequences
            .iter()
            .filter(|c| codes.iter().any(|r| r.code == c.code))
            .map(|c| c.code.clone())
            .collect(),
        reduction_names: vec![],
        ledger: a.ledger.clone(),
        note: None,
        credit_due: a.credit_due,
        shares: a
            .shares
            .iter()
            .map(|sh| ShareView {
                partner: sh.partner.clone(),
                points: sh.points,
                compensation: rub(sh.compensation),
            })
            .collect(),
    })
    .map(|v| named(prog, v))
}

/// Fills `reduction_names` from the file.
fn named(prog: &Program, mut v: AwardView) -> AwardView {
    let bk = &prog.wf.results.by_kind;
    v.reduction_names = v
        .reductions
        .iter()
        .map(|code| bk.reduction_name(code).to_string())
        .collect();
    v
}

fn award_view(prog: &Program, s: &Seminar, money: bool) -> Option<AwardView> {
    if let Some(v) = booked_view(prog, s, money) {
        return Some(v);
    }
    let f = facts(s)?;
    let rub = |k: crate::domain::Kopecks| money.then(|| k.to_string());
    let (award, note) = match price(&prog.wf.results.by_kind, &prog.wf.kinds, &f) {
        Ok(a) => (a, None),
        Err(e) => (Award::default(), Some(e.to_string())),
    };
    let bracket = award
        .bracket
        .as_deref()
        .and_then(|l| bracket_row(prog, s, l))
        .map(row_view);
    let (booked, points, compensation) = match &s.result {
        Some(r) => (true, r.points, r.compensation),
        None => (false, award.points, award.compensation),
    };
    Some(AwardView {
        booked,
        points,
        compensation: rub(compensation),
        costs_part: rub(award.parts.costs),
        materials_part: rub(award.parts.materials),
        bracket,
        reductions: award.reductions,
        reduction_names: vec![],
        // The ledger acceptance will book to.
        ledger: s
            .report
            .as_ref()
            .map(|r| crate::domain::items::accept::ledger_of(prog, s, r))
            .unwrap_or_default(),
        note,
        credit_due: None,
        shares: vec![],
    })
    .map(|v| named(prog, v))
}

/// The promotion window of a promoted kind: D − window_days … D.
fn window(prog: &Program, s: &Seminar) -> Option<DaySpan> {
    let p = prog.wf.promotion.as_ref()?;
    p.kinds.contains(&s.item.kind).then(|| DaySpan {
        from: s.date - Duration::days(i64::from(p.window_days)),
        to: s.date,
    })
}

/// The event as the viewer may see it at `now`.
pub fn event_detail(prog: &Program, s: &Seminar, viewer: &User, now: DateTime<Utc>) -> EventDetail {
    let money = viewer.sees_money();
    let rub = |k: Option<crate::domain::Kopecks>| k.filter(|_| money).map(|k| k.to_string());
    let wf = &prog.wf;
    let kind = wf.kinds.iter().find(|k| k.id == s.item.kind);
    let today = local_date(prog.tz, now);
    let promotion = s.item.promotion.map(|p| DaySpan {
        from: p.from,
        to: p.to,
    });
    let shown_now = s
        .item
        .promotion
        .is_some_and(|p| p.from <= today && today <= p.to);
    let rejection_name = s.item.rejection.as_ref().map(|c| {
        wf.rejections
            .iter()
            .find(|r| &r.code == c)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| "заявка не была согласована до дня мероприятия".into())
    });
    EventDetail {
        id: s.id.clone(),
        program: s.program.clone(),
        program_name: wf.name.clone(),
        partner: s.partner.clone(),
        kind: s.item.kind.clone(),
        kind_name: kind.map(|k| k.name.clone()).unwrap_or_default(),
        topic: s.item.topic.clone(),
        topic_name: topic_name(prog, &s.item.topic),
        date: s.date,
        end_date: s.item.end_date,
        city: s.city.clone(),
        online: s.city.is_empty(),
        state: s.state.as_str().to_string(),
        state_label: s.state.label().to_string(),
        materials: s.item.materials.clone(),
        co_organizers: s.item.co_organizers.clone(),
        info_support_requested: s.item.info_support_requested,
        info_support: s.item.info_support(),
        promotion_window: window(prog, s),
        promotion,
        shown_now,
        shown_label: if shown_now {
            "показывается на сайте".into()
        } else {
            "не показывается".into()
        },
        held_back_since: s.item.held_back_since,
        consequences: s.item.consequences.iter().map(|c| c.code.clone()).collect(),
        rejection: s.item.rejection.clone(),
        rejection_name,
        agreed_estimate: rub(s.item.agreed.estimate),
        agreed_materials: rub(s.item.agreed.materials_cost),
        agreed_compensation: rub(s.item.agreed.compensation),
        award: award_view(prog, s, money),
    }
}

/// The topic's name in the file (the id when unknown).
pub fn topic_name(prog: &Program, topic: &str) -> String {
    prog.wf
        .topics
        .iter()
        .find(|t| t.id == topic)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| topic.to_string())
}
