//! `/metrics` as a Prometheus server reads it: requests by route template (never the raw path),
//! the scheduler's last tick and lag, the build, and every outbox status, zero included.

use crate::support::app::{approved_seminar, spawn};
use std::collections::BTreeMap;

/// One sample of the exposition: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text format (enough of it for our own output; a line that does not parse fails
/// the test, so a broken exposition is caught too).
fn parse(text: &str) -> Vec<Sample> {
    let mut out = vec![];
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (head, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match head.split_once('{') {
            None => (head.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let mut labels = BTreeMap::new();
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("bad label {pair:?}: {line}"));
                    labels.insert(k.to_string(), v.trim_end_matches('"').to_string());
                }
                (name.to_string(), labels)
            }
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    out
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

fn one(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(samples, name, labels);
    assert_eq!(found.len(), 1, "one {name} {labels:?}: {found:?}");
    found[0].value
}

#[tokio::test]
async fn metrics_label_requests_by_route_and_show_scheduler_build_and_every_outbox_status() {
    let app = spawn().await;
    let (admin, _partner) = approved_seminar(&app).await;
    admin.get("/api/seminars/s1").await.expect(200);
    admin.get("/api/seminars/no-such-seminar").await.expect(404);
    app.anonymous().get("/no/such/page/at/all").await;

    let text = app.anonymous().get("/metrics").await.expect(200).text();
    let m = parse(&text);

    // Both seminar reads count under the one route template, by status; no raw path leaks.
    let ok = one(
        &m,
        "seminarflow_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/api/seminars/{id}"),
            ("status", "200"),
        ],
    );
    assert!(ok >= 1.0, "{text}");
    let missing = one(
        &m,
        "seminarflow_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/api/seminars/{id}"),
            ("status", "404"),
        ],
    );
    assert!(missing >= 1.0, "{text}");
    assert!(
        !text.contains("no-such-seminar") && !text.contains("/no/such/page"),
        "{text}"
    );
    assert!(
        !find(
            &m,
            "seminarflow_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        )
        .is_empty(),
        "a path no route matches counts as `unmatched`: {text}"
    );
    let count = one(
        &m,
        "seminarflow_http_request_duration_seconds_count",
        &[("route", "/api/seminars/{id}")],
    );
    assert!(count >= 2.0, "{text}");
    let inf = one(
        &m,
        "seminarflow_http_request_duration_seconds_bucket",
        &[("route", "/api/seminars/{id}"), ("le", "+Inf")],
    );
    assert_eq!(inf, count, "{text}");

    // The build.
    let build = find(&m, "seminarflow_build_info", &[]);
    assert_eq!(build.len(), 1, "{text}");
    assert_eq!(build[0].value, 1.0);
    assert_eq!(
        build[0].labels.get("version").map(String::as_str),
        Some(env!("CARGO_PKG_VERSION"))
    );

    // Every outbox status is a series, those with no rows at 0.
    for status in ["pending", "sent", "failed", "digest"] {
        let n = one(
            &m,
            "seminarflow_outbox_notifications",
            &[("status", status)],
        );
        assert!(n >= 0.0, "{status}: {text}");
    }
    assert_eq!(
        one(
            &m,
            "seminarflow_outbox_notifications",
            &[("status", "failed")]
        ),
        0.0
    );

    // The clock moves (`set_clock` ticks): the last tick is recent, nothing is overdue.
    let before = chrono::Utc::now().timestamp() as f64;
    let last = one(&m, "seminarflow_scheduler_last_tick_seconds", &[]);
    assert!(
        last >= before - 120.0 && last <= before + 5.0,
        "{last} {text}"
    );
    assert_eq!(
        one(&m, "seminarflow_scheduler_lag_seconds", &[]),
        0.0,
        "{text}"
    );

    // The business clock runs a day past the first deadline without a tick: the lag says so.
    let next_due = app
        .state
        .service
        .store
        .next_due()
        .await
        .unwrap()
        .expect("an approved seminar has deadlines");
    app.state
        .clock
        .set(next_due + chrono::Duration::hours(24))
        .unwrap();
    let m = parse(&app.anonymous().get("/metrics").await.expect(200).text());
    let lag = one(&m, "seminarflow_scheduler_lag_seconds", &[]);
    assert_eq!(lag, 86_400.0);
}

#[tokio::test]
async fn the_last_tick_is_zero_until_the_scheduler_runs_and_then_the_time_of_its_tick() {
    let app = spawn().await;
    let m = parse(&app.anonymous().get("/metrics").await.expect(200).text());
    assert_eq!(one(&m, "seminarflow_scheduler_last_tick_seconds", &[]), 0.0);
    assert_eq!(one(&m, "seminarflow_scheduler_lag_seconds", &[]), 0.0);

    let stop = tokio_util::sync::CancellationToken::new();
    let before = chrono::Utc::now().timestamp();
    let task = tokio::spawn(seminarflow::server::scheduler_loop(
        app.state.clone(),
        stop.clone(),
    ));
    let mut last = 0.0;
    for _ in 0..100 {
        let m = parse(&app.anonymous().get("/metrics").await.expect(200).text());
        last = one(&m, "seminarflow_scheduler_last_tick_seconds", &[]);
        if last > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop.cancel();
    let _ = task.await;
    assert!(
        last >= before as f64 && last <= chrono::Utc::now().timestamp() as f64,
        "{last}"
    );
}
