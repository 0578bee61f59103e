//! The events program (`workflows/bitrix-partner-events-2017.toml`) over HTTP, side by side with
//! the flagship: a partner announces events, the coordinator approves or rejects them with the
//! file's codes, promo and report go through the stage routes, the event's JSON shows the
//! promotion window and the bracket row, and the queue and calendar list both programs.

use crate::support::app::{self, App, Client, PROGRAM};
use serde_json::{json, Value};

const EVENTS: &str = "bitrix-partner-events-2017";

fn announce_path() -> String {
    format!("/api/programs/{EVENTS}/events")
}

/// Partner `pe` with its main user; the clock at 2017-05-02 10:00 Moscow.
async fn setup(app: &App) -> (Client, Client) {
    let admin = app.admin().await;
    app.partner("pe", "Эпсилон", false, None).await;
    let p = app
        .user(
            &admin,
            "partner",
            "olga@pe.example",
            Some("pe"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-05-02T10:00:00+03:00").await;
    (admin, p)
}

fn message(r: &app::Resp) -> String {
    r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn has_cyrillic(s: &str) -> bool {
    s.chars()
        .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)))
}

#[tokio::test]
async fn both_programs_are_listed_and_the_events_program_takes_announcements() {
    let app = app::spawn().await;
    let (_admin, p) = setup(&app).await;
    let programs = p.get("/api/programs").await.expect(200).json();
    let ids: Vec<&str> = programs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert!(ids.contains(&PROGRAM) && ids.contains(&EVENTS), "{ids:?}");
    // The flagship takes no announcements.
    p.post(
        &format!("/api/programs/{PROGRAM}/events"),
        json!({"kind": "seminar", "date": "2017-06-01", "city": "Тула"}),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn refusals_are_422_with_the_files_codes_and_russian_messages() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    let cases = [
        (
            json!({"kind": "seminar", "topic": "site", "date": "2018-02-01", "city": "Тула"}),
            "date_outside_program",
        ),
        (
            json!({"kind": "talk", "topic": "marketplace", "date": "2017-06-01", "end_date": "2017-06-01", "city": "Тула"}),
            "kind_not_rewarded",
        ),
        (
            json!({"kind": "seminar", "topic": "site", "date": "2017-06-01", "city": "Тула", "audience": "developers"}),
            "audience_not_prospects",
        ),
        (
            json!({"kind": "seminar", "topic": "site", "date": "2017-05-01", "city": "Тула"}),
            "not_preapproved",
        ),
        (
            json!({"kind": "webinar", "topic": "site", "date": "2017-06-01", "city": "Тула"}),
            "invalid_input",
        ),
        (
            json!({"kind": "banquet", "date": "2017-06-01", "city": "Тула"}),
            "invalid_input",
        ),
        (json!({"kind": "seminar", "city": "Тула"}), "invalid_input"),
    ];
    for (body, code) in cases {
        let r = p
            .post(&announce_path(), body.clone())
            .await
            .expect_error(422, code);
        let msg = message(&r);
        assert!(has_cyrillic(&msg), "{body} → {msg}");
    }
    let r = p
        .post(
            &announce_path(),
            json!({"kind": "banquet", "date": "2017-06-01"}),
        )
        .await
        .expect(422);
    assert_eq!(r.json()["error"]["field"], "kind", "{}", r.text());
    // A rejection needs a code of the file.
    let e = p
        .post(
            &announce_path(),
            json!({"kind": "webinar", "topic": "b24", "date": "2017-06-20", "online": true}),
        )
        .await
        .expect(201)
        .json();
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(e["online"], true);
    let r = admin
        .post(
            &format!("/api/seminars/{id}/reject-event"),
            json!({"code": "bad_mood"}),
        )
        .await
        .expect(422);
    assert_eq!(r.json()["error"]["field"], "code", "{}", r.text());
    assert!(message(&r).contains("competing_products"), "{}", r.text());
    // A partner cannot decide.
    p.post(
        &format!("/api/seminars/{id}/reject-event"),
        json!({"code": "competing_products"}),
    )
    .await
    .expect(403);
    let rejected = admin
        .post(
            &format!("/api/seminars/{id}/reject-event"),
            json!({"code": "competing_products", "comment": "Сравнение с другой CMS"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["rejection"], "competing_products");
    assert_eq!(rejected["rejection_name"], "Конкурирующие продукты");
}

async fn announce_seminar(p: &Client) -> String {
    let e = p
        .post(
            &announce_path(),
            json!({"kind": "seminar", "topic": "site", "date": "2017-06-01", "city": "Тула",
                   "materials": "none", "co_organizers": ["pz"]}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(e["kind"], "seminar");
    assert_eq!(e["kind_name"], "Семинар");
    assert_eq!(e["state"], "applied");
    assert_eq!(e["co_organizers"], json!(["pz"]));
    assert_eq!(
        e["promotion_window"],
        json!({"from": "2017-05-18", "to": "2017-06-01"})
    );
    assert_eq!(e["shown_now"], false);
    assert_eq!(e["shown_label"], "не показывается");
    assert!(e["award"].is_null(), "{e}");
    e["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_events_season_runs_over_http_announce_approve_promo_report_award() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    let id = announce_seminar(&p).await;
    // The queue lists it beside the flagship's work, the calendar too.
    let q = admin.get("/api/queue").await.expect(200).json();
    let row = q
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seminar"] == id.as_str())
        .unwrap_or_else(|| panic!("{q}"));
    assert_eq!(row["what"], "application");
    assert_eq!(row["program"], EVENTS);
    p.get("/api/queue").await.expect(403);
    let cal = p
        .get("/api/calendar?from=2017-05-01&to=2017-06-30")
        .await
        .expect(200)
        .json();
    assert!(
        cal.as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == id.as_str()),
        "{cal}"
    );

    let approved = admin
        .post(
            &format!("/api/seminars/{id}/approve-event"),
            json!({"estimate": "30000"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(approved["state"], "preparing");
    assert_eq!(approved["agreed_estimate"], "30000.00");
    assert_eq!(approved["info_support"], true);

    // Promo materials: submitted and approved through the stage routes.
    p.post(
        &format!("/api/seminars/{id}/stages/promo/versions"),
        json!({"links": ["https://pe.example/seminar-tula"], "comment": "Анонс и баннер"}),
    )
    .await
    .expect(200);
    let q = admin.get("/api/queue").await.expect(200).json();
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .any(|r| r["seminar"] == id.as_str() && r["what"] == "promo"),
        "{q}"
    );
    admin
        .post_empty(&format!("/api/seminars/{id}/stages/promo/approve"))
        .await
        .expect(200);

    // The day after the event the report is due; 35 listeners → row 31-50.
    app.set_clock("2017-06-02T10:00:00+03:00").await;
    let r = p
        .post(
            &format!("/api/seminars/{id}/stages/report/versions"),
            json!({"report": {"attendees": 35, "registrations": 50, "costs": "30000", "third_party_companies": 0},
                   "links": ["https://pe.example/seminar-tula"]}),
        )
        .await;
    let r = r.expect(200).json();
    assert_eq!(r["seminar"]["report"]["attendees"], 35, "{r}");
    let e = p
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    let award = &e["award"];
    assert_eq!(award["booked"], false, "{e}");
    assert_eq!(award["points"], 60, "{e}");
    assert_eq!(award["bracket"]["label"], "31-50", "{e}");
    assert_eq!(award["bracket"]["cap"], "20000.00", "{e}");
    assert_eq!(award["costs_part"], "15000.00", "{e}");
    assert_eq!(award["compensation"], "15000.00", "{e}");
    assert_eq!(award["ledger"], "site", "{e}");
    let q = admin.get("/api/queue").await.expect(200).json();
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .any(|r| r["seminar"] == id.as_str() && r["what"] == "report"),
        "{q}"
    );
    // Another partner sees nothing of it.
    app.partner("px", "Икс", false, None).await;
    let x = app
        .user(&admin, "partner", "x@px.example", Some("px"), Some("main"))
        .await;
    x.get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(404);
    let cal = x
        .get("/api/calendar?from=2017-05-01&to=2017-06-30")
        .await
        .expect(200)
        .json();
    assert!(cal.as_array().unwrap().is_empty(), "{cal}");
}

/// Acceptance by kind: the evidence the kind requires is checked, the row's points go to the
/// topic's product ledger, and the event's JSON shows the booked award (bracket, parts, credit day).
#[tokio::test]
async fn an_accepted_events_report_books_points_per_product() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    let id = announce_seminar(&p).await;
    admin
        .post(
            &format!("/api/seminars/{id}/approve-event"),
            json!({"estimate": "30000"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-06-02T10:00:00+03:00").await;
    // Without the evidence the kind requires, acceptance is refused naming what is missing.
    p.post(
        &format!("/api/seminars/{id}/stages/report/versions"),
        json!({"report": {"attendees": 35, "registrations": 50, "costs": "30000"}}),
    )
    .await
    .expect(200);
    let r = admin
        .post_empty(&format!("/api/seminars/{id}/accept-report"))
        .await;
    assert!(r.status.as_u16() >= 400, "{}", r.text());
    assert!(
        message(&r).contains("Фотографии с мероприятия"),
        "{}",
        r.text()
    );
    admin
        .post(
            &format!("/api/seminars/{id}/stages/report/return"),
            json!({"comment": "Нужны фотографии и ссылка на анонс"}),
        )
        .await
        .expect(200);
    p.post(
        &format!("/api/seminars/{id}/stages/report/versions"),
        json!({"report": {"attendees": 35, "registrations": 50, "costs": "30000",
                          "evidence": ["photos", "announcement_link"],
                          "inputs": {"third_party_companies": 3, "paid": false}}}),
    )
    .await
    .expect(200);
    let e = p
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    // Preview: 3 third parties → all three count, −30 % on money after the cap.
    assert_eq!(e["award"]["booked"], false, "{e}");
    assert_eq!(
        e["award"]["reductions"],
        json!(["third_party_companies"]),
        "{e}"
    );
    assert_eq!(e["award"]["compensation"], "10500.00", "{e}");
    admin
        .post_empty(&format!("/api/seminars/{id}/accept-report"))
        .await
        .expect(200);
    let e = p
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    let award = &e["award"];
    assert_eq!(award["booked"], true, "{e}");
    assert_eq!(award["points"], 60, "{e}");
    assert_eq!(award["bracket"]["label"], "31-50", "{e}");
    assert_eq!(award["costs_part"], "10500.00", "{e}");
    assert_eq!(award["compensation"], "10500.00", "{e}");
    assert_eq!(award["reductions"], json!(["third_party_companies"]), "{e}");
    assert_eq!(award["ledger"], "site", "{e}");
    assert!(award["credit_due"].is_string(), "{e}");
    let ledger: Value = p.get("/api/partners/pe/ledger").await.expect(200).json();
    let text = ledger.to_string();
    assert!(text.contains("\"site\""), "{text}");
    assert!(text.contains("60"), "{text}");
}

/// A paid event reported over HTTP (`inputs.paid`) is accepted with its points and no money.
#[tokio::test]
async fn a_paid_event_reported_over_http_earns_points_without_compensation() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    let id = announce_seminar(&p).await;
    admin
        .post(
            &format!("/api/seminars/{id}/approve-event"),
            json!({"estimate": "30000"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-06-02T10:00:00+03:00").await;
    p.post(
        &format!("/api/seminars/{id}/stages/report/versions"),
        json!({"report": {"attendees": 35, "registrations": 50, "costs": "30000",
                          "evidence": ["photos", "announcement_link"], "inputs": {"paid": true}}}),
    )
    .await
    .expect(200);
    admin
        .post_empty(&format!("/api/seminars/{id}/accept-report"))
        .await
        .expect(200);
    let e = admin
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    assert_eq!(e["award"]["booked"], true, "{e}");
    assert_eq!(e["award"]["points"], 60, "{e}");
    assert_eq!(e["award"]["compensation"], "0.00", "{e}");
    assert_eq!(e["award"]["reductions"], json!(["paid_event"]), "{e}");
}

/// A co-organized event reported over HTTP (E§4.14): the co-organizer's documented costs split
/// the compensation, the speaker gets the points; a co-organizer not announced, or costs above
/// the report's, are refused naming the field.
#[tokio::test]
async fn a_co_organized_events_award_is_split_by_documented_costs_and_speakers() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    app.partner("pz", "Зета", false, None).await;
    app.partner("px", "Икс", false, None).await;
    let id = announce_seminar(&p).await;
    admin
        .post(
            &format!("/api/seminars/{id}/approve-event"),
            json!({"estimate": "30000"}),
        )
        .await
        .expect(200);
    app.set_clock("2017-06-02T10:00:00+03:00").await;
    let path = format!("/api/seminars/{id}/stages/report/versions");
    let base = |co: Value, speakers: Value| {
        json!({"report": {"attendees": 35, "registrations": 50, "costs": "30000",
                          "evidence": ["photos", "announcement_link"],
                          "co_organizers": co, "speakers": speakers}})
    };
    for bad in [
        base(json!([{"partner": "px", "costs": "10000"}]), json!([])),
        base(json!([{"partner": "pz", "costs": "40000"}]), json!([])),
        base(json!([{"partner": "pz", "costs": "10000"}]), json!(["px"])),
    ] {
        let r = p.post(&path, bad).await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text());
        assert!(has_cyrillic(&message(&r)), "{}", r.text());
    }
    p.post(
        &path,
        base(json!([{"partner": "pz", "costs": "10000"}]), json!(["pz"])),
    )
    .await
    .expect(200);
    admin
        .post_empty(&format!("/api/seminars/{id}/accept-report"))
        .await
        .expect(200);
    let e = admin
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    // 35 listeners → 60 points, 50 % of 30 000 capped at 20 000 → 15 000; costs 20 000 : 10 000.
    let shares = &e["award"]["shares"];
    assert_eq!(
        shares,
        &json!([
            {"partner": "pe", "points": 0, "compensation": "10000.00"},
            {"partner": "pz", "points": 60, "compensation": "5000.00"}
        ]),
        "{e}"
    );
}

/// A coordinator approves an event and refuses its information support with a reason of the
/// file's `[[support_refusals]]` (E§4.5 item 3): booked as a consequence; an unknown reason, or
/// a reason with `info_support = true`, is a 422 naming the field, and nothing is approved.
#[tokio::test]
async fn a_coordinator_refuses_info_support_at_approval_with_the_files_reason() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    let id = announce_seminar(&p).await;
    for body in [
        json!({"code": "no_such_reason"}),
        json!({"code": "technical_audience", "info_support": true}),
    ] {
        let r = admin
            .post(&format!("/api/seminars/{id}/approve-event"), body)
            .await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text());
        assert!(message(&r).contains("code"), "{}", r.text());
        assert!(has_cyrillic(&message(&r)), "{}", r.text());
    }
    let still = admin
        .get(&format!("/api/seminars/{id}/event"))
        .await
        .expect(200)
        .json();
    assert_eq!(still["state"], "applied", "nothing half-applied: {still}");
    let e = admin
        .post(
            &format!("/api/seminars/{id}/approve-event"),
            json!({"code": "technical_audience"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(e["state"], "preparing", "{e}");
    assert_eq!(e["info_support"], false, "{e}");
    assert!(
        e["consequences"].to_string().contains("technical_audience"),
        "{e}"
    );
}

/// A coordinator suspends a partner's support over the API: its new events are refused with the
/// file's code; after resuming they are taken again. A partner may not do either.
#[tokio::test]
async fn a_coordinator_suspends_and_resumes_a_partners_support() {
    let app = app::spawn().await;
    let (admin, p) = setup(&app).await;
    p.post("/api/partners/pe/suspend-support", json!({}))
        .await
        .expect(403);
    let v = admin
        .post(
            "/api/partners/pe/suspend-support",
            json!({"note": "Долг по отчётам"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["support_suspended"], true, "{v}");
    assert_eq!(v["label"], "поддержка приостановлена", "{v}");
    let body = json!({"kind": "seminar", "topic": "site", "date": "2017-06-01", "city": "Тула"});
    let r = p.post(&announce_path(), body.clone()).await.expect(422);
    assert!(has_cyrillic(&message(&r)), "{}", r.text());
    admin
        .post(
            "/api/partners/pe/suspend-support",
            json!({"program": PROGRAM}),
        )
        .await
        .expect(422);
    let v = admin
        .post_empty("/api/partners/pe/resume-support")
        .await
        .expect(200)
        .json();
    assert_eq!(v["support_suspended"], false, "{v}");
    p.post(&announce_path(), body).await.expect(201);
}
