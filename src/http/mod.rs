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

/// A JSON body whose rejection answers in the API's error format (not axum's plain text).
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(AppJson(v)),
            Err(rej) => Err(ApiError::BadRequest(
                "invalid_json",
                format!("тело запроса не разобрано: {}", rej.body_text()),
            )),
        }
    }
}

/// A JSON body that may be absent: an empty body gives `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::BadRequest(
                    "invalid_json",
                    format!("тело запроса не прочитано: {}", e.body_text()),
                )
            })?;
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

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let limit = (state.config.upload_limit_mb as usize)
        .saturating_mul(1024 * 1024)
        .saturating_add(1024 * 1024);
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .merge(openapi::routes())
        .merge(metrics::routes())
        .fallback(|| async { ApiError::not_found("такой страницы нет") })
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
