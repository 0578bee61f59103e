//! Issue 13 items 1 and 2 in the browser: an approval that reached nobody (the partner had no
//! user) shows on the seminar page, the dashboard and the outbox page with its reason; the
//! admin adds the partner's user on the users page (a temporary password shown once), sends
//! the mail again, and the new user — after changing the password — manages the team. Every
//! new page is shot at 1366 and 390 px.

use super::browser::{with_browser, Browser};
use crate::support::app::{self, Setup, ADMIN_PASSWORD, PROGRAM, USER_PASSWORD};
use seminarflow::notifier::{MemoryMailer, Notifier, Settings, Templates};
use serde_json::json;
use std::sync::Arc;

/// Both widths of a page, checking on the phone that nothing scrolls sideways.
async fn shots(b: &Browser, name: &str) {
    b.shot_at(&format!("admin-{name}"), 1366).await;
    b.set_width(390).await;
    let r = b
        .eval(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
        )
        .await;
    assert!(
        r[0].as_u64() <= r[1].as_u64(),
        "{name} scrolls sideways on a phone: {r}"
    );
    b.shot_at(&format!("admin-{name}-phone"), 390).await;
    b.set_width(1366).await;
}

async fn flash_says(b: &Browser, text: &str) {
    let f = b.wait_for(".flash").await.text().await.unwrap_or_default();
    assert!(
        f.contains(text),
        "expected «{text}», got «{f}» on {}",
        b.url().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_mail_that_reached_nobody_is_seen_fixed_and_sent_again() {
    let app = app::spawn_with(Setup {
        start: "2017-01-24T10:00:00+03:00",
        ..Setup::default()
    })
    .await;
    let admin = app.admin().await;
    app.partner("pb", "Бета Софт", false, None).await;
    app.user(&admin, "coordinator", "anna@vendor.test", None, None)
        .await;
    admin
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"partner": "pb", "seminar": "s9", "city": "Тула", "date": "2017-03-29"}),
        )
        .await
        .expect(201);
    admin
        .post_empty("/api/seminars/s9/approve-application")
        .await
        .expect(200);
    let mail = MemoryMailer::new();
    let notifier = Notifier::new(
        app.state.service.clone(),
        Arc::new(mail.clone()),
        Arc::new(Templates::builtin().unwrap()),
        Settings::from_config(&app.config, chrono_tz::Europe::Moscow),
    );
    notifier.deliver_once(chrono::Utc::now()).await.unwrap();
    assert!(mail.sent().is_empty(), "nobody to write to yet");

    let app = &app;
    let notifier = &notifier;
    let mail = &mail;
    with_browser(&app.base.clone(), async |b| {
        // The coordinator sees it on the dashboard and the seminar page warns before acting.
        b.login("anna@vendor.test", USER_PASSWORD).await;
        b.goto(&format!("/programs/{PROGRAM}")).await;
        let dash = b.wait_for("#mail").await.text().await.unwrap();
        assert!(dash.contains("Недоставленные письма (1)"), "{dash}");
        assert!(dash.contains("нет активных пользователей"), "{dash}");
        shots(b, "dashboard-undelivered").await;
        b.goto("/seminars/s9").await;
        let warn = b.wait_for("#no-recipient").await.text().await.unwrap();
        assert!(
            warn.contains("нет ни одного активного пользователя"),
            "{warn}"
        );
        let listed = b.wait_for("#mail").await.text().await.unwrap();
        assert!(listed.contains("заявка утверждена"), "{listed}");
        shots(b, "seminar-undelivered").await;

        // The warning leads to the partner's users, where the coordinator adds one.
        b.click("#no-recipient a").await;
        b.wait_for("#nu-name").await;
        assert!(
            b.url().await.ends_with("/admin/users?partner=pb"),
            "{}",
            b.url().await
        );
        b.fill("#nu-name", "Борис Бетов").await;
        b.fill("#nu-email", "boris@pb.test").await;
        b.set_value("#nu-rights", "main").await;
        b.click("#add button[type=submit]").await;
        let password = b
            .wait_for("#issued-password")
            .await
            .text()
            .await
            .unwrap()
            .trim()
            .to_string();
        assert_eq!(password.chars().count(), 16, "{password}");
        let users = b.wait_for("#users").await.text().await.unwrap();
        assert!(
            users.contains("boris@pb.test") && users.contains("Бета Софт"),
            "{users}"
        );
        shots(b, "users").await;
        b.logout().await;

        // The admin: the partner has a user now; the outbox still names the old reason and the
        // fix; «send again» delivers it to the new user.
        b.login(&app.admin_email, ADMIN_PASSWORD).await;
        b.goto("/admin/partners").await;
        let row = b.wait_for("#partner-pb").await.text().await.unwrap();
        assert!(row.contains("активных: 1"), "{row}");
        shots(b, "partners").await;
        b.goto("/admin/outbox").await;
        let out = b.wait_for("#outbox").await.text().await.unwrap();
        assert!(
            out.contains("у партнёра «Бета Софт» (pb) нет активных пользователей"),
            "{out}"
        );
        assert!(out.contains("Добавьте партнёру пользователя"), "{out}");
        shots(b, "outbox").await;

        b.goto("/admin/outbox").await;
        b.click("#outbox form[action$='/retry'] button").await;
        flash_says(b, "поставлены на повторную отправку").await;
        notifier.deliver_once(chrono::Utc::now()).await.unwrap();
        let sent = mail.sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].to_email, "boris@pb.test");
        b.goto("/admin/outbox?status=sent").await;
        assert!(b.text().await.contains("отправлено"));
        b.goto("/seminars/s9").await;
        assert!(!b
            .text()
            .await
            .contains("нет ни одного активного пользователя"));

        b.goto("/admin/clock").await;
        b.wait_for("#clock-now").await;
        shots(b, "clock").await;
        b.set_value("#clock-now", "2017-01-25T09:00").await;
        b.click("form[action='/admin/clock'] button").await;
        flash_says(b, "Часы переведены").await;
        assert!(
            b.text().await.contains("25.01.2017 09:00"),
            "{}",
            b.text().await
        );
        b.logout().await;

        // The new user signs in with the temporary password, must change it, then runs the team.
        b.login("boris@pb.test", &password).await;
        assert!(b.url().await.contains("/account"), "{}", b.url().await);
        b.fill("#current", &password).await;
        b.fill("#new", "boris-own-password-17").await;
        b.fill("#repeat", "boris-own-password-17").await;
        b.click("form[action='/account/password'] button").await;
        flash_says(b, "Пароль изменён").await;
        b.goto("/my/team").await;
        b.fill("#nu-name", "Вера Бетова").await;
        b.fill("#nu-email", "vera@pb.test").await;
        b.set_value("#nu-rights", "limited").await;
        b.click("#add button[type=submit]").await;
        b.wait_for("#issued-password").await;
        let team = b.wait_for("#users").await.text().await.unwrap();
        assert!(
            team.contains("vera@pb.test") && team.contains("ограниченные права"),
            "{team}"
        );
        b.click("#users tr:not(:has(.tag)) form[action$='/disable'] button")
            .await;
        flash_says(b, "Учётная запись отключена").await;
        let team = b.wait_for("#users").await.text().await.unwrap();
        assert!(team.contains("отключена"), "{team}");
        shots(b, "team").await;
    })
    .await;
    let vera = app
        .state
        .service
        .store
        .user_by_email("vera@pb.test")
        .await
        .unwrap()
        .unwrap();
    assert!(vera.disabled && vera.must_change_password);
}
