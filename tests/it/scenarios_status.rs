//! Every `tests/scenarios/status/*.toml`, `tests/scenarios/kkv/*.toml` and
//! `tests/scenarios/moysklad/*.toml` (partner programs, S§5; the KKV and MoySklad folders hold
//! the shared examples 07 and 08) runs through `simulate` and
//! must produce its `.expected.json`: compared as data on the keys the expected file has, and
//! `notifications_present` as a list every item of which the report's notifications contain,
//! in that order (other notices may come between).

use crate::scenarios::matches;
use crate::support::{catalog, root};
use seminarflow::simulate;
use serde_json::Value;

async fn run(name: &str) -> (Value, Value) {
    run_in("status", name).await
}

async fn run_in(folder: &str, name: &str) -> (Value, Value) {
    let dir = root().join("tests/scenarios").join(folder);
    let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let cat = catalog();
    assert!(
        simulate::partner::is_partner_scenario(&cat, &text),
        "{name}"
    );
    let (_, got) = simulate::partner::run_text(&cat, &text)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (expected, got)
}

/// Differences between `expected` and `got` (see the module comment).
fn diffs(name: &str, expected: &Value, got: &Value) -> Vec<String> {
    let mut out = vec![];
    let mut e = expected.clone();
    let present = e
        .as_object_mut()
        .and_then(|o| o.remove("notifications_present"));
    matches(&e, got, name, &mut out);
    if let Some(Value::Array(want)) = present {
        let have = got["notifications"].as_array().cloned().unwrap_or_default();
        let mut from = 0;
        for w in &want {
            let found = have[from..].iter().position(|h| {
                let mut d = vec![];
                matches(w, h, "", &mut d);
                d.is_empty()
            });
            match found {
                Some(i) => from += i + 1,
                None => out.push(format!(
                    "{name}: notification {w} not found (in order) among {}",
                    serde_json::to_string_pretty(&have).unwrap()
                )),
            }
        }
    }
    out
}

#[tokio::test]
async fn every_status_scenario_produces_its_expected_report() {
    every_scenario_in("status", 2).await;
}

/// The KKV competence (S§5.3): the public example 07 and the hand-computed edges of
/// `tests/scenarios/kkv/README.md`.
#[tokio::test]
async fn every_kkv_scenario_produces_its_expected_report() {
    every_scenario_in("kkv", 1).await;
}

/// Example 08 and the MoySklad edges (README.md there holds the hand computations).
#[tokio::test]
async fn every_moysklad_scenario_produces_its_expected_report() {
    every_scenario_in("moysklad", 1).await;
}

async fn every_scenario_in(folder: &str, at_least: usize) {
    let dir = root().join("tests/scenarios").join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| n.trim_end_matches(".toml").to_string())
        .collect();
    names.sort();
    assert!(names.len() >= at_least, "{names:?}");
    let mut failures = vec![];
    for n in &names {
        let (e, g) = run_in(folder, n).await;
        let d = diffs(n, &e, &g);
        if !d.is_empty() {
            failures.push(d.join("\n  "));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Issue 11 "done when": a flagship season played together with the status workflow promotes
/// the partner who earned enough points at the right 00:00 and demotes it at the anniversary
/// when its points expire.
#[tokio::test]
async fn a_flagship_season_with_the_status_workflow_promotes_at_midnight_and_demotes_at_the_anniversary(
) {
    let (_, got) = run("30-flagship-season-feeds-status").await;
    let s1 = &got["seminars"][0];
    assert_eq!(
        (s1["id"].as_str(), s1["points_awarded"].as_i64()),
        (Some("s1"), Some(120))
    );
    let p1 = &got["partners"][0];
    let h = p1["status"]["history"].as_array().unwrap();
    let changes: Vec<(&str, &str, &str)> = h
        .iter()
        .map(|e| {
            (
                e["at"].as_str().unwrap(),
                e["code"].as_str().unwrap_or(""),
                e["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("2016-11-01T10:00:00+03:00", "business_partner", "granted"),
            ("2017-04-07T00:00:00+03:00", "certified_partner", "promoted"),
            ("2018-04-08T00:00:00+03:00", "business_partner", "lost"),
        ]
    );
    assert_eq!(h[1]["active_points"].as_i64(), Some(150));
    assert_eq!(h[2]["active_points"].as_i64(), Some(59));
    assert_eq!(p1["points"].as_i64(), Some(59));
}

/// Issue 11 item 4 (KKV, first half): the decided ladder's commands run through the service
/// and its items through the store and the scheduler — the package's decision deadline planned
/// by `kkv_documents` fires `review_due` to the coordinator once at 00:00 after the due day,
/// and the grant books the standing, its history and the partner's notice.
#[tokio::test]
async fn kkv_commands_book_the_standing_and_the_scheduler_fires_their_items_once() {
    use chrono::{FixedOffset, TimeZone, Utc};
    use seminarflow::domain::Partner;
    use seminarflow::service::{Audit, Service};
    use seminarflow::storage::SqliteStore;
    use std::sync::Arc;
    let at = |m: u32, d: u32, h: u32| {
        FixedOffset::east_opt(3 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let cat = catalog();
    // Partner programs are loaded by file (not `Catalog::program`, which serves the server).
    let prog = cat
        .load_file(&root().join("workflows/bitrix-kkv-competence.toml"))
        .unwrap();
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let service = Service::new(Arc::new(store), vec![prog]);
    let k1 = Partner {
        id: "k1".into(),
        name: "ИнтеграторПлюс".into(),
        experienced: false,
        barred: false,
        late_withdrawal: false,
    };
    let by = Audit {
        actor: "test",
        at: at(2, 26, 9),
    };
    service.save_partner(by, &k1).await.unwrap();
    let run = |act: &'static str, f: serde_json::Value, now| {
        let service = &service;
        async move {
            let fields = serde_json::from_value(f).unwrap();
            service
                .execute_partner("bitrix-kkv-competence", "k1", act, &fields, now)
                .await
        }
    };
    run(
        "kkv_apply",
        serde_json::json!({"level": "basic", "complete": false}),
        at(2, 26, 10),
    )
    .await
    .unwrap();
    run("kkv_documents", serde_json::json!({}), at(3, 2, 11))
        .await
        .unwrap();
    service.scheduler.tick(at(3, 13, 9)).await.unwrap();
    service.scheduler.tick(at(3, 13, 9)).await.unwrap();
    let review_due: Vec<_> = service
        .store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.notification)
        .filter(|n| n.kind.as_str() == "review_due")
        .collect();
    assert_eq!(review_due.len(), 1, "{review_due:?}");
    assert_eq!(review_due[0].at, at(3, 13, 0));
    assert_eq!(review_due[0].data["due"], "2026-03-12");
    let told = run(
        "kkv_decide",
        serde_json::json!({"level": "basic", "override": true}),
        at(3, 13, 10),
    )
    .await
    .unwrap();
    assert!(
        told.iter()
            .any(|n| n.kind.as_str() == "kkv_granted"
                && n.data["until"] == "2027-03-14T00:00:00+03:00"),
        "{told:?}"
    );
    let s = service
        .store
        .standing("k1", "bitrix-kkv-competence")
        .await
        .unwrap()
        .unwrap();
    let changes: Vec<&str> = s.history.iter().map(|h| h.change.as_str()).collect();
    assert_eq!(changes, ["applied", "package_complete", "granted"]);
    assert_eq!(s.code.as_deref(), Some("basic"));
}

/// Issue 11 item 4 (mail): every `kkv_*` template of `templates/email` renders in strict mode
/// from a notice the engine really raises in the KKV scenarios — no missing field, no raw
/// instant or code of money left in the text.
#[tokio::test]
async fn every_kkv_mail_template_renders_from_a_notice_the_engine_raises() {
    use seminarflow::domain::{Recipient, Seminar, SeminarState};
    use seminarflow::notifier::context::{notification, Facts};
    use seminarflow::notifier::recipients::Addressee;
    use seminarflow::notifier::Templates;
    use std::collections::BTreeSet;
    let templates = Templates::builtin().unwrap();
    let cat = catalog();
    let dir = root().join("tests/scenarios/kkv");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut rendered = BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let (service, _) = simulate::partner::run_text(&cat, &text).await.unwrap();
        let prog = service.program("bitrix-kkv-competence").unwrap().clone();
        for row in service.store.outbox().await.unwrap() {
            let n = row.notification;
            if !n.kind.as_str().starts_with("kkv_") {
                continue;
            }
            let partner = match &n.to {
                Recipient::Partner(p) => p.clone(),
                Recipient::Coordinator => n.data["partner"].as_str().unwrap().to_string(),
            };
            // The stand-in a partner-level notice renders with (no seminar).
            let seminar = Seminar {
                id: String::new(),
                program: prog.wf.id.clone(),
                partner: partner.clone(),
                city: String::new(),
                date: n.at.date_naive(),
                week: String::new(),
                state: SeminarState::Applied,
                applied_at: n.at,
                decided_at: None,
                info_support: false,
                coordinator: None,
                venue: None,
                stages: Default::default(),
                penalties: vec![],
                voided: Default::default(),
                report: None,
                estimate: None,
                result: None,
                item: Default::default(),
                version: 0,
            };
            let facts = Facts {
                seminar: &seminar,
                program: &prog,
                partner_name: &partner,
                base_url: "https://example.invalid",
                contact: None,
            };
            let to = Addressee {
                token: "addr:p@example.invalid".into(),
                name: partner.clone(),
                email: "p@example.invalid".into(),
                money: true,
                coordinator: matches!(n.to, Recipient::Coordinator),
                digest: false,
            };
            let ctx = notification(&n, &facts, &to).unwrap();
            let mail = templates
                .render(n.kind, &ctx)
                .unwrap_or_else(|e| panic!("{}: {} ({}): {e}", path.display(), n.kind, n.key));
            for raw in ["T00:00:00+03:00", "80000.00", "35000.00"] {
                assert!(
                    !mail.text.contains(raw) && !mail.subject.contains(raw),
                    "{}: {raw} in {:?}",
                    n.kind,
                    mail
                );
            }
            rendered.insert(n.kind.as_str().to_string());
        }
    }
    let mut all: Vec<String> = std::fs::read_dir(root().join("templates/email"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kkv_"))
        .collect();
    all.sort();
    let missing: Vec<&String> = all.iter().filter(|k| !rendered.contains(*k)).collect();
    assert!(missing.is_empty(), "no scenario raises {missing:?}");
}

#[test]
fn a_from_after_the_first_step_is_malformed_naming_from() {
    let text = std::fs::read_to_string(
        root().join("tests/scenarios/status/35-from-starts-the-clock.toml"),
    )
    .unwrap()
    .replace(
        "from = \"2017-01-10T00:00:00+03:00\"",
        "from = \"2017-06-02T00:00:00+03:00\"",
    );
    match simulate::partner::parse(&catalog(), &text) {
        Err(simulate::SimulateError::Malformed(e)) => {
            assert_eq!(e.field, "from", "{e:?}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn playing_two_vendors_programs_together_is_malformed_naming_with() {
    let text = std::fs::read_to_string(
        root().join("tests/scenarios/kkv/47-with-the-live-partner-status.toml"),
    )
    .unwrap()
    .replace(
        "with = [\"bitrix-partner-status\"]",
        "with = [\"moysklad-partner-status\"]",
    );
    match simulate::partner::parse(&catalog(), &text) {
        Err(simulate::SimulateError::Malformed(e)) => assert_eq!(e.field, "with", "{e:?}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}
