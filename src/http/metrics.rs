//! Operations: `/healthz` and `/metrics` (Prometheus text format: requests, latencies, due
//! items, outbox backlog, penalties booked).

use super::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Latency histogram buckets, seconds.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// (method, status) → count
    requests: BTreeMap<(String, u16), u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn record(&self, method: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *m.requests.entry((method.to_string(), status)).or_default() += 1;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum += seconds;
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.record(
        &method,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// Readiness: `ok` while the server listens and the scheduler and the notifier run; 503 with
/// one line per stopped or failing worker otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Сервис работает", body = String), (status = 503, description = "Планировщик или рассылка остановлены", body = String)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let problems = state.health.problems();
    if problems.is_empty() {
        "ok".into_response()
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            problems.join("\n") + "\n",
        )
            .into_response()
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Метрики в формате Prometheus", body = String)))]
pub async fn metrics(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !allowed(&state, peer, &headers) {
        return super::error::ApiError::forbidden(
            "метрики доступны с этой машины или с токеном metrics_token",
        )
        .into_response();
    }
    let mut out = state
        .metrics
        .inner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .prometheus();
    store_metrics(&state, &mut out).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Operational numbers are not for the public: a token, or a caller on this machine.
fn allowed(state: &AppState, peer: std::net::SocketAddr, headers: &axum::http::HeaderMap) -> bool {
    match &state.config.metrics_token {
        Some(t) => headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| {
                crate::accounts::token_hash(sent.trim()) == crate::accounts::token_hash(t)
            }),
        None => peer.ip().is_loopback(),
    }
}

impl Inner {
    /// The request counters and the latency histogram.
    fn prometheus(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP seminarflow_http_requests_total HTTP requests by method and status.\n# TYPE seminarflow_http_requests_total counter");
        for ((method, status), n) in &self.requests {
            let _ = writeln!(
                out,
                "seminarflow_http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP seminarflow_http_request_duration_seconds Request latency.\n# TYPE seminarflow_http_request_duration_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "seminarflow_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "seminarflow_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(
            out,
            "seminarflow_http_request_duration_seconds_sum {}",
            self.sum
        );
        let _ = writeln!(
            out,
            "seminarflow_http_request_duration_seconds_count {}",
            self.count
        );
        out
    }
}

/// Due items, the outbox backlog and penalties booked (a number the store cannot give now is
/// left out rather than failing the whole scrape).
async fn store_metrics(state: &AppState, out: &mut String) {
    let store = &state.service.store;
    if let Ok(n) = store.pending_due_count().await {
        let _ = writeln!(out, "# HELP seminarflow_due_items_pending Due items waiting for their instant.\n# TYPE seminarflow_due_items_pending gauge\nseminarflow_due_items_pending {n}");
    }
    if let Ok(counts) = store.outbox_counts().await {
        let _ = writeln!(out, "# HELP seminarflow_outbox_notifications Outbox rows by delivery status.\n# TYPE seminarflow_outbox_notifications gauge");
        for (s, n) in counts {
            let _ = writeln!(
                out,
                "seminarflow_outbox_notifications{{status=\"{s}\"}} {n}"
            );
        }
    }
    if let Ok(n) = store.penalty_count().await {
        let _ = writeln!(out, "# HELP seminarflow_penalties_booked_total Penalties booked.\n# TYPE seminarflow_penalties_booked_total counter\nseminarflow_penalties_booked_total {n}");
    }
}
