//! The one integration test binary: modules by concern.

mod support;

mod accounts_admin;
mod architecture;
mod attendee_list;
mod audit;
mod bench_smoke;
mod calendar;
mod commands_parity;
mod crash;
mod error_log;
mod estimate;
mod first_run;
mod fuzz;
mod hostile;
mod http_api;
mod http_events;
mod http_standing;
mod lists;
mod metrics;
mod notifier;
mod penalty_table;
mod program_rules;
mod scenarios;
mod scenarios_status;
mod skips;
mod store_contract;
mod store_programs;
mod store_queries;
mod store_standing;
mod ui_e2e;
mod ui_pages_13;
mod workflow_check;
mod workflow_format;
