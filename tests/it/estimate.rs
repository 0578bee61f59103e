//! The structured estimate over HTTP (issue 13 item 5): the partner submits the estimate stage
//! as lines, a wrong line is a 422 naming the line and its part, the coordinator's approval
//! makes the compensable total the seminar's compensation cap (shown in the seminar JSON), the
//! report no longer takes a typed estimate, and the accepted report is compensated up to the
//! approved estimate.

use crate::support::app::{self, approved_seminar, Client, STAGES_BEFORE_SEMINAR};
use serde_json::{json, Value};

fn versions(stage: &str) -> String {
    format!("/api/seminars/s1/stages/{stage}/versions")
}

async fn seminar(c: &Client) -> Value {
    c.get("/api/seminars/s1").await.expect(200).json()
}

/// The 422's `error.field` and message.
#[track_caller]
fn mistake(r: crate::support::app::Resp) -> (String, String) {
    let r = r.expect_error(422, "invalid_input");
    let e = &r.json()["error"];
    (
        e["field"].as_str().unwrap_or_default().to_string(),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Hall and coffee break are compensable (20 000.50 RUB); printing (4 000 RUB) is not.
fn lines() -> Value {
    json!([
        {"category": "hall", "description": "Конференц-зал на 4 часа", "amount": "15000"},
        {"category": "coffee_break", "description": "Кофе-брейк на 40 человек", "amount": "5000,50"},
        {"category": "printing", "description": "Печать программ", "amount": 4000},
    ])
}

#[tokio::test]
async fn the_approved_estimates_compensable_lines_cap_the_compensation_not_a_typed_figure() {
    let app = app::spawn().await;
    let (admin, a) = approved_seminar(&app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;

    // Wrong lines: each mistake names its line (from 0 in the path, from 1 in the message).
    let bad = json!({"estimate": [
        {"category": "hall", "description": "Зал", "amount": "15000"},
        {"category": "banner", "description": "Растяжка", "amount": "5000"},
    ]});
    let (field, message) = mistake(a.post(&versions("estimate"), bad).await);
    assert_eq!(field, "estimate[1].category", "{message}");
    assert!(
        message.contains("Строка 2") && message.contains("banner"),
        "{message}"
    );
    let zero = json!({"estimate": [{"category": "hall", "description": "Зал", "amount": "0"}]});
    let (field, message) = mistake(a.post(&versions("estimate"), zero).await);
    assert_eq!(field, "estimate[0].amount", "{message}");
    assert!(message.contains("больше нуля"), "{message}");
    let words = json!({"estimate": [{"category": "hall", "description": "Зал", "amount": "пять"}]});
    let (field, _) = mistake(a.post(&versions("estimate"), words).await);
    assert_eq!(field, "estimate[0].amount");
    // A file or a comment alone is no estimate; lines belong to the estimate stage only.
    let (field, message) = mistake(
        a.post(
            &versions("estimate"),
            json!({"comment": "смета во вложении"}),
        )
        .await,
    );
    assert_eq!(field, "estimate", "{message}");
    let (field, _) = mistake(
        a.post(
            &versions("program"),
            json!({"comment": "программа", "estimate": lines()}),
        )
        .await,
    );
    assert_eq!(field, "estimate");
    assert!(
        seminar(&a).await["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|st| st["versions"].as_array().unwrap().is_empty()),
        "a refused submission leaves nothing behind"
    );

    for stage in STAGES_BEFORE_SEMINAR {
        let body = if stage == "estimate" {
            json!({"comment": "смета", "estimate": lines()})
        } else {
            json!({"comment": "готово"})
        };
        let sent = a.post(&versions(stage), body).await.expect(200).json();
        if stage == "estimate" {
            let st = sent["seminar"]["stages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == "estimate")
                .unwrap()
                .clone();
            let v = &st["versions"][0]["estimate"];
            assert_eq!(v[1]["amount"], "5000.50", "{st}");
            assert_eq!(v[2]["category_name"], "Печать программ и анкет", "{st}");
            assert_eq!(v[2]["compensable"], false, "{st}");
            assert!(
                sent["seminar"]["estimate"].is_null(),
                "no cap before the coordinator approves: {sent}"
            );
        }
        admin
            .post_empty(&format!("/api/seminars/s1/stages/{stage}/approve"))
            .await
            .expect(200);
    }
    let s = seminar(&admin).await;
    let e = &s["estimate"];
    assert_eq!(e["cap"], "20000.50", "{s}");
    assert_eq!(e["total"], "24000.50", "{s}");
    assert_eq!(e["version"], 1, "{s}");
    assert_eq!(e["lines"].as_array().unwrap().len(), 3, "{s}");
    assert_eq!(e["lines"][0]["category_name"], "Аренда зала", "{s}");
    assert_eq!(e["lines"][0]["compensable"], true, "{s}");
    assert_eq!(e["lines"][2]["compensable"], false, "{s}");

    // The report: a typed estimate is refused, the documented costs are taken.
    app.set_clock("2017-03-30T10:00:00+03:00").await;
    let typed = json!({"report": {"attendees": 31, "registrations": 70, "costs": "30000", "estimate": "50000"}});
    let (field, message) = mistake(a.post(&versions("report"), typed).await);
    assert_eq!(field, "report.estimate", "{message}");
    assert!(message.contains("согласовал"), "{message}");
    let rep = a
        .post(
            &versions("report"),
            json!({"report": {"attendees": 31, "registrations": 70, "costs": "30000"}}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(rep["seminar"]["report"]["estimate"], "20000.50", "{rep}");

    // Accepted: compensated up to the approved estimate's compensable lines.
    let done = admin
        .post_empty("/api/seminars/s1/stages/report/approve")
        .await
        .expect(200)
        .json();
    assert_eq!(done["state"], "closed", "{done}");
    assert_eq!(done["compensation"], "20000.50", "{done}");
    let reasons = done["result_reasons"].to_string();
    assert!(reasons.contains("согласованной сметы"), "{reasons}");

    // The API document describes the lines and the approved estimate.
    let doc = a.get("/api/openapi.json").await.expect(200).json();
    let schemas = &doc["components"]["schemas"];
    for name in [
        "EstimateLineBody",
        "ApprovedEstimateView",
        "EstimateLineView",
    ] {
        assert!(schemas[name].is_object(), "{name} in /api/openapi.json");
    }
}

#[tokio::test]
async fn a_returned_estimate_is_replaced_by_the_reworked_one_and_only_the_approved_one_counts() {
    let app = app::spawn().await;
    let (admin, a) = approved_seminar(&app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    a.post(
        &versions("estimate"),
        json!({"estimate": [{"category": "hall", "description": "Зал", "amount": "90000"}]}),
    )
    .await
    .expect(200);
    admin
        .post(
            "/api/seminars/s1/stages/estimate/return",
            json!({"comment": "Слишком дорогой зал"}),
        )
        .await
        .expect(200);
    assert!(seminar(&admin).await["estimate"].is_null());
    // The page offers the returned lines for rework, not an empty form.
    let page = a.get("/seminars/s1").await.expect(200).text();
    assert!(
        page.contains(r#"name="estimate_1_description" type="text" maxlength="300" value="Зал""#)
            && page.contains(r#"value="90000.00""#),
        "the returned estimate's lines fill the form"
    );
    a.post(
        &versions("estimate"),
        json!({"estimate": [
            {"category": "hall", "description": "Зал поменьше", "amount": "25000"},
            {"category": "contextual_ads", "description": "Яндекс.Директ", "amount": "8000"},
        ]}),
    )
    .await
    .expect(200);
    admin
        .post_empty("/api/seminars/s1/stages/estimate/approve")
        .await
        .expect(200);
    let s = seminar(&admin).await;
    assert_eq!(s["estimate"]["version"], 2, "{s}");
    assert_eq!(s["estimate"]["cap"], "25000.00", "{s}");
    assert_eq!(s["estimate"]["total"], "33000.00", "{s}");
    // A user who may not see money sees no estimate.
    let limited = app
        .user(
            &admin,
            "partner",
            "olga@pa.example",
            Some("pa"),
            Some("limited"),
        )
        .await;
    let lim = seminar(&limited).await;
    assert!(lim["estimate"].is_null(), "{lim}");
    let st = lim["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "estimate")
        .unwrap()
        .clone();
    assert!(st["versions"][1]["estimate"][0]["amount"].is_null(), "{st}");
}
