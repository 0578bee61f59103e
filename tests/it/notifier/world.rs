//! A small world for notifier tests: the shipped program on a SQLite store, partners with user
//! accounts and a coordinator, and seasons written as scenario TOML played through the service.

use crate::support;
use chrono::{DateTime, Utc};
use seminarflow::accounts::{Rights, Role, User};
use seminarflow::config::Config;
use seminarflow::domain::Partner;
use seminarflow::notifier::{Mailer, Notifier, Settings, Templates};
use seminarflow::service::{Service, ServiceError};
use seminarflow::simulate::{self, scenario::Scenario};
use seminarflow::storage::SqliteStore;
use std::sync::Arc;

pub const FROM: &str = "Семинары Битрикс24 <seminars@example.ru>";
pub const BASE: &str = "https://seminars.example.ru";

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// A service over SQLite at `url` (`sqlite::memory:` or a file) with the shipped programs.
pub async fn service(url: &str) -> Service {
    let store = SqliteStore::connect(url).await.expect("store opens");
    Service::new(
        Arc::new(store),
        support::catalog().programs().expect("programs load"),
    )
}

pub fn settings(owner: &str) -> Settings {
    let config = Config {
        base_url: Some(BASE.into()),
        ..Config::default()
    };
    let mut s = Settings::from_config(&config, chrono_tz::Europe::Moscow);
    s.from = FROM.into();
    s.owner = owner.into();
    s
}

pub fn notifier(service: &Service, mailer: Arc<dyn Mailer>, owner: &str) -> Notifier {
    Notifier::new(
        service.clone(),
        mailer,
        Arc::new(Templates::builtin().expect("shipped templates compile")),
        settings(owner),
    )
}

pub fn user(
    id: &str,
    role: Role,
    partner: Option<&str>,
    rights: Option<Rights>,
    digest: bool,
) -> User {
    User {
        id: id.into(),
        email: format!("{id}@example.ru"),
        name: format!("Пользователь {id}"),
        role,
        partner: partner.map(String::from),
        rights,
        password_hash: String::new(),
        must_change_password: false,
        digest,
        ics_token: None,
        phone: None,
        disabled: false,
    }
}

/// Partner `p1` «СекретКонтора» with a main user `anna`, a limited user `lena`, and
/// coordinator `olga` (with a phone) assigned; coordinator `igor` exists too (gets nothing for p1).
pub async fn people(service: &Service, anna_digest: bool) {
    let store = &service.store;
    let now = t("2017-01-01T00:00:00Z");
    store
        .put_partner(&Partner {
            id: "p1".into(),
            name: "СекретКонтора".into(),
            experienced: true,
            barred: false,
            late_withdrawal: false,
        })
        .await
        .unwrap();
    store
        .create_user(
            &user(
                "anna",
                Role::Partner,
                Some("p1"),
                Some(Rights::Main),
                anna_digest,
            ),
            now,
        )
        .await
        .unwrap();
    store
        .create_user(
            &user(
                "lena",
                Role::Partner,
                Some("p1"),
                Some(Rights::Limited),
                false,
            ),
            now,
        )
        .await
        .unwrap();
    store
        .create_user(
            &User {
                phone: Some("+7 495 123-45-67".into()),
                ..user("olga", Role::Coordinator, None, None, false)
            },
            now,
        )
        .await
        .unwrap();
    store
        .create_user(&user("igor", Role::Coordinator, None, None, false), now)
        .await
        .unwrap();
    store
        .set_partner_coordinator("p1", Some("olga"))
        .await
        .unwrap();
}

pub fn scenario(toml: &str) -> Scenario {
    let (sc, _) = simulate::load(&support::catalog(), toml).expect("test scenario parses");
    sc
}

/// Plays `sc` like `simulate` does, on `service`'s own store (partners it does not know yet are
/// added without users).
pub async fn play(service: &Service, sc: &Scenario) {
    for p in &sc.partners {
        if service.store.partner(&p.id).await.unwrap().is_none() {
            let partner = Partner {
                id: p.id.clone(),
                name: p.name.clone(),
                experienced: p.experienced,
                barred: p.barred,
                late_withdrawal: false,
            };
            service.store.put_partner(&partner).await.unwrap();
        }
    }
    for step in &sc.steps {
        service.scheduler.tick(step.at).await.unwrap();
        match service
            .execute(&sc.workflow, &step.command, "coordinator", step.at)
            .await
        {
            Ok(_) | Err(ServiceError::Refused(_)) => {}
            Err(e) => panic!("step {}: {e}", step.action),
        }
    }
    service.scheduler.tick(sc.until).await.unwrap();
}

/// One seminar of p1 in Novosibirsk: the program is returned and re-submitted a day late
/// (−10 points), the rest goes to plan; the report is accepted with compensation.
pub const SEASON: &str = r#"
workflow = "bitrix24-seminars-2017-spring"
until = "2017-04-20T00:00:00+03:00"

[[partners]]
id = "p1"
name = "СекретКонтора"
experienced = true

[[steps]]
at = "2017-01-24T10:00:00+03:00"
do = "apply"
partner = "p1"
seminar = "s1"
city = "Новосибирск"
date = "2017-03-29"

[[steps]]
at = "2017-01-27T12:00:00+03:00"
do = "approve_application"
seminar = "s1"
"#;

/// The penalty part of a season, appended to [`SEASON`]: a submission, a return and a
/// re-submission one day late.
pub const LATE_RESUBMISSION: &str = r#"
[[steps]]
at = "2017-02-20T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "program"

[[steps]]
at = "2017-02-22T17:00:00+03:00"
do = "return"
seminar = "s1"
stage = "program"
comment = "Добавьте перерыв на кофе в середине программы."

[[steps]]
at = "2017-02-23T11:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "program"
"#;
