//! Item programs beyond the flagship's flat model (docs/design/programs.md §4): the pure
//! computations the events engine builds on.
//!
//! - [`brackets`]: points and compensation of one item under `model = "by_kind"`.
//! - [`details`]: what an item carries beyond a flagship seminar (kind, consequences, promotion).
//! - [`apply`]: rolling applications, their approval and rejection (B1).
//! - [`report`]: the item clock — lapse, waiting alerts, cut-off reminders, low attendance (B1, B3).
//! - [`promotion`]: the shown-events pool on the vendor site (B4).
//! - [`acceptance`]: the report fields a kind requires, and the day the award is credited by.

pub mod accept;
pub mod acceptance;
pub mod apply;
pub mod brackets;
pub mod breach;
pub mod details;
pub mod promotion;
pub mod report;
pub mod shares;
pub mod support;

#[cfg(test)]
mod apply_tests;
#[cfg(test)]
mod promotion_tests;
#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod test_support;
