//! The HTTP service: the JSON API under `/api` (one module per resource in `api/`), the OpenAPI
//! document, and operations endpoints (`/healthz`, `/metrics`).

pub mod api;
pub mod auth;
pub mod error;
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
        serde_json::from_slice(&bytes).map(AppJson).map_err(|e| {
            ApiError::BadRequest("invalid_json", format!("тело запроса не разобрано: {e}"))
        })
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
        serde_json::from_slice(&bytes)
            .map(OptionalJson)
            .map_err(|e| {
                ApiError::BadRequest("invalid_json", format!("тело запроса не разобрано: {e}"))
            })
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
                format!("параметры запроса не разобраны: {}", rej.body_text()),
            )),
        }
    }
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
        .merge(ui::routes())
        .merge(openapi::routes())
        .merge(metrics::routes())
        .fallback(|| async { ApiError::not_found("такой страницы нет") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
