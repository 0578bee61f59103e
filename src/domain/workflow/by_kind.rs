//! `[results] model = "by_kind"`: how an item's points and compensation are priced per kind and
//! topic — attendee bracket tables, a coordinator's range, fixed points, agreed amounts — and
//! what reduces them (docs/design/programs.md §3.2). The flagship keeps the flat model.

use super::Effect;
use crate::domain::money::{Factor, Kopecks};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which pricing model `[results]` uses.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResultModel {
    /// One organizer-points figure, an attendance minimum and a cap (the flagship).
    #[default]
    Flat,
    /// Per kind and topic: brackets, ranges, fixed points and compensation modes.
    ByKind,
}

/// Everything the by-kind model reads; empty for flat programs.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ByKind {
    /// Points never go below this after reductions.
    pub points_floor: i64,
    /// Code booked when compensation is claimed without an agreed estimate.
    pub estimate_missing: Option<String>,
    /// Code refusing acceptance when evidence the kind requires is missing (else
    /// `invalid_state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_incomplete: Option<String>,
    /// Code refusing acceptance when the coordinator's points lie outside the kind's range
    /// (else `invalid_input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_out_of_range: Option<String>,
    /// Topic → what the coordinator may set by hand at acceptance (`points`, `compensation`).
    pub overrides: BTreeMap<String, Vec<OverrideField>>,
    /// Applied at acceptance in this order.
    pub reductions: Vec<Reduction>,
    pub brackets: Vec<BracketTable>,
    /// Kind → points the coordinator sets within a range.
    pub range: BTreeMap<String, RangeRule>,
    /// Kind → topic → points.
    pub fixed: BTreeMap<String, BTreeMap<String, i64>>,
    /// Kind → compensation of kinds not priced by a bracket row.
    pub compensation: BTreeMap<String, CompensationRule>,
    /// Vendor-template materials paid apart from the costs.
    pub materials: Option<Materials>,
}

impl ByKind {
    /// What people read for reduction `code`: its `name` in the file, else the code.
    pub fn reduction_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.reductions
            .iter()
            .find(|r| r.code == code)
            .and_then(|r| r.name.as_deref())
            .unwrap_or(code)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OverrideField {
    Points,
    Compensation,
}

/// One attendee-bracket table for some kinds (and topics: absent = every topic of the kinds).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BracketTable {
    pub kinds: Vec<String>,
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    /// How compensation is paid for rows of this table (default: by the row's share and cap).
    #[serde(default)]
    pub compensation: CompensationMode,
    pub rows: Vec<BracketRow>,
}

/// Attendees `from..=to` (open-ended without `to`) earn `points`, and `share` of the costs up to
/// `cap` (no compensation without a share).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BracketRow {
    pub from: u32,
    #[serde(default)]
    pub to: Option<u32>,
    pub points: i64,
    #[serde(default)]
    pub share: Option<Factor>,
    #[serde(default)]
    pub cap: Option<Kopecks>,
    pub label: String,
}

/// Points in `min..=max`: either set by the coordinator (`default` when not set) or computed as
/// `start − step × shortfalls found`, never below `min`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RangeRule {
    pub min: i64,
    pub max: i64,
    #[serde(default)]
    pub default: Option<i64>,
    #[serde(default)]
    pub start: Option<i64>,
    #[serde(default)]
    pub step: Option<i64>,
    /// Reduction codes (with `shortfall = true`) that each cost one `step`.
    #[serde(default)]
    pub shortfalls: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CompensationMode {
    /// The bracket row's share and cap.
    #[default]
    Bracket,
    /// A share of the documented costs, capped only when `cap` is given.
    Share,
    /// The amount agreed individually at approval, paid up to the documented costs.
    Agreed,
    None,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CompensationRule {
    pub mode: CompensationMode,
    #[serde(default)]
    pub share: Option<Factor>,
    #[serde(default)]
    pub cap: Option<Kopecks>,
}

/// A report fact that lowers points or money. `input` names a report field; a number counts
/// units, a flag counts one (or zero with `negate`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reduction {
    pub code: String,
    /// What the partner reads instead of the code (`Доклады о других продуктах`).
    #[serde(default)]
    pub name: Option<String>,
    pub input: String,
    #[serde(default)]
    pub negate: bool,
    pub kinds: Vec<String>,
    /// Points added (≤ 0).
    #[serde(default)]
    pub points: i64,
    /// Points set to this value.
    #[serde(default)]
    pub points_set: Option<i64>,
    /// Money × (1 − factor × units).
    #[serde(default)]
    pub factor_per_unit: Option<Factor>,
    /// Units allowed without reduction.
    #[serde(default)]
    pub free_units: u32,
    /// Over the allowance, every unit counts (not only those beyond it).
    #[serde(default)]
    pub count_all_when_over: bool,
    /// Reductions of one group apply once in all.
    #[serde(default)]
    pub once_group: Option<String>,
    /// Counts as a shortfall of a range kind (one `step`).
    #[serde(default)]
    pub shortfall: bool,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

/// `[results.materials]`: vendor-template materials paid at `share` of min(agreed, documented).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Materials {
    pub share: Factor,
    #[serde(default)]
    pub outside_cap: bool,
    #[serde(default)]
    pub factors_apply: bool,
    /// Effects that lose the materials part too.
    #[serde(default)]
    pub lost_with: Vec<Effect>,
}
