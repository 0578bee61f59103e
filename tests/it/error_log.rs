//! Every failed request is logged once, by the error middleware, with its method and path: a
//! server error at `error` level with the internal detail (the client never sees it), a caller's
//! mistake at `debug`. Handlers and the error page do not log what they return.

use crate::support::app;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

#[derive(Debug, Clone, Default)]
struct Line {
    level: Option<Level>,
    fields: Vec<(String, String)>,
}

impl Line {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.fields
            .push((field.name().to_string(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name().to_string(), value.to_string()));
    }
}

/// Keeps every event of the test's thread (the app's tasks run on it too).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut line = Line {
            level: Some(*event.metadata().level()),
            ..Line::default()
        };
        event.record(&mut line);
        self.0.lock().unwrap().push(line);
    }
}

impl Capture {
    /// The lines about `path`, and the error-level lines of the whole run.
    fn about(&self, path: &str) -> Vec<Line> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|l| l.get("path") == Some(path))
            .cloned()
            .collect()
    }

    fn errors(&self) -> Vec<Line> {
        let all = self.0.lock().unwrap();
        all.iter()
            .filter(|l| l.level == Some(Level::ERROR))
            .cloned()
            .collect()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_request_is_logged_once_with_its_path_at_the_level_of_its_kind() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let app = app::spawn().await;
    let (admin, a) = app::approved_seminar(&app).await;
    // Another test's thread may have registered a logging call site while this subscriber was
    // being installed, caching "nobody listens" for it; recompute now that it is installed.
    tracing::callsite::rebuild_interest_cache();

    // A caller's mistakes: once each, at debug, with the path.
    admin
        .get("/api/seminars/nope")
        .await
        .expect_error(404, "not_found");
    admin
        .post(
            "/api/seminars/s1/violations",
            json!({"code": "mispositioning"}),
        )
        .await
        .expect_error(422, "invalid_input");
    let page = a.get("/seminars/nope").await;
    assert_eq!(page.status.as_u16(), 404);
    for path in [
        "/api/seminars/nope",
        "/api/seminars/s1/violations",
        "/seminars/nope",
    ] {
        let lines = capture.about(path);
        assert_eq!(lines.len(), 1, "{path}: {lines:?}");
        assert_eq!(lines[0].level, Some(Level::DEBUG), "{path}: {lines:?}");
    }
    assert!(
        capture.about("/api/seminars/s1/violations")[0]
            .get("detail")
            .is_some_and(|d| d.contains("note")),
        "the mistake is in the line"
    );
    assert!(capture.errors().is_empty(), "{:?}", capture.errors());

    // A server error: once, at error, with the detail the client does not get.
    let url = app.config.database_url();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DROP TABLE penalties")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    tracing::callsite::rebuild_interest_cache();
    let r = admin.get("/api/penalties").await.expect(500);
    assert!(!r.text().contains("penalties"), "{}", r.text());
    let errors = capture.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].get("path"), Some("/api/penalties"), "{errors:?}");
    assert!(
        errors[0]
            .get("detail")
            .is_some_and(|d| d.contains("penalties")),
        "{errors:?}"
    );
}
