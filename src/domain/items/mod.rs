//! Item programs beyond the flagship's flat model (docs/design/programs.md §4): the pure
//! computations the events engine builds on.
//!
//! - [`brackets`]: points and compensation of one item under `model = "by_kind"`.

pub mod brackets;
