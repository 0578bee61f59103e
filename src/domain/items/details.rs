//! What an item of a by-kind program carries beyond a flagship seminar (design §4.1): its kind
//! and topic, the support asked for, the amounts agreed at approval, the consequences booked on
//! it and its promotion span. A flagship seminar has none of it (`kind` empty) and stores and
//! reads exactly as before.

use crate::domain::money::Kopecks;
use crate::domain::workflow::Effect;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The item part of a `Seminar` (empty for the flagship).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemDetails {
    /// A `[[kinds]]` id; empty for a flagship seminar.
    pub kind: String,
    /// A `[[topics]]` id of the kind.
    pub topic: String,
    /// Last day of a multi-day item.
    pub end_date: Option<NaiveDate>,
    /// An `[audiences]` key (the file's default when the partner gives none).
    pub audience: String,
    /// Leaflets: `none`, `send` (the vendor sends them) or `print` (the partner prints).
    pub materials: String,
    /// The partner asked for the vendor's information support.
    pub info_support_requested: bool,
    /// Amounts fixed when the application is approved.
    pub agreed: Agreed,
    /// The item repeats the program of this earlier item (the repeat gap applies).
    pub repeat_of: Option<String>,
    /// Other partners organizing the item too (partner ids), as announced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub co_organizers: Vec<String>,
    /// Consequences booked on the item (lost support, no materials …), first cause first.
    pub consequences: Vec<Consequence>,
    /// The days the item is shown on the vendor site (set by the promotion recomputation).
    pub promotion: Option<Span>,
    /// The first day the item qualified for promotion but was held back by the pool limit.
    pub held_back_since: Option<NaiveDate>,
    /// The `[[rejections]]` code (or the lapse code) of a rejected application.
    pub rejection: Option<String>,
    /// What acceptance priced: the bracket row, the two parts of the compensation, the product
    /// ledger the points went to and the day they are credited by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub award: Option<ItemAward>,
    /// Points (≤ 0) the coordinator set with parametrised violations (`requirements_breach`).
    #[serde(skip_serializing_if = "is_zero")]
    pub breach_points: i64,
    /// Compensation reductions in % set with such violations, in recording order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breach_percents: Vec<u32>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// An accepted item's price beyond `SeminarResult` (points and compensation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemAward {
    /// The bracket row's label (`31-50`), for bracket-priced kinds.
    pub bracket: Option<String>,
    pub costs: Kopecks,
    pub materials: Kopecks,
    /// The product ledger (`[ledgers] products`) the points count for.
    pub ledger: String,
    pub credit_due: Option<NaiveDate>,
    /// Co-organized items: each organizer's part (E§4.14).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<super::shares::Share>,
}

/// What an item's report brings beyond the flagship figures: the fields the reductions read
/// (`[results] reductions[].input`), the documented leaflet cost, the product ledger of a
/// mixed-topic item, and the evidence acceptance requires (`report_requires`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemReport {
    /// Report fields by name: counts and flags.
    pub inputs: std::collections::BTreeMap<String, super::brackets::Input>,
    pub materials_costs: Option<Kopecks>,
    pub ledger: Option<String>,
    /// Evidence given (`photos`, `announcement_link` …).
    pub evidence: Vec<String>,
    /// Co-organized items: each organizer's documented costs (E§4.14).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub costs_by_partner: std::collections::BTreeMap<String, Kopecks>,
    /// Co-organized items: the partners who gave the vendor-product talks, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub speakers: Vec<String>,
}

impl ItemReport {
    pub fn is_empty(&self) -> bool {
        *self == ItemReport::default()
    }
}

impl ItemDetails {
    /// A flagship seminar: no item details at all (nothing is stored for it).
    pub fn is_flagship(&self) -> bool {
        self.kind.is_empty()
    }

    /// Whether a consequence with `effect` is booked.
    pub fn has_effect(&self, effect: Effect) -> bool {
        self.consequences
            .iter()
            .any(|c| c.effects.contains(&effect))
    }

    pub fn has_consequence(&self, code: &str) -> bool {
        self.consequences.iter().any(|c| c.code == code)
    }

    /// Information support still stands: asked for and not lost to a consequence.
    pub fn info_support(&self) -> bool {
        self.info_support_requested && !self.has_effect(Effect::NoInfoSupport)
    }
}

/// Amounts the coordinator agrees to when approving an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Agreed {
    /// The agreed estimate (the base of compensation).
    pub estimate: Option<Kopecks>,
    /// The agreed cost of template leaflets.
    pub materials_cost: Option<Kopecks>,
    /// An individually agreed compensation (kinds with `compensation = "agreed"`).
    pub compensation: Option<Kopecks>,
}

/// A consequence booked on an item: a code of the program's file and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consequence {
    pub code: String,
    pub effects: Vec<Effect>,
    pub at: DateTime<Utc>,
    /// A delayed promotion: the first day the item is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Points (≤ 0) a reduction took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// The money factor a reduction put on the costs part (`0.70`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Money a consequence took out of the compensable costs (`cost_voided`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Kopecks>,
}

impl Consequence {
    /// A consequence booked at `at` with `effects`.
    pub fn new(code: &str, effects: Vec<Effect>, at: DateTime<Utc>) -> Consequence {
        Consequence {
            code: code.to_string(),
            effects,
            at,
            from: None,
            points: None,
            factor: None,
            amount: None,
        }
    }
}

/// Days `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}
