//! Points and compensation of one item under `[results] model = "by_kind"` (E§4.7–4.13,
//! docs/design/programs.md §3.2): the bracket row for the attendance, a range or fixed points,
//! the compensation mode, then the reductions in file order, the floor, and the materials part.
//!
//! ```text
//! base         = min(agreed, documented − voided)          (no agreed estimate: costs part 0)
//! costs part   = min(share × base, cap) × reduction factors (factors after the cap)
//! materials    = share × min(agreed, documented), outside the cap, factors only if they apply
//! compensation = costs part + materials, or 0 when an effect takes it away
//! ```
//!
//! Pure: the workflow's tables and the item's facts in, an [`Award`] or a [`PriceError`] out.

use crate::domain::money::{Factor, Kopecks};
use crate::domain::workflow::{
    BracketRow, BracketTable, ByKind, CompensationMode, Effect, Kind, OverrideField, Reduction,
};
use std::collections::{BTreeMap, BTreeSet};

/// A report field a reduction reads: a count (companies, vendors) or a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Input {
    Count(u32),
    Flag(bool),
}

/// What the item brings to pricing: its kind and topic, the report's figures, the amounts agreed
/// at approval and documented in the report, and what the coordinator set at acceptance.
#[derive(Debug, Clone, Default)]
pub struct ItemFacts {
    pub kind: String,
    pub topic: String,
    /// Listeners in fact (not registrations).
    pub attendees: u32,
    /// Compensable costs agreed at approval (or the individually agreed amount).
    pub agreed: Option<Kopecks>,
    /// The amount agreed individually at approval: the only base of `compensation = "agreed"`
    /// (breakfasts, talks, other activity: with nothing agreed, nothing is paid).
    pub agreed_individually: Option<Kopecks>,
    pub documented: Kopecks,
    /// Documented costs that do not count (barter without documents).
    pub voided: Kopecks,
    pub materials_agreed: Option<Kopecks>,
    pub materials_documented: Kopecks,
    /// Report fields by name; a missing field never triggers a reduction.
    pub inputs: BTreeMap<String, Input>,
    /// Effects already booked on the item (violations, consequences).
    pub effects: Vec<Effect>,
    /// Points (≤ 0) the coordinator set with a parametrised violation (`requirements_breach`).
    pub violation_points: i64,
    /// Money factor the coordinator set with such a violation (a reduction in %), on the costs
    /// part after the cap, like the reductions' factors.
    pub violation_factor: Option<Factor>,
    /// Points the coordinator set at acceptance (ranges, overrides).
    pub points: Option<i64>,
    /// Compensation the coordinator set at acceptance (overrides).
    pub compensation: Option<Kopecks>,
}

/// Compensation in its two parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parts {
    pub costs: Kopecks,
    pub materials: Kopecks,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Award {
    pub points: i64,
    pub compensation: Kopecks,
    pub parts: Parts,
    /// The bracket row's label, for bracket-priced items.
    pub bracket: Option<String>,
    /// Codes of the reductions that applied, in order.
    pub reductions: Vec<String>,
    /// The program's code for "compensation claimed without an agreed estimate", when it applied.
    pub estimate_missing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("вид «{0}» не объявлен в программе")]
    UnknownKind(String),
    #[error("для вида «{0}» с темой «{1}» не задано, как считать баллы")]
    NotPriced(String, String),
    /// The (kind, topic) earns nothing: the program's refusal code.
    #[error("вид «{kind}» с темой «{topic}» не вознаграждается")]
    NotRewarded {
        kind: String,
        topic: String,
        code: String,
    },
    #[error("баллы {points} вне диапазона {min}…{max}")]
    PointsOutOfRange { points: i64, min: i64, max: i64 },
}

/// How the points and the money of one item are found before reductions.
enum Basis<'a> {
    Bracket(&'a BracketTable, &'a BracketRow),
    Range,
    Fixed(i64),
}

/// Prices one item.
///
/// # Errors
/// An unknown kind, a (kind, topic) no rule prices or the program refuses, coordinator points
/// outside a range.
pub fn price(bk: &ByKind, kinds: &[Kind], f: &ItemFacts) -> Result<Award, PriceError> {
    let kind = kinds
        .iter()
        .find(|k| k.id == f.kind)
        .ok_or_else(|| PriceError::UnknownKind(f.kind.clone()))?;
    if let Some(code) = kind.reward.get(&f.topic) {
        return Err(PriceError::NotRewarded {
            kind: f.kind.clone(),
            topic: f.topic.clone(),
            code: code.clone(),
        });
    }
    let basis = basis(bk, kind, f)?;
    let fired = fired(bk, f);
    let mut award = Award {
        reductions: fired.iter().map(|(r, _)| r.code.clone()).collect(),
        ..Award::default()
    };
    award.points = points(bk, f, &basis, &fired)?;
    let (costs, factor) = costs_part(bk, f, &basis, &fired, &mut award);
    let materials = materials_part(bk, f, factor);
    let lost =
        |e: Effect| f.effects.contains(&e) || fired.iter().any(|(r, _)| r.effects.contains(&e));
    if lost(Effect::NoPoints) {
        award.points = 0;
    }
    let materials_lost = bk
        .materials
        .as_ref()
        .is_some_and(|m| m.lost_with.iter().any(|e| lost(*e)));
    award.parts = Parts {
        costs: if lost(Effect::NoCompensation) {
            Kopecks::ZERO
        } else {
            costs
        },
        materials: if materials_lost {
            Kopecks::ZERO
        } else {
            materials
        },
    };
    award.compensation = Kopecks(award.parts.costs.0.saturating_add(award.parts.materials.0));
    if let Basis::Bracket(_, row) = basis {
        award.bracket = Some(row.label.clone());
    }
    Ok(award)
}

fn basis<'a>(bk: &'a ByKind, kind: &Kind, f: &ItemFacts) -> Result<Basis<'a>, PriceError> {
    let table = bk.brackets.iter().find(|t| {
        t.kinds.contains(&f.kind) && t.topics.as_ref().unwrap_or(&kind.topics).contains(&f.topic)
    });
    if let Some(t) = table {
        let row = t
            .rows
            .iter()
            .find(|r| f.attendees >= r.from && r.to.is_none_or(|to| f.attendees <= to))
            .ok_or_else(|| PriceError::NotPriced(f.kind.clone(), f.topic.clone()))?;
        return Ok(Basis::Bracket(t, row));
    }
    if bk.range.contains_key(&f.kind) {
        return Ok(Basis::Range);
    }
    match bk.fixed.get(&f.kind).and_then(|m| m.get(&f.topic)) {
        Some(p) => Ok(Basis::Fixed(*p)),
        None => Err(PriceError::NotPriced(f.kind.clone(), f.topic.clone())),
    }
}

/// The reductions of the item's kind whose input fired, in file order, with their units.
pub(crate) fn fired<'a>(bk: &'a ByKind, f: &ItemFacts) -> Vec<(&'a Reduction, u32)> {
    bk.reductions
        .iter()
        .filter(|r| r.kinds.contains(&f.kind))
        .filter_map(|r| {
            let units = match f.inputs.get(&r.input)? {
                Input::Flag(b) => u32::from(*b != r.negate),
                Input::Count(n) if *n > r.free_units => {
                    if r.count_all_when_over || r.free_units == 0 {
                        *n
                    } else {
                        n - r.free_units
                    }
                }
                Input::Count(_) => 0,
            };
            (units > 0).then_some((r, units))
        })
        .collect()
}

/// Points: the basis, the coordinator's value where allowed, reductions (a once-group counts
/// once), a set value, and the floor.
fn points(
    bk: &ByKind,
    f: &ItemFacts,
    basis: &Basis,
    fired: &[(&Reduction, u32)],
) -> Result<i64, PriceError> {
    let overridable = bk
        .overrides
        .get(&f.topic)
        .is_some_and(|o| o.contains(&OverrideField::Points));
    let mut p = match basis {
        Basis::Bracket(_, row) => row.points,
        Basis::Fixed(p) => *p,
        Basis::Range => {
            let r = &bk.range[&f.kind];
            if let Some(set) = f.points {
                if set < r.min || set > r.max {
                    return Err(PriceError::PointsOutOfRange {
                        points: set,
                        min: r.min,
                        max: r.max,
                    });
                }
                return Ok(set);
            }
            match (r.start, r.step) {
                (Some(start), Some(step)) => {
                    let shortfalls = fired
                        .iter()
                        .filter(|(x, _)| x.shortfall && r.shortfalls.contains(&x.code))
                        .count() as i64;
                    start
                        .saturating_sub(step.saturating_mul(shortfalls))
                        .max(r.min)
                }
                _ => r.default.unwrap_or(r.min),
            }
        }
    };
    if overridable {
        if let Some(set) = f.points {
            return Ok(set.max(bk.points_floor));
        }
    }
    let mut groups = BTreeSet::new();
    for (r, _) in fired {
        if r.shortfall {
            continue;
        }
        if r.once_group
            .as_ref()
            .is_none_or(|g| groups.insert(g.clone()))
        {
            p = p.saturating_add(r.points);
        }
        if let Some(set) = r.points_set {
            p = set;
        }
    }
    Ok(p.saturating_add(f.violation_points.min(0))
        .max(bk.points_floor))
}

/// The costs part and the factor the reductions put on money.
fn costs_part(
    bk: &ByKind,
    f: &ItemFacts,
    basis: &Basis,
    fired: &[(&Reduction, u32)],
    award: &mut Award,
) -> (Kopecks, Factor) {
    let factor = fired
        .iter()
        .filter_map(|(r, units)| r.factor_per_unit.map(|x| x.one_minus_times(*units as i64)))
        .fold(f.violation_factor.unwrap_or(Factor::ONE), Factor::then);
    if let Some(set) = f.compensation.filter(|_| {
        bk.overrides
            .get(&f.topic)
            .is_some_and(|o| o.contains(&OverrideField::Compensation))
    }) {
        return (set, factor);
    }
    let (mode, share, cap) = match basis {
        Basis::Bracket(t, row) => (t.compensation, row.share, row.cap),
        _ => match bk.compensation.get(&f.kind) {
            Some(c) => (c.mode, c.share, c.cap),
            None => (CompensationMode::None, None, None),
        },
    };
    let claimable = match mode {
        CompensationMode::None => false,
        CompensationMode::Bracket | CompensationMode::Share => share.is_some(),
        CompensationMode::Agreed => true,
    };
    if !claimable {
        return (Kopecks::ZERO, factor);
    }
    if mode == CompensationMode::Agreed && f.agreed_individually.is_none() {
        return (Kopecks::ZERO, factor);
    }
    let individually = f
        .agreed_individually
        .filter(|_| mode == CompensationMode::Agreed);
    let Some(agreed) = individually.or(f.agreed) else {
        if f.documented.0 > 0 {
            award.estimate_missing = bk.estimate_missing.clone();
        }
        return (Kopecks::ZERO, factor);
    };
    let base = agreed.min(f.documented.saturating_sub(f.voided));
    let mut costs = match (mode, share) {
        (CompensationMode::Agreed, _) => base,
        (_, Some(s)) => base.times(s),
        (_, None) => Kopecks::ZERO,
    };
    if let Some(cap) = cap {
        costs = costs.min(cap);
    }
    (costs.times(factor), factor)
}

/// Vendor-template materials: their share of min(agreed, documented), outside the cap.
fn materials_part(bk: &ByKind, f: &ItemFacts, factor: Factor) -> Kopecks {
    let (Some(m), Some(agreed)) = (&bk.materials, f.materials_agreed) else {
        return Kopecks::ZERO;
    };
    let part = agreed.min(f.materials_documented).times(m.share);
    if m.factors_apply {
        part.times(factor)
    } else {
        part
    }
}

#[cfg(test)]
#[path = "brackets_tests.rs"]
mod tests;
