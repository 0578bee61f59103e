//! The service is the only writer: changes to accounts, partners, coordinator assignment and
//! files write their audit event in the same transaction, a refused change writes neither, and
//! `user add` creates accounts through the service without the HTTP layer.

use crate::support::app;
use crate::support::pg::PgCluster;
use crate::support::root;
use chrono::{TimeZone, Utc};
use seminarflow::accounts::{Role, User};
use seminarflow::domain::Event;
use seminarflow::service::{Audit, Service, ServiceError};
use seminarflow::storage::{self, DynStore, FileMeta};
use serde_json::{json, Value};

fn kinds(audit: &Value) -> Vec<String> {
    audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn account_partner_coordinator_and_file_changes_appear_in_the_audit_log() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let coord = app
        .user(&admin, "coordinator", "coord@x.ru", None, None)
        .await;
    app.partner("pa", "Альфа", false, Some(&coord.id())).await;
    let user = admin
        .post(
            "/api/users",
            json!({"email": "pa@x.ru", "name": "Пётр", "role": "partner", "partner": "pa",
                   "rights": "main", "password": "correct-horse-battery"}),
        )
        .await
        .expect(201)
        .json();
    let id = user["user"]["id"].as_str().unwrap().to_string();
    admin
        .post_empty(&format!("/api/users/{id}/disable"))
        .await
        .expect(200);
    let by = Audit {
        actor: "admin:test",
        at: Utc::now(),
    };
    let meta = FileMeta {
        sha256: "ab".repeat(32),
        size: 3,
        content_type: "application/pdf".into(),
    };
    app.state.service.store_file(by, &meta).await.unwrap();
    assert!(app
        .state
        .service
        .forget_file(by, &meta.sha256)
        .await
        .unwrap());

    let audit = admin
        .get("/api/audit?per_page=500")
        .await
        .expect(200)
        .json();
    let kinds = kinds(&audit);
    for want in [
        "user_created",
        "partner_saved",
        "coordinator_assigned",
        "user_disabled",
        "file_stored",
        "file_forgotten",
    ] {
        assert!(kinds.contains(&want.to_string()), "{want} missing: {audit}");
    }
    let created = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "user_created" && e["data"]["email"] == "pa@x.ru")
        .expect("the partner user's creation is logged");
    assert_eq!(created["actor"], format!("admin:{}", app.admin_email));
    assert_eq!(created["seminar"], Value::Null);
    let assigned = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "coordinator_assigned")
        .unwrap();
    assert_eq!(assigned["data"]["partner"], "pa");
    assert_eq!(assigned["data"]["coordinator"], coord.id());
    // No secret reaches the log.
    let text = audit.to_string();
    assert!(!text.contains("correct-horse-battery"), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
}

#[tokio::test]
async fn a_password_change_and_an_api_token_are_audited_without_their_secrets() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let token = admin
        .post("/api/me/tokens", json!({"name": "выгрузка"}))
        .await
        .expect(201)
        .json();
    let secret = token["token"].as_str().unwrap().to_string();
    let id = token["id"].as_str().unwrap().to_string();
    admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/me/tokens/{id}"),
            None,
        )
        .await
        .expect(204);
    let audit = admin
        .get("/api/audit?per_page=500")
        .await
        .expect(200)
        .json();
    let kinds = kinds(&audit);
    for want in ["password_changed", "api_token_created", "api_token_revoked"] {
        assert!(kinds.contains(&want.to_string()), "{want} missing: {audit}");
    }
    let text = audit.to_string();
    assert!(!text.contains(&secret), "the token leaked: {text}");
    assert!(!text.contains(&id), "the token's hash leaked: {text}");
}

async fn duplicate_email_writes_neither_account_nor_event(store: DynStore) {
    let service = Service::new(store, vec![]);
    let by = Audit {
        actor: "system",
        at: Utc.with_ymd_and_hms(2017, 3, 1, 9, 0, 0).unwrap(),
    };
    let user = |id: &str| User {
        id: id.into(),
        email: "same@x.ru".into(),
        name: "Тот же".into(),
        role: Role::Coordinator,
        partner: None,
        rights: None,
        password_hash: "x".into(),
        must_change_password: false,
        digest: true,
        ics_token: None,
        phone: None,
        disabled: false,
    };
    service.add_user(by, &user("u1")).await.unwrap();
    let again = service.add_user(by, &user("u2")).await;
    assert!(
        matches!(again, Err(ServiceError::Conflict("email_taken", _))),
        "{again:?}"
    );
    let created: Vec<Event> = service
        .store
        .events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "user_created")
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0].data["user"], "u1");
    assert!(service.store.user("u2").await.unwrap().is_none());
    // A token that is not there: the revocation changes nothing and logs nothing.
    let u1 = service.store.user("u1").await.unwrap().unwrap();
    let gone = service.revoke_token(&u1, "nope", by.at).await;
    assert!(matches!(gone, Err(ServiceError::NotFound(_))), "{gone:?}");
    let events = service.store.events(None).await.unwrap();
    assert!(!events.iter().any(|e| e.kind == "api_token_revoked"));
}

#[tokio::test]
async fn a_refused_change_writes_neither_the_change_nor_its_event_on_sqlite() {
    duplicate_email_writes_neither_account_nor_event(
        storage::open("sqlite::memory:").await.unwrap(),
    )
    .await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn a_refused_change_writes_neither_the_change_nor_its_event_on_postgres() {
    let Some(pg) = PgCluster::start() else { return };
    duplicate_email_writes_neither_account_nor_event(storage::open(&pg.url).await.unwrap()).await;
}

#[tokio::test]
async fn a_duplicate_email_through_the_api_is_409_and_logs_nothing() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let body = json!({"email": "twice@x.ru", "name": "Дважды", "role": "coordinator",
                      "password": "correct-horse-battery"});
    admin.post("/api/users", body.clone()).await.expect(201);
    let before = kinds(
        &admin
            .get("/api/audit?per_page=500")
            .await
            .expect(200)
            .json(),
    );
    admin
        .post("/api/users", body)
        .await
        .expect_error(409, "email_taken");
    let after = kinds(
        &admin
            .get("/api/audit?per_page=500")
            .await
            .expect(200)
            .json(),
    );
    assert_eq!(before, after);
}

#[tokio::test]
async fn user_add_on_the_command_line_creates_the_account_through_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seminarflow"));
    cmd.args(["user", "add", "--role", "coordinator", "--email"])
        .arg("cli-made@x.ru")
        .args(["--name", "Из консоли", "--password-stdin", "--data-dir"])
        .arg(&data)
        .current_dir(dir.path())
        .env("SEMINARFLOW_WORKFLOWS", root().join("workflows"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for var in ["DATABASE_URL", "SEMINARFLOW_DATABASE", "SEMINARFLOW_CONFIG"] {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "correct-horse-battery").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Создан пользователь cli-made@x.ru"),
        "{stdout}"
    );

    let url = format!("sqlite://{}", data.join("seminarflow.db").display());
    let store = storage::open(&url).await.unwrap();
    let user = store.user_by_email("cli-made@x.ru").await.unwrap().unwrap();
    assert_eq!(user.role, Role::Coordinator);
    assert!(seminarflow::accounts::verify_password(
        "correct-horse-battery",
        &user.password_hash
    ));
    let events = store.events(None).await.unwrap();
    let created = events
        .iter()
        .find(|e| e.kind == "user_created")
        .expect("the creation is audited");
    assert_eq!(created.actor, "admin:cli@localhost");
    assert_eq!(created.data["email"], "cli-made@x.ru");
}
