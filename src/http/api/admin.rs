//! Administration: the manual clock, the outbox with delivery state, the audit log.

use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::listing::{self, Columns, PageSpec};
use crate::http::{AppJson, AppQuery, AppState};
use crate::storage::{EventQuery, Order, OutboxQuery, Page};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
pub struct ClockRequest {
    /// RFC 3339, e.g. `2017-02-23T09:00:00+03:00`.
    pub now: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClockResponse {
    pub now: DateTime<Utc>,
    pub manual: bool,
    /// Due items fired on the way.
    pub fired: u64,
}

/// Moves the manual clock forward; the scheduler runs up to the new instant. 403 on the system clock.
#[utoipa::path(post, path = "/api/admin/clock", tag = "admin", request_body = ClockRequest,
    responses((status = 200, body = ClockResponse), (status = 403, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn set_clock(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(req): AppJson<ClockRequest>,
) -> ApiResult<Json<ClockResponse>> {
    auth.require_admin()?;
    if !state.clock.is_manual() {
        return Err(ApiError::forbidden(
            "сервер работает по системным часам; переводить время можно только с --clock manual",
        ));
    }
    let to = DateTime::<FixedOffset>::parse_from_rfc3339(&req.now)
        .map_err(|_| {
            ApiError::BadRequest(
                "invalid_input",
                format!("now: «{}» — не момент времени RFC 3339", req.now),
            )
        })?
        .with_timezone(&Utc);
    let fired = move_clock(&state, to).await?;
    Ok(Json(ClockResponse {
        now: to,
        manual: true,
        fired,
    }))
}

/// Moves the manual clock to `to` (shared by the API and the clock page) and runs the scheduler
/// up to it; how many due items fired. The caller checks the admin and the manual clock.
///
/// # Errors
/// `clock_backwards` (400) when `to` is before the clock; store failures.
pub async fn move_clock(state: &AppState, to: DateTime<Utc>) -> ApiResult<u64> {
    crate::server::sync_clock(state).await;
    state
        .clock
        .set(to)
        .map_err(|e| ApiError::BadRequest("clock_backwards", e.to_string()))?;
    state.service.save_clock(to).await?;
    let report = state.service.scheduler.tick(to).await?;
    state.metrics.scheduler_ticked(Utc::now());
    state.wake.notify_one();
    Ok(report.fired)
}

/// The current business time.
#[utoipa::path(get, path = "/api/clock", tag = "admin", responses((status = 200, body = ClockResponse)))]
pub async fn get_clock(State(state): State<AppState>, _auth: Auth) -> Json<ClockResponse> {
    crate::server::sync_clock(&state).await;
    Json(ClockResponse {
        now: state.clock.now(),
        manual: state.clock.is_manual(),
        fired: 0,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxFilter {
    /// `pending`, `sent`, `failed`, `digest`.
    pub status: Option<String>,
    pub seminar: Option<String>,
    /// Only notifications about seminars of this program.
    pub program: Option<String>,
    /// Rows per page, 1–1000 (default 200).
    pub limit: Option<usize>,
    /// Keyset paging: the `id` of the last row of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxView {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub to: String,
    pub seminar: String,
    pub stage: Option<String>,
    pub at: DateTime<Utc>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Notifications and their delivery state (admins and coordinators), oldest first, filtered and
/// paged in SQL (`limit` up to 1000, default 200; `cursor` = the last id of the previous page).
#[utoipa::path(get, path = "/api/admin/outbox", tag = "admin", params(OutboxFilter), responses((status = 200, body = [OutboxView])))]
pub async fn outbox(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<OutboxFilter>,
) -> ApiResult<Json<Vec<OutboxView>>> {
    auth.require_staff()?;
    let q = OutboxQuery {
        status: f.status.clone(),
        seminar: f.seminar.clone(),
        program: f.program.clone(),
        newest_first: false,
        page: Page {
            after: f.cursor,
            offset: 0,
            limit: Some(f.limit.unwrap_or(200).clamp(1, 1000) as i64),
        },
    };
    let rows = state.service.store.find_outbox(&q).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| OutboxView {
                id: r.id,
                key: r.notification.key,
                kind: r.notification.kind.to_string(),
                to: r.notification.to.to_string(),
                seminar: r.notification.seminar,
                stage: r.notification.stage,
                at: r.notification.at,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RetryResponse {
    /// Notifications put back in the queue.
    pub retried: u64,
}

/// Sends a permanently failed notification again (staff), e.g. after the partner got a user
/// or an address was corrected; audited. 409 `not_failed` when it is not failed.
#[utoipa::path(post, path = "/api/admin/outbox/{id}/retry", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = RetryResponse), (status = 403, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn retry_one(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<RetryResponse>> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("такого письма нет"))?;
    state
        .service
        .retry_delivery(&auth.user, id, Utc::now())
        .await?;
    Ok(Json(RetryResponse { retried: 1 }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetryFilter {
    /// Only the failed notifications of this seminar.
    pub seminar: Option<String>,
}

/// Sends every permanently failed notification again (staff), each audited.
#[utoipa::path(post, path = "/api/admin/outbox/retry-failed", tag = "admin", params(RetryFilter),
    responses((status = 200, body = RetryResponse), (status = 403, body = crate::http::error::ErrorBody)))]
pub async fn retry_failed(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<RetryFilter>,
) -> ApiResult<Json<RetryResponse>> {
    let retried = state
        .service
        .retry_failed_deliveries(&auth.user, f.seminar.as_deref(), Utc::now())
        .await?;
    Ok(Json(RetryResponse { retried }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub seminar: Option<String>,
    /// Search: part of the event kind, the seminar id or the actor's id.
    pub q: Option<String>,
    /// Order: `id` (recording order, the default) or `-id` (newest first).
    pub sort: Option<String>,
    /// Page number from 1 (offset paging; ignored with `cursor`).
    pub page: Option<usize>,
    /// Rows per page, 1–500 (default 100).
    pub per_page: Option<usize>,
    /// Keyset paging: the `id` of the last event of the previous page.
    pub cursor: Option<i64>,
}

/// The audit log's one sortable column (the event id is its recording order).
const AUDIT_SORT: Columns<()> = &[("id", ())];

/// The audit log of every command and effect (staff), oldest first (or newest with `-id`),
/// searched and paged in SQL; `X-Total-Count` holds how many events match.
#[utoipa::path(get, path = "/api/audit", tag = "admin", params(AuditFilter), responses((status = 200, body = [crate::http::api::seminars::EventView], headers(("X-Total-Count" = i64, description = "events matching the filter")))))]
pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<AuditFilter>,
) -> ApiResult<Response> {
    auth.require_staff()?;
    let spec = PageSpec::new(f.page, f.per_page, 100, 500)?;
    let order = listing::sort(
        f.sort.as_deref(),
        AUDIT_SORT,
        Order {
            by: (),
            desc: false,
        },
    )?;
    let mut q = EventQuery {
        seminar: f.seminar.clone(),
        search: listing::search(f.q.as_deref())?,
        newest_first: order.desc,
        page: Page::default(),
    };
    let total = state.service.store.count_events(&q).await?;
    q.page = Page {
        after: f.cursor,
        offset: if f.cursor.is_some() {
            0
        } else {
            spec.store_page().offset
        },
        limit: Some(spec.per_page as i64),
    };
    let ev = state.service.store.search_events(&q).await?;
    let mut resp = audit_views(ev).into_response();
    resp.headers_mut()
        .insert("x-total-count", axum::http::HeaderValue::from(total));
    Ok(resp)
}

fn audit_views(
    ev: Vec<(i64, crate::domain::Event)>,
) -> Json<Vec<crate::http::api::seminars::EventView>> {
    Json(
        ev.into_iter()
            .map(|(id, e)| crate::http::api::seminars::EventView {
                id: Some(id),
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                seminar: e.seminar,
                data: e.data,
            })
            .collect(),
    )
}
