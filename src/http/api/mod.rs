//! The JSON API, one module per resource. Routes are listed here and in `openapi.rs`.

pub mod admin;
pub mod event_view;
pub mod events;
pub mod export;
pub mod files;
pub mod partners;
pub mod programs;
pub mod seminars;
pub mod session;
pub mod standing_view;
pub mod standings;
pub mod support;
pub mod users;

use super::AppState;
use axum::routing::{delete, get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(session::login))
        .route("/api/logout", post(session::logout))
        .route("/api/me", get(session::me))
        .route("/api/me/password", post(session::change_password))
        .route(
            "/api/me/tokens",
            get(session::list_tokens).post(session::create_token),
        )
        .route("/api/me/tokens/{id}", delete(session::revoke_token))
        .route("/api/users/{id}/disable", post(users::disable_user))
        .route("/api/users/{id}/enable", post(users::enable_user))
        .route(
            "/api/users/{id}/reset-password",
            post(users::reset_password),
        )
        .route(
            "/api/users",
            get(users::list_users).post(users::create_user),
        )
        .route("/api/partners", get(partners::list).post(partners::create))
        .route("/api/partners/{id}", get(partners::get_one))
        .route("/api/partners/{id}/ledger", get(partners::ledger))
        .route("/api/partners/{id}/suspend-support", post(support::suspend))
        .route("/api/partners/{id}/resume-support", post(support::resume))
        .route("/api/programs", get(programs::list))
        .route("/api/programs/{id}", get(programs::get_one))
        .route("/api/programs/{id}/slots", get(programs::slots))
        .route(
            "/api/programs/{id}/review-queue",
            get(programs::review_queue),
        )
        .route(
            "/api/programs/{id}/review",
            post(programs::review_applications),
        )
        .route("/api/programs/{id}/applications", post(programs::apply))
        .route("/api/seminars", get(seminars::list))
        .route("/api/seminars.xlsx", get(export::seminars_xlsx))
        .route("/api/penalties.xlsx", get(export::penalties_xlsx))
        .route("/api/partners/{id}/ledger.xlsx", get(export::ledger_xlsx))
        .route(
            "/api/programs/{id}/review-queue.xlsx",
            get(export::review_queue_xlsx),
        )
        .route("/api/seminars/{id}", get(seminars::get_one))
        .route(
            "/api/seminars/{id}/approve-application",
            post(seminars::approve_application),
        )
        .route(
            "/api/seminars/{id}/reject-application",
            post(seminars::reject_application),
        )
        .route(
            "/api/seminars/{id}/stages/{stage}/versions",
            post(seminars::submit),
        )
        .route(
            "/api/seminars/{id}/stages/{stage}/return",
            post(seminars::return_stage),
        )
        .route(
            "/api/seminars/{id}/stages/{stage}/approve",
            post(seminars::approve_stage),
        )
        .route("/api/seminars/{id}/venue", post(seminars::change_venue))
        .route("/api/seminars/{id}/violations", post(seminars::violation))
        .route("/api/seminars/{id}/withdraw", post(seminars::withdraw))
        .route(
            "/api/seminars/{id}/accept-report",
            post(seminars::accept_report),
        )
        .route("/api/seminars/{id}/events", get(seminars::events))
        .route("/api/seminars/{id}/files/{sha256}", get(seminars::download))
        .route("/api/penalties", get(seminars::penalties))
        .route("/api/clock", get(admin::get_clock))
        .route("/api/admin/clock", post(admin::set_clock))
        .route("/api/admin/outbox", get(admin::outbox))
        .route("/api/admin/outbox/retry-failed", post(admin::retry_failed))
        .route("/api/admin/outbox/{id}/retry", post(admin::retry_one))
        .route("/api/audit", get(admin::audit))
        .merge(event_routes())
}

/// The partner programs' routes (`standings`): a partner's standings, partners at risk, steps.
pub fn standing_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/partners/{id}/standings",
            get(standings::get_standings),
        )
        .route(
            "/api/partners/{id}/standings/{program}",
            post(standings::step),
        )
        .route("/api/standings/at-risk", get(standings::at_risk))
}

/// The events programs' routes (`events`): announce, decide, the event, queue and calendar.
fn event_routes() -> Router<AppState> {
    Router::new()
        .route("/api/programs/{id}/events", post(events::announce))
        .route("/api/seminars/{id}/event", get(events::get_one))
        .route("/api/seminars/{id}/approve-event", post(events::approve))
        .route("/api/seminars/{id}/reject-event", post(events::reject))
        .route("/api/queue", get(events::queue))
        .route("/api/calendar", get(events::calendar))
}
