//! The HTTP service as its users meet it (issue 4): a whole season driven over HTTP, every route
//! against every role, the error contract, the OpenAPI document, and `serve` run as a new user
//! would run it.

use crate::support::app::{self, file_part, sha256_hex, small_pdf, App, Client, Setup, PROGRAM};
use crate::support::root;
use reqwest::multipart::Form;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------------------------
// Small helpers

fn seminar_path(id: &str) -> String {
    format!("/api/seminars/{id}")
}

fn versions_path(id: &str, stage: &str) -> String {
    format!("/api/seminars/{id}/stages/{stage}/versions")
}

async fn seminar(c: &Client, id: &str) -> Value {
    c.get(&seminar_path(id)).await.expect(200).json()
}

fn stage<'a>(s: &'a Value, id: &str) -> &'a Value {
    s["stages"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("stage {id} missing in {s}"))
}

fn penalty_codes(s: &Value) -> Vec<String> {
    s["penalties"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|p| p["code"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn pdf_form(name: &str, bytes: Vec<u8>, comment: &str) -> Form {
    Form::new()
        .text("comment", comment.to_string())
        .part("file", file_part(name, bytes, "application/pdf"))
}

/// The routes of `src/http/api/mod.rs` as `(METHOD, path)`, read from the source so a new route
/// cannot be forgotten by these tests.
fn api_routes() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(root().join("src/http/api/mod.rs")).expect("api/mod.rs");
    let mut out = vec![];
    for chunk in src.split(".route(").skip(1) {
        let start = chunk.find('"').expect("route path literal") + 1;
        let end = start + chunk[start..].find('"').expect("closing quote");
        let path = &chunk[start..end];
        let rest = &chunk[end..];
        let mut found = false;
        for m in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{m}(");
            let mut from = 0;
            while let Some(i) = rest[from..].find(&needle) {
                let at = from + i;
                let prev = rest[..at].chars().last().unwrap_or(' ');
                if !(prev.is_alphanumeric() || prev == '_') {
                    out.push((m.to_uppercase(), path.to_string()));
                    found = true;
                    break;
                }
                from = at + needle.len();
            }
        }
        assert!(found, "no method found for route {path}");
    }
    assert!(out.len() >= 30, "parsed too few routes: {out:?}");
    out
}

// ---------------------------------------------------------------------------------------------
// 1. A whole season over HTTP

#[tokio::test]
async fn a_whole_season_runs_over_http_from_the_application_to_the_accepted_report() {
    let app = app::spawn().await;
    let admin = app.admin().await;

    // The admin sets up the season: a coordinator, two partner companies, their users.
    let coord = app
        .user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    app.partner("pa", "СекретКонтора", true, Some(&coord.id()))
        .await;
    app.partner("pb", "ДвериНастежь", false, Some(&coord.id()))
        .await;
    let a_main = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    // The partner's main user adds the company's other users itself.
    let a_full = app
        .user(
            &a_main,
            "partner",
            "petr@pa.example",
            Some("pa"),
            Some("full"),
        )
        .await;
    let a_lim = app
        .user(
            &a_main,
            "partner",
            "olga@pa.example",
            Some("pa"),
            Some("limited"),
        )
        .await;
    let b_main = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    let pa = a_main.get("/api/partners/pa").await.expect(200).json();
    assert_eq!(pa["coordinator"], json!(coord.id()), "{pa}");

    // Applications, in the application window.
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    let s = a_full
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": "s-nsk", "city": "Новосибирск", "date": "2017-03-29"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(
        (&s["state"], &s["partner"], &s["week"]),
        (&json!("applied"), &json!("pa"), &json!("week1")),
        "{s}"
    );
    b_main
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": "s-kzn", "city": "Казань", "date": "2017-04-05"}),
        )
        .await
        .expect(201);
    // The same city and week as partner A: decided at the review, by priority.
    b_main
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": "s-nsk-b", "city": "Новосибирск", "date": "2017-03-30"}),
        )
        .await
        .expect(201);
    a_lim
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": "s-omsk", "city": "Омск", "date": "2017-03-29"}),
        )
        .await
        .expect_error(403, "forbidden");

    // The coordinator reviews the week's group on its review day.
    app.set_clock("2017-01-27T12:00:00+03:00").await;
    let queue = coord
        .get(&format!("/api/programs/{PROGRAM}/review-queue"))
        .await
        .expect(200)
        .json();
    let suggestion: BTreeMap<String, String> = queue["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| {
            (
                a["seminar"].as_str().unwrap().to_string(),
                a["suggestion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(suggestion["s-nsk"], "approve", "{queue}");
    assert_eq!(suggestion["s-kzn"], "approve", "{queue}");
    assert_eq!(suggestion["s-nsk-b"], "city_week_taken", "{queue}");
    let decided = coord
        .post_empty(&format!("/api/programs/{PROGRAM}/review"))
        .await
        .expect(200)
        .json();
    let states: BTreeMap<String, String> = decided["decided"]
        .as_array()
        .expect("decided")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states.get("s-nsk").map(String::as_str),
        Some("preparing"),
        "{decided}"
    );
    assert_eq!(
        states.get("s-kzn").map(String::as_str),
        Some("preparing"),
        "{decided}"
    );
    assert_eq!(
        states.get("s-nsk-b").map(String::as_str),
        Some("rejected"),
        "{decided}"
    );
    assert_eq!(seminar(&b_main, "s-nsk-b").await["state"], "rejected");
    // Partner B sees the city's week taken, but not by whom.
    let slots = b_main
        .get(&format!("/api/programs/{PROGRAM}/slots"))
        .await
        .expect(200);
    let nsk = slots
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["city"] == "Новосибирск")
        .cloned()
        .expect("Новосибирск row");
    let week1 = nsk["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["week"] == "week1")
        .unwrap();
    assert_eq!(week1["status"], "taken", "{nsk}");
    assert!(
        !slots.text().contains("\"pa\"") && !slots.text().contains("s-nsk\""),
        "{}",
        slots.text()
    );

    // The program stage: the timeline tells the partner the deadline in Moscow and local time.
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    let s = seminar(&a_lim, "s-nsk").await;
    let program = stage(&s, "program");
    assert_eq!(program["status"], "open", "{program}");
    assert_eq!(program["deadline"], "2017-02-22");
    assert_eq!(program["deadline_zoned"], "2017-02-23T00:00:00+03:00");
    assert_eq!(program["deadline_local"], "2017-02-23T04:00:00+07:00");
    assert_eq!(program["days_left"], 12, "{program}");
    assert!(
        program["lateness_costs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "program_first_late" && c["exclusion"] == true),
        "{program}"
    );

    // A limited-rights user uploads the program as a real PDF.
    let pdf_v1 = small_pdf("Seminar program v1");
    assert!(pdf_v1.starts_with(b"%PDF-1.4"));
    let up = a_lim
        .post_multipart(
            &versions_path("s-nsk", "program"),
            pdf_form("programma.pdf", pdf_v1.clone(), "Программа, версия 1"),
        )
        .await
        .expect(200)
        .json();
    let sha_v1 = sha256_hex(&pdf_v1);
    assert_eq!(up["files"][0]["sha256"], json!(sha_v1), "{up}");
    assert_eq!(up["files"][0]["content_type"], "application/pdf");
    assert_eq!(up["files"][0]["size"], json!(pdf_v1.len()));
    let program = stage(&up["seminar"], "program");
    assert_eq!(program["status"], "submitted");
    assert_eq!(
        program["versions"][0]["files"][0],
        json!(format!("{sha_v1}:programma.pdf"))
    );
    let queue = coord
        .get(&format!("/api/programs/{PROGRAM}/review-queue"))
        .await
        .expect(200)
        .json();
    assert!(
        queue["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["seminar"] == "s-nsk" && q["stage"] == "program"),
        "{queue}"
    );

    // The coordinator returns it with a due date.
    app.set_clock("2017-02-13T10:00:00+03:00").await;
    let s = coord
        .post(
            "/api/seminars/s-nsk/stages/program/return",
            json!({"comment": "Добавьте тезисы к докладам", "due": "2017-02-17"}),
        )
        .await
        .expect(200)
        .json();
    let program = stage(&s, "program");
    assert_eq!(program["status"], "returned", "{program}");
    assert_eq!(program["deadline"], "2017-02-17");
    assert_eq!(program["versions"][0]["decision"]["approved"], false);
    assert_eq!(program["versions"][0]["decision"]["due"], "2017-02-17");

    // The due date passes: the partner sees how late it is and what that costs.
    app.set_clock("2017-02-18T10:00:00+03:00").await;
    let s = seminar(&a_main, "s-nsk").await;
    let program = stage(&s, "program");
    assert_eq!(program["partner_holds"], true, "{program}");
    assert_eq!(program["days_late"], 1, "{program}");
    assert!(
        program["lateness_costs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "program_resubmit_late" && c["points"] == -10),
        "{program}"
    );
    assert!(penalty_codes(&s).is_empty(), "{s}");

    // It re-submits one day late: −10, booked at the submission.
    let pdf_v2 = small_pdf("Seminar program v2");
    let up = a_main
        .post_multipart(
            &versions_path("s-nsk", "program"),
            pdf_form("programma-v2.pdf", pdf_v2.clone(), "Тезисы добавлены"),
        )
        .await
        .expect(200)
        .json();
    let pen = &up["seminar"]["penalties"];
    assert_eq!(
        penalty_codes(&up["seminar"]),
        vec!["program_resubmit_late"],
        "{pen}"
    );
    assert_eq!(pen[0]["points"], -10);
    assert_eq!(pen[0]["days_late"], 1);
    assert_eq!(pen[0]["at"], "2017-02-18T07:00:00Z");
    let list = a_main.get("/api/penalties").await.expect(200).json();
    let mine: Vec<&Value> = list.as_array().unwrap().iter().collect();
    assert_eq!(mine.len(), 1, "{list}");
    assert_eq!(
        (&mine[0]["seminar"], &mine[0]["code"], &mine[0]["points"]),
        (
            &json!("s-nsk"),
            &json!("program_resubmit_late"),
            &json!(-10)
        )
    );
    assert!(
        mine[0]["reason"].as_str().unwrap().contains("17.02.2017"),
        "the reason names the deadline: {}",
        mine[0]
    );
    coord
        .post_empty("/api/seminars/s-nsk/stages/program/approve")
        .await
        .expect(200);

    // Postal address.
    app.set_clock("2017-02-20T10:00:00+03:00").await;
    a_main
        .post(
            &versions_path("s-nsk", "postal_address"),
            json!({"comment": "630099, Новосибирск, ул. Ленина, д. 1, оф. 5, ООО «СекретКонтора», Иван Иванов, +7 383 000-00-00"}),
        )
        .await
        .expect(200);
    coord
        .post_empty("/api/seminars/s-nsk/stages/postal_address/approve")
        .await
        .expect(200);

    // Partner B never sends its program: the clock passes the deadline and excludes it.
    let tick = app.set_clock("2017-02-23T00:30:00+03:00").await;
    assert!(tick["fired"].as_u64().unwrap() >= 1, "{tick}");
    let kzn = seminar(&b_main, "s-kzn").await;
    assert_eq!(kzn["state"], "excluded", "{kzn}");
    assert_eq!(penalty_codes(&kzn), vec!["program_first_late"]);
    assert_eq!(kzn["penalties"][0]["exclusion"], true);
    assert_eq!(kzn["penalties"][0]["at"], "2017-02-22T21:00:00Z");
    let b_pen = b_main.get("/api/penalties").await.expect(200).json();
    let codes: Vec<(&str, &str)> = b_pen
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["seminar"].as_str().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![("s-kzn", "program_first_late")], "{b_pen}");
    let b_partner = b_main.get("/api/partners/pb").await.expect(200).json();
    assert!(
        b_partner["flags"]
            .as_array()
            .unwrap()
            .contains(&json!("barred")),
        "{b_partner}"
    );
    let a_pen = a_main.get("/api/penalties").await.expect(200).json();
    assert!(!a_pen.to_string().contains("s-kzn"), "{a_pen}");

    // Estimate, landing page, announcement plan.
    app.set_clock("2017-02-27T10:00:00+03:00").await;
    a_main
        .post_multipart(
            &versions_path("s-nsk", "estimate"),
            // The lines as multipart fields, beside the scanned estimate.
            pdf_form("smeta.pdf", small_pdf("Estimate"), "Смета")
                .text("estimate_1_category", "hall")
                .text("estimate_1_description", "Конференц-зал")
                .text("estimate_1_amount", "30000")
                .text("estimate_2_category", "coffee_break")
                .text("estimate_2_description", "Кофе-брейк")
                .text("estimate_2_amount", "20 000"),
        )
        .await
        .expect(200);
    app.set_clock("2017-02-28T10:00:00+03:00").await;
    coord
        .post_empty("/api/seminars/s-nsk/stages/estimate/approve")
        .await
        .expect(200);
    app.set_clock("2017-03-02T10:00:00+03:00").await;
    a_main
        .post(
            &versions_path("s-nsk", "landing"),
            json!({"links": ["https://pa.example.ru/seminar-2017"], "comment": "Лендинг готов"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-03-03T10:00:00+03:00").await;
    coord
        .post(
            "/api/seminars/s-nsk/stages/landing/approve",
            json!({"comment": "Отлично"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-03-06T10:00:00+03:00").await;
    a_main
        .post(
            &versions_path("s-nsk", "announcement_plan"),
            json!({"comment": "План анонсов"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-03-09T10:00:00+03:00").await;
    coord
        .post_empty("/api/seminars/s-nsk/stages/announcement_plan/approve")
        .await
        .expect(200);
    // The report cannot come before the seminar day.
    a_main
        .post(
            &versions_path("s-nsk", "report"),
            json!({"report": {"attendees": 31, "registrations": 70, "costs": "48000"}}),
        )
        .await
        .expect_error(409, "invalid_state");

    // After the seminar: the report as JSON with its figures.
    app.set_clock("2017-04-03T10:00:00+03:00").await;
    assert_eq!(seminar(&a_main, "s-nsk").await["state"], "held");
    let rep = a_main
        .post(
            &versions_path("s-nsk", "report"),
            json!({
                "comment": "Отчёт о семинаре",
                "report": {"attendees": 31, "registrations": 70, "costs": "48000"},
            }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(rep["seminar"]["report"]["attendees"], 31, "{rep}");
    assert_eq!(rep["seminar"]["report"]["registrations"], 70, "{rep}");
    assert_eq!(rep["seminar"]["report"]["costs"], "48000.00", "{rep}");
    // The estimate that limits the compensation is the approved one, not a typed figure.
    assert_eq!(rep["seminar"]["report"]["estimate"], "50000.00", "{rep}");
    assert_eq!(rep["seminar"]["estimate"]["cap"], "50000.00", "{rep}");
    // Limited rights: the figures, but no money.
    let lim_view = seminar(&a_lim, "s-nsk").await;
    assert_eq!(lim_view["report"]["attendees"], 31, "{lim_view}");
    assert!(lim_view["report"]["costs"].is_null(), "{lim_view}");
    assert!(lim_view["report"]["estimate"].is_null(), "{lim_view}");
    // The coordinator wants the accounting scans; they come as multipart with the figures.
    app.set_clock("2017-04-04T10:00:00+03:00").await;
    coord
        .post(
            "/api/seminars/s-nsk/stages/report/return",
            json!({"comment": "Приложите сканы актов"}),
        )
        .await
        .expect(200);
    let scans = small_pdf("Accounting documents");
    let form = Form::new()
        .text("attendees", "31")
        .text("registrations", "70")
        .text("costs", "48000")
        .text("third_party_companies", "0")
        .text("comment", "Отчёт со сканами")
        .part(
            "file",
            file_part("akty.pdf", scans.clone(), "application/pdf"),
        );
    let rep = a_main
        .post_multipart(&versions_path("s-nsk", "report"), form)
        .await
        .expect(200)
        .json();
    assert_eq!(rep["seminar"]["report"]["costs"], "48000.00", "{rep}");
    assert_eq!(
        stage(&rep["seminar"], "report")["versions"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{rep}"
    );
    assert!(
        penalty_codes(&rep["seminar"]) == vec!["program_resubmit_late"],
        "{rep}"
    );

    // The coordinator accepts the report with a comment: points and compensation.
    app.set_clock("2017-04-06T10:00:00+03:00").await;
    let closed = coord
        .post(
            "/api/seminars/s-nsk/accept-report",
            json!({"comment": "Спасибо, отчёт полный"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(closed["state"], "closed", "{closed}");
    let accepted = stage(&closed, "report")["versions"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        accepted["decision"]["comment"], "Спасибо, отчёт полный",
        "the coordinator's comment is kept: {accepted}"
    );
    assert_eq!(closed["points_awarded"], 120, "{closed}");
    assert_eq!(closed["compensation"], "48000.00", "{closed}");

    let ledger = a_main
        .get("/api/partners/pa/ledger")
        .await
        .expect(200)
        .json();
    assert_eq!(
        ledger["points_active"], 110,
        "120 organizer − 10 late: {ledger}"
    );
    let mut reasons: Vec<(String, i64)> = ledger["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["reason"].as_str().unwrap().to_string(),
                e["points"].as_i64().unwrap(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            ("organizer".to_string(), 120),
            ("program_resubmit_late".to_string(), -10)
        ],
        "{ledger}"
    );
    assert_eq!(ledger["bonus_active"], "48000.00", "{ledger}");
    assert_eq!(ledger["bonus"][0]["amount"], "48000.00", "{ledger}");
    let lim_ledger = a_lim
        .get("/api/partners/pa/ledger")
        .await
        .expect(200)
        .json();
    assert_eq!(lim_ledger["points_active"], 110);
    assert!(
        lim_ledger["bonus"].is_null() && lim_ledger["bonus_active"].is_null(),
        "{lim_ledger}"
    );
    let lim_partner = a_lim.get("/api/partners/pa").await.expect(200).json();
    assert!(lim_partner["bonus"].is_null(), "{lim_partner}");
    assert_eq!(
        a_main.get("/api/partners/pa").await.expect(200).json()["bonus"],
        "48000.00"
    );
    let lim_view = seminar(&a_lim, "s-nsk").await;
    assert!(lim_view["compensation"].is_null(), "{lim_view}");
    let lim_list = a_lim.get("/api/seminars").await.expect(200).json();
    assert!(
        lim_list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["compensation"].is_null()),
        "{lim_list}"
    );
    assert!(!lim_list.to_string().contains("48000"), "{lim_list}");

    // The uploaded file comes back byte for byte, to the partner's users only.
    let dl = a_lim
        .get(&format!("/api/seminars/s-nsk/files/{sha_v1}"))
        .await
        .expect(200);
    assert_eq!(dl.bytes, pdf_v1, "downloaded bytes differ from the upload");
    assert_eq!(dl.content_type(), "application/pdf");
    let disposition = dl
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(disposition.contains("programma.pdf"), "{disposition}");
    let dl = coord
        .get(&format!("/api/seminars/s-nsk/files/{}", sha256_hex(&scans)))
        .await
        .expect(200);
    assert_eq!(dl.bytes, scans);
    b_main
        .get(&format!("/api/seminars/s-nsk/files/{sha_v1}"))
        .await
        .expect_error(404, "not_found");

    // The outbox holds what everyone was told.
    let outbox = coord.get("/api/admin/outbox").await.expect(200).json();
    let has = |seminar: &str, kind: &str, to: &str| {
        outbox
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["seminar"] == seminar && n["kind"] == kind && n["to"] == to)
    };
    for (seminar, kind, to) in [
        ("s-nsk", "application_approved", "pa"),
        ("s-nsk-b", "application_rejected", "pb"),
        ("s-nsk", "submission_returned", "pa"),
        ("s-nsk", "penalty_applied", "pa"),
        ("s-kzn", "penalty_applied", "pb"),
        ("s-kzn", "excluded", "pb"),
        ("s-nsk", "report_accepted", "pa"),
    ] {
        assert!(
            has(seminar, kind, to),
            "outbox lacks {kind} for {seminar} to {to}: {outbox}"
        );
    }
    let only_kzn = coord
        .get("/api/admin/outbox?seminar=s-kzn")
        .await
        .expect(200)
        .json();
    assert!(
        only_kzn
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["seminar"] == "s-kzn")
            && !only_kzn.as_array().unwrap().is_empty(),
        "{only_kzn}"
    );

    // The history: the seminar's events and the audit log.
    let events = a_main
        .get("/api/seminars/s-nsk/events")
        .await
        .expect(200)
        .json();
    assert!(events.to_string().contains("penalty_booked"), "{events}");
    let audit = coord
        .get("/api/audit?seminar=s-kzn")
        .await
        .expect(200)
        .json();
    assert!(audit.to_string().contains("excluded"), "{audit}");
}

// ---------------------------------------------------------------------------------------------
// 2. Every route against every role

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anon,
    Admin,
    Coord,
    AMain,
    ALimited,
    B,
}

const CALLERS: [Who; 6] = [
    Who::Anon,
    Who::Admin,
    Who::Coord,
    Who::AMain,
    Who::ALimited,
    Who::B,
];

struct World {
    app: App,
    anon: Client,
    admin: Client,
    coord: Client,
    a_main: Client,
    a_lim: Client,
    b: Client,
    /// A file attached to partner A's seminar `sa`.
    file: String,
}

impl World {
    fn client(&self, w: Who) -> &Client {
        match w {
            Who::Anon => &self.anon,
            Who::Admin => &self.admin,
            Who::Coord => &self.coord,
            Who::AMain => &self.a_main,
            Who::ALimited => &self.a_lim,
            Who::B => &self.b,
        }
    }
}

/// Partner A (`pa`) with seminars `sa` (program submitted with a PDF) and `sa2`, partner B (`pb`)
/// with `sb`; all approved; the clock at 2017-02-10 10:00 Moscow.
async fn world() -> World {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let coord = app
        .user(&admin, "coordinator", "coord@vendor.example", None, None)
        .await;
    app.partner("pa", "Альфа", true, Some(&coord.id())).await;
    app.partner("pb", "Бета", false, Some(&coord.id())).await;
    let a_main = app
        .user(
            &admin,
            "partner",
            "main@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let a_lim = app
        .user(
            &admin,
            "partner",
            "lim@pa.example",
            Some("pa"),
            Some("limited"),
        )
        .await;
    let b = app
        .user(
            &admin,
            "partner",
            "main@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    for (c, id, city) in [
        (&a_main, "sa", "Тула"),
        (&a_main, "sa2", "Самара"),
        (&b, "sb", "Омск"),
    ] {
        c.post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": id, "city": city, "date": "2017-03-29"}),
        )
        .await
        .expect(201);
    }
    app.set_clock("2017-01-27T12:00:00+03:00").await;
    coord
        .post_empty(&format!("/api/programs/{PROGRAM}/review"))
        .await
        .expect(200);
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    let pdf = small_pdf("Program of A");
    a_main
        .post_multipart(
            &versions_path("sa", "program"),
            pdf_form("a.pdf", pdf.clone(), "v1"),
        )
        .await
        .expect(200);
    World {
        anon: app.anonymous(),
        admin,
        coord,
        a_main,
        a_lim,
        b,
        file: sha256_hex(&pdf),
        app,
    }
}

type Call = Box<dyn Fn(Who) -> (String, Option<Value>)>;

struct Row {
    method: Method,
    /// The route as written in api/mod.rs.
    route: &'static str,
    call: Call,
    /// Expected status per caller, in `CALLERS` order: anonymous, admin, coordinator,
    /// partner A main, partner A limited, partner B.
    expect: [u16; 6],
}

fn row(
    method: Method,
    route: &'static str,
    path: &str,
    body: Option<Value>,
    expect: [u16; 6],
) -> Row {
    let path = path.to_string();
    Row {
        method,
        route,
        call: Box::new(move |_| (path.clone(), body.clone())),
        expect,
    }
}

fn row_by(
    method: Method,
    route: &'static str,
    call: impl Fn(Who) -> (String, Option<Value>) + 'static,
    expect: [u16; 6],
) -> Row {
    Row {
        method,
        route,
        call: Box::new(call),
        expect,
    }
}

#[rustfmt::skip]
fn matrix(file: &str) -> Vec<Row> {
    use Method as M;
    let p = PROGRAM;
    let applications = format!("/api/programs/{p}/applications");
    vec![
        // Reads.
        row(M::GET, "/api/me", "/api/me", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/users", "/api/users", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/partners", "/api/partners", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/partners/{id}", "/api/partners/pa", None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/partners/{id}/ledger", "/api/partners/pa/ledger", None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/partners/{id}/ledger.xlsx", "/api/partners/pa/ledger.xlsx", None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/programs", "/api/programs", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/programs/{id}", &format!("/api/programs/{p}"), None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/programs/{id}/slots", &format!("/api/programs/{p}/slots"), None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/programs/{id}/review-queue", &format!("/api/programs/{p}/review-queue"), None, [401, 200, 200, 403, 403, 403]),
        row(M::GET, "/api/programs/{id}/review-queue.xlsx", &format!("/api/programs/{p}/review-queue.xlsx"), None, [401, 200, 200, 403, 403, 403]),
        row(M::GET, "/api/seminars", "/api/seminars", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/seminars.xlsx", "/api/seminars.xlsx", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/seminars/{id}", "/api/seminars/sa", None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/seminars/{id}/events", "/api/seminars/sa/events", None, [401, 200, 200, 200, 403, 404]),
        row(M::GET, "/api/seminars/{id}/files/{sha256}", &format!("/api/seminars/sa/files/{file}"), None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/penalties", "/api/penalties", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/penalties.xlsx", "/api/penalties.xlsx", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/clock", "/api/clock", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/admin/outbox", "/api/admin/outbox", None, [401, 200, 200, 403, 403, 403]),
        row(M::GET, "/api/audit", "/api/audit", None, [401, 200, 200, 403, 403, 403]),
        // The signed-in user's own things.
        row(M::POST, "/api/me/password", "/api/me/password", Some(json!({"current": "not-the-password", "new": "another-password-1"})), [401, 400, 400, 400, 400, 400]),
        row(M::POST, "/api/me/tokens", "/api/me/tokens", Some(json!({"name": "выгрузка"})), [401, 201, 201, 201, 201, 201]),
        row(M::GET, "/api/me/tokens", "/api/me/tokens", None, [401, 200, 200, 200, 200, 200]),
        row(M::DELETE, "/api/me/tokens/{id}", "/api/me/tokens/no-such-token", None, [401, 404, 404, 404, 404, 404]),
        row(M::POST, "/api/users/{id}/disable", "/api/users/no-such-user/disable", None, [401, 404, 404, 404, 403, 404]),
        row(M::POST, "/api/users/{id}/enable", "/api/users/no-such-user/enable", None, [401, 404, 404, 404, 403, 404]),
        row(M::POST, "/api/users/{id}/reset-password", "/api/users/no-such-user/reset-password", None, [401, 404, 404, 404, 403, 404]),
        row(M::POST, "/api/admin/outbox/{id}/retry", "/api/admin/outbox/999999/retry", None, [401, 404, 404, 403, 403, 403]),
        row(M::POST, "/api/admin/outbox/retry-failed", "/api/admin/outbox/retry-failed", None, [401, 200, 200, 403, 403, 403]),
        // Accounts: an admin adds anyone; a coordinator partner users; A's main user adds A's
        // users; nobody else.
        row_by(M::POST, "/api/users", |w| {
            ("/api/users".into(), Some(json!({
                "email": format!("new-{w:?}@pa.example").to_lowercase(), "name": "Новый", "role": "partner",
                "partner": "pa", "rights": "limited", "password": "long-enough-password",
            })))
        }, [401, 201, 201, 201, 403, 403]),
        row_by(M::POST, "/api/partners", |w| {
            ("/api/partners".into(), Some(json!({"id": format!("new-{w:?}"), "name": "Новый партнёр"})))
        }, [401, 201, 201, 403, 403, 403]),
        // Applying: staff for any partner; A's main user for A; limited users and B not for A.
        row_by(M::POST, "/api/programs/{id}/applications", move |w| {
            let body = match w {
                Who::Admin => json!({"partner": "pa", "seminar": "m-admin", "city": "Пермь", "date": "2017-03-29"}),
                Who::Coord => json!({"partner": "pa", "seminar": "m-coord", "city": "Уфа", "date": "2017-03-29"}),
                Who::AMain => json!({"seminar": "m-amain", "city": "Казань", "date": "2017-03-29"}),
                Who::ALimited => json!({"seminar": "m-alim", "city": "Москва", "date": "2017-03-29"}),
                _ => json!({"partner": "pa", "seminar": "m-other", "city": "Иркутск", "date": "2017-03-29"}),
            };
            (applications.clone(), Some(body))
        }, [401, 201, 201, 201, 403, 403]),
        row_by(M::POST, "/api/seminars/{id}/approve-application", |w| {
            let id = if w == Who::Coord { "m-coord" } else { "m-admin" };
            (format!("/api/seminars/{id}/approve-application"), None)
        }, [401, 200, 200, 403, 403, 403]),
        row(M::POST, "/api/seminars/{id}/reject-application", "/api/seminars/m-amain/reject-application", Some(json!({"comment": "нет"})), [401, 200, 409, 403, 403, 403]),
        // Materials: every user of A (limited too) and staff upload; B cannot touch A's seminar.
        row_by(M::POST, "/api/seminars/{id}/stages/{stage}/versions", |w| {
            let stage = match w {
                Who::Admin => "postal_address",
                Who::Coord => "estimate",
                Who::AMain => "landing",
                Who::ALimited => "announcement_plan",
                _ => "postal_address",
            };
            let body = if stage == "estimate" {
                json!({"comment": format!("от {w:?}"), "estimate": app::estimate_lines()})
            } else {
                json!({"comment": format!("от {w:?}")})
            };
            (versions_path("sa", stage), Some(body))
        }, [401, 200, 200, 200, 200, 404]),
        row(M::POST, "/api/seminars/{id}/stages/{stage}/return", "/api/seminars/sa/stages/program/return", Some(json!({"comment": "доработать"})), [401, 200, 409, 403, 403, 403]),
        row(M::POST, "/api/seminars/{id}/stages/{stage}/approve", "/api/seminars/sa/stages/postal_address/approve", None, [401, 200, 409, 403, 403, 403]),
        row_by(M::POST, "/api/seminars/{id}/venue", |w| {
            ("/api/seminars/sa/venue".into(), Some(json!({"venue": format!("зал {w:?}")})))
        }, [401, 200, 200, 200, 403, 404]),
        row(M::POST, "/api/seminars/{id}/violations", "/api/seminars/sa/violations", Some(json!({"code": "mispositioning", "note": "баннер «конференция»"})), [401, 200, 200, 403, 403, 403]),
        row_by(M::POST, "/api/seminars/{id}/withdraw", |w| {
            let id = match w {
                Who::Admin => "m-admin",
                Who::Coord => "m-coord",
                Who::AMain => "sa2",
                _ => "sa",
            };
            (format!("/api/seminars/{id}/withdraw"), None)
        }, [401, 403, 403, 200, 403, 404]),
        row(M::POST, "/api/seminars/{id}/accept-report", "/api/seminars/sa/accept-report", None, [401, 409, 409, 403, 403, 403]),
        row(M::POST, "/api/programs/{id}/review", &format!("/api/programs/{p}/review"), None, [401, 200, 200, 403, 403, 403]),
        // Events programs: the queue is the coordinators'; a calendar shows a partner its own.
        row(M::GET, "/api/queue", "/api/queue", None, [401, 200, 200, 403, 403, 403]),
        row(M::GET, "/api/calendar", "/api/calendar", None, [401, 200, 200, 200, 200, 200]),
        row(M::GET, "/api/seminars/{id}/event", "/api/seminars/sa/event", None, [401, 200, 200, 200, 200, 404]),
        row_by(M::POST, "/api/programs/{id}/events", |w| {
            let body = match w {
                Who::Admin | Who::Coord | Who::B => json!({"partner": "pa", "kind": "webinar", "topic": "site", "date": "2017-03-20", "online": true}),
                _ => json!({"kind": "webinar", "topic": "site", "date": "2017-03-20", "online": true}),
            };
            ("/api/programs/bitrix-partner-events-2017/events".into(), Some(body))
        }, [401, 201, 201, 201, 403, 403]),
        // A flagship seminar is no event application: approved already, no rejection codes.
        row(M::POST, "/api/seminars/{id}/approve-event", "/api/seminars/sa/approve-event", None, [401, 409, 409, 403, 403, 403]),
        row(M::POST, "/api/seminars/{id}/reject-event", "/api/seminars/sa/reject-event", Some(json!({"code": "competing_products"})), [401, 422, 422, 403, 403, 403]),
        row(M::POST, "/api/partners/{id}/suspend-support", "/api/partners/pa/suspend-support", None, [401, 200, 409, 403, 403, 403]),
        row(M::POST, "/api/partners/{id}/resume-support", "/api/partners/pa/resume-support", None, [401, 200, 409, 403, 403, 403]),
        // Partner programs: a vendor decision is the staff's (refused here: pa is not admitted).
        row(M::GET, "/api/partners/{id}/standings", "/api/partners/pa/standings", None, [401, 200, 200, 200, 200, 404]),
        row(M::GET, "/api/standings/at-risk", "/api/standings/at-risk", None, [401, 200, 200, 403, 403, 403]),
        row(M::POST, "/api/partners/{id}/standings/{program}", "/api/partners/pa/standings/bitrix-partner-status", Some(json!({"do": "lift_sanction", "fields": {"code": "no_such_sanction"}})), [401, 422, 422, 403, 403, 404]),
        row(M::POST, "/api/admin/clock", "/api/admin/clock", Some(json!({"now": "2017-02-10T10:00:00+03:00"})), [401, 200, 403, 403, 403, 403]),
        // Signing out ends each session; signing in is public (both go last).
        row(M::POST, "/api/logout", "/api/logout", None, [401, 204, 204, 204, 204, 204]),
        row_by(M::POST, "/api/login", |w| {
            let email = match w {
                Who::Anon => "main@pb.example",
                _ => "nobody@nowhere.example",
            };
            ("/api/login".into(), Some(json!({"email": email, "password": app::USER_PASSWORD})))
        }, [200, 401, 401, 401, 401, 401]),
    ]
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_role_and_isolation_matrix_says() {
    let w = world().await;
    let rows = matrix(&w.file);

    // The matrix covers exactly the routes of api/mod.rs.
    let routed: BTreeSet<(String, String)> = api_routes().into_iter().collect();
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    assert_eq!(
        routed.difference(&covered).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without a row in the matrix"
    );
    assert_eq!(
        covered.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "matrix rows for routes that do not exist"
    );

    // Before the session-ending row, the isolation checks on content.
    let last = ["/api/logout", "/api/login"];
    let mut wrong = vec![];
    for r in rows.iter().filter(|r| !last.contains(&r.route)) {
        run_row(&w, r, &mut wrong).await;
    }
    isolation_in_content(&w).await;
    for route in last {
        for r in rows.iter().filter(|r| r.route == route) {
            run_row(&w, r, &mut wrong).await;
        }
    }
    // Signed out means signed out.
    w.a_main
        .get("/api/me")
        .await
        .expect_error(401, "unauthorized");
    assert!(
        wrong.is_empty(),
        "{} answers differ from the matrix:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Refused callers changed nothing: A's seminar is neither withdrawn nor moved by B.
    let admin = w.app.login(&w.app.admin_email, app::ADMIN_PASSWORD).await;
    let sa = seminar(&admin, "sa").await;
    assert_eq!(sa["state"], "preparing", "{sa}");
    assert_eq!(sa["venue"], "зал AMain", "{sa}");
}

async fn run_row(w: &World, r: &Row, wrong: &mut Vec<String>) {
    for (i, who) in CALLERS.iter().enumerate() {
        let (path, body) = (r.call)(*who);
        let resp = w
            .client(*who)
            .call(r.method.clone(), &path, body.as_ref())
            .await;
        let want = r.expect[i];
        if resp.status.as_u16() != want {
            wrong.push(format!(
                "{who:?}: {} {path} → {} (expected {want}): {}",
                r.method,
                resp.status,
                resp.text()
            ));
        } else if want >= 400 {
            // Every refusal speaks the API's error shape.
            let ok = resp.json()["error"]["code"].is_string();
            if !ok {
                wrong.push(format!(
                    "{who:?}: {} {path} → {}: not the JSON error shape: {}",
                    r.method,
                    resp.status,
                    resp.text()
                ));
            }
        }
    }
}

/// What partner B and the limited user see in answers that succeed.
async fn isolation_in_content(w: &World) {
    let b = &w.b;
    let list = b.get("/api/seminars?per_page=200").await.expect(200).json();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["sb"],
        "partner B lists only its own seminars: {list}"
    );
    let filtered = b.get("/api/seminars?partner=pa").await.expect(200).json();
    assert_eq!(filtered["total"], 0, "{filtered}");
    let pen = b.get("/api/penalties").await.expect(200).json();
    assert!(
        !pen.to_string().contains("\"pa\"") && !pen.to_string().contains("\"sa\""),
        "{pen}"
    );
    let pen_a = w.a_main.get("/api/penalties").await.expect(200).json();
    assert!(
        pen_a.to_string().contains("mispositioning"),
        "A sees its own penalty: {pen_a}"
    );
    let pen_b = b.get("/api/penalties?partner=pa").await.expect(200).json();
    assert_eq!(pen_b, json!([]), "{pen_b}");
    let partners = b.get("/api/partners").await.expect(200).json();
    let pids: Vec<&str> = partners
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(pids, vec!["pb"], "{partners}");
    let users = b.get("/api/users").await.expect(200).json();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["partner"] == "pb"),
        "partner B lists only its own users: {users}"
    );
    let users_a = w.a_main.get("/api/users").await.expect(200).json();
    assert!(
        users_a
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["partner"] == "pa"),
        "{users_a}"
    );
    let coord_users = w.coord.get("/api/users").await.expect(200).json();
    assert!(
        coord_users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role"] != "admin"),
        "{coord_users}"
    );
    for u in users
        .as_array()
        .unwrap()
        .iter()
        .chain(coord_users.as_array().unwrap())
    {
        assert!(
            u.get("password_hash").is_none() && u.get("ics_token").is_none(),
            "{u}"
        );
    }
    let slots = b
        .get(&format!("/api/programs/{PROGRAM}/slots"))
        .await
        .expect(200)
        .text();
    assert!(
        !slots.contains("\"pa\"") && !slots.contains("\"sa\""),
        "slots name A to B: {slots}"
    );
    // A file of A's seminar, asked for through B's own seminar.
    b.get(&format!("/api/seminars/sb/files/{}", w.file))
        .await
        .expect_error(404, "not_found");
    // A nonexistent seminar and a foreign one answer alike.
    let foreign = b.get("/api/seminars/sa").await.expect(404).json();
    let missing = b
        .get("/api/seminars/no-such-seminar")
        .await
        .expect(404)
        .json();
    assert_eq!(
        foreign, missing,
        "a foreign seminar must look like a missing one"
    );
    // Scripts with a bearer token see the same.
    let token = b
        .post("/api/me/tokens", json!({"name": "script"}))
        .await
        .expect(201)
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let script = Client::bearer(b.base(), &token);
    script
        .get("/api/seminars/sa")
        .await
        .expect_error(404, "not_found");
    script.get("/api/seminars/sb").await.expect(200);
    script
        .post("/api/seminars/sa/withdraw", json!({}))
        .await
        .expect_error(404, "not_found");

    // Limited rights: no money anywhere.
    let lim = &w.a_lim;
    let p = lim.get("/api/partners/pa").await.expect(200).json();
    assert!(p["bonus"].is_null(), "{p}");
    let ps = lim.get("/api/partners").await.expect(200).json();
    assert!(
        ps.as_array().unwrap().iter().all(|p| p["bonus"].is_null()),
        "{ps}"
    );
    let l = lim.get("/api/partners/pa/ledger").await.expect(200).json();
    assert!(l["bonus"].is_null() && l["bonus_active"].is_null(), "{l}");
    let s = seminar(lim, "sa").await;
    assert!(s["compensation"].is_null(), "{s}");
    let s = lim.get("/api/seminars").await.expect(200).json();
    assert!(
        s["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["compensation"].is_null()),
        "{s}"
    );
    // The main user does see money.
    let p = w.a_main.get("/api/partners/pa").await.expect(200).json();
    assert!(p["bonus"].is_string(), "{p}");
    assert!(seminar(&w.a_main, "sa").await["compensation"].is_string());
}

#[tokio::test]
async fn a_full_rights_user_adds_limited_users_but_not_full_ones_and_never_for_another_company() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.partner("pb", "Бета", false, None).await;
    let full = app
        .user(
            &admin,
            "partner",
            "full@pa.example",
            Some("pa"),
            Some("full"),
        )
        .await;
    let new = |email: &str, partner: &str, rights: &str, role: &str| json!({"email": email, "name": "X", "role": role, "partner": partner, "rights": rights, "password": "long-enough-password"});
    full.post(
        "/api/users",
        new("l@pa.example", "pa", "limited", "partner"),
    )
    .await
    .expect(201);
    full.post("/api/users", new("f@pa.example", "pa", "full", "partner"))
        .await
        .expect_error(403, "forbidden");
    full.post("/api/users", new("m@pa.example", "pa", "main", "partner"))
        .await
        .expect_error(403, "forbidden");
    full.post(
        "/api/users",
        new("l@pb.example", "pb", "limited", "partner"),
    )
    .await
    .expect_error(403, "forbidden");
    full.post(
        "/api/users",
        new("c@pa.example", "pa", "main", "coordinator"),
    )
    .await
    .expect_error(403, "forbidden");
    // A generated one-time password must be changed before anything else.
    let created = admin
        .post("/api/users", json!({"email": "otp@pa.example", "name": "O", "role": "partner", "partner": "pa", "rights": "main"}))
        .await
        .expect(201)
        .json();
    let otp = created["one_time_password"]
        .as_str()
        .expect("one-time password")
        .to_string();
    let c = app.login("otp@pa.example", &otp).await;
    c.get("/api/seminars").await.expect_error(403, "forbidden");
    assert_eq!(
        c.get("/api/me").await.expect(200).json()["user"]["must_change_password"],
        true
    );
    c.post("/api/me/password", json!({"current": otp, "new": "short"}))
        .await
        .expect(400);
    c.post(
        "/api/me/password",
        json!({"current": otp, "new": "a-long-new-password"}),
    )
    .await
    .expect(204);
    c.get("/api/seminars").await.expect(200);
    // The same e-mail twice is a conflict.
    admin
        .post(
            "/api/users",
            json!({"email": "OTP@pa.example", "name": "O", "role": "partner", "partner": "pa"}),
        )
        .await
        .expect_error(409, "email_taken");
}

// ---------------------------------------------------------------------------------------------
// 3. Errors

#[tokio::test]
async fn the_first_admin_must_change_the_one_time_password_before_anything_else() {
    let app = app::spawn().await;
    let c = app
        .login(&app.admin_email, &app.admin_one_time_password)
        .await;
    assert_eq!(c.me["must_change_password"], true, "{}", c.me);
    c.get("/api/partners").await.expect_error(403, "forbidden");
    c.post("/api/partners", json!({"id": "p1", "name": "P"}))
        .await
        .expect_error(403, "forbidden");
    c.post(
        "/api/me/password",
        json!({"current": "wrong-password", "new": "new-admin-password"}),
    )
    .await
    .expect_error(400, "invalid_credentials");
    c.post(
        "/api/me/password",
        json!({"current": app.admin_one_time_password, "new": "new-admin-password"}),
    )
    .await
    .expect(204);
    c.get("/api/partners").await.expect(200);
    // The one-time password no longer works.
    let (_, r) = app
        .try_login(&app.admin_email, &app.admin_one_time_password)
        .await;
    r.expect_error(401, "invalid_credentials");
}

#[tokio::test]
async fn malformed_json_and_unknown_routes_answer_in_the_json_error_shape() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let r = admin
        .send(
            admin
                .request(Method::POST, "/api/partners")
                .header("content-type", "application/json")
                .body("{\"id\": \"p1\", \"name\": "),
        )
        .await;
    r.expect_error(400, "invalid_json");
    let r = admin
        .send(
            admin
                .request(Method::POST, "/api/partners")
                .header("content-type", "application/json")
                .body("[1, 2]"),
        )
        .await;
    r.expect_error(400, "invalid_json");
    admin
        .get("/api/no-such-thing")
        .await
        .expect_error(404, "not_found");
    app.anonymous()
        .get("/api/no-such-thing")
        .await
        .expect_error(404, "not_found");
    app.anonymous()
        .get("/nowhere")
        .await
        .expect_error(404, "not_found");
    // A user's mistake is never a 500.
    admin
        .get("/api/programs/no-such-program")
        .await
        .expect_error(404, "not_found");
    admin
        .get("/api/partners/no-such-partner")
        .await
        .expect_error(404, "not_found");
    admin
        .get("/api/seminars?state=flying")
        .await
        .expect_error(400, "invalid_input");
}

#[tokio::test]
async fn a_malformed_query_parameter_is_a_400_in_the_json_error_shape() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let r = admin.get("/api/seminars?page=abc").await;
    r.expect(400).error_code();
    let r = admin.get("/api/audit?per_page=-1").await;
    r.expect(400).error_code();
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_405_in_the_json_error_shape() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let r = admin.call(Method::DELETE, "/api/seminars", None).await;
    r.expect(405).error_code();
}

#[tokio::test]
async fn a_cookie_session_without_its_csrf_token_cannot_change_anything() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    admin
        .without_csrf()
        .post(
            "/api/partners",
            json!({"id": "p-nocsrf", "name": "Без токена"}),
        )
        .await
        .expect_error(403, "forbidden");
    let mut forged = admin.clone();
    forged.csrf = Some("0".repeat(64));
    forged
        .post(
            "/api/partners",
            json!({"id": "p-forged", "name": "Чужой токен"}),
        )
        .await
        .expect_error(403, "forbidden");
    let partners = admin.get("/api/partners").await.expect(200).text();
    assert!(
        !partners.contains("p-nocsrf") && !partners.contains("p-forged"),
        "{partners}"
    );
    // Reads need no token; scripts with a bearer token need none either.
    admin.without_csrf().get("/api/partners").await.expect(200);
    let token = admin
        .post("/api/me/tokens", json!({"name": "скрипт"}))
        .await
        .expect(201)
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    Client::bearer(&app.base, &token)
        .post(
            "/api/partners",
            json!({"id": "p-script", "name": "Из скрипта"}),
        )
        .await
        .expect(201);
    Client::bearer(&app.base, "not-a-token")
        .get("/api/partners")
        .await
        .expect_error(401, "unauthorized");
    // After logout the cookie is dead.
    let c = admin.clone();
    c.post_empty("/api/logout").await.expect(204);
    c.get("/api/partners")
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn a_wrong_password_is_401_and_the_eleventh_attempt_after_ten_failures_is_429() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.user(
        &admin,
        "partner",
        "ivan@pa.example",
        Some("pa"),
        Some("main"),
    )
    .await;
    for i in 1..=10 {
        let (_, r) = app
            .try_login("ivan@pa.example", &format!("wrong-password-{i}"))
            .await;
        r.expect_error(401, "invalid_credentials");
    }
    // Locked out now, even with the right password.
    let (_, r) = app.try_login("ivan@pa.example", app::USER_PASSWORD).await;
    r.expect_error(429, "too_many_requests");
    // An unknown account answers exactly like a wrong password (fresh app, fresh limiter).
    let other = app::spawn().await;
    let (_, r) = other
        .try_login("nobody@nowhere.example", "whatever-password")
        .await;
    r.expect_error(401, "invalid_credentials");
}

/// A copy of the shipped workflows whose flagship program has `priority` instead of its own.
fn workflows_with_priority(priority: &str) -> tempfile::TempDir {
    workflows_replacing(
        "priority = [\"experienced\", \"earliest\"]",
        &format!("priority = {priority}"),
    )
}

/// A copy of the shipped workflows whose flagship program has line `line` replaced by `with`.
fn workflows_replacing(line: &str, with: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("workflows");
    let wf = std::fs::read_to_string(src.join(format!("{PROGRAM}.toml"))).unwrap();
    assert!(wf.contains(line), "the shipped workflow has «{line}»");
    std::fs::write(
        dir.path().join(format!("{PROGRAM}.toml")),
        wf.replace(line, with),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("calendars")).unwrap();
    for e in std::fs::read_dir(src.join("calendars")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join("calendars").join(e.file_name())).unwrap();
    }
    dir
}

#[tokio::test]
async fn the_review_queue_and_dashboard_follow_the_workflows_priority_as_the_review_does() {
    // This program decides by the earliest application only: experience does not count.
    let wf = workflows_with_priority("[\"earliest\"]");
    let app = app::spawn_with(Setup {
        workflows: Some(wf.path().to_path_buf()),
        ..Setup::default()
    })
    .await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", true, None).await;
    app.partner("pb", "Бета", false, None).await;
    let a = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let b = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    // The inexperienced partner applies first, the experienced one a day later, same city and week.
    app.set_clock("2017-01-23T10:00:00+03:00").await;
    b.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s-b", "city": "Новосибирск", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    a.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s-a", "city": "Новосибирск", "date": "2017-03-30"}),
    )
    .await
    .expect(201);

    app.set_clock("2017-01-27T12:00:00+03:00").await;
    let queue = admin
        .get(&format!("/api/programs/{PROGRAM}/review-queue"))
        .await
        .expect(200)
        .json();
    let order: Vec<(String, String)> = queue["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["seminar"].as_str().unwrap().to_string(),
                x["suggestion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("s-b".to_string(), "approve".to_string()),
            ("s-a".to_string(), "city_week_taken".to_string())
        ],
        "{queue}"
    );
    let page = admin
        .get(&format!("/programs/{PROGRAM}"))
        .await
        .expect(200)
        .text();
    let group = &page[page.find("Группа заявок").expect("an application group")..];
    let (first, second) = (
        group.find("href=\"/seminars/s-b\"").expect("s-b listed"),
        group.find("href=\"/seminars/s-a\"").expect("s-a listed"),
    );
    assert!(first < second, "the dashboard lists s-b first: {group}");
    assert!(
        group.contains("Утвердить заявку: Бета") && !group.contains("Утвердить заявку: Альфа"),
        "{group}"
    );
    assert!(!group.contains("рассматривается раньше"), "{group}");

    // The review itself decides the same way.
    let decided = admin
        .post_empty(&format!("/api/programs/{PROGRAM}/review"))
        .await
        .expect(200)
        .json();
    let states: BTreeMap<String, String> = decided["decided"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(states["s-b"], "preparing", "{decided}");
    assert_eq!(states["s-a"], "rejected", "{decided}");
}

/// A partner with an approved seminar `s1` (Тула), clock at 2017-02-10.
async fn seminar_world(app: &App) -> Client {
    let (_, a) = app::approved_seminar(app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    a
}

fn tmp_leftovers(app: &App) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(app.config.files_dir().join("tmp"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn uploads_of_a_disallowed_type_are_400_and_over_the_limit_are_413_and_leave_nothing() {
    let app = app::spawn_with(Setup {
        upload_limit_mb: 1,
        ..Setup::default()
    })
    .await;
    let a = seminar_world(&app).await;
    let text = Form::new().part(
        "file",
        file_part(
            "program.txt",
            "Программа семинара\n1. Доклад\n".as_bytes().to_vec(),
            "text/plain",
        ),
    );
    a.post_multipart(&versions_path("s1", "program"), text)
        .await
        .expect_error(400, "unsupported_file_type");
    // A text file claiming to be a PDF is still a text file.
    let liar = Form::new().part(
        "file",
        file_part(
            "program.pdf",
            b"just text, not a pdf".to_vec(),
            "application/pdf",
        ),
    );
    a.post_multipart(&versions_path("s1", "program"), liar)
        .await
        .expect_error(400, "unsupported_file_type");
    let mut big = small_pdf("big");
    big.resize(1024 * 1024 + 512 * 1024, b' ');
    a.post_multipart(
        &versions_path("s1", "program"),
        pdf_form("big.pdf", big, "1.5 MB"),
    )
    .await
    .expect_error(413, "too_large");
    // Nothing was recorded or left behind.
    let s = seminar(&a, "s1").await;
    let program = stage(&s, "program");
    assert_eq!(program["status"], "open", "{program}");
    assert_eq!(program["versions"], json!([]), "{program}");
    assert_eq!(tmp_leftovers(&app), Vec::<std::path::PathBuf>::new());
    // Under the limit it goes through.
    let mut ok = small_pdf("fits");
    ok.resize(900 * 1024, b' ');
    a.post_multipart(
        &versions_path("s1", "program"),
        pdf_form("ok.pdf", ok, "0.9 MB"),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn an_upload_far_over_the_limit_is_refused_with_413_too() {
    let app = app::spawn_with(Setup {
        upload_limit_mb: 1,
        ..Setup::default()
    })
    .await;
    let a = seminar_world(&app).await;
    let mut big = small_pdf("huge");
    big.resize(3 * 1024 * 1024, b' ');
    a.post_multipart(
        &versions_path("s1", "program"),
        pdf_form("huge.pdf", big, "3 MB"),
    )
    .await
    .expect_error(413, "too_large");
    assert_eq!(tmp_leftovers(&app), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn a_version_may_carry_several_files_each_under_the_per_file_limit() {
    // The limit is per file (issue 4: "default 25 MB a file"): a report with several photos and
    // scans, each within it, is one version.
    let app = app::spawn_with(Setup {
        upload_limit_mb: 1,
        ..Setup::default()
    })
    .await;
    let a = seminar_world(&app).await;
    let mut form = Form::new().text("comment", "три файла по 0,9 МБ");
    let mut shas = vec![];
    for i in 0..3 {
        let mut f = small_pdf(&format!("part {i}"));
        f.resize(900 * 1024, b' ');
        shas.push(sha256_hex(&f));
        form = form.part(
            "file",
            file_part(&format!("part-{i}.pdf"), f, "application/pdf"),
        );
    }
    let r = a
        .post_multipart(&versions_path("s1", "program"), form)
        .await
        .expect(200)
        .json();
    let got: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        shas.iter().map(String::as_str).collect::<Vec<_>>(),
        "{r}"
    );
}

#[tokio::test]
async fn an_oversized_json_body_is_413_not_a_parse_error() {
    let app = app::spawn_with(Setup {
        upload_limit_mb: 1,
        ..Setup::default()
    })
    .await;
    let admin = app.admin().await;
    let name = "x".repeat(3 * 1024 * 1024);
    admin
        .post("/api/partners", json!({"id": "p-big", "name": name}))
        .await
        .expect_error(413, "too_large");
}

#[tokio::test]
async fn the_clock_endpoint_is_403_on_a_system_clock_and_refuses_to_go_back_on_a_manual_one() {
    let sys = app::spawn_with(Setup {
        clock: seminarflow::config::ClockMode::System,
        ..Setup::default()
    })
    .await;
    let admin = sys.admin().await;
    admin
        .post(
            "/api/admin/clock",
            json!({"now": "2030-01-01T00:00:00+03:00"}),
        )
        .await
        .expect_error(403, "forbidden");
    assert_eq!(
        admin.get("/api/clock").await.expect(200).json()["manual"],
        false
    );

    let man = app::spawn().await;
    let admin = man.admin().await;
    let r = man.set_clock("2017-02-01T10:00:00+03:00").await;
    assert_eq!(
        (r["now"].as_str(), &r["manual"]),
        (Some("2017-02-01T07:00:00Z"), &json!(true)),
        "{r}"
    );
    admin
        .post(
            "/api/admin/clock",
            json!({"now": "2017-01-25T10:00:00+03:00"}),
        )
        .await
        .expect_error(400, "clock_backwards");
    admin
        .post("/api/admin/clock", json!({"now": "tomorrow"}))
        .await
        .expect_error(400, "invalid_input");
    assert_eq!(
        admin.get("/api/clock").await.expect(200).json()["now"],
        "2017-02-01T07:00:00Z"
    );
}

#[tokio::test]
async fn refusals_answer_with_their_contract_codes() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.partner("pb", "Бета", false, None).await;
    let a = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let b = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    let apply = format!("/api/programs/{PROGRAM}/applications");
    app.set_clock("2017-01-20T10:00:00+03:00").await;
    a.post(&apply, json!({"city": "Тула", "date": "2017-03-29"}))
        .await
        .expect_error(422, "application_window_closed");
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    a.post(
        &apply,
        json!({"seminar": "s1", "city": "Тула", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    admin
        .post_empty("/api/seminars/s1/approve-application")
        .await
        .expect(200);
    // The city's week is taken.
    b.post(
        &apply,
        json!({"seminar": "s2", "city": "Тула", "date": "2017-03-31"}),
    )
    .await
    .expect_error(409, "city_week_taken");
    // One seminar per partner and city.
    a.post(
        &apply,
        json!({"seminar": "s3", "city": "Тула", "date": "2017-04-04"}),
    )
    .await
    .expect_error(409, "partner_city_duplicate");
    a.post(
        &apply,
        json!({"seminar": "s1", "city": "Омск", "date": "2017-03-29"}),
    )
    .await
    .expect_error(409, "invalid_state");
    a.post(&apply, json!({"city": "Омск", "date": "2017-05-20"}))
        .await
        .expect_error(422, "date_outside_program");
    // Well-formed JSON with a wrong value: 422 naming the field (issue 14).
    a.post(&apply, json!({"city": "Омск", "date": "not-a-date"}))
        .await
        .expect_error(422, "invalid_input");
    // A second version while one waits for review.
    a.post(&versions_path("s1", "program"), json!({"comment": "v1"}))
        .await
        .expect(200);
    a.post(&versions_path("s1", "program"), json!({"comment": "v2"}))
        .await
        .expect_error(409, "invalid_state");
    a.post(&versions_path("s1", "no_such_stage"), json!({}))
        .await
        .expect_error(422, "invalid_input");
    a.post(
        &versions_path("s1", "landing"),
        json!({"links": ["javascript:alert(1)"]}),
    )
    .await
    .expect_error(422, "invalid_input");
    // A return whose due date is already over is a typo, not a command.
    admin
        .post(
            "/api/seminars/s1/stages/program/return",
            json!({"due": "2017-01-01", "comment": "Добавьте тезисы"}),
        )
        .await
        .expect_error(422, "invalid_input");
    admin
        .post(
            "/api/seminars/s1/violations",
            json!({"code": "no_such_violation"}),
        )
        .await
        .expect_error(422, "invalid_input");
    admin
        .post_empty("/api/seminars/nope/accept-report")
        .await
        .expect_error(404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// 4. OpenAPI

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_lists_every_route_with_its_methods() {
    let app = app::spawn().await;
    let anon = app.anonymous();
    let doc = anon.get("/api/openapi.json").await.expect(200).json();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "openapi = {version:?}");
    assert!(doc["info"]["title"].is_string(), "{}", doc["info"]);
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = vec![];
    let mut routes = api_routes();
    routes.push(("GET".into(), "/healthz".into()));
    routes.push(("GET".into(), "/metrics".into()));
    for (method, path) in &routes {
        let op = paths.get(path).and_then(|p| p.get(method.to_lowercase()));
        match op {
            Some(op) if op["responses"].as_object().is_some_and(|r| !r.is_empty()) => {}
            Some(_) => missing.push(format!("{method} {path}: no responses")),
            None => missing.push(format!("{method} {path}")),
        }
    }
    assert!(missing.is_empty(), "not in /api/openapi.json: {missing:?}");
    // Path parameters are declared.
    for (method, path) in &routes {
        let op = &paths[path.as_str()][method.to_lowercase()];
        for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            let declared = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert!(
                declared,
                "{method} {path}: path parameter {name} not declared: {op}"
            );
        }
    }
    let docs = anon.get("/api/docs").await.expect(200);
    assert!(
        docs.content_type().starts_with("text/html"),
        "{}",
        docs.content_type()
    );
    assert!(
        docs.text().to_lowercase().contains("<html"),
        "{}",
        docs.text()
    );
}

// ---------------------------------------------------------------------------------------------
// 5. `serve` as a new user runs it

struct Served {
    child: std::process::Child,
    out: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    err: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    base: String,
    _dir: tempfile::TempDir,
}

impl Served {
    fn stdout(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    fn output(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            self.out.lock().unwrap().join("\n"),
            self.err.lock().unwrap().join("\n")
        )
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let st = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(st.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads take the last lines.
                std::thread::sleep(std::time::Duration::from_millis(100));
                return st;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not stop within 30 s of SIGTERM\n{}",
                self.output()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn read_lines(
    r: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::BufRead;
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let l = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(r).lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    lines
}

/// Runs the real binary from an empty working directory and waits for `/healthz`.
async fn serve(extra: &[&str]) -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seminarflow"));
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .current_dir(dir.path())
        .env("SEMINARFLOW_WORKFLOWS", root().join("workflows"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for var in [
        "DATABASE_URL",
        "SEMINARFLOW_DATABASE",
        "SEMINARFLOW_CONFIG",
        "SEMINARFLOW_DATA_DIR",
        "SEMINARFLOW_LISTEN",
        "SEMINARFLOW_BASE_URL",
        "SEMINARFLOW_SMTP_HOST",
        "SEMINARFLOW_LOG_JSON",
    ] {
        cmd.env_remove(var);
    }
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().expect("the binary starts");
    let out = read_lines(child.stdout.take().unwrap());
    let err = read_lines(child.stderr.take().unwrap());
    let mut served = Served {
        child,
        out,
        err,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let http = reqwest::Client::new();
    let deadline = started + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{}/healthz", served.base)).send().await {
            if r.status() == 200 {
                break;
            }
        }
        if let Some(st) = served.child.try_wait().expect("try_wait") {
            std::thread::sleep(std::time::Duration::from_millis(100));
            panic!(
                "serve exited with {st} before answering\n{}",
                served.output()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not answer /healthz within 30 s\n{}",
            served.output()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    println!(
        "serve {} answered /healthz {:?} after start",
        extra.join(" "),
        started.elapsed()
    );
    // The credential lines are printed before the listening line.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !served.stdout().iter().any(|l| l.contains("слушает")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no listening line\n{}",
            served.output()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    served
}

fn printed_after(lines: &[String], marker: &str) -> Option<String> {
    lines
        .iter()
        .find(|l| l.contains(marker))
        .and_then(|l| l.rsplit(": ").next())
        .map(|s| s.trim().to_string())
}

#[tokio::test]
async fn serve_on_an_empty_data_dir_answers_prints_the_admin_password_and_stops_on_sigterm() {
    let mut s = serve(&[]).await;
    let lines = s.stdout();
    assert!(
        lines.iter().any(|l| l.contains("admin@seminarflow.local")),
        "the admin's e-mail is printed\n{}",
        s.output()
    );
    let password = printed_after(&lines, "Одноразовый пароль")
        .unwrap_or_else(|| panic!("no one-time password printed\n{}", s.output()));
    assert!(password.len() >= 10, "{password:?}");
    // It is the real password, and must be changed at first login.
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"email": "admin@seminarflow.local", "password": password}))
        .send()
        .await
        .expect("login answers");
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        cookie.starts_with("sf_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["user"]["must_change_password"], true, "{me}");
    let metrics = http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("seminarflow_http_requests_total"),
        "{metrics}"
    );

    let status = s.terminate();
    assert!(
        status.success(),
        "serve exited with {status} on SIGTERM\n{}",
        s.output()
    );
    assert!(
        s.stdout().iter().any(|l| l.contains("остановлен")),
        "graceful shutdown says so\n{}",
        s.output()
    );
}

#[tokio::test]
async fn serve_demo_shows_a_populated_season_to_the_printed_coordinator() {
    let mut s = serve(&["--demo"]).await;
    let lines = s.stdout();
    let creds = lines
        .iter()
        .find(|l| l.contains("coordinator@demo.local"))
        .unwrap_or_else(|| panic!("no demo coordinator printed\n{}", s.output()))
        .clone();
    let (email, password) = creds
        .split_once(": ")
        .and_then(|(_, rest)| rest.split_once(" / "))
        .map(|(e, p)| (e.trim().to_string(), p.trim().to_string()))
        .unwrap_or_else(|| panic!("unexpected credentials line {creds:?}"));
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/api/login", s.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "demo coordinator logs in");
    let list: Value = http
        .get(format!("{}/api/seminars?per_page=200", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().expect("items");
    let states: BTreeSet<&str> = items.iter().filter_map(|s| s["state"].as_str()).collect();
    assert!(
        items.len() >= 10,
        "only {} demo seminars: {list}",
        items.len()
    );
    assert!(
        states.len() >= 5,
        "demo seminars in only {} states: {states:?}",
        states.len()
    );
    let clock: Value = http
        .get(format!("{}/api/clock", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        clock["manual"], true,
        "--demo implies the manual clock: {clock}"
    );
    let metrics = http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("seminarflow_http_requests_total"),
        "{metrics}"
    );
    let status = s.terminate();
    assert!(
        status.success(),
        "serve --demo exited with {status} on SIGTERM\n{}",
        s.output()
    );
}

#[test]
#[cfg_attr(
    sf_no_openapi_validator,
    ignore = "needs python3 -m pip install openapi-spec-validator"
)]
fn the_openapi_document_passes_an_external_openapi_validator() {
    use utoipa::OpenApi;
    let have = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        if std::env::var("SEMINARFLOW_REQUIRE_OPENAPI_VALIDATOR").as_deref() == Ok("1") {
            panic!("python3 module openapi_spec_validator not installed, and SEMINARFLOW_REQUIRE_OPENAPI_VALIDATOR=1");
        }
        eprintln!("SKIPPED: python3 module openapi_spec_validator is not installed; the OpenAPI document was not validated externally");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&seminarflow::http::openapi::ApiDoc::openapi()).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejects the document:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn lists_page_in_sql_and_their_cursors_walk_every_row_once() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let p = "bitrix24-seminars-2017-spring";
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    for i in 0..7 {
        let pid = format!("pg{i}");
        app.partner(&pid, &format!("Партнёр {i}"), false, None)
            .await;
        admin
            .post(
                &format!("/api/programs/{p}/applications"),
                json!({"partner": pid, "seminar": format!("pq{i}"), "city": format!("Город {i}"), "date": "2017-03-29"}),
            )
            .await
            .expect(201);
    }
    // Seminars: keyset pages of 3 give every seminar once, in creation order.
    let mut seen = vec![];
    let mut cursor: Option<i64> = None;
    loop {
        let path = match cursor {
            Some(c) => format!("/api/seminars?limit=3&cursor={c}"),
            None => "/api/seminars?limit=3".to_string(),
        };
        let page = admin.get(&path).await.expect(200).json();
        assert_eq!(page["total"], 7, "{page}");
        for s in page["items"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("pq{i}")).collect::<Vec<_>>());
    let third = admin
        .get("/api/seminars?per_page=2&page=3")
        .await
        .expect(200)
        .json();
    let ids: Vec<&str> = third["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pq4", "pq5"]);

    // Partners: a page of the rating with the total in a header; search by name.
    let r = admin
        .get("/api/partners?limit=2&offset=1")
        .await
        .expect(200);
    assert_eq!(r.headers["x-total-count"], "7");
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let found = admin
        .get("/api/partners?q=партнёр%203")
        .await
        .expect(200)
        .json();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");

    // Penalties: newest first, with the next page's cursor in a header. The applications are
    // approved and the program deadline passes for all of them.
    app.set_clock("2017-02-06T10:00:00+03:00").await;
    let decided = admin
        .post_empty(&format!("/api/programs/{p}/review"))
        .await
        .expect(200)
        .json();
    assert_eq!(decided["decided"].as_array().unwrap().len(), 7, "{decided}");
    app.set_clock("2017-03-01T10:00:00+03:00").await;
    let all = admin
        .get("/api/penalties?limit=1000")
        .await
        .expect(200)
        .json();
    let total = all.as_array().unwrap().len();
    assert!(
        total >= 7,
        "every seminar missed its program deadline: {all}"
    );
    let mut walked = 0;
    let mut path = "/api/penalties?limit=4".to_string();
    loop {
        let r = admin.get(&path).await.expect(200);
        walked += r.json().as_array().unwrap().len();
        match r.headers.get("x-next-cursor") {
            Some(c) => path = format!("/api/penalties?limit=4&cursor={}", c.to_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(walked, total);

    // Outbox and audit pages.
    let out = admin
        .get("/api/admin/outbox?limit=2")
        .await
        .expect(200)
        .json();
    assert_eq!(out.as_array().unwrap().len(), 2);
    let next = out[1]["id"].as_i64().unwrap();
    let out2 = admin
        .get(&format!("/api/admin/outbox?limit=2&cursor={next}"))
        .await
        .expect(200)
        .json();
    assert!(out2[0]["id"].as_i64().unwrap() > next);
    let audit = admin.get("/api/audit?per_page=2").await.expect(200).json();
    let last = audit[1]["id"].as_i64().unwrap();
    let audit2 = admin
        .get(&format!("/api/audit?per_page=2&cursor={last}"))
        .await
        .expect(200)
        .json();
    assert!(audit2[0]["id"].as_i64().unwrap() > last, "{audit2}");

    // The slot grid pages by city.
    let r = admin
        .get(&format!("/api/programs/{p}/slots?limit=3&offset=3"))
        .await
        .expect(200);
    assert_eq!(r.headers["x-total-count"], "7");
    let body = r.json();
    let cities: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["city"].as_str().unwrap())
        .collect();
    assert_eq!(cities, ["Город 3", "Город 4", "Город 5"]);
}

/// Which weeks of `city` the partner's apply page offers (`data-free` of the city's row).
async fn apply_page_weeks(partner: &Client, city_query: &str, city: &str) -> Vec<bool> {
    let html = partner
        .get(&format!("/my/apply?program={PROGRAM}&city={city_query}"))
        .await
        .expect(200)
        .text();
    let row_start = html
        .find(&format!("<tr data-city=\"{city}\""))
        .unwrap_or_else(|| panic!("no row for {city}: {html}"));
    let row = &html[row_start..row_start + html[row_start..].find("</tr>").unwrap()];
    row.match_indices("data-free=\"")
        .map(|(i, m)| &row[i + m.len()..i + m.len() + 1] == "1")
        .collect()
}

/// Which weeks of `city` the API's slot grid shows as open to applications.
async fn api_weeks(client: &Client, city_query: &str) -> Vec<bool> {
    let rows = client
        .get(&format!("/api/programs/{PROGRAM}/slots?city={city_query}"))
        .await
        .expect(200)
        .json();
    rows[0]["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| !matches!(c["status"].as_str(), Some("taken" | "closed")))
        .collect()
}

#[tokio::test]
async fn the_slot_grid_and_the_apply_page_follow_the_same_slot_rule() {
    // Two seminars per city and week, two per city: one approved seminar leaves its week open.
    let wf = workflows_replacing("per_city_week = 1 ", "per_city_week = 2 ");
    let app = app::spawn_with(Setup {
        workflows: Some(wf.path().to_path_buf()),
        ..Setup::default()
    })
    .await;
    let (admin, a) = app::approved_seminar(&app).await;
    let tula = "%D0%A2%D1%83%D0%BB%D0%B0";
    assert_eq!(api_weeks(&a, tula).await, vec![true, true]);
    assert_eq!(apply_page_weeks(&a, tula, "Тула").await, vec![true, true]);

    // A second approved seminar in the same week fills the week and, at two, the city.
    app.partner("pb", "Бета", false, None).await;
    let b = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    b.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s2", "city": "Тула", "date": "2017-03-30"}),
    )
    .await
    .expect(201);
    admin
        .post_empty("/api/seminars/s2/approve-application")
        .await
        .expect(200);
    assert_eq!(api_weeks(&b, tula).await, vec![false, false]);
    assert_eq!(apply_page_weeks(&b, tula, "Тула").await, vec![false, false]);
}
