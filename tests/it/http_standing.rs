//! Partner programs over HTTP (issue 11 item 5), on the shipped workflows and a real store: the
//! server loads `bitrix-partner-status` beside the item programs, a partner applies, the
//! coordinator decides, points credited today promote the partner at the next 00:00 (the
//! server's scheduler fires the evaluation when the clock moves), the standings show the term,
//! the points with their expiry and what is missing; partners at risk are listed soonest first.

use crate::support::app::{self, App, Client, PROGRAM};
use serde_json::{json, Value};

const STATUS: &str = "bitrix-partner-status";

fn step_path(partner: &str) -> String {
    format!("/api/partners/{partner}/standings/{STATUS}")
}

fn has_cyrillic(s: &str) -> bool {
    s.chars()
        .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)))
}

/// Partner `pa` with its main user, a coordinator; the clock at 2017-01-16 10:00 Moscow.
async fn setup(app: &App) -> (Client, Client, Client) {
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.partner("pb", "Бета", false, None).await;
    let p = app
        .user(
            &admin,
            "partner",
            "anna@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let c = app
        .user(&admin, "coordinator", "kira@vendor.example", None, None)
        .await;
    app.set_clock("2017-01-16T10:00:00+03:00").await;
    (admin, p, c)
}

fn standing<'a>(v: &'a Value, program: &str) -> &'a Value {
    v["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .find(|x| x["program"] == program)
        .unwrap_or_else(|| panic!("no {program} in {v}"))
}

#[tokio::test]
async fn partner_programs_are_loaded_but_not_listed_as_item_programs() {
    let app = app::spawn().await;
    let (_admin, p, _c) = setup(&app).await;
    let ids: Vec<String> = p
        .get("/api/programs")
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["id"].as_str().map(String::from))
        .collect();
    assert!(ids.iter().any(|i| i == PROGRAM), "{ids:?}");
    assert!(!ids.iter().any(|i| i == STATUS), "{ids:?}");
    p.get(&format!("/api/programs/{STATUS}"))
        .await
        .expect_error(404, "not_found");
    let v = p.get("/api/partners/pa/standings").await.expect(200).json();
    for id in [STATUS, "bitrix-kkv-competence", "moysklad-partner-status"] {
        assert_eq!(standing(&v, id)["state"], "not_admitted", "{id}");
    }
}

#[tokio::test]
async fn a_partner_applies_the_coordinator_decides_and_refusals_carry_the_rule_books_codes() {
    let app = app::spawn().await;
    let (_admin, p, c) = setup(&app).await;
    // The vendor's decision is not the partner's: 403.
    p.post(
        &step_path("pa"),
        json!({"do": "admission_decide", "fields": {"outcome": "approve"}}),
    )
    .await
    .expect_error(403, "forbidden");
    // Points before admission: refused with the rule book's code, in Russian.
    let r = c
        .post(
            &step_path("pa"),
            json!({"do": "credit_points", "fields": {"kind": "purchase", "price": 12000}}),
        )
        .await
        .expect_error(422, "not_admitted");
    assert!(has_cyrillic(&r.json()["error"]["message"].to_string()));
    let r = p
        .post(&step_path("pa"), json!({"do": "admission_apply"}))
        .await
        .expect(200)
        .json();
    assert_eq!(r["standing"]["state"], "applied", "{r}");
    let r = c
        .post(
            &step_path("pa"),
            json!({"do": "admission_decide", "fields": {"outcome": "approve"}}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(r["standing"]["code"], "business_partner", "{r}");
    assert!(
        r["notified"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "admission_approved"),
        "{r}"
    );
    // A second application: already admitted, 422 with the code.
    p.post(&step_path("pa"), json!({"do": "admission_apply"}))
        .await
        .expect_error(422, "already_admitted");
}

#[tokio::test]
async fn bad_input_names_the_field_and_other_partners_are_hidden() {
    let app = app::spawn().await;
    let (_admin, p, c) = setup(&app).await;
    let r = c.post(&step_path("pa"), json!({})).await.expect(422).json();
    assert_eq!(r["error"]["field"], "do", "{r}");
    let r = c
        .post(&step_path("pa"), json!({"do": "fly_to_the_moon"}))
        .await
        .expect(422)
        .json();
    assert_eq!(r["error"]["field"], "do", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("admission_apply"),
        "{r}"
    );
    let r = c
        .post(
            &step_path("pa"),
            json!({"do": "admission_apply", "fields": "not an object"}),
        )
        .await;
    assert!(matches!(r.status.as_u16(), 400 | 422), "{r:?}");
    let raw = c
        .send(
            c.request(reqwest::Method::POST, &step_path("pa"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(raw.status.as_u16(), 400, "{raw:?}");
    c.post(
        &format!("/api/partners/pa/standings/{PROGRAM}"),
        json!({"do": "admission_apply"}),
    )
    .await
    .expect_error(404, "not_found");
    c.post(
        "/api/partners/nobody/standings/bitrix-partner-status",
        json!({"do": "admission_apply"}),
    )
    .await
    .expect_error(404, "not_found");
    // Another partner's standings are not visible to a partner.
    p.get("/api/partners/pb/standings")
        .await
        .expect_error(404, "not_found");
    p.post(&step_path("pb"), json!({"do": "admission_apply"}))
        .await
        .expect_error(404, "not_found");
    // The at-risk list is the coordinators'.
    p.get("/api/standings/at-risk")
        .await
        .expect_error(403, "forbidden");
    c.get("/api/standings/at-risk?program=nope")
        .await
        .expect_error(404, "not_found");
}

/// Admits `pa`, certifies one employee and credits 120 seminar points on 2017-01-16.
async fn certified_next_night(app: &App, p: &Client, c: &Client) {
    p.post(&step_path("pa"), json!({"do": "admission_apply"}))
        .await
        .expect(200);
    c.post(
        &step_path("pa"),
        json!({"do": "admission_decide", "fields": {"outcome": "approve"}}),
    )
    .await
    .expect(200);
    c.post(
        &step_path("pa"),
        json!({"do": "certify_staff", "fields": {"staff": "ivanov", "role": "full_rights", "course": "content_manager"}}),
    )
    .await
    .expect(200);
    c.post(
        &step_path("pa"),
        json!({"do": "credit_points", "fields": {"kind": "seminar", "points": 120}}),
    )
    .await
    .expect(200);
    app.set_clock("2017-01-17T09:00:00+03:00").await;
}

#[tokio::test]
async fn points_promote_at_the_next_midnight_and_the_standing_says_what_is_missing() {
    let app = app::spawn().await;
    let (_admin, p, c) = setup(&app).await;
    certified_next_night(&app, &p, &c).await;
    let v = p.get("/api/partners/pa/standings").await.expect(200).json();
    let s = standing(&v, STATUS);
    assert_eq!(s["code"], "certified_partner", "{s}");
    assert_eq!(s["since"], "2017-01-16T21:00:00Z", "{s}");
    assert_eq!(s["last_day"], "2018-01-17", "{s}");
    let points = &s["ledgers"][0];
    assert_eq!(points["active"], 120, "{s}");
    assert_eq!(points["entries"][0]["last_day"], "2018-01-16", "{s}");
    assert_eq!(
        points["entries"][0]["expires_at"], "2018-01-16T21:00:00Z",
        "{s}"
    );
    // The next status: Gold needs 500 points, 2 certified employees and the quality program.
    let next = &s["next"];
    assert_eq!(next["code"], "gold_certified_partner", "{s}");
    let missing: Vec<&Value> = next["missing"].as_array().unwrap().iter().collect();
    let pts = missing
        .iter()
        .find(|m| m["metric"] == "active_points")
        .expect("points");
    assert_eq!(
        (
            pts["need"].as_i64(),
            pts["have"].as_i64(),
            pts["missing"].as_i64()
        ),
        (Some(500), Some(120), Some(380))
    );
    assert!(
        missing.iter().any(|m| m["metric"] == "quality_program"),
        "{s}"
    );
    // Keeping it: at `until` the 120 points have expired (2018-01-17 00:00 < 2018-01-18 00:00).
    let keep = &s["keep"];
    assert_eq!(keep["code"], "certified_partner", "{s}");
    let kp = keep["missing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "active_points")
        .expect("keep points");
    assert_eq!(
        (kp["need"].as_i64(), kp["have"].as_i64()),
        (Some(100), Some(0)),
        "{s}"
    );
    assert!(has_cyrillic(kp["text"].as_str().unwrap()));
    assert!(
        s["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["change"] == "promoted"),
        "{s}"
    );
}

#[tokio::test]
async fn partners_at_risk_are_listed_soonest_first_with_a_program_filter() {
    let app = app::spawn().await;
    let (_admin, p, c) = setup(&app).await;
    certified_next_night(&app, &p, &c).await;
    // Far from the anniversary, the projection already falls short: below threshold.
    let rows = c.get("/api/standings/at-risk").await.expect(200).json();
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["partner"] == "pa" && r["reason"] == "below_threshold"),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|r| r["reason"] == "expiring"), "{rows:?}");
    // Three weeks before the last day: expiring too, every row sorted by date.
    app.set_clock("2017-12-27T10:00:00+03:00").await;
    let rows = c
        .get(&format!("/api/standings/at-risk?program={STATUS}"))
        .await
        .expect(200)
        .json();
    let rows = rows.as_array().unwrap().clone();
    let reasons: Vec<&str> = rows.iter().filter_map(|r| r["reason"].as_str()).collect();
    assert!(
        reasons.contains(&"expiring") && reasons.contains(&"below_threshold"),
        "{rows:?}"
    );
    let dates: Vec<&str> = rows.iter().filter_map(|r| r["date"].as_str()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);
    assert!(rows.iter().all(|r| r["program"] == STATUS));
    let other = c
        .get("/api/standings/at-risk?program=moysklad-partner-status")
        .await
        .expect(200)
        .json();
    assert!(other
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["program"] == "moysklad-partner-status"));
}

#[tokio::test]
async fn the_pages_show_the_status_the_risks_and_the_decision_forms() {
    let app = app::spawn().await;
    let (_admin, p, c) = setup(&app).await;
    certified_next_night(&app, &p, &c).await;
    let html = p.get("/my/status").await.expect(200).text();
    assert!(html.contains("Сертифицированный партнер"), "{html}");
    assert!(html.contains("Чего не хватает"));
    assert!(html.contains("по 16.01.2018"), "the entry's last day");
    assert!(!html.contains("Решения координатора"));
    p.get("/partners/at-risk").await.expect(403);
    p.get("/partners/pa").await.expect(403);
    let html = c.get("/partners/at-risk").await.expect(200).text();
    assert!(
        html.contains("Альфа") && html.contains("ниже порога"),
        "{html}"
    );
    let html = c.get("/partners/pa").await.expect(200).text();
    assert!(
        html.contains("Решения координатора") && html.contains("data-action=\"admission_decide\""),
        "{html}"
    );
    assert!(!html.contains("data-action=\"admission_apply\""));
    // A form posted with a refused step comes back 422 with the Russian message and the code.
    let csrf = c.csrf().await;
    let r = c
        .send(
            c.request(
                reqwest::Method::POST,
                &format!("/partners/pa/standings/{STATUS}"),
            )
            .form(&[
                ("_csrf", csrf.as_str()),
                ("do", "lift_sanction"),
                ("fields", "code = warning"),
            ]),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert!(r.text().contains("step-error"));
}
