//! `seminarflow simulate SCENARIO --mail-dir DIR` on shipped scenarios: one valid multipart
//! e-mail per notification, each with its own Message-ID, and stdout still the JSON report.

use crate::support;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Headers of an `.eml` file (unfolded), and its body.
fn parse(raw: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a blank line ends the headers");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a folded line follows a header");
            last.1.push_str(line.trim_start());
        } else {
            let (k, v) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a header line: {line}"));
            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    (headers, body.to_string())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn check_season(scenario: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seminarflow"))
        .current_dir(support::root())
        .env_remove("SEMINARFLOW_CONFIG")
        .env("SEMINARFLOW_DATA_DIR", dir.path().join("no-data"))
        .args(["simulate", scenario, "--json", "--mail-dir"])
        .arg(dir.path().join("mail"))
        .output()
        .expect("seminarflow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is still the JSON report");
    let contract = report["notifications"].as_array().unwrap().len();

    // The JSON lists the contract's kinds; duty reminders are mail only. Count them from the
    // same season run in-process.
    let text = std::fs::read_to_string(support::root().join(scenario)).unwrap();
    let (sc, prog) = seminarflow::simulate::load(&support::catalog(), &text).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let (svc, _) = seminarflow::simulate::run(&sc, prog).await.unwrap();
        svc.store.outbox().await.unwrap()
    });
    // Mail-only kinds (duty reminders; the events program's support notices) are not in the
    // JSON.
    let mail_only = rows
        .iter()
        .filter(|r| !r.notification.kind.in_scenario_contract())
        .count();
    assert_eq!(rows.len(), contract + mail_only);

    let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml")),
        "{files:?}"
    );
    assert_eq!(files.len(), rows.len(), "one e-mail per notification");
    let mut ids = BTreeSet::new();
    for f in &files {
        check_eml(f, &mut ids);
    }
    assert_eq!(ids.len(), files.len(), "unique Message-IDs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("писем записано: {}", files.len())),
        "{stderr}"
    );
}

fn check_eml(f: &Path, ids: &mut BTreeSet<String>) {
    let raw = std::fs::read_to_string(f).unwrap();
    assert!(raw.is_ascii(), "{}: MIME-encoded, 7-bit", f.display());
    let (h, body) = parse(&raw);
    for name in ["from", "to", "subject", "date", "mime-version"] {
        assert!(!header(&h, name).is_empty(), "{}: {name}", f.display());
    }
    assert!(
        header(&h, "subject").starts_with("=?utf-8?"),
        "{}: the Russian subject is encoded",
        f.display()
    );
    let to = header(&h, "to");
    let partner = to
        .rsplit_once("<partner-")
        .is_some_and(|(_, p)| p.ends_with("@example.invalid>"));
    assert!(
        partner || to.ends_with("<coordinator@example.invalid>"),
        "{to}"
    );
    let id = header(&h, "message-id");
    assert!(id.starts_with("<sf.") && id.ends_with('>'), "{id}");
    assert!(
        ids.insert(id.to_string()),
        "{}: Message-ID {id} used twice",
        f.display()
    );
    let ct = header(&h, "content-type");
    assert!(ct.starts_with("multipart/alternative;"), "{ct}");
    let boundary = ct
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .expect("boundary");
    let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
    assert_eq!(
        parts.len(),
        4,
        "preamble, text, HTML, closing: {}",
        f.display()
    );
    assert!(
        parts[1].contains("Content-Type: text/plain; charset=utf-8"),
        "{}",
        parts[1]
    );
    assert!(
        parts[2].contains("Content-Type: text/html; charset=utf-8"),
        "{}",
        parts[2]
    );
    assert!(parts[3].starts_with("--"), "closing delimiter");
}

#[test]
fn simulate_writes_one_valid_email_per_notification_on_time_season() {
    check_season("tests/scenarios/01-on-time.toml");
}

#[test]
fn simulate_writes_one_valid_email_per_notification_late_season() {
    check_season("tests/scenarios/02-late-and-halved.toml");
}

#[test]
fn simulate_writes_one_valid_email_per_notification_of_the_events_examples() {
    check_season("tests/scenarios/04-events-on-time.toml");
    check_season("tests/scenarios/05-events-late-and-exhibition.toml");
}

#[test]
fn conversion_data_is_reminded_once_a_day_though_a_stage_and_a_duty_both_speak_of_it() {
    // Scenario 42: conversion data is a reminder-only stage (reminders 06-26 and 06-29 09:00)
    // and a partner duty (3 months after the seminar, 06-29 10:00). One reminder per thing per day.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seminarflow"))
        .current_dir(support::root())
        .env_remove("SEMINARFLOW_CONFIG")
        .env("SEMINARFLOW_DATA_DIR", dir.path().join("no-data"))
        .args([
            "simulate",
            "tests/scenarios/42-deadline-reminders.toml",
            "--json",
            "--mail-dir",
        ])
        .arg(dir.path().join("mail"))
        .output()
        .expect("seminarflow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Files are named `<UTC date>-<UTC time>-<kind>-<id>.eml`; nothing else happens in June.
    let mut june: Vec<String> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("201706"))
        .collect();
    june.sort();
    let on = |day: &str| june.iter().filter(|n| n.starts_with(day)).count();
    assert_eq!(on("20170626"), 1, "{june:?}");
    assert_eq!(on("20170629"), 1, "one e-mail on the due day: {june:?}");
    assert!(
        june.iter()
            .filter(|n| n.starts_with("20170629"))
            .all(|n| n.contains("-deadline_reminder-")),
        "the stage's own reminder is the one kept (the JSON report lists it): {june:?}"
    );
}

#[test]
fn a_delayed_promotion_is_told_to_the_partner_in_russian_by_mail() {
    // 04: e3's promotion is held back on 05-10 (the partner's two nearest events take both
    // slots): the partner gets `info_support_changed`, mail only, saying what changed; the
    // --mail-dir test above renders every outbox row as an e-mail.
    let text =
        std::fs::read_to_string(support::root().join("tests/scenarios/04-events-on-time.toml"))
            .unwrap();
    let (sc, prog) = seminarflow::simulate::load(&support::catalog(), &text).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let (svc, _) = seminarflow::simulate::run(&sc, prog).await.unwrap();
        svc.store.outbox().await.unwrap()
    });
    let changed: Vec<_> = rows
        .iter()
        .filter(|r| r.notification.kind.as_str() == "info_support_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    let n = &changed[0].notification;
    assert_eq!(n.seminar, "e3");
    assert_eq!(n.at.to_rfc3339(), "2017-05-09T21:00:00+00:00");
    assert_eq!(
        n.data["note"].as_str(),
        Some("анонс мероприятия появится на сайте вендора позже")
    );
}

/// The plain-text part of every e-mail `simulate --mail-dir` writes for `scenario`, decoded.
fn mail_texts(scenario: &str) -> Vec<(String, String)> {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seminarflow"))
        .current_dir(support::root())
        .env_remove("SEMINARFLOW_CONFIG")
        .env("SEMINARFLOW_DATA_DIR", dir.path().join("no-data"))
        .args(["simulate", scenario, "--mail-dir"])
        .arg(dir.path().join("mail"))
        .output()
        .expect("seminarflow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut texts = vec![];
    for e in std::fs::read_dir(dir.path().join("mail")).unwrap() {
        let path = e.unwrap().path();
        let raw = std::fs::read_to_string(&path).unwrap();
        let (_, body) = parse(&raw);
        let plain = body
            .split("Content-Type: text/plain; charset=utf-8")
            .nth(1)
            .and_then(|p| {
                p.split("\r\n\r\n")
                    .nth(1)
                    .or_else(|| p.split("\n\n").nth(1))
            })
            .and_then(|p| p.split("--").next())
            .expect("a text part");
        let b64: String = plain.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        texts.push((name, String::from_utf8(bytes).unwrap()));
    }
    texts.sort();
    texts
}

#[test]
fn the_events_programs_mail_speaks_of_events_in_its_own_words() {
    for scenario in [
        "tests/scenarios/04-events-on-time.toml",
        "tests/scenarios/05-events-late-and-exhibition.toml",
    ] {
        let texts = mail_texts(scenario);
        assert!(texts.len() > 10, "{scenario}: {}", texts.len());
        for (name, text) in &texts {
            // The file's [item_noun], its zone phrase, its reduction names, the event pages.
            for wrong in [
                "семинара",
                "семинару",
                "семинаре",
                "/seminars/",
                "Europe/Moscow",
                "Неделя:",
                "«other_products_talks»",
                ": .",
            ] {
                assert!(
                    !text.contains(wrong),
                    "{scenario} {name}: «{wrong}» in:\n{text}"
                );
            }
        }
        let all: String = texts.iter().map(|(_, t)| t.as_str()).collect();
        for want in [
            "Страница мероприятия: http://127.0.0.1:8080/events/",
            "по московскому времени",
        ] {
            assert!(all.contains(want), "{scenario}: no «{want}»");
        }
    }
    let reasons: String = mail_texts("tests/scenarios/05-events-late-and-exhibition.toml")
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert!(
        reasons.contains("применено уменьшение: Доклады о других программных продуктах"),
        "the reduction is named as the file names it"
    );
    // The flagship keeps its own word.
    let flagship = mail_texts("tests/scenarios/01-on-time.toml");
    assert!(flagship
        .iter()
        .any(|(_, t)| t.contains("Страница семинара: http://127.0.0.1:8080/seminars/")));
}

#[test]
fn every_change_of_an_events_info_support_is_told_by_mail() {
    // Scenario 42: g3 and g4 are held back on 09-28 (the pool of two); g4 is never shown, so on
    // 10-13 the delay becomes «no info support» and the partner is told again; h1 and h3 lose
    // support at 00:00 of their dates, their promo never approved. Each is an e-mail with
    // what changed and why.
    let scenario = "tests/scenarios/events/42-promotion-slots-and-missing-promo.toml";
    let text = std::fs::read_to_string(support::root().join(scenario)).unwrap();
    let (sc, prog) = seminarflow::simulate::load(&support::catalog(), &text).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(async {
        let (svc, _) = seminarflow::simulate::run(&sc, prog).await.unwrap();
        svc.store.outbox().await.unwrap()
    });
    let mut changed: Vec<(String, String, String)> = rows
        .iter()
        .filter(|r| r.notification.kind.as_str() == "info_support_changed")
        .map(|r| {
            let n = &r.notification;
            (
                n.seminar.clone(),
                n.data["note"].as_str().unwrap_or_default().to_string(),
                n.data["why"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    changed.sort();
    let ids: Vec<&str> = changed.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, ["g3", "g4", "g4", "h1", "h3"], "{changed:#?}");
    assert!(changed.iter().all(|c| !c.1.is_empty() && !c.2.is_empty()));
    assert!(changed
        .iter()
        .any(|c| c.0 == "g4" && c.2.contains("так и не освободилось")));
    assert!(changed
        .iter()
        .any(|c| c.0 == "h1" && c.2.contains("промо-материалы")));
    let mails = mail_texts(scenario);
    let told: Vec<&String> = mails
        .iter()
        .filter(|(name, _)| name.contains("-info_support_changed-"))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(told.len(), 5);
    assert!(told.iter().all(|t| t.contains("Почему: ")), "{told:#?}");
}

#[test]
fn simulate_writes_the_support_and_promotion_mail_of_the_events_scenarios() {
    check_season("tests/scenarios/events/37-refusals-support-suspended-and-barred.toml");
    check_season("tests/scenarios/events/42-promotion-slots-and-missing-promo.toml");
}

/// Every scenario of the events and partner programs (the shared examples 04–08 and the
/// hand-computed ones) writes all its mail: each notice kind renders in strict mode from the
/// notices the engine really raises, in Russian, without a raw `null` or an unfilled field.
#[test]
fn every_events_and_partner_scenario_writes_all_its_mail() {
    let root = support::root();
    let mut scenarios = vec![];
    for dir in ["events", "status", "kkv", "moysklad"] {
        for e in std::fs::read_dir(root.join("tests/scenarios").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                scenarios.push(format!(
                    "tests/scenarios/{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    scenarios.sort();
    assert!(scenarios.len() >= 40, "{}", scenarios.len());
    let mut kinds = BTreeSet::new();
    for sc in &scenarios {
        for (name, text) in mail_texts(sc) {
            kinds.insert(name.split('-').nth(2).unwrap_or_default().to_string());
            for wrong in ["null", "{{", "}}", "Europe/Moscow"] {
                assert!(!text.contains(wrong), "{sc} {name}: «{wrong}» in\n{text}");
            }
        }
    }
    // The partner programs' own kinds are among them.
    for k in [
        "status_changed",
        "status_expiry_warning",
        "kkv_granted",
        "single_client_warning",
        "review_due",
    ] {
        assert!(kinds.contains(k), "no {k} mail among {kinds:?}");
    }
}
