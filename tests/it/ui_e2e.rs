//! The web pages end to end: a coordinator and a partner work a seminar in headless Chromium
//! (driven through chromedriver with fantoccini), screenshots of every page land in
//! `target/ui-screenshots/`; without a browser, every page of the demo season renders for its
//! role, forms check the CSRF token and show errors next to the fields, and the calendar feed is
//! valid RFC 5545.
//!
//! The browser tests skip with a loud message when `/usr/bin/chromium` or `/usr/bin/chromedriver`
//! is missing, unless `SEMINARFLOW_REQUIRE_BROWSER=1` (CI), where a missing browser fails them.

mod admin;
mod browser;
mod calendar_feed;
mod estimate;
mod events;
mod exports;
mod forms;
mod pages;
mod phones;
mod standing;
mod tour;

use crate::support::app::{self, csrf_of, small_pdf, App, Setup, PROGRAM, USER_PASSWORD};
use browser::with_browser;
use seminarflow::accounts::{hash_password, new_id, random_token, Rights, Role, User};
use seminarflow::domain::{Command, SeminarState, StageStatus};

// ---------------------------------------------------------------------------------------------
// Accounts and seeds.

async fn add_user(
    app: &App,
    email: &str,
    name: &str,
    role: Role,
    partner: Option<&str>,
    rights: Option<Rights>,
) -> User {
    let u = User {
        id: new_id(),
        email: email.into(),
        name: name.into(),
        role,
        partner: partner.map(String::from),
        rights,
        password_hash: hash_password(USER_PASSWORD).unwrap(),
        must_change_password: false,
        digest: false,
        ics_token: Some(random_token()),
        phone: None,
        disabled: false,
    };
    app.state
        .service
        .store
        .create_user(&u, chrono::Utc::now())
        .await
        .unwrap();
    u
}

async fn run(app: &App, cmd: Command) {
    let now = app.state.clock.now();
    app.state
        .service
        .execute(PROGRAM, &cmd, "coordinator:seed", now)
        .await
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
}

/// The demo season (`serve --demo`) with its accounts; returns (email, password) pairs.
pub(crate) async fn demo_app() -> (App, Vec<(String, String)>) {
    // The demo clock starts where the shipped demo season ends.
    let (_, season) = seminarflow::demo::season(&crate::support::catalog())
        .expect("the shipped demo season parses");
    let start = season.until.to_rfc3339();
    let app = app::spawn_with(Setup {
        start: Box::leak(start.into_boxed_str()),
        ..Setup::default()
    })
    .await;
    let creds = seminarflow::server::load_demo(&app.state)
        .await
        .expect("the demo season loads");
    (app, creds)
}

pub(crate) fn password_of(creds: &[(String, String)], email: &str) -> String {
    creds
        .iter()
        .find(|(e, _)| e == email)
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| panic!("no demo account {email}"))
}

// ---------------------------------------------------------------------------------------------
// Page helpers without a browser: a cookie jar, the login form, the CSRF field of a page.

/// Signs in through the login form; returns the cookie-jar client.
pub(crate) async fn form_login(app: &App, email: &str, password: &str) -> app::Client {
    let c = app.anonymous();
    let page = c.get("/login").await.expect(200).text();
    let token = csrf_of(&page);
    c.send(c.request(reqwest::Method::POST, "/login").form(&[
        ("_csrf", token.as_str()),
        ("email", email),
        ("password", password),
    ]))
    .await
    .expect(200);
    c
}

#[track_caller]
pub(crate) fn page_ok(r: &app::Resp) -> String {
    let html = r.text();
    assert_eq!(
        r.status.as_u16(),
        200,
        "{} → {}: {html}",
        r.request,
        r.status
    );
    assert!(
        r.content_type().starts_with("text/html"),
        "{}: {}",
        r.request,
        r.content_type()
    );
    assert!(
        html.contains("<html lang=\"ru\">"),
        "{}: not a page",
        r.request
    );
    assert!(
        !html.contains("{{"),
        "{}: an unrendered template tag",
        r.request
    );
    html
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_a_late_rework_after_a_return_with_a_due_date_costs_the_partner() {
    let app = app::spawn_with(Setup {
        start: "2017-02-01T10:00:00+03:00",
        ..Setup::default()
    })
    .await;
    let coordinator = add_user(
        &app,
        "anna@vendor.test",
        "Анна Смирнова",
        Role::Coordinator,
        None,
        None,
    )
    .await;
    app.partner("tula", "Тульские решения", false, Some(&coordinator.id))
        .await;
    app.partner("kzn", "Казанские решения", true, Some(&coordinator.id))
        .await;
    add_user(
        &app,
        "ivan@tula.test",
        "Иван Петров",
        Role::Partner,
        Some("tula"),
        Some(Rights::Main),
    )
    .await;
    // Another partner already holds Kazan in week 1: the grid shows a taken week.
    run(
        &app,
        Command::Apply {
            seminar: "kzn-1".into(),
            partner: "kzn".into(),
            city: "Казань".into(),
            date: "2017-03-30".parse().unwrap(),
        },
    )
    .await;
    run(
        &app,
        Command::ApproveApplication {
            seminar: "kzn-1".into(),
        },
    )
    .await;

    let store = app.state.service.store.clone();
    let pdf_dir = tempfile::tempdir().unwrap();
    let pdf = pdf_dir.path().join("Программа семинара.pdf");
    std::fs::write(&pdf, small_pdf("Seminar program")).unwrap();
    let pdf = pdf.display().to_string();
    let app = &app;

    with_browser(&app.base.clone(), async |b| {
        // The partner applies for Tula; the form tells which weeks are free there.
        b.goto("/login").await;
        b.shot("flow-01-login").await;
        b.login("ivan@tula.test", USER_PASSWORD).await;
        assert!(
            b.text().await.contains("Текущих семинаров нет"),
            "a helpful empty state"
        );
        b.shot("flow-02-partner-no-seminars").await;
        b.click("nav a[href='/my/apply']").await;
        b.fill("#city", "Казань").await;
        assert!(b
            .wait_for("#city-status")
            .await
            .text()
            .await
            .unwrap()
            .contains("занята"));
        b.fill("#city", "Тула").await;
        assert!(b
            .wait_for("#city-status")
            .await
            .text()
            .await
            .unwrap()
            .contains("свободны все недели"));
        b.set_value("#date", "2017-03-29").await;
        b.shot("flow-03-partner-application-form").await;
        b.submit_and_expect(
            "main form[action='/my/apply'] button[type=submit]",
            "Заявка подана",
        )
        .await;
        let url = b.url().await;
        let id = url
            .split("/seminars/")
            .nth(1)
            .unwrap()
            .split(['?', '#'])
            .next()
            .unwrap()
            .to_string();
        b.shot("flow-04-partner-applied").await;
        b.logout().await;

        // The coordinator approves it from the review queue.
        b.login("anna@vendor.test", USER_PASSWORD).await;
        // Two programs are loaded: the coordinator's home lists both; the flagship's dashboard.
        b.goto(&format!("/programs/{PROGRAM}")).await;
        let dash = b.text().await;
        assert!(
            dash.contains("Тульские решения")
                && dash.contains("утвердить: неделя в городе свободна"),
            "{dash}"
        );
        b.shot("flow-05-coordinator-dashboard").await;
        b.submit_and_expect(
            &format!("form[action='/seminars/{id}/decide'] button"),
            "Заявка утверждена",
        )
        .await;
        let s = store.seminar(&id).await.unwrap().unwrap();
        assert_eq!(s.state, SeminarState::Preparing);
        b.logout().await;

        // The partner uploads the program.
        b.login("ivan@tula.test", USER_PASSWORD).await;
        b.goto(&format!("/seminars/{id}")).await;
        b.wait_for("#program-file")
            .await
            .send_keys(&pdf)
            .await
            .expect("choose the file");
        b.fill(
            "#program-comment",
            "Программа по шаблону, кофе-брейк в середине.",
        )
        .await;
        b.submit_and_expect(
            "#stage-program form.upload button[type=submit]",
            "Материалы отправлены",
        )
        .await;
        let text = b.text().await;
        assert!(
            text.contains("Программа семинара.pdf") && text.contains("на проверке у координатора"),
            "{text}"
        );
        b.shot("flow-06-partner-uploaded-program").await;
        b.logout().await;

        // The coordinator returns it with a due date; a missing comment is shown at the field.
        b.login("anna@vendor.test", USER_PASSWORD).await;
        b.goto(&format!("/seminars/{id}")).await;
        b.click("#stage-program form[action$='/return'] button")
            .await;
        let err = b
            .wait_for("#program-return-comment-error")
            .await
            .text()
            .await
            .unwrap();
        assert!(err.contains("Напишите, что нужно доработать"), "{err}");
        b.fill(
            "#program-return-comment",
            "Добавьте тезисы к докладу о задачах и CRM.",
        )
        .await;
        b.set_value("#program-due", "2017-02-10").await;
        b.submit_and_expect(
            "#stage-program form[action$='/return'] button",
            "возвращены на доработку",
        )
        .await;
        b.shot("flow-07-coordinator-returned-with-due-date").await;
        let s = store.seminar(&id).await.unwrap().unwrap();
        let p = &s.stages["program"];
        assert_eq!(
            (p.status, p.due_override),
            (StageStatus::Returned, Some("2017-02-10".parse().unwrap()))
        );
        b.logout().await;

        // A day after the due date the partner sees the countdown turn into days late…
        app.set_clock("2017-02-11T10:00:00+03:00").await;
        b.login("ivan@tula.test", USER_PASSWORD).await;
        b.goto(&format!("/seminars/{id}")).await;
        let text = b.text().await;
        assert!(
            text.contains("просрочено на 1 день") && text.contains("новый срок — 10.02.2017"),
            "{text}"
        );
        b.shot("flow-08-partner-late").await;

        // …and once the clock passes day +2, the penalty and its e-mail are there.
        app.set_clock("2017-02-13T09:00:00+03:00").await;
        b.click("nav a[href='/my/penalties']").await;
        let text = b.text().await;
        assert!(
            text.contains("Доработанная программа не подана в течение 2 дней после срока"),
            "{text}"
        );
        assert!(text.contains("исключение из программы"), "{text}");
        b.shot("flow-09-partner-penalties").await;
        b.goto(&format!("/seminars/{id}")).await;
        assert!(b.text().await.contains("исключён из программы"));
        b.shot("flow-10-partner-seminar-excluded").await;
        b.logout().await;

        let outbox = store.outbox().await.unwrap();
        let mail = outbox
            .iter()
            .find(|r| {
                r.notification.kind.as_str() == "penalty_applied" && r.notification.seminar == id
            })
            .expect("the penalty e-mail is in the outbox");
        assert_eq!(mail.notification.data["code"], "program_resubmit_very_late");
        assert_eq!(mail.notification.at, at("2017-02-13T00:00:00+03:00"));
        assert_eq!(
            mail.notification.to,
            seminarflow::domain::Recipient::Partner("tula".into())
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_every_page_of_the_demo_season_reads_well() {
    let (app, creds) = demo_app().await;
    let app = &app;
    let creds = &creds;
    with_browser(&app.base.clone(), async |b| {
        b.goto("/organizers").await;
        assert!(b.text().await.contains("Новосибирск"));
        b.shot("page-public-organizers").await;
        b.goto("/login").await;
        b.shot("page-login").await;

        b.login(
            "coordinator@demo.local",
            &password_of(creds, "coordinator@demo.local"),
        )
        .await;
        b.goto(&format!("/programs/{PROGRAM}")).await;
        assert!(b.text().await.contains("Очередь на рассмотрение"));
        b.shot("page-coordinator-dashboard").await;
        for (id, name) in [
            ("s03", "returned-and-late"),
            ("s02", "report-waiting"),
            ("s01", "results"),
            ("s06", "excluded"),
        ] {
            b.goto(&format!("/seminars/{id}")).await;
            b.wait_for("#stages-h").await;
            b.shot(&format!("page-coordinator-seminar-{id}-{name}"))
                .await;
        }
        b.goto("/account").await;
        b.shot("page-account").await;
        b.logout().await;

        b.login("p01@demo.local", &password_of(creds, "p01@demo.local"))
            .await;
        b.shot("page-partner-my-seminars").await;
        b.goto("/seminars/s01").await;
        b.shot("page-partner-seminar").await;
        b.shot_at("page-partner-seminar-phone", 390).await;
        b.goto("/my/apply?city=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C")
            .await;
        b.shot("page-partner-application-form").await;
        b.goto("/my/ledger").await;
        assert!(b.text().await.contains("Бонусный счёт"));
        b.shot("page-partner-ledger").await;
        b.logout().await;

        b.login("p03@demo.local", &password_of(creds, "p03@demo.local"))
            .await;
        b.goto("/my/penalties").await;
        b.shot("page-partner-penalties").await;
        b.goto("/my/ledger").await;
        assert!(!b.text().await.contains('₽'), "limited rights see no money");
        b.shot("page-partner-limited-ledger").await;
        b.goto("/seminars/s03").await;
        b.shot("page-partner-limited-seminar").await;
        b.logout().await;
    })
    .await;
}
