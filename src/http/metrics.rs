//! Operations: `/healthz` and `/metrics` (Prometheus text format: requests and latencies by
//! route template, the scheduler's last tick and lag, build info, due items, the outbox by
//! status — every status, zero included — and penalties booked).

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Latency histogram buckets, seconds.
const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The `route` label of a request no route matched (404s of scanners would otherwise make one
/// series per probed path).
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    /// Wall-clock unix seconds of the scheduler's last successful tick; 0 before the first.
    last_tick: AtomicI64,
}

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    /// (method, route template, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// route template → latency
    latency: BTreeMap<String, Histogram>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *m.requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = m.latency.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The scheduler finished a tick (whether or not it fired anything) at `at`.
    pub fn scheduler_ticked(&self, at: DateTime<Utc>) {
        self.last_tick.store(at.timestamp(), Ordering::Relaxed);
    }

    /// Unix seconds of the last tick, 0 before the first.
    pub fn scheduler_last_tick(&self) -> i64 {
        self.last_tick.load(Ordering::Relaxed)
    }
}

/// Counts a request under its route template (`/api/seminars/{id}`), never its raw path.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_string());
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.record(
        &method,
        &route,
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
    build_info(&mut out);
    scheduler_metrics(&state, &mut out).await;
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

/// A label value as the exposition format wants it (route templates hold no quotes, but a
/// method could).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Inner {
    /// The request counters and the latency histograms.
    fn prometheus(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP seminarflow_http_requests_total HTTP requests by method, route template and status.\n# TYPE seminarflow_http_requests_total counter");
        for ((method, route, status), n) in &self.requests {
            let _ = writeln!(
                out,
                "seminarflow_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        let _ = writeln!(out, "# HELP seminarflow_http_request_duration_seconds Request latency by route template.\n# TYPE seminarflow_http_request_duration_seconds histogram");
        for (route, h) in &self.latency {
            let route = label(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "seminarflow_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "seminarflow_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\nseminarflow_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\nseminarflow_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        out
    }
}

/// The build: version always, the git commit when the build was given one
/// (`SEMINARFLOW_GIT_SHA` in the build's environment).
fn build_info(out: &mut String) {
    let version = env!("CARGO_PKG_VERSION");
    let sha = option_env!("SEMINARFLOW_GIT_SHA")
        .map(|s| format!(",git_sha=\"{}\"", label(s)))
        .unwrap_or_default();
    let _ = writeln!(out, "# HELP seminarflow_build_info The running build.\n# TYPE seminarflow_build_info gauge\nseminarflow_build_info{{version=\"{version}\"{sha}}} 1");
}

/// The scheduler's last tick (wall clock) and its lag: how long the oldest due item that is
/// not yet fired has been due, by the business clock (0 when nothing is overdue).
async fn scheduler_metrics(state: &AppState, out: &mut String) {
    let last = state.metrics.scheduler_last_tick();
    let _ = writeln!(out, "# HELP seminarflow_scheduler_last_tick_seconds Unix time of the scheduler's last tick (0: none yet).\n# TYPE seminarflow_scheduler_last_tick_seconds gauge\nseminarflow_scheduler_last_tick_seconds {last}");
    if let Ok(next) = state.service.store.next_due().await {
        let lag = next
            .map(|due| (state.clock.now() - due).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        let _ = writeln!(out, "# HELP seminarflow_scheduler_lag_seconds How long the oldest unfired due item has been due (0: none).\n# TYPE seminarflow_scheduler_lag_seconds gauge\nseminarflow_scheduler_lag_seconds {lag}");
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
        // Every status, a zero included: an alert on `failed > 0` needs the series to exist.
        let mut all: BTreeMap<String, i64> = crate::notifier::OUTBOX_STATUSES
            .iter()
            .map(|s| (s.to_string(), 0))
            .collect();
        all.extend(counts);
        for (s, n) in all {
            let _ = writeln!(
                out,
                "seminarflow_outbox_notifications{{status=\"{}\"}} {n}",
                label(&s)
            );
        }
    }
    if let Ok(n) = store.penalty_count().await {
        let _ = writeln!(out, "# HELP seminarflow_penalties_booked_total Penalties booked.\n# TYPE seminarflow_penalties_booked_total counter\nseminarflow_penalties_booked_total {n}");
    }
}
