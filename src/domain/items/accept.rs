//! Accepting an item's report (E§4.6–4.15): the evidence its kind requires, the price by kind
//! ([`super::brackets::price`]), the reductions booked as consequences with their points and
//! factor, the product ledger the points count for, and the day they are credited by.

use super::acceptance::{credit_due, missing_report_fields};
use super::brackets::{self, price, Award, Input, ItemFacts, PriceError};
use super::details::{Consequence, ItemAward};
use super::shares::Share;
use crate::domain::money::{Factor, Kopecks};
use crate::domain::penalties::expiry;
use crate::domain::program::{refuse, refuse_by_rule, DomainError, Program, RefusalCode};
use crate::domain::seminar::{
    BonusEntry, Outcome, PointsEntry, ReportFigures, Seminar, SeminarResult,
};
use crate::domain::workflow::{ByKind, Effect, PARTNER_CHOICE};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the coordinator sets at acceptance (ranges, overrides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compensation: Option<Kopecks>,
}

/// The report field that carries the third-party companies of the flagship's figures.
pub const THIRD_PARTY: &str = "third_party_companies";

/// Prices accepted item `s` from its report `r`, books the reductions on it, and credits the
/// points (to the item's product ledger) and the compensation.
///
/// # Errors
/// The evidence the kind requires is missing (the file's `report_incomplete`, else
/// `invalid_state`), the program's refusal of the (kind, topic), points outside a range (the
/// file's `points_out_of_range`, else `invalid_input`).
pub fn accept(
    prog: &Program,
    s: &mut Seminar,
    r: &ReportFigures,
    set: Settings,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<SeminarResult, DomainError> {
    let wf = &prog.wf;
    let bk = &wf.results.by_kind;
    if let Some(kind) = wf.kinds.iter().find(|k| k.id == s.item.kind) {
        let given: Vec<&str> = r.item.evidence.iter().map(String::as_str).collect();
        let missing = missing_report_fields(kind, &given);
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|m| format!("«{}»", wf.evidence_label(m)))
                .collect();
            let msg = format!("в отчёте не хватает: {}", names.join(", "));
            return match &bk.report_incomplete {
                Some(code) => refuse_by_rule(code, msg),
                None => refuse(RefusalCode::InvalidState, msg),
            };
        }
    }
    let facts = facts(s, r, set);
    let award = price(bk, &wf.kinds, &facts).or_else(|e| match e {
        PriceError::NotRewarded { ref code, .. } => refuse_by_rule(code, e.to_string()),
        PriceError::PointsOutOfRange { .. } => match &bk.points_out_of_range {
            Some(code) => refuse_by_rule(code, e.to_string()),
            None => refuse(RefusalCode::InvalidInput, e.to_string()),
        },
        other => Err(DomainError::Program(other.to_string())),
    })?;
    let booked = [
        violations(s, now),
        reductions(bk, &facts, &award, now),
        estimate_missing(&award, now),
    ];
    s.item.consequences.extend(booked.into_iter().flatten());
    let ledger = ledger_of(prog, s, r);
    let shares = super::shares::split(
        &s.partner,
        &s.item.co_organizers,
        &r.item,
        award.points,
        award.compensation,
    );
    s.item.award = Some(ItemAward {
        bracket: award.bracket.clone(),
        costs: award.parts.costs,
        materials: award.parts.materials,
        ledger: ledger.clone(),
        credit_due: credit_due(
            &prog.cal,
            prog.tz,
            now,
            wf.results.credit_within_working_days,
        )
        .ok(),
        shares: shares.clone(),
    });
    if shares.is_empty() {
        let whole = Share {
            partner: s.partner.clone(),
            points: award.points,
            compensation: award.compensation,
        };
        credit(prog, s, &whole, "", &ledger, now, out);
    }
    for sh in &shares {
        credit(prog, s, sh, &format!(":{}", sh.partner), &ledger, now, out);
    }
    Ok(SeminarResult {
        points: award.points,
        compensation: award.compensation,
        reasons: reasons(bk, &award),
        money_reasons: vec![],
    })
}

/// The pricing facts of `s` and its report (also the award preview of the event page).
pub fn facts(s: &Seminar, r: &ReportFigures, set: Settings) -> ItemFacts {
    let mut inputs = r.item.inputs.clone();
    inputs
        .entry(THIRD_PARTY.into())
        .or_insert(Input::Count(r.third_party_companies));
    let mut effects: Vec<Effect> = s
        .item
        .consequences
        .iter()
        .flat_map(|c| c.effects.iter().copied())
        .collect();
    effects.extend(s.penalties.iter().flat_map(|p| p.effects.iter().copied()));
    let agreed = &s.item.agreed;
    ItemFacts {
        kind: s.item.kind.clone(),
        topic: s.item.topic.clone(),
        attendees: r.attendees,
        agreed: agreed.compensation.or(r.estimate).or(agreed.estimate),
        agreed_individually: agreed.compensation,
        documented: r.costs,
        voided: s.voided,
        materials_agreed: agreed.materials_cost,
        materials_documented: r.item.materials_costs.unwrap_or(Kopecks::ZERO),
        inputs,
        effects,
        points: set.points,
        compensation: set.compensation,
        violation_points: s.item.breach_points,
        violation_factor: super::breach::factor(&s.item.breach_percents),
    }
}

/// The reductions that applied, as consequences: the points each took (a once-group counts
/// once; a range shortfall takes the range's step) and the factor it put on money.
fn reductions(bk: &ByKind, f: &ItemFacts, award: &Award, now: DateTime<Utc>) -> Vec<Consequence> {
    let mut groups = std::collections::BTreeSet::new();
    let range = bk.range.get(&f.kind);
    brackets::fired(bk, f)
        .into_iter()
        .filter(|(r, _)| award.reductions.contains(&r.code))
        .map(|(r, units)| {
            let points = if r.shortfall {
                range
                    .filter(|g| g.shortfalls.contains(&r.code))
                    .and_then(|g| g.step)
                    .map(|step| -step)
            } else if r
                .once_group
                .as_ref()
                .is_none_or(|g| groups.insert(g.clone()))
            {
                Some(r.points).filter(|p| *p != 0)
            } else {
                None
            };
            let factor = r
                .factor_per_unit
                .map(|x| x.one_minus_times(i64::from(units)))
                .filter(|x| !x.is_one());
            let mut effects = Vec::new();
            if points.is_some() || factor.is_some() {
                effects.push(Effect::Reduced);
            }
            effects.extend(r.effects.iter().copied());
            let mut c = Consequence::new(&r.code, effects, now);
            c.points = points;
            c.factor = factor.map(two_decimals);
            c
        })
        .collect()
}

/// The manual violations recorded on `s`, booked as consequences at acceptance with their
/// effect (E§4.17: «a manual code — at acceptance — its effect»). A voided cost shows as
/// `cost_voided` with its amount; a parametrised violation as `reduced`, the first one carrying
/// the points and money factor of all of them.
fn violations(s: &Seminar, now: DateTime<Utc>) -> Vec<Consequence> {
    let mut numbers = Some((
        Some(s.item.breach_points).filter(|p| *p < 0),
        super::breach::factor(&s.item.breach_percents).map(two_decimals),
    ));
    s.penalties
        .iter()
        .filter(|p| p.manual)
        .map(|p| {
            let mut effects: Vec<Effect> = p
                .effects
                .iter()
                .map(|e| match e {
                    Effect::VoidItemCost => Effect::CostVoided,
                    other => *other,
                })
                .collect();
            let mut c = Consequence::new(&p.code, vec![], now);
            if effects.is_empty() {
                effects.push(Effect::Reduced);
                if let Some((points, factor)) = numbers.take() {
                    (c.points, c.factor) = (points, factor);
                }
            }
            c.effects = effects;
            c.amount = p.amount;
            c
        })
        .collect()
}

/// `no_agreed_estimate` (the file's `estimate_missing`), when compensation was claimed without
/// an agreed estimate: the costs part is 0.
fn estimate_missing(award: &Award, now: DateTime<Utc>) -> Vec<Consequence> {
    award
        .estimate_missing
        .iter()
        .map(|code| Consequence::new(code, vec![Effect::Reduced], now))
        .collect()
}

/// `0.70`
pub fn two_decimals(f: Factor) -> String {
    let hundredths = (i128::from(f.num) * 100 + i128::from(f.den) / 2) / i128::from(f.den.max(1));
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The product the item's points count for: its topic's ledger, or the partner's choice in
/// the report for a `partner_choice` topic (its default when none is given).
pub fn ledger_of(prog: &Program, s: &Seminar, r: &ReportFigures) -> String {
    let wf = &prog.wf;
    match wf.topics.iter().find(|t| t.id == s.item.topic) {
        Some(t) if t.ledger == PARTNER_CHOICE => r
            .item
            .ledger
            .clone()
            .or_else(|| t.default_ledger.clone())
            .unwrap_or_else(|| wf.ledgers.product.clone()),
        Some(t) => t.ledger.clone(),
        None => wf.ledgers.product.clone(),
    }
}

/// Books one organizer's points to `ledger` and its compensation, as the flagship does; `key`
/// tells a co-organizer's entries apart (empty for the whole award).
fn credit(
    prog: &Program,
    s: &Seminar,
    award: &Share,
    key: &str,
    ledger: &str,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    if award.points != 0 {
        out.points.push(PointsEntry {
            key: format!("points:{}:organizer{key}", s.id),
            partner: award.partner.clone(),
            seminar: s.id.clone(),
            points: award.points,
            reason: "organizer".into(),
            booked_at: now,
            expires_at: expiry(prog, now, prog.wf.ledgers.points_valid_months),
            product: ledger.to_string(),
            program: prog.id().to_string(),
            ..PointsEntry::default()
        });
    }
    if award.compensation.0 > 0 {
        out.bonus.push(BonusEntry {
            key: format!("bonus:{}:compensation{key}", s.id),
            partner: award.partner.clone(),
            seminar: s.id.clone(),
            amount: award.compensation,
            booked_at: now,
            expires_at: expiry(prog, now, prog.wf.ledgers.bonus_valid_months),
        });
    }
}

/// Why the numbers are what they are, in Russian.
fn reasons(bk: &ByKind, award: &Award) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(b) = &award.bracket {
        v.push(format!("строка таблицы по числу слушателей: {b}"));
    }
    for code in &award.reductions {
        v.push(format!("применено уменьшение: {}", bk.reduction_name(code)));
    }
    if award.estimate_missing.is_some() {
        v.push("расходы не компенсируются: смета не была согласована".to_string());
    }
    v
}
