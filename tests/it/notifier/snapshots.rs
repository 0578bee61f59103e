//! Every kind rendered in text and HTML, as delivered (insta snapshots), from one season that
//! produces them all: approvals, a rejection, reminders, a return with a due date, a late
//! re-submission, a manual violation, an exclusion, an overdue review, duties, the report, and
//! the daily digests of a partner user and a coordinator.

use super::world::{self, t, user};
use seminarflow::accounts::{Rights, Role};
use seminarflow::notifier::{Email, MemoryMailer};
use std::sync::Arc;

pub(super) const ALL_KINDS: &str = r#"
workflow = "bitrix24-seminars-2017-spring"
until = "2017-04-10T00:00:00+03:00"

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
at = "2017-01-24T11:00:00+03:00"
do = "apply"
partner = "p1"
seminar = "s3"
city = "Самара"
date = "2017-04-04"

[[steps]]
at = "2017-01-25T11:00:00+03:00"
do = "apply"
partner = "p1"
seminar = "s2"
city = "Казань"
date = "2017-04-05"

[[steps]]
at = "2017-01-27T12:00:00+03:00"
do = "approve_application"
seminar = "s1"

[[steps]]
at = "2017-01-27T12:05:00+03:00"
do = "approve_application"
seminar = "s3"

[[steps]]
at = "2017-01-27T12:10:00+03:00"
do = "reject_application"
seminar = "s2"
comment = "В Казани на эти даты идёт семинар «Формула сайта» <см. план>."

[[steps]]
at = "2017-02-10T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "program"

[[steps]]
at = "2017-02-13T10:00:00+03:00"
do = "return"
seminar = "s1"
stage = "program"
due = "2017-02-17"
comment = "Нет перерыва на кофе в середине программы. Добавьте тезисы ко второму докладу."

[[steps]]
at = "2017-02-18T12:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "program"

[[steps]]
at = "2017-02-20T10:00:00+03:00"
do = "approve"
seminar = "s1"
stage = "program"

[[steps]]
at = "2017-02-20T11:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "postal_address"

[[steps]]
at = "2017-02-21T10:00:00+03:00"
do = "approve"
seminar = "s1"
stage = "postal_address"

[[steps]]
at = "2017-02-27T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "estimate"

[[steps]]
at = "2017-02-28T10:00:00+03:00"
do = "approve"
seminar = "s1"
stage = "estimate"

[[steps]]
at = "2017-03-06T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "landing"

[[steps]]
at = "2017-03-07T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "announcement_plan"

[[steps]]
at = "2017-03-09T10:00:00+03:00"
do = "approve"
seminar = "s1"
stage = "announcement_plan"

[[steps]]
at = "2017-03-13T10:00:00+03:00"
do = "approve"
seminar = "s1"
stage = "landing"

[[steps]]
at = "2017-03-20T15:00:00+03:00"
do = "violation"
seminar = "s1"
code = "mispositioning"
count = 2
cost = 5000
note = "Баннер «Конференция Битрикс24» на сайте партнёра и такая же рассылка."

[[steps]]
at = "2017-04-03T10:00:00+03:00"
do = "report"
seminar = "s1"
attendees = 31
registrations = 70
costs = 48000
estimate = 50000

[[steps]]
at = "2017-04-06T10:00:00+03:00"
do = "accept_report"
seminar = "s1"
"#;

struct Delivered {
    mail: Vec<Email>,
}

impl Delivered {
    fn find(&self, what: &str, f: impl Fn(&Email) -> bool) -> &Email {
        self.mail
            .iter()
            .find(|e| f(e))
            .unwrap_or_else(|| panic!("no e-mail: {what}"))
    }
}

/// Delivers the whole season as it happens: each day's mail before the digest hour, then
/// that day's digests.
async fn season() -> Delivered {
    let svc = world::service("sqlite::memory:").await;
    world::people(&svc, false).await;
    svc.store
        .create_user(
            &user("dima", Role::Partner, Some("p1"), Some(Rights::Full), true),
            t("2017-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    world::play(&svc, &world::scenario(ALL_KINDS)).await;
    let mail = MemoryMailer::new();
    let n = world::notifier(&svc, Arc::new(mail.clone()), "snap");
    n.deliver_once(t("2017-04-10T04:00:00Z")).await.unwrap();
    n.deliver_once(t("2017-04-10T06:00:00Z")).await.unwrap();
    let rows = svc.store.outbox().await.unwrap();
    assert!(
        rows.iter().all(|r| r.status == "sent"),
        "{:?}",
        rows.iter()
            .filter(|r| r.status != "sent")
            .map(|r| (&r.notification.key, &r.status, &r.last_error))
            .collect::<Vec<_>>()
    );
    Delivered { mail: mail.sent() }
}

fn snap(name: &str, e: &Email) {
    insta::assert_snapshot!(
        format!("{name}.txt"),
        format!(
            "Subject: {}\nTo: {} <{}>\nReply-To: {}\n\n{}",
            e.subject,
            e.to_name,
            e.to_email,
            e.reply_to.as_deref().unwrap_or("—"),
            e.text
        )
    );
    insta::assert_snapshot!(format!("{name}.html"), e.html.clone());
}

const ANNA: &str = "anna@example.ru";

#[tokio::test]
async fn every_kind_renders_in_text_and_html() {
    let d = season().await;
    for kind in [
        "application_approved",
        "application_rejected",
        "deadline_reminder",
        "submission_received",
        "submission_returned",
        "submission_approved",
        "penalty_applied",
        "excluded",
        "report_accepted",
        "duty_reminder",
    ] {
        snap(
            kind,
            d.find(kind, |e| e.kind.as_str() == kind && e.to_email == ANNA),
        );
    }
    snap(
        "deadline_reminder_today",
        d.find("reminder on the day", |e| {
            e.kind.as_str() == "deadline_reminder"
                && e.to_email == ANNA
                && e.subject.starts_with("Сегодня")
        }),
    );
    snap(
        "penalty_applied_exclusion",
        d.find("exclusion penalty", |e| {
            e.kind.as_str() == "penalty_applied"
                && e.to_email == ANNA
                && e.key.contains("program_first_late")
        }),
    );
    snap(
        "penalty_applied_manual",
        d.find("manual violation", |e| {
            e.kind.as_str() == "penalty_applied"
                && e.to_email == ANNA
                && e.key.contains("mispositioning")
        }),
    );
    snap(
        "penalty_applied_to_coordinator",
        d.find("coordinator's penalty copy", |e| {
            e.kind.as_str() == "penalty_applied" && e.to_email == "olga@example.ru"
        }),
    );
    snap(
        "excluded_to_coordinator",
        d.find("coordinator's exclusion copy", |e| {
            e.kind.as_str() == "excluded" && e.to_email == "olga@example.ru"
        }),
    );
    snap(
        "report_accepted_limited_rights",
        d.find("report for lena", |e| {
            e.kind.as_str() == "report_accepted" && e.to_email == "lena@example.ru"
        }),
    );
    snap(
        "review_due",
        d.find("review_due", |e| e.kind.as_str() == "review_due"),
    );
    snap(
        "digest_partner_user",
        d.find("dima's digest", |e| {
            e.kind.as_str() == "digest" && e.to_email == "dima@example.ru"
        }),
    );
    snap(
        "digest_coordinator",
        d.find("olga's digest", |e| {
            e.kind.as_str() == "digest" && e.to_email == "olga@example.ru"
        }),
    );
}

#[tokio::test]
async fn the_html_variant_escapes_what_people_typed() {
    let d = season().await;
    let returned = d.find("return", |e| {
        e.kind.as_str() == "submission_returned" && e.to_email == ANNA
    });
    assert!(returned.text.contains("Нет перерыва на кофе"));
    let rejected = d.find("rejection", |e| {
        e.kind.as_str() == "application_rejected" && e.to_email == ANNA
    });
    assert!(
        rejected.text.contains("«Формула сайта» <см. план>."),
        "{}",
        rejected.text
    );
    assert!(
        rejected.html.contains("«Формула сайта» &lt;см. план&gt;."),
        "{}",
        rejected.html
    );
    assert!(!rejected.html.contains("<см."));
}
