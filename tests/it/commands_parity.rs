//! The JSON API and the pages run the seminar commands through one layer (`http::commands`):
//! the same bad input is refused with the same Russian message — the API answers 422 naming the
//! field in `error.field`, the page shows the form again with the message next to the field —
//! and the same callers are allowed or refused on both paths.

use crate::support::app::{self, App, Client, Resp};
use reqwest::Method;
use serde_json::json;

fn versions(id: &str, stage: &str) -> String {
    format!("/api/seminars/{id}/stages/{stage}/versions")
}

/// Partner `pa` (main user, limited user), partner `pb` (main user), a coordinator, and
/// seminar `s1` of `pa` in Тула on 2017-03-29 in preparation, clock 2017-02-10. With
/// `at_report`, every stage before the seminar is approved and the clock is on the seminar day.
struct World {
    admin: Client,
    coord: Client,
    main: Client,
    limited: Client,
    other: Client,
}

async fn world(app: &App, at_report: bool) -> World {
    let (admin, main) = app::approved_seminar(app).await;
    app.partner("pb", "Бета", false, None).await;
    let coord = app
        .user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    let limited = app
        .user(
            &main,
            "partner",
            "olga@pa.example",
            Some("pa"),
            Some("limited"),
        )
        .await;
    let other = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    if at_report {
        app::approve_stages_before_seminar(app, &admin, &main, "s1").await;
        app.set_clock("2017-03-29T12:00:00+03:00").await;
    }
    World {
        admin,
        coord,
        main,
        limited,
        other,
    }
}

/// Posts a page form (with the session's CSRF token), following the redirect of a success.
async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> Resp {
    let token = c.csrf().await;
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    c.send(c.request(Method::POST, path).form(&all)).await
}

/// Posts the page's upload form (multipart, the CSRF token first).
async fn upload(c: &Client, id: &str, stage: &str, fields: &[(&str, &str)]) -> Resp {
    let mut f = reqwest::multipart::Form::new().text("_csrf", c.csrf().await);
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    let path = format!("/seminars/{id}/stages/{stage}/submit");
    c.send(c.request(Method::POST, &path).multipart(f)).await
}

/// The API's 422 for `field`; returns its message without the `field: ` prefix.
#[track_caller]
fn api_mistake(r: &Resp, field: &str) -> String {
    assert_eq!(r.status.as_u16(), 422, "{} → {}", r.request, r.text());
    let e = &r.json()["error"];
    assert_eq!(e["code"], "invalid_input", "{e}");
    assert_eq!(e["field"], field, "{e}");
    let message = e["message"].as_str().unwrap_or_default();
    message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or_else(|| panic!("the message starts with the field: {message}"))
        .to_string()
}

/// The page shown again (422) with `message` in it.
#[track_caller]
fn page_shows(r: &Resp, message: &str) {
    let html = r.text();
    assert_eq!(r.status.as_u16(), 422, "{} → {html}", r.request);
    assert!(
        html.contains(&handlebars::html_escape(message)),
        "{} does not show «{message}»: {html}",
        r.request
    );
}

/// The same refusal on both paths: the API's status and message, and the page's.
#[track_caller]
fn same_refusal(api: &Resp, page: &Resp, status: u16) {
    assert_eq!(
        api.status.as_u16(),
        status,
        "{} → {}",
        api.request,
        api.text()
    );
    assert_eq!(
        page.status.as_u16(),
        status,
        "{} → {}",
        page.request,
        page.text()
    );
    let message = api.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        page.text().contains(&handlebars::html_escape(&message)),
        "{} does not say «{message}»: {}",
        page.request,
        page.text()
    );
}

#[tokio::test]
async fn a_past_due_date_and_a_return_without_a_comment_are_refused_alike_by_api_and_page() {
    let app = app::spawn().await;
    let w = world(&app, false).await;
    w.main
        .post(&versions("s1", "program"), json!({"comment": "v1"}))
        .await
        .expect(200);
    let path = "/api/seminars/s1/stages/program/return";
    let page_path = "/seminars/s1/stages/program/return";

    let api = w
        .coord
        .post(
            path,
            json!({"comment": "Добавьте тезисы", "due": "2017-01-01"}),
        )
        .await;
    let msg = api_mistake(&api, "due");
    assert_eq!(
        msg,
        "Срок 01.01.2017 уже прошёл: укажите сегодняшнюю или более позднюю дату."
    );
    let page = form(
        &w.coord,
        page_path,
        &[("comment", "Добавьте тезисы"), ("due", "2017-01-01")],
    )
    .await;
    page_shows(&page, &msg);

    let api = w.coord.post(path, json!({"due": "2017-02-20"})).await;
    let msg = api_mistake(&api, "comment");
    assert!(msg.starts_with("Напишите, что нужно доработать"), "{msg}");
    let page = form(
        &w.coord,
        page_path,
        &[("comment", " "), ("due", "2017-02-20")],
    )
    .await;
    page_shows(&page, &msg);

    // A date typed the Russian way reads the same on both paths.
    let api = w
        .coord
        .post(
            path,
            json!({"comment": "Добавьте тезисы", "due": "31.02.2017"}),
        )
        .await;
    let msg = api_mistake(&api, "due");
    let page = form(
        &w.coord,
        page_path,
        &[("comment", "Добавьте тезисы"), ("due", "31.02.2017")],
    )
    .await;
    page_shows(&page, &msg);
    w.coord
        .post(
            path,
            json!({"comment": "Добавьте тезисы", "due": "20.02.2017"}),
        )
        .await
        .expect(200);
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert!(s.to_string().contains("2017-02-20"), "{s}");
}

#[tokio::test]
async fn a_violation_without_a_note_or_with_a_wrong_count_is_refused_alike_by_api_and_page() {
    let app = app::spawn().await;
    let w = world(&app, false).await;
    let path = "/api/seminars/s1/violations";
    let page_path = "/seminars/s1/violation";

    let api = w.coord.post(path, json!({"code": "mispositioning"})).await;
    let msg = api_mistake(&api, "note");
    assert!(msg.starts_with("Опишите, что и где нарушено"), "{msg}");
    let page = form(
        &w.coord,
        page_path,
        &[("code", "mispositioning"), ("note", "")],
    )
    .await;
    page_shows(&page, &msg);

    let cases = [
        ("mispositioning", "0"),
        ("mispositioning", "101"),
        ("program_changed_unapproved", "2"),
    ];
    for (code, count) in cases {
        let api = w
            .coord
            .post(
                path,
                json!({"code": code, "count": count, "note": "баннер"}),
            )
            .await;
        let msg = api_mistake(&api, "count");
        let page = form(
            &w.coord,
            page_path,
            &[("code", code), ("count", count), ("note", "баннер")],
        )
        .await;
        page_shows(&page, &msg);
    }
    // A JSON number reads as the typed digits.
    let api = w
        .coord
        .post(
            path,
            json!({"code": "mispositioning", "count": 0, "note": "баннер"}),
        )
        .await;
    api_mistake(&api, "count");

    let api = w
        .coord
        .post(path, json!({"code": "no_such_code", "note": "баннер"}))
        .await;
    let msg = api_mistake(&api, "code");
    let page = form(
        &w.coord,
        page_path,
        &[("code", "no_such_code"), ("note", "баннер")],
    )
    .await;
    page_shows(&page, &msg);

    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["penalties"], json!([]), "nothing was booked: {s}");
}

#[tokio::test]
async fn a_negative_attendee_count_and_a_bad_link_in_a_report_are_refused_alike_by_api_and_page() {
    let app = app::spawn().await;
    let w = world(&app, true).await;
    let figures = json!({"attendees": -3, "registrations": 20, "costs": "1000"});
    let api = w
        .limited
        .post(&versions("s1", "report"), json!({ "report": figures }))
        .await;
    let msg = api_mistake(&api, "report.attendees");
    assert_eq!(msg, "Участники: «-3» — не целое неотрицательное число.");
    let page = upload(
        &w.limited,
        "s1",
        "report",
        &[
            ("attendees", "-3"),
            ("registrations", "20"),
            ("costs", "1000"),
        ],
    )
    .await;
    page_shows(&page, &msg);

    let good = json!({"attendees": 30, "registrations": 40, "costs": "48 000,50"});
    let api = w
        .limited
        .post(
            &versions("s1", "report"),
            json!({"report": good, "links": ["javascript:alert(1)"]}),
        )
        .await;
    let msg = api_mistake(&api, "links");
    let page = upload(
        &w.limited,
        "s1",
        "report",
        &[
            ("attendees", "30"),
            ("registrations", "40"),
            ("costs", "48 000,50"),
            ("link", "javascript:alert(1)"),
        ],
    )
    .await;
    page_shows(&page, &msg);

    // A missing figure: the same message.
    let api = w
        .limited
        .post(
            &versions("s1", "report"),
            json!({"report": {"attendees": 30, "costs": "1000"}}),
        )
        .await;
    let msg = api_mistake(&api, "report.registrations");
    let page = upload(
        &w.limited,
        "s1",
        "report",
        &[("attendees", "30"), ("costs", "1000")],
    )
    .await;
    page_shows(&page, &msg);

    // Money as people type it goes through the API as through the form.
    w.limited
        .post(&versions("s1", "report"), json!({ "report": good }))
        .await
        .expect(200);
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["report"]["costs"], "48000.50", "{s}");
}

#[tokio::test]
async fn an_empty_version_is_refused_alike_and_other_partners_cannot_upload_on_either_path() {
    let app = app::spawn().await;
    let w = world(&app, false).await;
    let api = w
        .main
        .post(&versions("s1", "postal_address"), json!({}))
        .await;
    let msg = api_mistake(&api, "file");
    let page = upload(&w.main, "s1", "postal_address", &[("comment", "  ")]).await;
    page_shows(&page, &msg);

    // Another partner's user: not found on both paths, nothing stored.
    let api = w
        .other
        .post(
            &versions("s1", "postal_address"),
            json!({"comment": "чужое"}),
        )
        .await;
    let page = upload(&w.other, "s1", "postal_address", &[("comment", "чужое")]).await;
    same_refusal(&api, &page, 404);

    // A limited-rights user of the partner uploads on both paths.
    w.limited
        .post(
            &versions("s1", "postal_address"),
            json!({"comment": "адрес"}),
        )
        .await
        .expect(200);
    let page = upload(
        &w.limited,
        "s1",
        "estimate",
        &[
            ("comment", "смета"),
            ("estimate_1_category", "hall"),
            ("estimate_1_description", "Конференц-зал"),
            ("estimate_1_amount", "15000"),
        ],
    )
    .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    let text = s.to_string();
    assert!(text.contains("адрес") && text.contains("смета"), "{s}");
    assert!(!text.contains("чужое"), "{s}");
}

#[tokio::test]
async fn coordinator_commands_are_refused_to_partner_users_alike_on_both_paths() {
    let app = app::spawn().await;
    let w = world(&app, false).await;
    let body = json!({"code": "mispositioning", "note": "баннер «конференция»"});
    let fields = [("code", "mispositioning"), ("note", "баннер «конференция»")];
    for who in [&w.main, &w.limited, &w.other] {
        let api = who.post("/api/seminars/s1/violations", body.clone()).await;
        let page = form(who, "/seminars/s1/violation", &fields).await;
        same_refusal(&api, &page, 403);
        let api = who
            .post(
                "/api/seminars/s1/stages/program/return",
                json!({"comment": "нет"}),
            )
            .await;
        let page = form(
            who,
            "/seminars/s1/stages/program/return",
            &[("comment", "нет")],
        )
        .await;
        same_refusal(&api, &page, 403);
    }
    w.coord
        .post("/api/seminars/s1/violations", body)
        .await
        .expect(200);
    let page = form(&w.coord, "/seminars/s1/violation", &fields).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["penalties"].as_array().map(Vec::len), Some(2), "{s}");
}

#[tokio::test]
async fn only_a_full_rights_user_of_the_partner_withdraws_through_the_api_or_the_page() {
    let app = app::spawn().await;
    let w = world(&app, false).await;
    let api_path = "/api/seminars/s1/withdraw";
    let page_path = "/seminars/s1/withdraw";
    let yes = [("confirm", "yes")];
    for who in [&w.admin, &w.coord, &w.limited] {
        let api = who.post_empty(api_path).await;
        let page = form(who, page_path, &yes).await;
        same_refusal(&api, &page, 403);
        assert!(
            api.text()
                .contains("отозвать семинар может только пользователь партнёра с полными правами"),
            "{}",
            api.text()
        );
    }
    let api = w.other.post_empty(api_path).await;
    let page = form(&w.other, page_path, &yes).await;
    same_refusal(&api, &page, 404);
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["state"], "preparing", "{s}");

    // The page asks the partner to confirm; the API call is the decision itself.
    let page = form(&w.main, page_path, &[]).await;
    page_shows(&page, "Отметьте, что понимаете последствия отзыва.");
    let page = form(&w.main, page_path, &yes).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let s = w.admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["state"], "withdrawn", "{s}");
}

#[tokio::test]
async fn an_application_is_checked_alike_by_api_and_page_and_refused_to_limited_users() {
    let app = app::spawn().await;
    // The application window is open until 2017-02-10, the world's day.
    let w = world(&app, false).await;
    let api_path = format!("/api/programs/{}/applications", app::PROGRAM);
    let page_path = "/my/apply";

    let api = w
        .other
        .post(&api_path, json!({"city": " ", "date": "2017-03-29"}))
        .await;
    let msg = api_mistake(&api, "city");
    let page = form(
        &w.other,
        page_path,
        &[("city", " "), ("date", "2017-03-29")],
    )
    .await;
    page_shows(&page, &msg);

    // A date that is none, in either spelling: the same message.
    let api = w
        .other
        .post(&api_path, json!({"city": "Омск", "date": "31.02.2017"}))
        .await;
    let msg = api_mistake(&api, "date");
    assert_eq!(msg, "Дата семинара: укажите дату в формате ДД.ММ.ГГГГ.");
    let page = form(
        &w.other,
        page_path,
        &[("city", "Омск"), ("date", "31.02.2017")],
    )
    .await;
    page_shows(&page, &msg);

    let api = w
        .limited
        .post(&api_path, json!({"city": "Пермь", "date": "2017-03-29"}))
        .await;
    let page = form(
        &w.limited,
        page_path,
        &[("city", "Пермь"), ("date", "2017-03-29")],
    )
    .await;
    same_refusal(&api, &page, 403);

    // Both paths give a new seminar an id of the same form.
    let api = w
        .other
        .post(&api_path, json!({"city": "Омск", "date": "2017-03-29"}))
        .await
        .expect(201)
        .json();
    let page = form(
        &w.other,
        page_path,
        &[("city", "Пермь"), ("date", "30.03.2017")],
    )
    .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text());
    let mine = w.other.get("/api/seminars").await.expect(200).json();
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{mine}");
    assert!(ids.contains(&api["id"].as_str().unwrap()), "{mine}");
    for id in ids {
        assert!(id.starts_with("s-") && id.len() == 12, "{id}");
    }
}
