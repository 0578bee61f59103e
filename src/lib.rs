//! seminarflow: a workflow engine for partner seminar programs.
//!
//! - [`domain`]: pure rules — workflow files, calendars, deadlines, the seminar state machine,
//!   penalties, review and allocation, results. Never reads the clock.
//! - [`catalog`]: loads workflow and calendar files from disk and validates them.
//! - [`storage`]: the `Store` trait with SQLite and PostgreSQL implementations (one set of
//!   statements by area in `storage/sql/backend/`, compiled once per backend).
//! - [`service`]: the application service and the only writer: runs commands and books their
//!   effects atomically with the outbox (the scheduler books through the same `Booker`);
//!   accounts, partners, coordinator assignment and files with their audit events; outbox
//!   delivery state and settings.
//! - [`scheduler`]: fires due items exactly once (`tick(now)`).
//! - [`notifier`]: delivers the outbox as e-mail (SMTP, `.eml` files, memory) from Russian templates.
//! - [`clock`]: the business clock — the system one, or a manual one only an admin moves.
//! - [`accounts`]: accounts and roles, password hashing and random tokens (no I/O).
//! - [`text`]: Russian text helpers (plurals, offsets, money, zone labels) for pages, mail and CLI.
//!
//! Around it:
//! - [`http`]: the JSON API, the command layer it shares with the HTML pages, the pages, sessions
//!   and tokens, the calendar feed, `/healthz` and `/metrics`.
//! - [`server`]: `seminarflow serve` — opens the store, starts the workers, serves HTTP until stopped.
//! - [`background`]: the background workers `serve` starts besides the scheduler (mail delivery).
//! - [`health`]: readiness of the background workers, shown by `/healthz`.
//! - [`sheets`]: spreadsheets in and out — XLSX exports of lists, the attendee list import.
//! - [`config`]: configuration from defaults, a TOML file, the environment and flags.
//! - [`logging`]: structured `tracing` logs, human-readable or JSON lines.
//! - [`simulate`]: runs scenario files through the same services on in-memory SQLite.
//! - [`demo`]: `serve --demo`, a demo season played into its own data folder.
//! - [`bench`](mod@bench): `seminarflow bench`, the speed and memory benchmarks (docs/benchmarks.md).
//! - [`cli`]: the `seminarflow` command line (`main.rs` only calls it).
#![forbid(unsafe_code)]

pub mod accounts;
pub mod background;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod health;
pub mod http;
pub mod logging;
pub mod notifier;
pub mod scheduler;
pub mod server;
pub mod service;
pub mod sheets;
pub mod simulate;
pub mod storage;
pub mod text;
