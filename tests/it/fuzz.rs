//! Property and fuzz tests (issue 14): arbitrary JSON bodies and form fields against the real
//! routes, and mutated workflow and scenario files. Whatever comes in: no panic, no 500, and a
//! value that was accepted reads back equal. Case counts are kept small enough for `cargo test`.

use crate::support::app::{self, App, Client, PROGRAM};
use crate::support::{catalog, root};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Strings people (and attackers) send: empty, long, control characters, NUL, RTL marks,
/// numbers-as-text, dates, money-like text.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,20}",
        "[\\x00-\\x1f\\x7f]{1,4}[a-zа-я]{0,6}",
        "-?[0-9]{1,25}(\\.[0-9]{0,12})?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        Just("9999-12-31".to_string()),
        Just("+262142-12-31".to_string()),
        Just("\u{202e}evil\u{0}".to_string()),
        Just("x".repeat(5000)),
    ]
}

fn nasty_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1_000_000_000_000i64)),
    ]
}

fn nasty_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        nasty_number(),
        nasty_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(nasty_string(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body shaped like what `route` expects, with each field replaced by a nasty value or left.
fn body_for(route: &'static str) -> BoxedStrategy<Value> {
    let fields: &[&str] = match route {
        "partners" => &["id", "name", "experienced", "coordinator"],
        "users" => &["email", "name", "role", "partner", "rights", "password"],
        "applications" => &["seminar", "city", "date", "partner"],
        "versions" => &["comment", "links", "report", "estimate"],
        "report" => &[
            "attendees",
            "registrations",
            "costs",
            "third_party_companies",
            "estimate",
        ],
        "violations" => &["code", "count", "cost", "note"],
        "return" => &["comment", "due"],
        "tokens" => &["name", "expires_in_days"],
        "venue" => &["venue"],
        _ => &[],
    };
    let fields: Vec<&'static str> = fields.to_vec();
    prop::collection::vec(prop::option::of(nasty_value()), fields.len())
        .prop_map(move |vals| {
            let mut o = serde_json::Map::new();
            for (k, v) in fields.iter().zip(vals) {
                if let Some(v) = v {
                    o.insert((*k).to_string(), v);
                }
            }
            Value::Object(o)
        })
        .boxed()
}

/// An app with partner `pa`, its main user, and seminar `s1` in preparation (clock 2017-02-10).
async fn world() -> (App, Client, Client) {
    let app = app::spawn().await;
    let (admin, a) = app::approved_seminar(&app).await;
    (app, admin, a)
}

#[test]
fn arbitrary_json_bodies_never_get_a_500_and_later_requests_still_work() {
    let rt = runtime();
    let (app, admin, a) = rt.block_on(world());
    let routes: Vec<(&'static str, String)> = vec![
        ("partners", "/api/partners".into()),
        ("users", "/api/users".into()),
        (
            "applications",
            format!("/api/programs/{PROGRAM}/applications"),
        ),
        (
            "versions",
            "/api/seminars/s1/stages/program/versions".into(),
        ),
        ("report", "/api/seminars/s1/stages/report/versions".into()),
        ("violations", "/api/seminars/s1/violations".into()),
        ("return", "/api/seminars/s1/stages/program/return".into()),
        ("tokens", "/api/me/tokens".into()),
        ("venue", "/api/seminars/s1/venue".into()),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    for (kind, path) in &routes {
        let strategy = (body_for(kind), nasty_value(), any::<bool>());
        runner
            .run(&strategy, |(shaped, raw, as_admin)| {
                let who = if as_admin { &admin } else { &a };
                let body = if *kind == "report" {
                    json!({ "report": shaped })
                } else {
                    shaped
                };
                for b in [body, raw] {
                    let r = rt.block_on(who.post(path, b.clone()));
                    prop_assert!(
                        r.status.as_u16() < 500,
                        "{path} {b} → {} {}",
                        r.status,
                        r.text()
                    );
                    if !r.status.is_success() {
                        r.error_code();
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    // Nothing anyone sent broke anything for anyone else.
    rt.block_on(async {
        admin.get("/api/seminars").await.expect(200);
        admin.get("/api/penalties").await.expect(200);
        admin.get("/api/partners").await.expect(200);
        a.get("/my").await.expect(200);
        app.anonymous().get("/organizers").await.expect(200);
        app.anonymous().get("/healthz").await.expect(200);
    });
}

#[test]
fn accepted_partner_names_and_report_costs_read_back_equal() {
    let rt = runtime();
    let (_app, admin, _a) = rt.block_on(world());
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let n = std::cell::Cell::new(0u32);
    runner
        .run(&nasty_string(), |name| {
            n.set(n.get() + 1);
            let id = format!("p{}", n.get());
            let r = rt.block_on(admin.post("/api/partners", json!({"id": id, "name": name})));
            prop_assert!(r.status.as_u16() < 500, "{name:?} → {}", r.status);
            if r.status.as_u16() == 201 {
                let back = rt
                    .block_on(admin.get(&format!("/api/partners/{id}")))
                    .json();
                prop_assert_eq!(back["name"].as_str(), Some(name.trim()));
            }
            Ok(())
        })
        .unwrap();
    // Money: whatever text parses reads back as the same amount, within bounds.
    runner
        .run(&nasty_string(), |text| {
            if let Ok(k) = text.parse::<seminarflow::domain::Kopecks>() {
                prop_assert!(k.is_valid(), "{text} → {k:?}");
                prop_assert_eq!(k.to_string().parse::<seminarflow::domain::Kopecks>(), Ok(k));
                let json = serde_json::to_string(&k).unwrap();
                prop_assert_eq!(
                    serde_json::from_str::<seminarflow::domain::Kopecks>(&json).unwrap(),
                    k
                );
            }
            Ok(())
        })
        .unwrap();
    runner
        .run(&any::<i64>(), |rub| {
            let parsed = serde_json::from_str::<seminarflow::domain::Kopecks>(&rub.to_string());
            prop_assert_eq!(parsed.is_ok(), (0..=1_000_000_000).contains(&rub));
            Ok(())
        })
        .unwrap();
}

#[test]
fn multipart_report_fields_never_get_a_500() {
    let rt = runtime();
    let (_app, _admin, a) = rt.block_on(world());
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let field = || prop::option::of(nasty_string());
    runner
        .run(
            &(field(), field(), field(), field()),
            |(att, reg, costs, est)| {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in [
                    ("attendees", att),
                    ("registrations", reg),
                    ("costs", costs),
                    ("estimate", est),
                ] {
                    if let Some(v) = v {
                        form = form.text(k, v);
                    }
                }
                let r =
                    rt.block_on(a.post_multipart("/api/seminars/s1/stages/report/versions", form));
                prop_assert!(r.status.as_u16() < 500, "{} {}", r.status, r.text());
                Ok(())
            },
        )
        .unwrap();
}

/// Replaces the value of the `index`-th `key = value` line of `text` with `value`.
fn mutate(text: &str, index: usize, value: &str) -> String {
    let assignments: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with('#') && t.contains(" = ")
        })
        .map(|(i, _)| i)
        .collect();
    let target = assignments[index % assignments.len()];
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == target {
                let (k, _) = l.split_once(" = ").unwrap();
                format!("{k} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just("-5".to_string()),
        Just("9223372036854775807".to_string()),
        Just("1e308".to_string()),
        Just("\"745934535356.382064640\"".to_string()),
        Just("\"-0.5\"".to_string()),
        Just("\"9999-12-31\"".to_string()),
        Just("9999-12-31".to_string()),
        Just("\"\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        "[a-z0-9 .:-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        "-?[0-9]{1,20}\\.[0-9]{1,20}".prop_map(|s| format!("\"{s}\"")),
    ]
}

#[test]
fn mutated_workflow_files_are_refused_or_loaded_never_a_panic() {
    let text = std::fs::read_to_string(root().join("workflows/bitrix24-seminars-2017-spring.toml"))
        .unwrap();
    let cat = catalog();
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(any::<usize>(), toml_value()), |(i, v)| {
            let path = dir.path().join("mutated.toml");
            std::fs::write(&path, mutate(&text, i, &v)).unwrap();
            let _ = cat.load_file(&path);
            Ok(())
        })
        .unwrap();
}

/// The events file exercises the general format's sections (brackets, ranges, line lookup of
/// problems) that the flagship does not have.
#[test]
fn mutated_events_workflow_files_are_refused_or_checked_never_a_panic() {
    let text =
        std::fs::read_to_string(root().join("workflows/bitrix-partner-events-2017.toml")).unwrap();
    let cat = catalog();
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(any::<usize>(), toml_value()), |(i, v)| {
            let path = dir.path().join("bitrix-partner-events-2017.toml");
            std::fs::write(&path, mutate(&text, i, &v)).unwrap();
            if let Err(e) = cat.load_file(&path) {
                let _ = e.to_string();
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_scenario_files_are_refused_or_run_never_a_panic() {
    let rt = runtime();
    let text =
        std::fs::read_to_string(root().join("tests/scenarios/02-late-and-halved.toml")).unwrap();
    let cat = catalog();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(any::<usize>(), toml_value()), |(i, v)| {
            let mutated = mutate(&text, i, &v);
            if let Ok((sc, prog)) = seminarflow::simulate::load(&cat, &mutated) {
                let _ = rt.block_on(seminarflow::simulate::run(&sc, prog));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_partner_program_files_are_refused_or_checked_never_a_panic() {
    let cat = catalog();
    let dir = tempfile::tempdir().unwrap();
    for id in [
        "bitrix-partner-status",
        "bitrix-kkv-competence",
        "moysklad-partner-status",
    ] {
        let text = std::fs::read_to_string(root().join(format!("workflows/{id}.toml"))).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 128,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&(any::<usize>(), toml_value()), |(i, v)| {
                let path = dir.path().join(format!("{id}.toml"));
                std::fs::write(&path, mutate(&text, i, &v)).unwrap();
                if let Err(e) = cat.load_file(&path) {
                    let _ = e.to_string();
                }
                Ok(())
            })
            .unwrap();
    }
}
