//! Item programs beyond the flagship's flat model (docs/design/programs.md §4): the pure
//! computations the events engine builds on.
//!
//! - [`brackets`]: points and compensation of one item under `model = "by_kind"`.
//! - [`details`]: what an item carries beyond a flagship seminar (kind, consequences, promotion).
//! - [`acceptance`]: the report fields a kind requires, and the day the award is credited by.

pub mod acceptance;
pub mod brackets;
pub mod details;
