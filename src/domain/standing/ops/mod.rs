//! One module per family of action ops (design §3.4); [`super::actions::decide`] dispatches.

pub mod admission;
pub mod decided;
pub mod partner;
pub mod points;
pub mod projects;
pub mod reviewed;
pub mod staff;
