//! Item programs beyond the flagship's flat model (docs/design/programs.md §4): the pure
//! computations the events engine builds on.
//!
//! - [`brackets`]: points and compensation of one item under `model = "by_kind"`.
//! - [`acceptance`]: the report fields a kind requires, and the day the award is credited by.

pub mod acceptance;
pub mod brackets;
