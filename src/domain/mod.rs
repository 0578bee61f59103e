//! Pure rules: workflow definitions, calendars, deadlines, the seminar state machine, penalties,
//! review and allocation, results. No I/O, no clock: `now` is always an argument.
//!
//! - [`workflow`]: the workflow file format — everything specific to a program is data there.
//! - [`validate`]: the checks `workflow check` runs, one function per section of the file.
//! - [`program`]: a validated workflow with its calendar and zone; refusals and domain errors.
//! - [`calendar`]: working-day calendars as data and the arithmetic over them.
//! - [`deadline`]: resolving deadline rules to dates, day ends in the zone, lateness in days.
//! - [`estimate`]: estimate lines, the approved estimate and the compensation cap it sets.
//! - [`money`]: exact kopecks and decimal factors (never floats).
//! - [`seminar`]: the seminar aggregate, its states and stage progress, and the `Outcome` to save.
//! - [`kinds`]: the notification kinds, the one place their names are spelled.
//! - [`rules`]: the commands of coordinators and partners, decided into an `Outcome` or a refusal.
//! - [`review`]: weekly review groups of applications, priority, city × week slots.
//! - [`penalties`]: booking a penalty and its effects (points, exclusion, barred partner).
//! - [`schedule`]: the due items a seminar's state plans, and firing one when its instant comes.
//! - [`results`]: points and compensation at report acceptance, and the co-organizer split.
//! - [`items`]: item programs priced by kind (brackets, ranges, fixed points, reductions).

pub mod calendar;
pub mod deadline;
pub mod estimate;
pub mod items;
pub mod kinds;
pub mod money;
pub mod penalties;
pub mod program;
pub mod results;
pub mod review;
pub mod rules;
pub mod schedule;
pub mod seminar;
pub mod standing;
pub mod validate;
pub mod workflow;

pub use calendar::Calendar;
pub use money::{Factor, Kopecks, MoneyError};
pub use program::{DomainError, Program, Refusal, RefusalCode};
pub use rules::{decide, Command, View};
pub use schedule::{fire, plan, DueItem, DueKind};
pub use seminar::*;
pub use workflow::Workflow;
