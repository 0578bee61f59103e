//! Delivery to a real SMTP server on loopback: Python's aiosmtpd storing what it accepts in a
//! maildir. Skipped, loudly, when aiosmtpd is not installed, unless `SEMINARFLOW_REQUIRE_SMTP=1`
//! (CI), which makes its absence a failure.

use super::world::{self, t, FROM, LATE_RESUBMISSION, SEASON};
use async_trait::async_trait;
use seminarflow::config::{SmtpConfig, SmtpSecurity};
use seminarflow::notifier::{Email, Mailer, SendError, SmtpMailer};
use seminarflow::service::Service;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn smtp_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("SEMINARFLOW_REQUIRE_SMTP").as_deref() == Ok("1") {
            panic!("SEMINARFLOW_REQUIRE_SMTP=1, but Python's aiosmtpd is not installed (python3 -m pip install aiosmtpd)");
        }
        eprintln!("\n*** SKIPPED: the real-SMTP notifier tests need Python's aiosmtpd: python3 -m pip install aiosmtpd ***\n");
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd on 127.0.0.1:`port`, storing messages in the maildir `dir`; stopped on drop.
struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    fn start(port: u16, dir: &Path) -> SmtpServer {
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let server = SmtpServer { child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, serde::Deserialize)]
struct Received {
    message_id: String,
    to: String,
    rcpt: String,
    from: String,
    subject: String,
    content_type: String,
    text: Option<String>,
    html: Option<String>,
}

const READ_MAILDIR: &str = r#"
import sys, json, mailbox
from email import policy
from email.parser import BytesParser
out = []
md = mailbox.Maildir(sys.argv[1], create=False)
for key in sorted(md.iterkeys()):
    m = BytesParser(policy=policy.default).parsebytes(md.get_bytes(key))
    text = html = None
    for part in m.walk():
        if part.get_content_type() == "text/plain": text = part.get_content()
        elif part.get_content_type() == "text/html": html = part.get_content()
    out.append({"message_id": m["Message-ID"], "to": str(m["To"]), "rcpt": m["X-RcptTo"], "from": str(m["From"]),
                "subject": str(m["Subject"]), "content_type": m.get_content_type(), "text": text, "html": html})
print(json.dumps(out, ensure_ascii=False))
"#;

/// Everything the server accepted, decoded by Python's e-mail parser.
fn received(dir: &Path) -> Vec<Received> {
    if !dir.join("new").exists() {
        return vec![];
    }
    let out = Command::new("python3")
        .args(["-c", READ_MAILDIR])
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("maildir as JSON")
}

fn smtp(port: u16) -> Arc<dyn Mailer> {
    let c = SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Plain,
        username: None,
        password: None,
        from: FROM.into(),
    };
    Arc::new(SmtpMailer::new(&c).expect("SMTP client builds"))
}

/// p1 with two users and a coordinator; a returned program re-submitted a day late.
async fn world_with_penalty(url: &str) -> Service {
    let svc = world::service(url).await;
    world::people(&svc, false).await;
    let text = SEASON.replace("2017-04-20T00:00:00+03:00", "2017-02-23T12:00:00+03:00");
    world::play(
        &svc,
        &world::scenario(&format!("{text}{LATE_RESUBMISSION}")),
    )
    .await;
    svc
}

/// Every Message-ID the outbox logs record as accepted.
async fn logged_ids(svc: &Service) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for r in svc.store.outbox().await.unwrap() {
        for line in r.message_id.as_deref().unwrap_or("").lines() {
            if let Some((_, id)) = line.split_once(' ') {
                if !id.starts_with('!') {
                    ids.insert(id.to_string());
                }
            }
        }
    }
    ids
}

fn counts(mail: &[Received]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in mail {
        *m.entry(r.message_id.clone()).or_default() += 1;
    }
    m
}

// 06:00 in Moscow: before the digest hour, so only immediate mail goes out.
const WALL: &str = "2030-01-10T03:00:00Z";

#[tokio::test]
#[cfg_attr(
    sf_no_smtp,
    ignore = "needs Python's aiosmtpd: python3 -m pip install aiosmtpd"
)]
async fn mail_arrives_over_smtp_with_the_right_recipients_and_content() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let _server = SmtpServer::start(port, &maildir);
    let svc = world_with_penalty("sqlite::memory:").await;
    let n = world::notifier(&svc, smtp(port), "a");
    let rep = n.deliver_once(t(WALL)).await.unwrap();
    assert_eq!((rep.failed, rep.retried), (0, 0), "{rep:?}");

    let mail = received(&maildir);
    assert_eq!(mail.len(), rep.sent, "{rep:?}");
    let penalties: Vec<&Received> = mail
        .iter()
        .filter(|m| m.subject.starts_with("Штраф «Доработанная программа"))
        .collect();
    let rcpts: BTreeSet<&str> = penalties.iter().map(|m| m.rcpt.as_str()).collect();
    assert_eq!(
        rcpts,
        BTreeSet::from(["anna@example.ru", "lena@example.ru", "olga@example.ru"])
    );
    let anna = penalties
        .iter()
        .find(|m| m.rcpt == "anna@example.ru")
        .unwrap();
    assert_eq!(anna.to, "Пользователь anna <anna@example.ru>");
    assert_eq!(anna.from, FROM);
    assert_eq!(anna.content_type, "multipart/alternative");
    assert_eq!(
        anna.subject,
        "Штраф «Доработанная программа подана с опозданием на 1–2 дня»: минус 10 баллов — Новосибирск, 29.03.2017"
    );
    let text = anna.text.as_deref().unwrap();
    for want in [
        "Здравствуйте, Пользователь anna!",
        "Баллы: минус 10 баллов",
        "Штраф: Доработанная программа подана с опозданием на 1–2 дня",
        "Срок: 22.02.2017 до 23:59 по московскому времени",
        "Местное время города проведения: 23.02.2017 до 03:59 (Новосибирск, UTC+7)",
        "https://seminars.example.ru/seminars/s1",
    ] {
        assert!(text.contains(want), "missing «{want}» in:\n{text}");
    }
    let html = anna.html.as_deref().unwrap();
    assert!(
        !html.contains("program_resubmit_late")
            && html.contains("href=\"https://seminars.example.ru/seminars/s1\""),
        "{html}"
    );
    // What the server holds is exactly what the outbox logs say was accepted.
    let at_server: BTreeSet<String> = mail.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(at_server.len(), mail.len(), "unique Message-IDs");
    assert_eq!(at_server, logged_ids(&svc).await);
}

#[tokio::test]
#[cfg_attr(
    sf_no_smtp,
    ignore = "needs Python's aiosmtpd: python3 -m pip install aiosmtpd"
)]
async fn the_server_down_for_a_while_then_back_loses_nothing() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let svc = world_with_penalty("sqlite::memory:").await;
    let n = world::notifier(&svc, smtp(port), "a");
    let now = t(WALL);

    // Nobody listens: the row being tried is postponed with the reason, the pass stops, the
    // other rows wait untried; nothing is lost or failed.
    let rep = n.deliver_once(now).await.unwrap();
    assert_eq!((rep.sent, rep.failed, rep.retried), (0, 0, 1), "{rep:?}");
    assert!(
        rep.unreachable
            .as_deref()
            .is_some_and(|e| e.contains("127.0.0.1")),
        "{rep:?}"
    );
    let rows = svc.store.outbox().await.unwrap();
    assert!(rows.iter().all(|r| r.status == "pending"), "{rows:?}");
    let first = rows
        .iter()
        .find(|r| r.attempts == 1)
        .expect("one row was tried");
    assert!(
        first.last_error.as_deref().unwrap().contains("недоступен"),
        "{:?}",
        first.last_error
    );
    assert_eq!(
        rows.iter().filter(|r| r.attempts == 0).count(),
        rows.len() - 1
    );

    // Still down a little later: another single attempt, still nothing lost.
    let rep = n
        .deliver_once(now + chrono::Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!((rep.sent, rep.failed, rep.retried), (0, 0, 1), "{rep:?}");

    // Back up: everything arrives once.
    let _server = SmtpServer::start(port, &maildir);
    let rep = n
        .deliver_once(now + chrono::Duration::seconds(91))
        .await
        .unwrap();
    assert_eq!((rep.failed, rep.retried), (0, 0), "{rep:?}");
    let mail = received(&maildir);
    assert_eq!(mail.len(), rep.sent);
    assert!(counts(&mail).values().all(|&c| c == 1));
    assert_eq!(
        mail.iter()
            .map(|m| m.message_id.clone())
            .collect::<BTreeSet<_>>(),
        logged_ids(&svc).await
    );
    let rows = svc.store.outbox().await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == "sent" || r.status == "digest"),
        "{rows:?}"
    );
}

/// Passes `allow` messages to the real server, then hangs forever like a process that died:
/// before handing the next message over, or (with `after_accept`) right after the server
/// accepted it and before the notifier could record it.
struct DiesAfter {
    inner: Arc<dyn Mailer>,
    allow: Mutex<usize>,
    after_accept: bool,
}

#[async_trait]
impl Mailer for DiesAfter {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let left = *self.allow.lock().unwrap();
        if left == 0 && !self.after_accept {
            std::future::pending::<()>().await;
        }
        self.inner.send(email).await?;
        *self.allow.lock().unwrap() = left.saturating_sub(1);
        if left == 1 && self.after_accept {
            std::future::pending::<()>().await;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "dies after a few messages".into()
    }
}

/// Runs notifier A until it "dies" after `allow` messages, then a fresh process (new store
/// connection, new notifier B) takes over once A's lease has run out.
async fn restart_mid_delivery(
    allow: usize,
    after_accept: bool,
) -> (Vec<Received>, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let url = format!("sqlite://{}", dir.path().join("sf.db").display());
    let port = free_port();
    let _server = SmtpServer::start(port, &maildir);
    let now = t(WALL);
    {
        let svc = world_with_penalty(&url).await;
        let dying = DiesAfter {
            inner: smtp(port),
            allow: Mutex::new(allow),
            after_accept,
        };
        let a = world::notifier(&svc, Arc::new(dying), "process-a");
        let run = tokio::time::timeout(Duration::from_secs(5), a.deliver_once(now)).await;
        assert!(run.is_err(), "notifier A was meant to die mid-delivery");
        assert_eq!(received(&maildir).len(), allow);
    }
    let svc = world::service(&url).await;
    let b = world::notifier(&svc, smtp(port), "process-b");
    // A's lease (10 minutes) still holds what it had claimed.
    b.deliver_once(now + chrono::Duration::minutes(1))
        .await
        .unwrap();
    let rep = b
        .deliver_once(now + chrono::Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!((rep.failed, rep.retried), (0, 0), "{rep:?}");
    assert!(svc
        .store
        .outbox()
        .await
        .unwrap()
        .iter()
        .all(|r| r.status == "sent" || r.status == "digest"));
    (received(&maildir), logged_ids(&svc).await)
}

#[tokio::test]
#[cfg_attr(
    sf_no_smtp,
    ignore = "needs Python's aiosmtpd: python3 -m pip install aiosmtpd"
)]
async fn a_restart_in_the_middle_of_delivery_sends_nothing_twice() {
    if !smtp_available() {
        return;
    }
    let (mail, logged) = restart_mid_delivery(5, false).await;
    let c = counts(&mail);
    assert!(c.values().all(|&n| n == 1), "duplicates: {c:?}");
    assert_eq!(
        c.keys().cloned().collect::<BTreeSet<_>>(),
        logged,
        "every logged message arrived, nothing else"
    );
    assert!(mail.len() > 5, "B finished the work");
}

#[tokio::test]
#[cfg_attr(
    sf_no_smtp,
    ignore = "needs Python's aiosmtpd: python3 -m pip install aiosmtpd"
)]
async fn a_crash_between_acceptance_and_recording_resends_the_very_same_message() {
    if !smtp_available() {
        return;
    }
    let (mail, logged) = restart_mid_delivery(3, true).await;
    let c = counts(&mail);
    let twice: Vec<&String> = c
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        twice.len(),
        1,
        "only the message in the window comes twice: {c:?}"
    );
    let copies: Vec<&Received> = mail.iter().filter(|m| &m.message_id == twice[0]).collect();
    assert_eq!(
        (
            copies[0].subject.as_str(),
            copies[0].text.as_deref(),
            copies[0].html.as_deref()
        ),
        (
            copies[1].subject.as_str(),
            copies[1].text.as_deref(),
            copies[1].html.as_deref()
        )
    );
    assert_eq!(c.keys().cloned().collect::<BTreeSet<_>>(), logged);
}
