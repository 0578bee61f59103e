//! Issue 13 item 14: the daily digest after a start past the digest hour, and on the
//! service's clock rather than the wall clock.

use super::world::{self, t, SEASON};
use seminarflow::clock::Clock;
use seminarflow::notifier::{Email, MemoryMailer};
use std::sync::Arc;

const SUBMIT: &str = r#"
[[steps]]
at = "2017-02-20T10:00:00+03:00"
do = "submit"
seminar = "s1"
stage = "program"
"#;

async fn season_with_digest_rows() -> seminarflow::service::Service {
    let svc = world::service("sqlite::memory:").await;
    world::people(&svc, true).await;
    let text = SEASON.replace("2017-04-20T00:00:00+03:00", "2017-02-20T12:00:00+03:00");
    world::play(&svc, &world::scenario(&format!("{text}{SUBMIT}"))).await;
    svc
}

fn digests(mail: &MemoryMailer) -> Vec<Email> {
    mail.sent()
        .into_iter()
        .filter(|e| e.kind.as_str() == "digest")
        .collect()
}

#[tokio::test]
async fn a_start_after_the_digest_hour_still_sends_todays_digest() {
    let svc = season_with_digest_rows().await;
    let mail = MemoryMailer::new();
    let n = world::notifier(&svc, Arc::new(mail.clone()), "a");
    // 10:00 Moscow, the first pass of a fresh process: the rows reach the digest only now.
    let rep = n.deliver_once(t("2017-02-21T07:00:00Z")).await.unwrap();
    let sent = digests(&mail);
    assert_eq!(rep.digests, 2, "anna and olga get today's digest: {rep:?}");
    assert!(
        sent.iter()
            .all(|e| e.subject.starts_with("Сводка за 21.02.2017")),
        "{:?}",
        sent.iter().map(|e| &e.subject).collect::<Vec<_>>()
    );
    // A later pass the same day sends nothing again.
    let rep = n.deliver_once(t("2017-02-21T09:00:00Z")).await.unwrap();
    assert_eq!(rep.digests, 0, "{rep:?}");
}

#[tokio::test]
async fn the_digest_day_follows_the_manual_clock_not_the_wall_clock() {
    let svc = season_with_digest_rows().await;
    let mail = MemoryMailer::new();
    // 07:00 Moscow on the manual clock: before the digest hour, whatever the wall clock says.
    let clock = Clock::manual(t("2017-02-21T04:00:00Z"));
    let n = world::notifier(&svc, Arc::new(mail.clone()), "a").with_clock(clock.clone());
    n.run(async {}).await;
    assert!(
        digests(&mail).is_empty(),
        "07:00 on the program's clock is before the digest hour"
    );
    assert!(
        mail.sent()
            .iter()
            .any(|e| e.kind.as_str() == "deadline_reminder"),
        "the pass ran and sent what goes at once"
    );
    clock.set(t("2017-02-21T06:00:00Z")).unwrap();
    n.run(async {}).await;
    let sent = digests(&mail);
    assert_eq!(sent.len(), 2, "anna and olga");
    assert!(
        sent.iter()
            .all(|e| e.subject.starts_with("Сводка за 21.02.2017")),
        "{:?}",
        sent.iter().map(|e| &e.subject).collect::<Vec<_>>()
    );
}
