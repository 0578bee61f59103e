//! Pure rules: workflow definitions, calendars, deadlines, the seminar state machine, penalties,
//! review and allocation, results. No I/O, no clock: `now` is always an argument.

pub mod calendar;
pub mod deadline;
pub mod kinds;
pub mod money;
pub mod penalties;
pub mod program;
pub mod results;
pub mod review;
pub mod rules;
pub mod schedule;
pub mod seminar;
pub mod validate;
pub mod workflow;

pub use calendar::Calendar;
pub use money::{Factor, Kopecks, MoneyError};
pub use program::{DomainError, Program, Refusal, RefusalCode};
pub use rules::{decide, Command, View};
pub use schedule::{fire, plan, DueItem, DueKind};
pub use seminar::*;
pub use workflow::Workflow;
