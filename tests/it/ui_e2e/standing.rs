//! The partner programs in the browser (issue 11 item 5): the partner reads «Мой статус» (its
//! status, the term, the points with their last day, what is missing), the coordinator finds
//! it on «Партнёры под угрозой» and records a violation from the partner's card. Screenshots
//! at 1366 and 390 px; no page scrolls sideways on a phone.

use super::browser::{with_browser, Browser};
use crate::support::app::{self, USER_PASSWORD};
use serde_json::json;

const STATUS: &str = "bitrix-partner-status";

async fn no_sideways_scroll(b: &Browser, what: &str) {
    b.set_width(390).await;
    let r = b
        .eval(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        )
        .await;
    assert!(
        r[0].as_u64() <= r[1].as_u64(),
        "{what} scrolls sideways: {r}"
    );
    b.set_width(1366).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn a_partner_reads_its_status_and_the_coordinator_records_a_decision() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
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
    let path = format!("/api/partners/pa/standings/{STATUS}");
    p.post(&path, json!({"do": "admission_apply"}))
        .await
        .expect(200);
    for body in [
        json!({"do": "admission_decide", "fields": {"outcome": "approve"}}),
        json!({"do": "certify_staff", "fields": {"staff": "ivanov", "role": "full_rights", "course": "content_manager"}}),
        json!({"do": "credit_points", "fields": {"kind": "seminar", "points": 120}}),
    ] {
        c.post(&path, body).await.expect(200);
    }
    app.set_clock("2017-01-17T09:00:00+03:00").await;
    let app = &app;
    with_browser(&app.base.clone(), async |b| {
        b.login("anna@pa.example", USER_PASSWORD).await;
        b.goto("/my/status").await;
        b.wait_for(&format!("#standing-{STATUS}")).await;
        let text = b.text().await;
        assert!(text.contains("Сертифицированный партнер"), "{text}");
        assert!(text.contains("Чего не хватает"), "{text}");
        assert!(text.contains("по 16.01.2018"), "{text}");
        b.shot_at("standing-my-1366", 1366).await;
        b.shot_at("standing-my-390", 390).await;
        no_sideways_scroll(b, "/my/status").await;
        b.logout().await;

        b.login("kira@vendor.example", USER_PASSWORD).await;
        b.goto("/partners/at-risk").await;
        b.wait_for("tr[data-partner='pa'][data-reason='below_threshold']")
            .await;
        b.shot_at("standing-at-risk-1366", 1366).await;
        b.shot_at("standing-at-risk-390", 390).await;
        no_sideways_scroll(b, "/partners/at-risk").await;
        b.click("tr[data-partner='pa'] a").await;
        b.wait_for(&format!(
            "#standing-{STATUS} details[data-action='partner_violation']"
        ))
        .await;
        b.click(&format!(
            "#standing-{STATUS} details[data-action='partner_violation'] summary"
        ))
        .await;
        b.fill(
            &format!("#standing-{STATUS} details[data-action='partner_violation'] textarea"),
            "code = false_status_claim",
        )
        .await;
        b.shot_at("standing-partner-1366", 1366).await;
        b.submit_and_expect(
            &format!(
                "#standing-{STATUS} details[data-action='partner_violation'] button[type=submit]"
            ),
            "выполнено",
        )
        .await;
        b.shot_at("standing-partner-390", 390).await;
        no_sideways_scroll(b, "/partners/pa").await;
    })
    .await;
}
