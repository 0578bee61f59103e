//! Issue 13 items 1 and 2 over HTTP: coordinators and partners manage accounts (add, disable,
//! enable, temporary passwords), audited; a partner never loses its last full-rights user; a
//! notification that reached nobody shows with its reason and is sent again once fixed; the
//! command line's `user disable|enable|reset-password`.

use crate::support::app::{self, Client, PROGRAM, USER_PASSWORD};
use crate::support::root;
use serde_json::{json, Value};

fn kinds_by(audit: &Value, kind: &str) -> Vec<Value> {
    audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

async fn audit(admin: &Client) -> Value {
    admin
        .get("/api/audit?per_page=500")
        .await
        .expect(200)
        .json()
}

#[tokio::test]
async fn a_coordinator_adds_a_partner_user_and_gives_a_temporary_password_to_be_changed_at_once() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let anna = app
        .user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    let other = app
        .user(&admin, "coordinator", "boris@vendor.example", None, None)
        .await;
    let r = anna
        .post(
            "/api/users",
            json!({"email": "Ivan@PA.example", "name": "Иван Петров", "role": "partner", "partner": "pa", "rights": "main"}),
        )
        .await
        .expect(201)
        .json();
    let ivan_id = r["user"]["id"].as_str().unwrap().to_string();
    let first = r["one_time_password"].as_str().unwrap().to_string();
    // A coordinator adds partner users only.
    anna.post(
        "/api/users",
        json!({"email": "x@vendor.example", "name": "X", "role": "coordinator"}),
    )
    .await
    .expect_error(403, "forbidden");
    // A bad e-mail is a field error, not a bad request.
    let bad = anna
        .post(
            "/api/users",
            json!({"email": "не почта", "name": "Y", "role": "partner", "partner": "pa"}),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.text());
    assert_eq!(bad.json()["error"]["field"], "email", "{}", bad.text());

    let ivan = app.login("ivan@pa.example", &first).await;
    let reset = anna
        .post_empty(&format!("/api/users/{ivan_id}/reset-password"))
        .await
        .expect(200)
        .json();
    let temporary = reset["temporary_password"].as_str().unwrap().to_string();
    assert_ne!(temporary, first);
    // The old session ended, the old password no longer works, the new one must be changed.
    ivan.get("/api/me").await.expect(401);
    app.try_login("ivan@pa.example", &first)
        .await
        .1
        .expect_error(401, "invalid_credentials");
    let ivan = app.login("ivan@pa.example", &temporary).await;
    assert_eq!(
        ivan.get("/api/me").await.expect(200).json()["user"]["must_change_password"],
        true
    );
    ivan.get("/api/seminars").await.expect(403);
    ivan.post(
        "/api/me/password",
        json!({"current": temporary, "new": "ivan-own-password-17"}),
    )
    .await
    .expect(204);
    ivan.get("/api/seminars").await.expect(200);

    // A coordinator manages partner users only: another coordinator and the admin are unknown.
    let admin_id = admin.id();
    anna.post_empty(&format!("/api/users/{}/reset-password", other.id()))
        .await
        .expect(404);
    anna.post_empty(&format!("/api/users/{admin_id}/disable"))
        .await
        .expect(404);
    // Nobody resets their own password here (that is the profile's).
    anna.post_empty(&format!("/api/users/{}/reset-password", anna.id()))
        .await
        .expect(404);
    admin
        .post_empty(&format!("/api/users/{admin_id}/reset-password"))
        .await
        .expect(422);

    let log = audit(&admin).await;
    let resets = kinds_by(&log, "password_reset");
    assert_eq!(resets.len(), 1, "{log}");
    assert_eq!(resets[0]["actor"], "coordinator:anna@vendor.example");
    assert_eq!(resets[0]["data"]["user"], ivan_id.as_str());
    assert!(
        !log.to_string().contains(&temporary),
        "the audit log never holds a password"
    );
}

#[tokio::test]
async fn a_partner_manages_its_colleagues_but_never_loses_its_last_full_rights_user() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    app.partner("pb", "Бета", false, None).await;
    let main = app
        .user(
            &admin,
            "partner",
            "main@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    let full = app
        .user(
            &main,
            "partner",
            "full@pa.example",
            Some("pa"),
            Some("full"),
        )
        .await;
    let limited = app
        .user(
            &full,
            "partner",
            "lim@pa.example",
            Some("pa"),
            Some("limited"),
        )
        .await;
    let stranger = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;

    // The full-rights user disables and enables a limited colleague; the colleague is out.
    full.post_empty(&format!("/api/users/{}/disable", limited.id()))
        .await
        .expect(200);
    limited.get("/api/me").await.expect(401);
    full.post_empty(&format!("/api/users/{}/enable", limited.id()))
        .await
        .expect(200);
    let limited = app.login("lim@pa.example", USER_PASSWORD).await;
    // ... but not the main user, and the limited one manages nobody.
    full.post_empty(&format!("/api/users/{}/disable", main.id()))
        .await
        .expect_error(403, "forbidden");
    limited
        .post_empty(&format!("/api/users/{}/reset-password", full.id()))
        .await
        .expect_error(403, "forbidden");
    // Another company's users do not exist for them.
    stranger
        .post_empty(&format!("/api/users/{}/disable", full.id()))
        .await
        .expect(404);
    // The company's users list shows the team only.
    let team = full.get("/api/users").await.expect(200).json();
    assert_eq!(team.as_array().unwrap().len(), 3, "{team}");

    // The main user disables the full-rights one; then the main user is the last one with full
    // rights: a coordinator does not disable it before another is added or enabled (an admin
    // may, to shut a company out on purpose).
    main.post_empty(&format!("/api/users/{}/disable", full.id()))
        .await
        .expect(200);
    let anna = app
        .user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    let r = anna
        .post_empty(&format!("/api/users/{}/disable", main.id()))
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert!(r.text().contains("последний активный"), "{}", r.text());
    main.get("/api/me").await.expect(200);
    anna.post_empty(&format!("/api/users/{}/enable", full.id()))
        .await
        .expect(200);
    anna.post_empty(&format!("/api/users/{}/disable", main.id()))
        .await
        .expect(200);

    let log = audit(&admin).await;
    let disabled = kinds_by(&log, "user_disabled");
    assert_eq!(disabled.len(), 3, "{log}");
    assert_eq!(disabled[0]["actor"], "partner:full@pa.example");
}

/// A notification nobody could get (the partner had no user) is listed with its reason; once the
/// partner has a user, «send again» delivers it to that user, audited, and only once.
#[tokio::test]
async fn a_notification_that_reached_nobody_is_sent_again_once_the_partner_has_a_user() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pb", "Бета", false, None).await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
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
    let mail = seminarflow::notifier::MemoryMailer::new();
    let notifier = seminarflow::notifier::Notifier::new(
        app.state.service.clone(),
        std::sync::Arc::new(mail.clone()),
        std::sync::Arc::new(seminarflow::notifier::Templates::builtin().unwrap()),
        seminarflow::notifier::Settings::from_config(&app.config, chrono_tz::Europe::Moscow),
    );
    notifier.deliver_once(chrono::Utc::now()).await.unwrap();
    let failed = admin
        .get("/api/admin/outbox?status=failed&seminar=s9")
        .await
        .expect(200)
        .json();
    let row = failed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "application_approved")
        .unwrap_or_else(|| panic!("the approval failed for want of a user: {failed}"))
        .clone();
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .contains("нет активных пользователей"),
        "{row}"
    );
    let id = row["id"].as_i64().unwrap();

    // The pages say so: the seminar page warns before acting, the outbox page names the fix.
    let c = crate::ui_e2e::form_login(&app, &app.admin_email, app::ADMIN_PASSWORD).await;
    let page = c.get("/seminars/s9").await.expect(200).text();
    assert!(
        page.contains("нет ни одного активного пользователя"),
        "{page}"
    );
    assert!(
        page.contains("Недоставленные письма по семинару (1)"),
        "{page}"
    );
    // A decision from the dashboard or the seminar page does not promise an e-mail either.
    admin
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"partner": "pb", "seminar": "s10", "city": "Пермь", "date": "2017-03-29"}),
        )
        .await
        .expect(201);
    let token = app::csrf_of(&c.get("/seminars/s10").await.expect(200).text());
    let dashboard = format!("/programs/{PROGRAM}");
    let after = c
        .send(
            c.request(reqwest::Method::POST, "/seminars/s10/decide")
                .form(&[
                    ("_csrf", token.as_str()),
                    ("decision", "approve"),
                    ("back", dashboard.as_str()),
                ]),
        )
        .await
        .expect(200)
        .text();
    assert!(
        after.contains("Заявка утверждена, но письмо партнёру не отправлено"),
        "{after}"
    );
    assert!(!after.contains("партнёр получит письмо"), "{after}");
    let returned = c.get("/seminars/s9?done=returned").await.expect(200).text();
    assert!(
        returned.contains("письмо партнёру не отправлено"),
        "{returned}"
    );
    let outbox = c.get("/admin/outbox").await.expect(200).text();
    assert!(outbox.contains("заявка утверждена"), "{outbox}");
    assert!(
        outbox.contains("Добавьте партнёру пользователя"),
        "{outbox}"
    );

    // Partner users may not send mail again; staff may, once the partner has a user.
    let boss = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    boss.post_empty(&format!("/api/admin/outbox/{id}/retry"))
        .await
        .expect(403);
    admin
        .post_empty(&format!("/api/admin/outbox/{id}/retry"))
        .await
        .expect(200);
    admin
        .post_empty(&format!("/api/admin/outbox/{id}/retry"))
        .await
        .expect_error(409, "not_failed");
    admin
        .post_empty("/api/admin/outbox/999999/retry")
        .await
        .expect(404);
    admin
        .post_empty("/api/admin/outbox/-9223372036854775808/retry")
        .await
        .expect(404);
    notifier.deliver_once(chrono::Utc::now()).await.unwrap();
    let sent: Vec<_> = mail
        .sent()
        .into_iter()
        .filter(|e| e.key == row["key"].as_str().unwrap())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to_email, "boss@pb.example");
    let after = admin
        .get("/api/admin/outbox?seminar=s9")
        .await
        .expect(200)
        .json();
    let now = after
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(now["status"], "sent", "{now}");
    assert_eq!(now["last_error"], Value::Null, "{now}");
    // Once fixed, the pages stop warning.
    let page = c.get("/seminars/s9").await.expect(200).text();
    assert!(!page.contains("нет ни одного активного пользователя"));
    assert!(!page.contains("Недоставленные письма по семинару"));

    let log = audit(&admin).await;
    let retried = kinds_by(&log, "delivery_retried");
    assert_eq!(retried.len(), 1, "{log}");
    assert_eq!(retried[0]["data"]["outbox"], id);
    // Retry-all with nothing failed is a no-op that says so.
    let all = admin
        .post_empty("/api/admin/outbox/retry-failed")
        .await
        .expect(200)
        .json();
    assert_eq!(all["retried"], 0);
}

fn cli(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seminarflow"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(data)
        .current_dir(data.parent().unwrap())
        .env("SEMINARFLOW_WORKFLOWS", root().join("workflows"))
        .stdin(std::process::Stdio::null());
    for var in ["DATABASE_URL", "SEMINARFLOW_DATABASE", "SEMINARFLOW_CONFIG"] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_command_line_disables_enables_and_resets_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out, err) = cli(
        &data,
        &[
            "user",
            "add",
            "--role",
            "coordinator",
            "--email",
            "c@x.ru",
            "--name",
            "Координатор",
        ],
    );
    assert!(ok, "{out}\n{err}");
    let (ok, out, err) = cli(&data, &["user", "disable", "--email", "C@x.ru"]);
    assert!(ok && out.contains("отключена"), "{out}\n{err}");
    let (ok, out, err) = cli(&data, &["user", "enable", "--email", "c@x.ru"]);
    assert!(ok && out.contains("включена"), "{out}\n{err}");
    let (ok, out, err) = cli(&data, &["user", "reset-password", "--email", "c@x.ru"]);
    assert!(ok, "{out}\n{err}");
    let password = out.trim().rsplit(' ').next().unwrap().to_string();
    assert_eq!(password.len(), 16, "{out}");
    let (ok, out, err) = cli(&data, &["user", "disable", "--email", "nobody@x.ru"]);
    assert!(!ok && err.contains("nobody@x.ru"), "{out}\n{err}");

    let url = format!("sqlite://{}", data.join("seminarflow.db").display());
    let store = seminarflow::storage::open(&url).await.unwrap();
    let user = store.user_by_email("c@x.ru").await.unwrap().unwrap();
    assert!(user.must_change_password && !user.disabled);
    assert!(seminarflow::accounts::verify_password(
        &password,
        &user.password_hash
    ));
    let kinds: Vec<String> = store
        .events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "admin:cli@localhost")
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "user_created",
            "user_disabled",
            "user_enabled",
            "password_reset"
        ],
        "every change by the command line is audited"
    );
}

/// Sending a failed row again on a store: back to pending with only the served recipients in
/// its log, audited, once; and the outbox filtered by program. Both backends.
async fn a_retry_resets_a_failed_row(store: seminarflow::storage::DynStore) {
    use seminarflow::domain::{Command, Partner};
    use seminarflow::storage::OutboxQuery;
    let prog = crate::support::catalog()
        .program(PROGRAM)
        .expect("the flagship program");
    let svc = seminarflow::service::Service::new(store.clone(), vec![prog]);
    store
        .put_partner(&Partner {
            id: "p1".into(),
            name: "Партнёр".into(),
            experienced: false,
            barred: false,
            late_withdrawal: false,
        })
        .await
        .unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let apply = Command::Apply {
        seminar: "s1".into(),
        partner: "p1".into(),
        city: "Тула".into(),
        date: "2017-03-29".parse().unwrap(),
    };
    svc.execute(PROGRAM, &apply, "p1", at("2017-01-24T10:00:00+03:00"))
        .await
        .unwrap();
    let approve = Command::ApproveApplication {
        seminar: "s1".into(),
    };
    svc.execute(
        PROGRAM,
        &approve,
        "coordinator",
        at("2017-01-25T10:00:00+03:00"),
    )
    .await
    .unwrap();
    let of = |program: &str| OutboxQuery {
        program: Some(program.into()),
        ..OutboxQuery::default()
    };
    let rows = store.find_outbox(&of(PROGRAM)).await.unwrap();
    assert!(!rows.is_empty());
    assert!(store
        .find_outbox(&of("no-such-program"))
        .await
        .unwrap()
        .is_empty());
    let id = rows[0].id;
    store
        .outbox_progress(id, "user:a <m1@x>\npartner:p1 !нет пользователей")
        .await
        .unwrap();
    svc.mark_failed(id, "нет пользователей").await.unwrap();

    let admin = seminarflow::accounts::User {
        id: "a1".into(),
        email: "admin@x.ru".into(),
        name: "Админ".into(),
        role: seminarflow::accounts::Role::Admin,
        partner: None,
        rights: None,
        password_hash: String::new(),
        must_change_password: false,
        digest: false,
        ics_token: None,
        phone: None,
        disabled: false,
    };
    let now = at("2017-01-26T10:00:00+03:00");
    svc.retry_delivery(&admin, id, now).await.unwrap();
    let row = store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 0);
    assert_eq!(row.last_error, None);
    assert_eq!(row.message_id.as_deref(), Some("user:a <m1@x>"));
    // The notifier may claim it at once.
    let claimed = svc
        .claim_deliveries(now, 10, "t", now + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert!(claimed.iter().any(|r| r.id == id), "{claimed:?}");
    assert!(matches!(
        svc.retry_delivery(&admin, id, now).await,
        Err(seminarflow::service::ServiceError::Conflict(
            "not_failed",
            _
        ))
    ));
    let retried = store
        .events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "delivery_retried")
        .count();
    assert_eq!(retried, 1);
}

#[tokio::test]
async fn a_retry_resets_a_failed_row_on_sqlite() {
    a_retry_resets_a_failed_row(seminarflow::storage::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn a_retry_resets_a_failed_row_on_postgres() {
    let Some(pg) = crate::support::pg::PgCluster::start() else {
        return;
    };
    a_retry_resets_a_failed_row(seminarflow::storage::open(&pg.url).await.unwrap()).await;
}

/// The demo season: every new page renders for the roles that may see it, the others are
/// refused, and the header links follow the role.
#[tokio::test]
async fn the_administration_pages_render_for_their_roles_and_refuse_the_others() {
    use crate::ui_e2e::{demo_app, form_login, page_ok, password_of};
    let (app, creds) = demo_app().await;
    let coordinator = form_login(
        &app,
        "coordinator@demo.local",
        &password_of(&creds, "coordinator@demo.local"),
    )
    .await;
    let users = page_ok(&coordinator.get("/admin/users").await);
    assert!(users.contains("p01@demo.local") && users.contains("Выдать временный пароль"));
    assert!(
        !users.contains(&app.admin_email),
        "a coordinator sees partner users only"
    );
    assert!(users.contains("href=\"/admin/outbox\"") && !users.contains("href=\"/admin/clock\""));
    page_ok(&coordinator.get("/admin/users?partner=p03").await);
    let partners = page_ok(&coordinator.get("/admin/partners").await);
    assert!(partners.contains("Назначить") && partners.contains("активных: "));
    for status in ["failed", "pending", "digest", "sent", "all", "nonsense"] {
        page_ok(
            &coordinator
                .get(&format!("/admin/outbox?status={status}"))
                .await,
        );
    }
    assert_eq!(coordinator.get("/admin/clock").await.status.as_u16(), 403);
    assert_eq!(
        coordinator.get("/my/team").await.status.as_u16(),
        200,
        "staff are sent on to their own users page"
    );

    app.admin().await;
    let admin = form_login(&app, &app.admin_email, app::ADMIN_PASSWORD).await;
    let clock = page_ok(&admin.get("/admin/clock").await);
    assert!(clock.contains("Перевести часы") && clock.contains("href=\"/admin/clock\""));
    assert!(page_ok(&admin.get("/admin/users").await).contains("coordinator@demo.local"));

    let main = form_login(
        &app,
        "p01@demo.local",
        &password_of(&creds, "p01@demo.local"),
    )
    .await;
    let team = page_ok(&main.get("/my/team").await);
    assert!(team.contains("Добавить пользователя") && team.contains("href=\"/my/team\""));
    assert!(
        !team.contains("p02@demo.local"),
        "the company's own users only"
    );
    for path in ["/admin/users", "/admin/partners", "/admin/outbox"] {
        assert_eq!(main.get(path).await.status.as_u16(), 403, "{path}");
    }
    let limited = form_login(
        &app,
        "p03@demo.local",
        &password_of(&creds, "p03@demo.local"),
    )
    .await;
    let team = page_ok(&limited.get("/my/team").await);
    assert!(!team.contains("Добавить пользователя") && !team.contains("Отключить"));
    assert!(
        !team.contains("href=\"/my/team\""),
        "no header link for limited rights"
    );
}

#[tokio::test]
async fn on_the_system_clock_there_is_no_clock_page() {
    let app = app::spawn_with(app::Setup {
        clock: seminarflow::config::ClockMode::System,
        ..app::Setup::default()
    })
    .await;
    app.admin().await;
    let admin = crate::ui_e2e::form_login(&app, &app.admin_email, app::ADMIN_PASSWORD).await;
    assert_eq!(admin.get("/admin/clock").await.status.as_u16(), 404);
    let users = crate::ui_e2e::page_ok(&admin.get("/admin/users").await);
    assert!(!users.contains("href=\"/admin/clock\""));
}

/// On the users page, a coordinator cannot disable a company's last full-rights user: the page
/// says why, and the user stays active.
#[tokio::test]
async fn the_users_page_explains_why_the_last_full_rights_user_stays() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let main = app
        .user(
            &admin,
            "partner",
            "main@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    app.user(&admin, "coordinator", "anna@vendor.example", None, None)
        .await;
    let anna = crate::ui_e2e::form_login(&app, "anna@vendor.example", USER_PASSWORD).await;
    let token = app::csrf_of(&anna.get("/admin/users").await.expect(200).text());
    let r = anna
        .send(
            anna.request(
                reqwest::Method::POST,
                &format!("/admin/users/{}/disable", main.id()),
            )
            .form(&[("_csrf", token.as_str())]),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert!(
        r.text().contains("последний активный пользователь"),
        "{}",
        r.text()
    );
    main.get("/api/me").await.expect(200);
}

/// Issue 13 item 1: the review queue marks, before the decision, an application of a partner
/// whose mail would reach nobody; the mark goes once the partner has an active user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_queue_warns_before_a_decision_on_a_partner_without_a_user() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pb", "Бета", false, None).await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    admin
        .post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"partner": "pb", "seminar": "s9", "city": "Тула", "date": "2017-03-29"}),
        )
        .await
        .expect(201);
    let c = crate::ui_e2e::form_login(&app, &app.admin_email, app::ADMIN_PASSWORD).await;
    let dashboard = format!("/programs/{PROGRAM}");
    let page = c.get(&dashboard).await.expect(200).text();
    assert!(
        page.contains("нет активного пользователя: письмо о решении никто не получит"),
        "{page}"
    );
    admin
        .post(
            "/api/users",
            json!({"email": "beta@partner.test", "name": "Бета Главный", "role": "partner",
                   "partner": "pb", "rights": "main", "password": USER_PASSWORD}),
        )
        .await
        .expect(201);
    let page = c.get(&dashboard).await.expect(200).text();
    assert!(
        page.contains("s9"),
        "the application is still queued: {page}"
    );
    assert!(!page.contains("нет активного пользователя"), "{page}");
}
