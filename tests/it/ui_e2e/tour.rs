//! Every page, for every role that sees it, at 1366 and 390 px (issue 13: screenshots of every
//! page in `target/ui-screenshots/tour-*.png`). Each visit must render the page (not the error
//! page) and must not scroll sideways on a phone. A second test keeps the tour complete: every
//! GET route of `src/http/ui/mod.rs` is visited by some role, so a new page cannot be forgotten.

use super::browser::with_browser;
use super::{add_user, demo_app, password_of};
use crate::support::app::{PROGRAM, USER_PASSWORD};
use seminarflow::accounts::Role;

/// Who visits: a label for the file names, and the login (`None`: signed out).
struct Visitor {
    label: &'static str,
    login: Option<&'static str>,
    pages: &'static [(&'static str, &'static str)],
}

/// (slug, path) per role. `{program}` is replaced by the program's id, `{event}` by the id of
/// the event partner p01 announces in the events program.
const TOUR: &[Visitor] = &[
    Visitor {
        label: "public",
        login: None,
        pages: &[("login", "/login"), ("organizers", "/organizers")],
    },
    Visitor {
        label: "coordinator",
        login: Some("coordinator@demo.local"),
        pages: &[
            ("home", "/"),
            ("dashboard", "/dashboard"),
            ("program", "/programs/{program}"),
            ("seminar-returned-late", "/seminars/s03"),
            ("seminar-report-waiting", "/seminars/s02"),
            ("seminar-results", "/seminars/s01"),
            ("seminar-excluded", "/seminars/s06"),
            ("account", "/account"),
            ("users", "/admin/users"),
            ("partners", "/admin/partners"),
            ("outbox", "/admin/outbox"),
            ("events-queue", "/events/queue"),
            ("events-calendar", "/events/calendar"),
            ("event", "/events/{event}"),
            ("partner-events", "/partners/p01/events"),
            ("partners-at-risk", "/partners/at-risk"),
            ("partner-card", "/partners/p01"),
        ],
    },
    Visitor {
        label: "admin",
        login: Some("admin@vendor.test"),
        pages: &[
            ("dashboard", "/dashboard"),
            ("program", "/programs/{program}"),
            ("account", "/account"),
            ("users", "/admin/users"),
            ("partners", "/admin/partners"),
            ("outbox", "/admin/outbox"),
            ("clock", "/admin/clock"),
        ],
    },
    Visitor {
        label: "partner",
        login: Some("p01@demo.local"),
        pages: &[
            ("home", "/my"),
            ("apply", "/my/apply"),
            ("penalties", "/my/penalties"),
            ("ledger", "/my/ledger"),
            ("seminar", "/seminars/s01"),
            ("team", "/my/team"),
            ("account", "/account"),
            ("events", "/my/events"),
            ("event-new", "/my/events/new"),
            ("event", "/events/{event}"),
            ("status", "/my/status"),
        ],
    },
    Visitor {
        label: "partner-limited",
        login: Some("p03@demo.local"),
        pages: &[
            ("home", "/my"),
            ("seminar", "/seminars/s03"),
            ("ledger", "/my/ledger"),
            ("penalties", "/my/penalties"),
        ],
    },
];

/// What the page is, and whether it is wider than the window.
const CHECK: &str = r#"
return {
  error: document.getElementById('err-h') !== null,
  title: document.title,
  scroll: document.documentElement.scrollWidth,
  width: document.documentElement.clientWidth,
};
"#;

fn path_of(page: &str, event: &str) -> String {
    page.replace("{program}", PROGRAM).replace("{event}", event)
}

/// Partner p01 announces a webinar in the events program (the demo has none); its id.
async fn seed_event(app: &crate::support::app::App, creds: &[(String, String)]) -> String {
    let p = app
        .login("p01@demo.local", &password_of(creds, "p01@demo.local"))
        .await;
    let r = p
        .post(
            "/api/programs/bitrix-partner-events-2017/events",
            serde_json::json!({"kind": "webinar", "topic": "site", "date": "2017-05-10", "online": true}),
        )
        .await
        .expect(201)
        .json();
    r["id"].as_str().expect("the event's id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn every_page_renders_for_its_roles_at_desktop_and_phone_width() {
    let (app, mut creds) = demo_app().await;
    add_user(
        &app,
        "admin@vendor.test",
        "Ольга Администратор",
        Role::Admin,
        None,
        None,
    )
    .await;
    creds.push(("admin@vendor.test".into(), USER_PASSWORD.into()));
    let event = seed_event(&app, &creds).await;
    let event = &event;
    let app = &app;
    let creds = &creds;
    with_browser(&app.base.clone(), async |b| {
        let mut problems = vec![];
        for v in TOUR {
            if let Some(email) = v.login {
                b.login(email, &password_of(creds, email)).await;
            }
            for (slug, page) in v.pages {
                let path = path_of(page, event);
                b.goto(&path).await;
                b.wait_for("main").await;
                let name = format!("tour-{}-{slug}", v.label);
                b.shot_at(&format!("{name}-1366"), 1366).await;
                b.set_width(390).await;
                let r = b.eval(CHECK).await;
                if r["error"] == true {
                    problems.push(format!(
                        "{} {path}: the error page «{}»",
                        v.label, r["title"]
                    ));
                }
                if r["scroll"].as_u64() > r["width"].as_u64() {
                    problems.push(format!(
                        "{} {path}: scrolls sideways at 390 px: {r}",
                        v.label
                    ));
                }
                b.shot_at(&format!("{name}-390"), 390).await;
            }
            if v.login.is_some() {
                b.logout().await;
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    })
    .await;
}

/// The GET routes of the pages, read from the router's source (static files and the calendar
/// feed are not pages).
fn page_routes() -> Vec<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/ui/mod.rs"))
        .expect("the page router's source");
    src.split(".route(")
        .skip(1)
        .filter_map(|chunk| {
            let path = chunk.split('"').nth(1)?;
            let handlers = chunk.split(".route(").next()?;
            handlers.contains("get(").then(|| path.to_string())
        })
        .filter(|p| !p.starts_with("/ui/") && !p.starts_with("/calendar/"))
        .collect()
}

fn matches(route: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let (r, p): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    r.len() == p.len()
        && r.iter()
            .zip(&p)
            .all(|(r, p)| r == p || (r.starts_with('{') && r.ends_with('}') && !p.is_empty()))
}

#[test]
fn the_tour_visits_every_page_route() {
    let routes = page_routes();
    assert!(
        routes.len() >= 10,
        "the router's source was not read: {routes:?}"
    );
    let visited: Vec<String> = TOUR
        .iter()
        .flat_map(|v| v.pages.iter().map(|(_, p)| path_of(p, "e1")))
        .collect();
    let missing: Vec<&String> = routes
        .iter()
        .filter(|r| !visited.iter().any(|p| matches(r, p)))
        .collect();
    assert!(
        missing.is_empty(),
        "pages the screenshot tour does not visit (add them to TOUR in tests/it/ui_e2e/tour.rs): {missing:?}"
    );
}
