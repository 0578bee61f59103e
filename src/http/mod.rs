//! The HTTP service: the JSON API under `/api`, the HTML pages, the seminar commands both of them
//! run (permissions, validation and messages decided once), the OpenAPI document, and operations
//! endpoints (`/healthz`, `/metrics`). Error responses are logged once, by `error::log_errors`.
//!
//! - [`api`]: the JSON API, one module per resource (and the XLSX exports of its lists).
//! - [`commands`]: the seminar commands of the API and the pages: who may, what is valid, ids.
//! - [`ui`]: the server-rendered HTML pages and the ICS calendar feed.
//! - [`views`]: what the API and pages show of a seminar, a program or a partner.
//! - [`auth`]: who is calling — a browser session with CSRF token, or a bearer API token.
//! - [`error`]: the API's one error type, its JSON answer, and the middleware that logs it once.
//! - [`openapi`]: the OpenAPI document and the page to browse it.
//! - [`metrics`]: `/healthz` and `/metrics`.
//! - [`listener`]: the listening socket, guarded against idle and half-open connections.

pub mod api;
pub mod auth;
pub mod commands;
pub mod error;
pub mod listener;
pub mod listing;
pub mod metrics;
pub mod openapi;
pub mod ui;
pub mod views;

use crate::clock::Clock;
use crate::config::Config;
use crate::service::Service;
use axum::extract::{FromRequest, Request};
use axum::Router;
use error::ApiError;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub limiter: Arc<auth::LoginLimiter>,
    pub metrics: Arc<metrics::Metrics>,
    /// Wakes the scheduler (e.g. after the manual clock moved).
    pub wake: Arc<Notify>,
    /// What the background workers last reported (for `/healthz`).
    pub health: Arc<crate::health::Health>,
}

impl AppState {
    pub fn new(service: Service, config: Config, clock: Clock) -> AppState {
        AppState {
            service,
            config: Arc::new(config),
            clock,
            limiter: Arc::default(),
            metrics: Arc::default(),
            wake: Arc::new(Notify::new()),
            health: Arc::default(),
        }
    }
}

/// Largest JSON body: commands and forms are small; files go as multipart.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Reads a body for JSON, answering 413 past [`JSON_LIMIT`] (or the request cap).
async fn json_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || ApiError::TooLarge(format!("тело запроса больше {} КБ", JSON_LIMIT / 1024));
    let bytes = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
                || e.body_text().contains("length limit")
            {
                too_large()
            } else {
                ApiError::BadRequest(
                    "invalid_json",
                    format!("тело запроса не прочитано: {}", e.body_text()),
                )
            }
        })?;
    if bytes.len() > JSON_LIMIT {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A JSON body whose rejection answers in the API's error format (not axum's plain text).
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json_type {
            return Err(ApiError::BadRequest(
                "invalid_json",
                "нужен заголовок Content-Type: application/json".into(),
            ));
        }
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// A JSON body that may be absent: an empty body gives `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// Parses a JSON body. Text that is not JSON is a 400 (`invalid_json`); a well-formed body with
/// a wrong value in some field (a negative sum, a date that is not one) is a 422
/// (`invalid_input`) whose message starts with the field's path, e.g. `report.costs`.
///
/// No string anywhere in the body may hold a control character other than a line break or a
/// tab (NUL above all: PostgreSQL refuses it in text, and no field has a use for it).
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map(|(m, _)| m.to_string())
            .unwrap_or(message);
        ApiError::BadRequest(
            "invalid_json",
            format!("тело запроса не разобрано: {message}"),
        )
    })?;
    if let Some((path, why)) = control_characters(&value, "") {
        return Err(ApiError::field(&path, why));
    }
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let data = inner.classify() == serde_json::error::Category::Data;
            // serde's message without its "at line 1 column 42" tail.
            let message = inner.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map(|(m, _)| m.to_string())
                .unwrap_or(message);
            // A body of the wrong shape altogether (`[1, 2]` for an object) is malformed.
            if data && path != "." && !path.starts_with('[') {
                Err(ApiError::field(&path, message))
            } else {
                Err(ApiError::BadRequest(
                    "invalid_json",
                    format!("тело запроса не разобрано: {message}"),
                ))
            }
        }
    }
}

/// Query parameters whose rejection answers in the API's error format.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(AppQuery(v)),
            Err(rej) => Err(ApiError::BadRequest(
                "invalid_query",
                query_problem(&rej.body_text()),
            )),
        }
    }
}

/// What is wrong with a query string, in Russian, from axum's English rejection
/// (`Failed to deserialize query string: page: invalid digit found in string`).
pub fn query_problem(rejection: &str) -> String {
    let detail = rejection
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(rejection);
    let param = detail
        .split_once(": ")
        .map(|(p, _)| p)
        .filter(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let number = detail.contains("digit") || detail.contains("number");
    match (param, number) {
        (Some(p), true) => {
            format!("параметр запроса «{p}» должен быть целым неотрицательным числом")
        }
        (Some(p), false) => format!("параметр запроса «{p}» указан неверно"),
        (None, _) => "параметры запроса не разобраны: проверьте адрес".to_string(),
    }
}

/// The path of the first string (or key) in `v` with a forbidden control character.
fn control_characters(v: &serde_json::Value, at: &str) -> Option<(String, String)> {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) => crate::text::free_text(s).err().map(|e| {
            (
                if at.is_empty() {
                    ".".into()
                } else {
                    at.to_string()
                },
                e.to_string(),
            )
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| control_characters(x, &join(&i.to_string()))),
        serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
            crate::text::free_text(k)
                .err()
                .map(|e| (join(k), e.to_string()))
                .or_else(|| control_characters(x, &join(k)))
        }),
        _ => None,
    }
}

/// Refuses a request whose path or query holds an encoded control character (`%00`, `%0A`…)
/// with a 400: no identifier has one, and PostgreSQL would answer NUL with an error.
async fn refuse_control_characters(
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let raw = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
    let b = raw.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let bad = b.windows(3).any(|w| {
        w[0] == b'%'
            && matches!((hex(w[1]), hex(w[2])), (Some(h), Some(l)) if h * 16 + l < 0x20 || h * 16 + l == 0x7f)
    }) || raw.chars().any(char::is_control);
    if bad {
        return ApiError::BadRequest(
            "invalid_input",
            "адрес запроса содержит управляющие символы".into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// Headers every answer gets unless it set its own: no sniffing, no framing, no referrer to
/// other sites, and `Cache-Control: no-store` on whatever a signed-in caller receives (shared
/// computers and proxies must not keep another person's pages).
async fn hardening_headers(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::header::{self, HeaderValue};
    let signed_in = req.headers().contains_key(header::AUTHORIZATION)
        || req
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(auth::SESSION_COOKIE));
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if signed_in {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    resp
}

/// Largest request: several files of a version, each up to the per-file limit.
pub const FILES_PER_REQUEST: u64 = 20;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    // The per-file limit is enforced while streaming each file; this caps the whole request.
    let limit = (state
        .config
        .upload_limit_mb
        .saturating_mul(FILES_PER_REQUEST) as usize)
        .saturating_mul(1024 * 1024)
        .saturating_add(1024 * 1024);
    Router::new()
        .merge(api::routes())
        .merge(api::standing_routes())
        .merge(ui::routes())
        .merge(openapi::routes())
        .merge(metrics::routes())
        .fallback(|| async { ApiError::not_found("такой страницы нет") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(refuse_control_characters))
        .layer(axum::middleware::from_fn(hardening_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // Inside the trace layer, so the one line per failed request lands in its span; the
        // trace layer's own failure line would say it a second time, without the detail.
        .layer(axum::middleware::from_fn(error::log_errors))
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(()))
        .with_state(state)
}
