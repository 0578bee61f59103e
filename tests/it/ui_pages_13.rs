//! Issue 13, items 3, 4 and 10, proved on the rendered pages and the JSON API: a rejected,
//! withdrawn or excluded seminar looks ended and says why; a booked lateness penalty is not
//! threatened again; the review queue says how long a submission waits and what a return costs,
//! and «ближайшие 14 дней» shows stages not yet open and this week's seminars.

use crate::support::app::{self, approved_seminar, csrf_of, App, Client, PROGRAM};
use serde_json::json;

/// Partner `pa` (main user) applies for `s1` (Тула, 2017-03-29) on 2017-01-24; not decided.
async fn applied(app: &App) -> (Client, Client) {
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let a = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    a.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s1", "city": "Тула", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    (admin, a)
}

/// The live parts of a seminar page that an ended seminar must not show.
fn assert_not_live(html: &str) {
    for live in [
        "ожидает материалы",
        "Чем грозит опоздание",
        "осталось",
        "Если отправить сегодня",
        "есть: семинар публикуется",
        "Отправить материалы",
    ] {
        assert!(
            !html.contains(live),
            "an ended seminar shows «{live}»: {html}"
        );
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_the_rejected_seminar_page_shows_it_instead_of_live_stages()
{
    let app = app::spawn().await;
    let (admin, partner) = applied(&app).await;

    // The page's reject form without a reason: the error sits at the field.
    let page = admin.get("/seminars/s1").await.expect(200).text();
    let r = admin
        .send(
            admin
                .request(reqwest::Method::POST, "/seminars/s1/decide")
                .form(&[
                    ("_csrf", csrf_of(&page).as_str()),
                    ("decision", "reject"),
                    ("comment", "  "),
                ]),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("id=\"reject-comment-error\"") && html.contains("Укажите причину отказа"),
        "{html}"
    );
    // The API says the same, naming the field.
    let r = admin
        .post("/api/seminars/s1/reject-application", json!({}))
        .await
        .expect(422);
    assert!(r.text().contains("comment"), "{}", r.text());

    let reason = "В марте в Туле уже проходит семинар другого партнёра";
    admin
        .post(
            "/api/seminars/s1/reject-application",
            json!({ "comment": reason }),
        )
        .await
        .expect(200);
    for who in [&partner, &admin] {
        let html = who.get("/seminars/s1").await.expect(200).text();
        assert!(html.contains("id=\"ended\""), "{html}");
        assert!(html.contains("Заявка отклонена"), "{html}");
        assert!(html.contains(reason), "the reason is on the page: {html}");
        assert!(html.contains("нет — семинар не состоится"), "{html}");
        assert_not_live(&html);
    }
}

#[tokio::test]
async fn withdrawn_and_excluded_seminar_pages_show_a_status_panel_instead_of_countdowns() {
    let app = app::spawn().await;
    let (admin, a) = approved_seminar(&app).await;
    // A live seminar shows its countdowns: the page below would show them too if not ended.
    let live = a.get("/seminars/s1").await.expect(200).text();
    assert!(live.contains("ожидает материалы") && live.contains("осталось"));

    // A second seminar, withdrawn by the partner.
    a.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s2", "city": "Омск", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    admin
        .post_empty("/api/seminars/s2/approve-application")
        .await
        .expect(200);
    a.post("/api/seminars/s2/withdraw", json!({}))
        .await
        .expect(200);
    let html = a.get("/seminars/s2").await.expect(200).text();
    assert!(html.contains("id=\"ended\""), "{html}");
    assert!(html.contains("Семинар отозван партнёром"), "{html}");
    assert_not_live(&html);

    // s1 never sends its program: at the deadline it is excluded.
    app.set_clock("2017-02-23T00:30:00+03:00").await;
    let html = a.get("/seminars/s1").await.expect(200).text();
    assert!(html.contains("id=\"ended\""), "{html}");
    assert!(html.contains("Семинар исключён из программы"), "{html}");
    assert!(
        html.contains("<strong>Причина:</strong>"),
        "the exclusion's penalty is the reason: {html}"
    );
    assert_not_live(&html);
}

/// `s1` with every stage before the seminar sent and approved; the clock then set to `then`.
async fn at_the_report(app: &App, then: &str) -> (Client, Client) {
    let (admin, a) = approved_seminar(app).await;
    app::approve_stages_before_seminar(app, &admin, &a, "s1").await;
    app.set_clock(then).await;
    (admin, a)
}

#[tokio::test]
async fn a_booked_lateness_penalty_is_not_threatened_again_on_the_page() {
    let app = app::spawn().await;
    // The report is late: report_late (−20) is booked by the clock.
    let (_admin, a) = at_the_report(&app, "2017-04-07T12:00:00+03:00").await;
    let s = a.get("/api/seminars/s1").await.expect(200).json();
    let codes: Vec<&str> = s["penalties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["report_late"], "{s}");
    let report = s["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["id"] == "report")
        .unwrap();
    assert_eq!(report["lateness_costs"][0]["booked"], true, "{report}");

    let html = a.get("/seminars/s1").await.expect(200).text();
    let stage = html
        .split("id=\"stage-report\"")
        .nth(1)
        .expect("the report stage box")
        .split("<li id=\"stage-")
        .next()
        .unwrap();
    assert!(
        !stage.contains("Если отправить сегодня —"),
        "the booked −20 is threatened again: {stage}"
    );
    assert!(stage.contains("уже начислен"), "{stage}");
    assert!(
        !stage.contains("Чем грозит опоздание"),
        "no band is left to threaten: {stage}"
    );
    // The submit form stays.
    assert!(stage.contains("Отправить на проверку"), "{stage}");
}

#[tokio::test]
async fn the_review_queue_shows_when_a_submission_came_how_long_it_waits_and_what_a_return_costs() {
    let app = app::spawn().await;
    let (admin, a) = approved_seminar(&app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    for stage in ["program", "postal_address"] {
        a.post(
            &format!("/api/seminars/s1/stages/{stage}/versions"),
            json!({"comment": "готово"}),
        )
        .await
        .expect(200);
        admin
            .post_empty(&format!("/api/seminars/s1/stages/{stage}/approve"))
            .await
            .expect(200);
    }
    // The estimate arrives on 2017-02-27 and waits; its deadline is 2017-03-01.
    app.set_clock("2017-02-27T11:00:00+03:00").await;
    a.post(
        "/api/seminars/s1/stages/estimate/versions",
        json!({"comment": "смета", "estimate": app::estimate_lines()}),
    )
    .await
    .expect(200);
    app.set_clock("2017-03-03T10:00:00+03:00").await;
    let q = admin
        .get(&format!("/api/programs/{PROGRAM}/review-queue"))
        .await
        .expect(200)
        .json();
    let w = q["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["stage"] == "estimate")
        .unwrap_or_else(|| panic!("the estimate waits: {q}"));
    assert_eq!(w["submitted_at"], "2017-02-27T08:00:00Z", "{w}");
    assert_eq!(w["waiting_days"], 4, "{w}");
    let cost = w["return_cost"].as_str().unwrap();
    assert!(
        cost.contains("опаздывает на 2 дня") && cost.contains("−10 баллов"),
        "two days past the estimate's deadline a return is late at once: {cost}"
    );

    let html = admin
        .get(&format!("/programs/{PROGRAM}"))
        .await
        .expect(200)
        .text();
    assert!(html.contains("ждёт 4 дня"), "{html}");
    assert!(html.contains("Если вернуть сейчас"), "{html}");
    assert!(html.contains(cost), "{html}");
}

#[tokio::test]
async fn the_next_14_days_list_stages_not_yet_open_and_this_weeks_seminars() {
    let app = app::spawn().await;
    // Five days before the seminar: the report (opens on the seminar day) is due within 14 days.
    let (admin, _a) = at_the_report(&app, "2017-03-24T10:00:00+03:00").await;
    let html = admin
        .get(&format!("/programs/{PROGRAM}"))
        .await
        .expect(200)
        .text();
    let upcoming = html
        .split("id=\"upcoming-h\"")
        .nth(1)
        .expect("the upcoming section")
        .split("</section>")
        .next()
        .unwrap();
    assert!(
        upcoming.contains("(откроется в день семинара)"),
        "the report's deadline is listed: {upcoming}"
    );
    assert!(
        upcoming.contains("семинар через 5 дней"),
        "the seminar of this week is listed: {upcoming}"
    );
}
