//! Server-rendered HTML pages for coordinators, partners and the public (handlebars templates
//! in `templates/ui/`, a small stylesheet and script embedded in the binary, no build step),
//! and the personal ICS calendar feed.
//!
//! - [`page`]: templates, layout, the signed-in `Viewer`, CSRF checks, error pages.
//! - [`form`]: a failed form's errors, values and error summary.
//! - [`account`]: login, logout, profile with password change and the calendar address.
//! - [`dashboard`]: the coordinator's dashboard of a program ([`dashboard_sections`] builds
//!   its sections, [`dashboard_queue`] searches and pages its review queue,
//!   [`dashboard_penalties`] pages its recent penalties).
//! - [`seminar`] and [`actions`]: the seminar page and the forms posted from it
//!   ([`seminar_estimate`]: its estimate form and the estimate against the report).
//! - [`partner`]: my seminars, the application form.
//! - [`events`]: events programs — announce, event page, queue across programs, calendar, history.
//! - [`standings`]: partner programs — my status, partners at risk, a partner's card.
//! - [`ledger`]: my penalties, the points and bonus ledgers.
//! - [`public`]: approved organizers by city, for listeners.
//! - [`ics`]: the feed `/calendar/<token>.ics`.
//! - [`admin`]: accounts — `/admin/users` for staff, `/my/team` for a partner's users.
//! - [`admin_partners`]: partners and coordinator assignment; the manual clock.
//! - [`admin_mail`] and [`mail`]: the outbox with retry; undelivered mail on other pages.
//!
//! Forms post `application/x-www-form-urlencoded` (uploads `multipart/form-data`) with a hidden
//! `_csrf` field equal to the session's token; every command runs at the business clock's now.

pub mod account;
pub mod actions;
pub mod admin;
pub mod admin_mail;
pub mod admin_partners;
pub mod cards;
pub mod dashboard;
pub mod dashboard_penalties;
pub mod dashboard_queue;
pub mod dashboard_sections;
pub mod events;
pub mod form;
pub mod format;
pub mod history;
pub mod ics;
pub mod ledger;
pub mod lists;
pub mod mail;
pub mod page;
pub mod partner;
pub mod public;
pub mod seminar;
pub mod seminar_ended;
pub mod seminar_estimate;
pub mod standings;
pub mod support;

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::CSS,
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        page::JS,
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::home))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/account", get(account::account))
        .route("/account/password", post(account::change_password))
        .route("/account/calendar-link", post(account::renew_calendar_link))
        .route("/account/phone", post(account::change_phone))
        .route("/dashboard", get(dashboard::index))
        .route("/programs/{id}", get(dashboard::show))
        .route("/programs/{id}/review", post(dashboard::review))
        .route("/seminars/{id}", get(seminar::show))
        .route("/seminars/{id}/decide", post(actions::decide))
        .route("/seminars/{id}/violation", post(actions::violation))
        .route("/seminars/{id}/withdraw", post(actions::withdraw))
        .route("/seminars/{id}/venue", post(actions::venue))
        .route(
            "/seminars/{id}/stages/{stage}/submit",
            post(actions::submit),
        )
        .route(
            "/seminars/{id}/stages/{stage}/approve",
            post(actions::approve),
        )
        .route(
            "/seminars/{id}/stages/{stage}/return",
            post(actions::return_stage),
        )
        .route("/my", get(partner::my))
        .route("/my/events", get(events::my))
        .route(
            "/my/events/new",
            get(events::new_form).post(events::announce),
        )
        .route("/events/queue", get(events::queue))
        .route("/events/calendar", get(events::calendar))
        .route("/events/{id}", get(events::show))
        .route("/events/{id}/decide", post(events::decide))
        .route("/partners/{id}/events", get(events::partner_history))
        .route("/partners/{id}/support", post(support::set))
        .route("/my/status", get(standings::my))
        .route("/partners/at-risk", get(standings::at_risk))
        .route("/partners/{id}", get(standings::show))
        .route("/partners/{id}/standings/{program}", post(standings::step))
        .route("/my/apply", get(partner::apply_form).post(partner::apply))
        .route("/my/penalties", get(ledger::penalties))
        .route("/my/ledger", get(ledger::ledger))
        .route("/my/team", get(admin::team).post(admin::add_user))
        .route("/my/team/{id}/disable", post(admin::disable))
        .route("/my/team/{id}/enable", post(admin::enable))
        .route("/my/team/{id}/reset-password", post(admin::reset_password))
        .route(
            "/admin/users",
            get(admin::staff_users).post(admin::add_user),
        )
        .route("/admin/users/{id}/disable", post(admin::disable))
        .route("/admin/users/{id}/enable", post(admin::enable))
        .route(
            "/admin/users/{id}/reset-password",
            post(admin::reset_password),
        )
        .route(
            "/admin/partners",
            get(admin_partners::partners).post(admin_partners::add_partner),
        )
        .route(
            "/admin/partners/{id}/coordinator",
            post(admin_partners::assign),
        )
        .route(
            "/admin/clock",
            get(admin_partners::clock).post(admin_partners::set_clock),
        )
        .route("/admin/outbox", get(admin_mail::outbox))
        .route("/admin/outbox/retry-failed", post(admin_mail::retry_failed))
        .route("/admin/outbox/{id}/retry", post(admin_mail::retry_one))
        .route("/organizers", get(public::organizers))
        .route("/calendar/{file}", get(ics::feed))
        .route("/ui/app.css", get(css))
        .route("/ui/app.js", get(js))
        .layer(axum::middleware::map_response(page::security_headers))
}
