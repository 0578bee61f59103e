//! Hostile input and hard faults (issue 14): money out of bounds, control characters in
//! names, absurd dates, and rows that cannot be decoded. One request by anyone must never make
//! a later request by anyone else fail, nor stop the scheduler or the mail.

use crate::support::app::{self, App, Client, PROGRAM};
use reqwest::Method;
use serde_json::{json, Value};

fn versions(id: &str, stage: &str) -> String {
    format!("/api/seminars/{id}/stages/{stage}/versions")
}

/// Partner `pa` with a main and a limited user, seminar `s1` (Тула, 2017-03-29) walked through
/// every stage to the seminar day, and a second seminar `s2` (Омск) of partner `pb` left at its
/// start. Returns (admin, limited user of pa).
async fn at_the_report(app: &App) -> (Client, Client) {
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.partner("pb", "Бета", false, None).await;
    let main = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
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
    let b = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    for (c, id, city) in [(&main, "s1", "Тула"), (&b, "s2", "Омск")] {
        c.post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": id, "city": city, "date": "2017-03-29"}),
        )
        .await
        .expect(201);
        admin
            .post_empty(&format!("/api/seminars/{id}/approve-application"))
            .await
            .expect(200);
    }
    app::approve_stages_before_seminar(app, &admin, &main, "s1").await;
    app.set_clock("2017-03-29T12:00:00+03:00").await;
    (admin, limited)
}

/// Everything that used to answer 500 after one bad number was stored.
async fn everyone_still_gets_answers(app: &App, admin: &Client) {
    let list = admin.get("/api/seminars").await.expect(200).json();
    assert!(list.to_string().contains("\"s1\""), "{list}");
    admin.get("/api/penalties").await.expect(200);
    admin.get("/api/seminars/s1").await.expect(200);
    app.anonymous().get("/organizers").await.expect(200);
}

fn names_field(r: &app::Resp, field: &str) {
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains(field), "{} → {}: {msg}", r.request, r.status);
}

#[tokio::test]
async fn a_negative_or_huge_report_cost_is_a_422_naming_the_field_and_breaks_nothing() {
    let app = app::spawn().await;
    let (admin, limited) = at_the_report(&app).await;
    for costs in [
        json!(-5),
        json!(1_000_000_000_000i64),
        json!("-5"),
        json!("745934535356.382064640"),
        json!(u64::MAX),
    ] {
        let r = limited
            .post(
                &versions("s1", "report"),
                json!({"report": {"attendees": 10, "registrations": 20, "costs": costs}}),
            )
            .await
            .expect_error(422, "invalid_input");
        names_field(&r, "report.costs");
    }
    // The same through the form fields of a multipart submission.
    for costs in ["520396698329.28654848", "-5", "1e9"] {
        let form = reqwest::multipart::Form::new()
            .text("attendees", "10")
            .text("registrations", "20")
            .text("costs", costs);
        let r = limited
            .post_multipart(&versions("s1", "report"), form)
            .await
            .expect_error(422, "invalid_input");
        names_field(&r, "costs");
    }
    everyone_still_gets_answers(&app, &admin).await;
    // A sound report still goes through and reads back equal.
    let r = limited
        .post(
            &versions("s1", "report"),
            json!({"report": {"attendees": 30, "registrations": 40, "costs": "999999999.99"}}),
        )
        .await
        .expect(200)
        .json();
    let s = admin.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["report"]["costs"], "999999999.99", "{r}");
    everyone_still_gets_answers(&app, &admin).await;
}

#[tokio::test]
async fn a_violation_with_a_negative_or_overflowing_cost_is_refused_and_breaks_nothing() {
    let app = app::spawn().await;
    let (admin, _) = at_the_report(&app).await;
    let r = admin
        .post(
            "/api/seminars/s1/violations",
            json!({"code": "mispositioning", "cost": -5}),
        )
        .await
        .expect_error(422, "invalid_input");
    names_field(&r, "cost");
    // Each cost is within bounds; their product with the count is not.
    let r = admin
        .post(
            "/api/seminars/s1/violations",
            json!({"code": "mispositioning", "cost": "1000000000", "count": 2, "note": "два баннера"}),
        )
        .await
        .expect_error(422, "invalid_input");
    names_field(&r, "cost");
    everyone_still_gets_answers(&app, &admin).await;
    admin
        .post(
            "/api/seminars/s1/violations",
            json!({"code": "mispositioning", "cost": "1500.50", "count": 2, "note": "два баннера"}),
        )
        .await
        .expect(200);
    everyone_still_gets_answers(&app, &admin).await;
}

/// Writes straight into the app's SQLite file, as an older version (or a bug) might have.
async fn raw_sql(app: &App, sql: &str) {
    let url = app.config.database_url();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn an_undecodable_seminar_row_is_skipped_by_lists_the_scheduler_and_the_notifier() {
    let app = app::spawn().await;
    let (admin, _) = at_the_report(&app).await;
    // s2 never submitted its program: its program_first_late (2017-02-23) has fired already.
    // Break s2's stored data the way the old code did (a negative amount cannot be read back).
    raw_sql(
        &app,
        r#"UPDATE seminars SET data = replace(data, '"voided":"0.00"', '"voided":"-5.00"') WHERE id = 's2'"#,
    )
    .await;
    raw_sql(
        &app,
        r#"UPDATE seminars SET data = '{"broken":' WHERE id = 's2' AND data NOT LIKE '%-5.00%'"#,
    )
    .await;
    everyone_still_gets_answers(&app, &admin).await;
    let list = admin.get("/api/seminars").await.expect(200).json();
    assert!(!list.to_string().contains("\"s2\""), "{list}");
    // The scheduler keeps firing for the others: s1's report is due five working days after
    // the seminar; at 2017-04-06 it is late.
    let store = &app.state.service.store;
    let s2_due = store
        .due_for_seminar("s2", chrono::Utc::now())
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2017-04-07T12:00:00+03:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let tick = app.state.service.scheduler.tick(now).await;
    assert!(tick.is_ok(), "{tick:?}");
    let penalties = admin.get("/api/penalties").await.expect(200).json();
    assert!(
        penalties.to_string().contains("report_late"),
        "s1's report_late fired despite s2 ({} items of s2 pending): {penalties}",
        s2_due.len()
    );
    // The notifier delivers the others and fails only what concerns s2.
    let mail = seminarflow::notifier::MemoryMailer::new();
    let notifier = seminarflow::notifier::Notifier::new(
        app.state.service.clone(),
        std::sync::Arc::new(mail.clone()),
        std::sync::Arc::new(seminarflow::notifier::Templates::builtin().unwrap()),
        seminarflow::notifier::Settings::from_config(&app.config, chrono_tz::Europe::Moscow),
    );
    let rep = notifier.deliver_once(chrono::Utc::now()).await;
    let rep = rep.expect("a bad row does not stop the batch");
    assert!(rep.sent > 0, "{rep:?}");
    let rows = store.outbox().await.unwrap();
    for r in rows.iter().filter(|r| r.notification.seminar == "s2") {
        assert_ne!(r.status, "pending", "{r:?}");
    }
    assert!(rows
        .iter()
        .filter(|r| r.notification.seminar == "s1")
        .any(|r| r.status == "sent"));
}

#[tokio::test]
async fn names_with_control_characters_are_refused_where_they_enter() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    for (i, name) in [
        "Анна\nBcc: evil@example.com",
        "Ан\rна",
        "Ан\u{0}на",
        "\u{7}",
    ]
    .into_iter()
    .enumerate()
    {
        let r = admin
            .post(
                "/api/users",
                json!({"email": format!("anna{i}@example.ru"), "name": name, "role": "coordinator", "password": "a-long-password-2017"}),
            )
            .await
            .expect_error(422, "invalid_input");
        names_field(&r, "name");
        let r = admin
            .post("/api/partners", json!({"id": "p1", "name": name}))
            .await
            .expect_error(422, "invalid_input");
        names_field(&r, "name");
    }
    // A NUL byte anywhere in a JSON body or a path is a 4xx naming the place, never a 500
    // (PostgreSQL refuses NUL in text).
    let r = admin
        .post("/api/partners", json!({"id": "p\u{0}1", "name": "Альфа"}))
        .await
        .expect_error(422, "invalid_input");
    names_field(&r, "id");
    let r = admin.get("/api/seminars/s%001").await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.text());
    let r = admin.get("/api/partners/p%00").await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.text());
}

#[tokio::test]
async fn a_return_due_date_in_year_9999_is_a_422_naming_due() {
    let app = app::spawn().await;
    let (admin, a) = app::approved_seminar(&app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    a.post(&versions("s1", "program"), json!({"comment": "v1"}))
        .await
        .expect(200);
    for due in ["9999-12-31", "+262142-12-31", "2400-01-01"] {
        let r = admin
            .post(
                "/api/seminars/s1/stages/program/return",
                json!({"due": due, "comment": "нет"}),
            )
            .await
            .expect_error(422, "invalid_input");
        names_field(&r, "due");
    }
    admin
        .post(
            "/api/seminars/s1/stages/program/return",
            json!({"due": "2017-02-15", "comment": "нет"}),
        )
        .await
        .expect(200);
    admin.get("/api/seminars").await.expect(200);
}

#[tokio::test]
async fn healthz_reports_a_stopped_notifier_or_scheduler() {
    let app = app::spawn().await;
    app.anonymous().get("/healthz").await.expect(200);
    let health = app.state.health.clone();
    let task = tokio::spawn(async move {
        let _guard = health.guard("notifier");
        panic!("a notification that cannot be built");
    });
    assert!(task.await.is_err());
    let r = app.anonymous().get("/healthz").await.expect(503);
    assert!(r.text().contains("notifier"), "{}", r.text());
}

#[tokio::test]
async fn a_line_break_in_a_stored_name_fails_no_mail_and_never_reaches_a_header() {
    let app = app::spawn().await;
    let (admin, _) = at_the_report(&app).await;
    // An account stored before names were checked.
    raw_sql(
        &app,
        "UPDATE users SET name = 'Иван' || char(13) || char(10) || 'Bcc: evil@example.com' WHERE email = 'ivan@pa.example'",
    )
    .await;
    admin
        .post(
            "/api/seminars/s1/stages/report/return",
            json!({"comment": "нет"}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let files = seminarflow::notifier::FileMailer::new(dir.path());
    let notifier = seminarflow::notifier::Notifier::new(
        app.state.service.clone(),
        std::sync::Arc::new(files),
        std::sync::Arc::new(seminarflow::notifier::Templates::builtin().unwrap()),
        seminarflow::notifier::Settings::from_config(&app.config, chrono_tz::Europe::Moscow),
    );
    let rep = notifier
        .deliver_once(chrono::Utc::now())
        .await
        .expect("the batch is delivered");
    assert!(rep.sent > 0, "{rep:?}");
    let mut to_ivan = 0;
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(
            !text.lines().any(|l| l.starts_with("Bcc:")),
            "a header was injected:\n{text}"
        );
        if text.contains("ivan@pa.example") {
            to_ivan += 1;
        }
    }
    assert!(to_ivan > 0, "ivan still gets his mail");
}

#[tokio::test]
async fn well_formed_json_with_a_wrong_value_names_the_field() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let r = admin
        .call(
            Method::POST,
            "/api/partners",
            Some(&json!({"id": "p1", "name": 5})),
        )
        .await
        .expect_error(422, "invalid_input");
    names_field(&r, "name");
    let _: Value = r.json();
}

#[tokio::test]
async fn failed_logins_lock_out_the_guesser_not_the_victim_nor_the_neighbours() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    for email in ["ivan@pa.example", "petr@pa.example", "guess@pa.example"] {
        app.user(&admin, "partner", email, Some("pa"), Some("main"))
            .await;
    }
    // Ten wrong passwords for ivan from 127.0.0.1: that address may not try ivan any more.
    for i in 0..10 {
        let (_, r) = app
            .try_login("ivan@pa.example", &format!("wrong-{i}"))
            .await;
        r.expect_error(401, "invalid_credentials");
    }
    let (_, r) = app.try_login("ivan@pa.example", app::USER_PASSWORD).await;
    r.expect_error(429, "too_many_requests");
    // Someone else behind the same address still signs in.
    app.login("petr@pa.example", app::USER_PASSWORD).await;
    // Ivan, from his own address, gets in after a short back-off (not ten minutes).
    let mut status = 0;
    for _ in 0..40 {
        let (_, r) = app
            .try_login_from("127.0.0.2", "ivan@pa.example", app::USER_PASSWORD)
            .await;
        status = r.status.as_u16();
        if status == 200 {
            break;
        }
        assert_eq!(status, 429, "{}", r.text());
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "the owner is not locked out for long");
    // Signing into one's own account does not reset the address's failure count.
    let mut failures = 0;
    let mut limited = false;
    for round in 0..10 {
        for i in 0..4 {
            let (_, r) = app
                .try_login_from(
                    "127.0.0.3",
                    &format!("x{round}-{i}@nowhere.example"),
                    "wrong",
                )
                .await;
            if r.status.as_u16() == 429 {
                limited = true;
                break;
            }
            r.expect_error(401, "invalid_credentials");
            failures += 1;
        }
        if limited {
            break;
        }
        let (_, r) = app
            .try_login_from("127.0.0.3", "guess@pa.example", app::USER_PASSWORD)
            .await;
        if r.status.as_u16() == 429 {
            limited = true;
            break;
        }
        r.expect(200);
    }
    assert!(limited, "{failures} failures from one address and no 429");
    assert!(failures <= 30, "{failures}");
}

#[tokio::test]
async fn an_unknown_e_mail_costs_as_much_time_as_a_wrong_password() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    /// The time of one wrong login through the sign-in page (the form a browser posts).
    async fn one(app: &App, email: &str, ip: &str, i: usize) -> std::time::Duration {
        let c = Client::from_ip(&app.base, ip);
        let page = c.get("/login").await.expect(200).text();
        let csrf = page
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("the login form has its token")
            .to_string();
        let form = [
            ("email", email.to_string()),
            ("password", format!("wrong-{i}")),
            ("_csrf", csrf),
        ];
        let t = std::time::Instant::now();
        let r = c.send(c.request(Method::POST, "/login").form(&form)).await;
        let took = t.elapsed();
        assert_eq!(r.status.as_u16(), 422, "{}", r.text());
        took
    }
    // Alternating, so a busy machine slows both alike; the fastest of each is the work the
    // server does (password hashing) without the noise, which only ever adds time.
    let (mut known, mut unknown) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for i in 0..5 {
        known = known.min(one(&app, "anna@vendor.example", "127.0.0.4", i).await);
        unknown = unknown.min(one(&app, "nobody@vendor.example", "127.0.0.5", i).await);
    }
    assert!(
        unknown * 3 >= known,
        "unknown e-mail {unknown:?} vs wrong password {known:?}"
    );
}

#[tokio::test]
async fn api_tokens_expire_are_listed_and_revoked_and_a_disabled_user_is_shut_out() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let ivan = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let made = ivan
        .post(
            "/api/me/tokens",
            json!({"name": "выгрузка", "expires_in_days": 30}),
        )
        .await
        .expect(201)
        .json();
    let token = made["token"].as_str().unwrap().to_string();
    let id = made["id"].as_str().unwrap().to_string();
    let script = Client::bearer(&app.base, &token);
    script.get("/api/me").await.expect(200);
    let list = ivan.get("/api/me/tokens").await.expect(200).json();
    assert_eq!(list[0]["id"], json!(id), "{list}");
    assert_eq!(list[0]["name"], "выгрузка");
    assert!(
        !list.to_string().contains(&token),
        "the token itself is never listed"
    );
    ivan.post("/api/me/tokens", json!({"name": "x", "expires_in_days": 0}))
        .await
        .expect_error(422, "invalid_input");
    // Another user cannot revoke it; its owner can, and it stops at once.
    let other = app
        .user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    other
        .call(Method::DELETE, &format!("/api/me/tokens/{id}"), None)
        .await
        .expect(404);
    script.get("/api/me").await.expect(200);
    ivan.call(Method::DELETE, &format!("/api/me/tokens/{id}"), None)
        .await
        .expect(204);
    script.get("/api/me").await.expect(401);
    // An expired token does not work.
    let store = &app.state.service.store;
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    store
        .create_api_token(
            &seminarflow::accounts::token_hash("expired-token"),
            &ivan.id(),
            "старый",
            past - chrono::Duration::days(30),
            past,
        )
        .await
        .unwrap();
    Client::bearer(&app.base, "expired-token")
        .get("/api/me")
        .await
        .expect(401);
    // A password change ends the other sessions.
    let second = app.login("ivan@pa.example", app::USER_PASSWORD).await;
    second.get("/api/me").await.expect(200);
    ivan.post(
        "/api/me/password",
        json!({"current": app::USER_PASSWORD, "new": "another-password-2017"}),
    )
    .await
    .expect(204);
    second.get("/api/me").await.expect(401);
    ivan.get("/api/me").await.expect(200);
    // Disabling a user ends its sessions and tokens at once; enabling lets it back in.
    let t2 = ivan
        .post("/api/me/tokens", json!({"name": "ещё"}))
        .await
        .expect(201)
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .post_empty(&format!("/api/users/{}/disable", ivan.id()))
        .await
        .expect(200);
    ivan.get("/api/me").await.expect(401);
    Client::bearer(&app.base, &t2)
        .get("/api/me")
        .await
        .expect(401);
    let (_, r) = app
        .try_login("ivan@pa.example", "another-password-2017")
        .await;
    r.expect_error(401, "invalid_credentials");
    admin
        .post_empty(&format!("/api/users/{}/enable", ivan.id()))
        .await
        .expect(200);
    app.login("ivan@pa.example", "another-password-2017").await;
}

#[tokio::test]
async fn the_manual_clock_survives_a_restart_and_is_shared_by_processes_on_one_database() {
    let app = app::spawn().await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    let moved = chrono::DateTime::parse_from_rfc3339("2017-02-10T10:00:00+03:00").unwrap();
    // A second process (or the same one restarted) on the same database.
    let other = seminarflow::server::build(&app.config).await.unwrap();
    assert!(other.clock.is_manual());
    assert_eq!(other.clock.now(), moved);
    // Moving it there moves it here too (at the next tick or clock read).
    let later = chrono::DateTime::parse_from_rfc3339("2017-02-20T10:00:00+03:00").unwrap();
    other.clock.set(later.with_timezone(&chrono::Utc)).unwrap();
    other
        .service
        .store
        .put_setting(seminarflow::clock::SETTING, &later.to_rfc3339())
        .await
        .unwrap();
    let now = app.admin().await.get("/api/clock").await.expect(200).json();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(now["now"].as_str().unwrap()).unwrap(),
        later,
        "{now}"
    );
}

#[tokio::test]
async fn a_restarted_node_sends_the_mail_it_had_claimed_before_the_crash_at_once() {
    let app = app::spawn().await;
    let _ = at_the_report(&app).await;
    let store = &app.state.service.store;
    let settings =
        seminarflow::notifier::Settings::from_config(&app.config, chrono_tz::Europe::Moscow);
    // The crashed run claimed everything pending and died.
    let now = chrono::Utc::now();
    let claimed = store
        .claim_outbox(now, 1000, &settings.owner, now + settings.lease)
        .await
        .unwrap();
    assert!(!claimed.is_empty());
    let mail = seminarflow::notifier::MemoryMailer::new();
    let notifier = seminarflow::notifier::Notifier::new(
        app.state.service.clone(),
        std::sync::Arc::new(mail.clone()),
        std::sync::Arc::new(seminarflow::notifier::Templates::builtin().unwrap()),
        settings,
    );
    let before = notifier.deliver_once(now).await.unwrap();
    assert_eq!(before.sent, 0, "leased rows wait: {before:?}");
    assert!(notifier.resume().await.unwrap() >= claimed.len() as u64);
    let after = notifier.deliver_once(now).await.unwrap();
    assert!(after.sent > 0, "{after:?}");
    assert!(store
        .outbox()
        .await
        .unwrap()
        .iter()
        .all(|r| r.status != "pending"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn three_nodes_started_together_on_an_empty_postgres_database_all_come_up() {
    let Some(pg) = crate::support::pg::PgCluster::start() else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Migrations run under sqlx's advisory lock; the start-up step after them — the first admin
    // — is where nodes raced. All three build first, then look for an admin at the same time
    // (each one finds none before any creates it: hashing the password takes a while).
    let builds = dirs.iter().map(|d| {
        let config = seminarflow::config::Config {
            listen: "127.0.0.1:0".into(),
            data_dir: d.path().join("data"),
            database: Some(pg.url.clone()),
            workflows: Some(crate::support::root().join("workflows")),
            ..seminarflow::config::Config::default()
        };
        tokio::spawn(async move { seminarflow::server::build(&config).await })
    });
    let states: Vec<_> = futures_util::future::join_all(builds)
        .await
        .into_iter()
        .map(|r| r.unwrap().expect("every node migrates and builds"))
        .collect();
    let starts = states
        .into_iter()
        .map(|state| tokio::spawn(async move { seminarflow::server::ensure_admin(&state).await }));
    let results = futures_util::future::join_all(starts).await;
    let mut admins = 0;
    for r in results {
        match r.unwrap() {
            Ok(Some(_)) => admins += 1,
            Ok(None) => {}
            Err(e) => panic!("a node did not start: {e:#}"),
        }
    }
    assert_eq!(admins, 1, "exactly one node creates the first admin");
}

#[tokio::test]
async fn applying_under_another_partners_seminar_id_reveals_nothing() {
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
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    let apply = format!("/api/programs/{PROGRAM}/applications");
    a.post(
        &apply,
        json!({"seminar": "secret-1", "city": "Тула", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    // B tries A's id and a free one: the same kind of answer, and A's seminar is untouched.
    let taken = b
        .post(
            &apply,
            json!({"seminar": "secret-1", "city": "Омск", "date": "2017-03-29"}),
        )
        .await
        .expect(201)
        .json();
    let free = b
        .post(
            &apply,
            json!({"seminar": "free-1", "city": "Пермь", "date": "2017-03-29"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(free["id"], "free-1", "{free}");
    assert_ne!(taken["id"], "secret-1", "{taken}");
    let mine = a.get("/api/seminars/secret-1").await.expect(200).json();
    assert_eq!(mine["city"], "Тула", "{mine}");
    // Own ids are still refused as taken (the partner knows them anyway).
    b.post(
        &apply,
        json!({"seminar": "free-1", "city": "Уфа", "date": "2017-03-29"}),
    )
    .await
    .expect_error(409, "invalid_state");
}

#[tokio::test]
async fn signed_in_answers_are_not_cached_metrics_need_the_token_and_data_is_private() {
    let app = app::spawn_with(app::Setup {
        metrics_token: Some("metrics-secret-token"),
        ..Default::default()
    })
    .await;
    let admin = app.admin().await;
    for path in ["/api/me", "/api/seminars", "/dashboard", "/account"] {
        let r = admin.get(path).await;
        let cc = r.headers.get("cache-control").and_then(|v| v.to_str().ok());
        assert_eq!(cc, Some("no-store"), "{path} → {}", r.status);
        assert_eq!(
            r.headers
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
    }
    let anon = app.anonymous();
    anon.get("/metrics").await.expect(403);
    let r = Client::bearer(&app.base, "metrics-secret-token")
        .get("/metrics")
        .await
        .expect(200);
    assert!(r.text().contains("seminarflow_http_requests_total"));
    Client::bearer(&app.base, "wrong")
        .get("/metrics")
        .await
        .expect(403);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&app.config.data_dir), 0o700);
        assert_eq!(mode(&app.config.data_dir.join("seminarflow.db")), 0o600);
    }
    // Trivial passwords are refused.
    for weak in [
        "aaaaaaaaaaaa",
        "1234567890",
        "qwertyuiop",
        "password123",
        "1212121212",
    ] {
        let r = admin
            .post(
                "/api/users",
                json!({"email": "w@example.ru", "name": "W", "role": "coordinator", "password": weak}),
            )
            .await;
        assert!(r.status.is_client_error(), "{weak}: {}", r.status);
    }
    // Expired sessions are purged by the scheduler loop's housekeeping.
    let store = &app.state.service.store;
    let now = chrono::Utc::now();
    store
        .create_session(
            "expired-hash",
            &admin.id(),
            "csrf",
            now - chrono::Duration::days(8),
            now - chrono::Duration::days(1),
        )
        .await
        .unwrap();
    let count = || async {
        let pool = sqlx::SqlitePool::connect(&app.config.database_url())
            .await
            .unwrap();
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = 'expired-hash'")
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        n
    };
    assert_eq!(count().await, 1);
    seminarflow::server::housekeeping(&app.state).await;
    assert_eq!(count().await, 0);
}

#[tokio::test]
async fn silent_connections_cannot_keep_the_server_from_answering() {
    let app = app::spawn_with(app::Setup {
        max_connections: 8,
        idle: std::time::Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // Twenty clients open a connection and never send a byte (or send half a request).
    let mut silent = Vec::new();
    for i in 0..20 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            use tokio::io::AsyncWriteExt;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        silent.push(s);
    }
    // A real request still gets its answer soon: silent ones are cut after the idle time.
    let t = std::time::Instant::now();
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.anonymous().get("/healthz"),
    )
    .await
    .expect("answered within 10 s");
    r.expect(200);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    // The silent connections were closed by the server.
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), silent[1].read(&mut buf))
        .await
        .expect("the server closes a silent connection");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
}

#[tokio::test]
async fn the_files_of_a_refused_submission_are_deleted() {
    let app = app::spawn().await;
    let (_, a) = app::approved_seminar(&app).await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    let kept = app::small_pdf("первая версия");
    let form = reqwest::multipart::Form::new().part(
        "file",
        app::file_part("v1.pdf", kept.clone(), "application/pdf"),
    );
    a.post_multipart(&versions("s1", "program"), form)
        .await
        .expect(200);
    // A second version while the first waits for review is refused: its file must not stay.
    let refused = app::small_pdf("вторая версия");
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            app::file_part("v2.pdf", refused.clone(), "application/pdf"),
        )
        .part(
            "file",
            app::file_part("v1-again.pdf", kept.clone(), "application/pdf"),
        );
    a.post_multipart(&versions("s1", "program"), form)
        .await
        .expect_error(409, "invalid_state");
    let dir = app.config.files_dir();
    assert!(
        !dir.join(app::sha256_hex(&refused)).exists(),
        "the refused upload is deleted"
    );
    assert!(
        dir.join(app::sha256_hex(&kept)).exists(),
        "bytes an accepted version names stay"
    );
    a.get(&format!(
        "/api/seminars/s1/files/{}",
        app::sha256_hex(&kept)
    ))
    .await
    .expect(200);
}

#[tokio::test]
async fn a_demo_load_cut_short_is_loaded_again_with_its_accounts() {
    let full = app::spawn().await;
    let creds = seminarflow::server::load_demo(&full.state).await.unwrap();
    assert!(!creds.is_empty());
    let want = full.state.service.store.seminars(None).await.unwrap().len();
    let want_penalties = full
        .state
        .service
        .store
        .penalties(None)
        .await
        .unwrap()
        .len();
    // A start killed half-way through the load: part of the season, no accounts.
    let cut = app::spawn().await;
    let cat = crate::support::catalog();
    let (_, mut season) = seminarflow::demo::season(&cat).unwrap();
    season.steps.truncate(season.steps.len() / 2);
    seminarflow::demo::load(&cut.state.service, &season)
        .await
        .unwrap();
    assert!(!cut
        .state
        .service
        .store
        .seminars(None)
        .await
        .unwrap()
        .is_empty());
    let creds = seminarflow::server::load_demo(&cut.state).await.unwrap();
    assert!(!creds.is_empty(), "the demo accounts are made on the redo");
    assert_eq!(
        cut.state.service.store.seminars(None).await.unwrap().len(),
        want
    );
    assert_eq!(
        cut.state.service.store.penalties(None).await.unwrap().len(),
        want_penalties
    );
    let (email, password) = &creds[0];
    cut.login(email, password).await;
    // A third start loads nothing again.
    assert!(seminarflow::server::load_demo(&cut.state)
        .await
        .unwrap()
        .is_empty());
}
