//! A parametrised manual violation (`requirements_breach`, E§4.9): the points (≤ 0) and the
//! compensation reduction in % the coordinator sets, checked against the violation's `params`
//! and kept on the item until acceptance prices it.

use crate::domain::money::Factor;
use crate::domain::program::{refuse, DomainError, RefusalCode};
use crate::domain::seminar::Seminar;
use crate::domain::workflow::{ManualViolation, ViolationParam};
use serde::{Deserialize, Serialize};

/// What the coordinator gives with a violation beyond its code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreachParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compensation_percent: Option<u32>,
}

/// Checks `p` against violation `v` and adds it to item `s`.
///
/// # Errors
/// `invalid_input` for a parameter the violation does not take, points above 0, a percentage
/// above 100 or given for a kind the violation excludes.
pub fn record(v: &ManualViolation, s: &mut Seminar, p: BreachParams) -> Result<(), DomainError> {
    if let Some(points) = p.points {
        if !v.params.contains(&ViolationParam::PointsLeZero) {
            return refuse(
                RefusalCode::InvalidInput,
                format!("points: нарушение «{}» не задаёт баллы", v.code),
            );
        }
        if points > 0 {
            return refuse(
                RefusalCode::InvalidInput,
                "points: баллы нарушения не могут быть больше 0",
            );
        }
    }
    if let Some(pct) = p.compensation_percent {
        if !v.params.contains(&ViolationParam::CompensationPercent) {
            return refuse(
                RefusalCode::InvalidInput,
                format!(
                    "compensation_percent: нарушение «{}» не уменьшает компенсацию",
                    v.code
                ),
            );
        }
        if pct > 100 {
            return refuse(
                RefusalCode::InvalidInput,
                "compensation_percent: уменьшение не может быть больше 100 %",
            );
        }
        if v.compensation_percent_not_for.contains(&s.item.kind) {
            return refuse(
                RefusalCode::InvalidInput,
                format!(
                    "compensation_percent: для вида «{}» компенсация не уменьшается этим нарушением",
                    s.item.kind
                ),
            );
        }
    }
    s.item.breach_points = s.item.breach_points.saturating_add(p.points.unwrap_or(0));
    if let Some(pct) = p.compensation_percent {
        s.item.breach_percents.push(pct);
    }
    Ok(())
}

/// The money factor of the item's recorded reductions in %: `(1 − a/100) × (1 − b/100) …`.
pub fn factor(percents: &[u32]) -> Option<Factor> {
    percents
        .iter()
        .map(|p| Factor {
            num: 100 - i64::from((*p).min(100)),
            den: 100,
        })
        .reduce(Factor::then)
}
