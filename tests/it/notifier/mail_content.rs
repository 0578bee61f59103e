//! Issue 13 item 6: what the e-mails say. Penalties by their rule's Russian name, never the
//! internal code; the accepted report says the points are booked now and until when they
//! count; every e-mail names the coordinator to ask (Reply-To, e-mail and phone in the
//! footer); and the phone comes from the coordinator's own profile.

use super::snapshots::ALL_KINDS;
use super::world::{self, t};
use crate::support::app::{self, csrf_of};
use seminarflow::notifier::recipients::Contact;
use seminarflow::notifier::{Email, MemoryMailer, Notifier, Templates};
use seminarflow::service::Service;
use serde_json::json;
use std::sync::Arc;

const ANNA: &str = "anna@example.ru";

async fn played() -> Service {
    let svc = world::service("sqlite::memory:").await;
    world::people(&svc, false).await;
    world::play(&svc, &world::scenario(ALL_KINDS)).await;
    svc
}

async fn deliver(svc: &Service, fallback: Option<Contact>) -> Vec<Email> {
    let mail = MemoryMailer::new();
    let mut settings = world::settings("content");
    settings.coordinator = fallback;
    let n = Notifier::new(
        svc.clone(),
        Arc::new(mail.clone()),
        Arc::new(Templates::builtin().unwrap()),
        settings,
    );
    n.deliver_once(t("2017-04-10T04:00:00Z")).await.unwrap();
    n.deliver_once(t("2017-04-10T06:00:00Z")).await.unwrap();
    mail.sent()
}

/// Every penalty code of the shipped program, and every rule's name.
fn codes_and_names(svc: &Service) -> (Vec<String>, Vec<String>) {
    let wf = &svc
        .program("bitrix24-seminars-2017-spring")
        .expect("shipped program")
        .wf;
    let auto = wf.penalties.automatic.iter().map(|r| (&r.code, &r.name));
    let manual = wf.penalties.manual.iter().map(|r| (&r.code, &r.name));
    auto.chain(manual)
        .map(|(c, n)| (c.clone(), n.clone()))
        .unzip()
}

#[tokio::test]
async fn penalty_and_exclusion_mails_name_the_rule_and_never_show_its_code() {
    let svc = played().await;
    let sent = deliver(&svc, None).await;
    let (codes, names) = codes_and_names(&svc);
    let penalties: Vec<&Email> = sent
        .iter()
        .filter(|e| matches!(e.kind.as_str(), "penalty_applied" | "excluded"))
        .collect();
    assert!(penalties.len() >= 2, "the season books penalties");
    for e in &penalties {
        for code in &codes {
            for part in [&e.subject, &e.text, &e.html] {
                assert!(
                    !part.contains(code.as_str()),
                    "«{code}» in {}: {part}",
                    e.kind
                );
            }
        }
        assert!(!e.text.contains("Код:"), "{}", e.text);
    }
    for e in penalties
        .iter()
        .filter(|e| e.kind.as_str() == "penalty_applied")
    {
        assert!(
            names
                .iter()
                .any(|n| e.subject.starts_with(&format!("Штраф «{n}»"))),
            "the subject names the rule: {}",
            e.subject
        );
    }
}

#[tokio::test]
async fn the_accepted_report_says_the_points_are_booked_now_and_until_when() {
    let svc = played().await;
    let sent = deliver(&svc, None).await;
    let e = sent
        .iter()
        .find(|e| e.kind.as_str() == "report_accepted" && e.to_email == ANNA)
        .expect("anna gets the report mail");
    for part in [&e.text, &e.html] {
        assert!(!part.contains("будут зачислены"), "{part}");
        assert!(!part.contains("рабочих дн"), "{part}");
        // Accepted on 06.04.2017; the shipped program keeps points 12 months.
        assert!(
            part.contains(
                "Баллы уже начислены на счёт организатора и действуют по 06.04.2018 включительно"
            ),
            "{part}"
        );
    }
}

#[tokio::test]
async fn every_mail_to_a_partner_names_the_assigned_coordinator_with_e_mail_and_phone() {
    let svc = played().await;
    let sent = deliver(&svc, None).await;
    let partner_mail: Vec<&Email> = sent
        .iter()
        .filter(|e| e.to_email == ANNA || e.to_email == "lena@example.ru")
        .collect();
    assert!(partner_mail.len() >= 10, "{}", partner_mail.len());
    for e in partner_mail {
        assert_eq!(
            e.reply_to.as_deref(),
            Some("Пользователь olga <olga@example.ru>"),
            "{} to {}",
            e.kind,
            e.to_email
        );
        let eml = String::from_utf8(e.to_eml().unwrap()).unwrap();
        assert!(eml.contains("Reply-To:"), "{eml}");
        for part in [&e.text, &e.html] {
            assert!(
                part.contains("olga@example.ru") && part.contains("+7 495 123-45-67"),
                "{} to {}: {part}",
                e.kind,
                e.to_email
            );
            assert!(!part.contains("отвечать на него не нужно"), "{part}");
        }
    }
    // The coordinators' own copies do not point at themselves.
    for e in sent.iter().filter(|e| e.to_email == "olga@example.ru") {
        assert_eq!(e.reply_to, None, "{}", e.kind);
    }
}

#[tokio::test]
async fn without_an_assigned_coordinator_the_programs_address_from_the_config_is_named() {
    let svc = played().await;
    svc.store.set_partner_coordinator("p1", None).await.unwrap();
    let fallback = Contact::from_config(
        Some("Отдел партнёров <partners@example.ru>"),
        Some("+7 800 555-35-35"),
    );
    let sent = deliver(&svc, fallback).await;
    let e = sent
        .iter()
        .find(|e| e.kind.as_str() == "report_accepted" && e.to_email == ANNA)
        .unwrap();
    assert_eq!(
        e.reply_to.as_deref(),
        Some("Отдел партнёров <partners@example.ru>")
    );
    assert!(
        e.text.contains(
            "Вопросы — координатору программы: Отдел партнёров, partners@example.ru, тел. +7 800 555-35-35."
        ),
        "{}",
        e.text
    );
}

#[tokio::test]
async fn a_user_sets_their_phone_on_the_account_page_and_the_api_shows_it() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    let coord = app
        .user(&admin, "coordinator", "vera@example.ru", None, None)
        .await;
    assert_eq!(coord.me["phone"], json!(null), "{}", coord.me);
    let page = coord.get("/account").await.expect(200).text();
    assert!(page.contains("name=\"phone\""), "{page}");
    let form = |phone: &str| {
        vec![
            ("_csrf".to_string(), csrf_of(&page)),
            ("phone".to_string(), phone.to_string()),
        ]
    };
    // Not a phone: the form says so at the field and keeps what was typed.
    let r = coord
        .send(
            coord
                .request(reqwest::Method::POST, "/account/phone")
                .form(&form("позвоните Вере")),
        )
        .await
        .expect(422)
        .text();
    assert!(r.contains("phone-error"), "{r}");
    assert!(r.contains("value=\"позвоните Вере\""), "{r}");
    let r = coord
        .send(
            coord
                .request(reqwest::Method::POST, "/account/phone")
                .form(&form("+7 912 000-11-22")),
        )
        .await
        .expect(200)
        .text();
    assert!(r.contains("Телефон сохранён."), "{r}");
    assert!(r.contains("value=\"+7 912 000-11-22\""), "{r}");
    let me = coord.get("/api/me").await.expect(200).json();
    assert_eq!(me["user"]["phone"], json!("+7 912 000-11-22"), "{me}");
    let users = admin.get("/api/users").await.expect(200).json();
    let vera = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == json!("vera@example.ru"))
        .unwrap();
    assert_eq!(vera["phone"], json!("+7 912 000-11-22"));
}
