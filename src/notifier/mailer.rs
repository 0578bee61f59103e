//! Where e-mail goes: an SMTP server (lettre over tokio, STARTTLS / TLS / plain), `.eml` files
//! in a folder (the default without SMTP, and `simulate --mail-dir`), or memory (tests).
//!
//! Every message is multipart/alternative (text + HTML) with a Message-ID and a MIME boundary
//! derived from the notification key and the recipient, so sending the same e-mail again
//! produces the same bytes.

use crate::config::{SmtpConfig, SmtpSecurity};
use crate::domain::NotificationKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One e-mail to one recipient, before it becomes MIME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// `<…@domain>`, derived from the notification key and the recipient ([`message_id`]).
    pub message_id: String,
    /// `Name <address>`
    pub from: String,
    /// `Name <address>` replies go to: the partner's coordinator.
    pub reply_to: Option<String>,
    pub to_name: String,
    pub to_email: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The Date header: when the notified event happened (stable across re-sends).
    pub date: DateTime<Utc>,
    pub kind: NotificationKind,
    /// The outbox key (or the digest's key), sent as `X-Seminarflow-Key`.
    pub key: String,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try this message again later: the server answered 4xx (busy, greylisting, mailbox full).
    #[error("временная ошибка доставки: {0}")]
    Temporary(String),
    /// Nothing gets through now: the server cannot be reached (connection, TLS, time-out) or the
    /// mail folder cannot be written. Try again later, and stop this pass.
    #[error("почтовый сервер недоступен: {0}")]
    Unavailable(String),
    /// Trying again will not help: the server answered 5xx, or the address is invalid.
    #[error("постоянная ошибка доставки: {0}")]
    Permanent(String),
}

/// The stable Message-ID of notification `key` sent to recipient `token` from `domain`.
pub fn message_id(key: &str, token: &str, domain: &str) -> String {
    format!("<sf.{}@{domain}>", digest_hex(key, token))
}

fn digest_hex(key: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0u8]);
    h.update(token.as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The domain part of a From address (`Семинары <seminars@example.ru>` → `example.ru`).
pub fn domain_of(from: &str) -> String {
    let addr = from
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(from);
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim().to_string())
        .filter(|d| !d.is_empty() && d.is_ascii())
        .unwrap_or_else(|| "seminarflow.local".into())
}

/// Text safe for a header: control characters (line breaks above all, which would end the
/// header or start a new one) become spaces, runs of spaces one space.
pub fn header_text(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Email {
    /// The MIME message.
    ///
    /// # Errors
    /// `Permanent` when an address cannot be used.
    pub fn to_message(&self) -> Result<Message, SendError> {
        let from: Mailbox = self.from.parse().map_err(|e| {
            SendError::Permanent(format!(
                "адрес отправителя «{}» некорректен: {e}",
                self.from
            ))
        })?;
        let address: Address = self.to_email.trim().parse().map_err(|e| {
            SendError::Permanent(format!(
                "адрес получателя «{}» некорректен: {e}",
                self.to_email
            ))
        })?;
        let to = Mailbox::new(
            Some(header_text(&self.to_name)).filter(|n| !n.is_empty()),
            address,
        );
        let boundary = format!(
            "sf-alt-{}",
            self.message_id
                .trim_matches(['<', '>'])
                .replace(['@', '.'], "-")
        );
        let reply_to: Option<Mailbox> = match &self.reply_to {
            // A contact address that does not parse costs the header, not the message.
            Some(r) => r.parse().ok(),
            None => None,
        };
        let body = MultiPart::alternative()
            .boundary(boundary)
            .singlepart(SinglePart::plain(self.text.clone()))
            .singlepart(SinglePart::html(self.html.clone()));
        let mut builder = Message::builder()
            .message_id(Some(self.message_id.clone()))
            .date(self.date.into())
            .from(from);
        if let Some(r) = reply_to {
            builder = builder.reply_to(r);
        }
        builder
            .to(to)
            .subject(header_text(&self.subject))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Seminarflow-Kind"),
                self.kind.to_string(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Seminarflow-Key"),
                self.key.clone(),
            ))
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("письмо не собрано: {e}")))
    }

    /// The message as an RFC 5322 `.eml` file.
    ///
    /// # Errors
    /// As [`Email::to_message`].
    pub fn to_eml(&self) -> Result<Vec<u8>, SendError> {
        Ok(self.to_message()?.formatted())
    }
}

/// Something that takes e-mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands one message over; `Ok` means the other side accepted it.
    async fn send(&self, email: &Email) -> Result<(), SendError>;
    /// For logs: where mail goes.
    fn describe(&self) -> String;
}

/// SMTP through lettre.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    place: String,
}

#[derive(Debug, thiserror::Error)]
#[error("SMTP-сервер {host}:{port}: {message}")]
pub struct SmtpSetupError {
    pub host: String,
    pub port: u16,
    pub message: String,
}

impl SmtpMailer {
    /// # Errors
    /// A host name TLS cannot use.
    pub fn new(c: &SmtpConfig) -> Result<SmtpMailer, SmtpSetupError> {
        let err = |e: lettre::transport::smtp::Error| SmtpSetupError {
            host: c.host.clone(),
            port: c.port,
            message: e.to_string(),
        };
        let builder = match c.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).map_err(err)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).map_err(err)?
            }
            SmtpSecurity::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.clone())
            }
        };
        let mut builder = builder
            .port(c.port)
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(
                PoolConfig::new()
                    .max_size(2)
                    .idle_timeout(Duration::from_secs(30)),
            );
        if let Some(user) = &c.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                c.password.clone().unwrap_or_default(),
            ));
        }
        let security = match c.security {
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS",
            SmtpSecurity::Plain => "без шифрования",
        };
        Ok(SmtpMailer {
            transport: builder.build(),
            place: format!("SMTP {}:{} ({security})", c.host, c.port),
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let msg = email.to_message()?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("{}: {e}", self.place))),
            Err(e) if e.is_transient() => Err(SendError::Temporary(format!("{}: {e}", self.place))),
            Err(e) => Err(SendError::Unavailable(format!("{}: {e}", self.place))),
        }
    }

    fn describe(&self) -> String {
        self.place.clone()
    }
}

/// Writes each message as `<dir>/<date>-<kind>-<id>.eml`. The same e-mail sent again
/// overwrites its file, so a folder never holds duplicates.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>) -> FileMailer {
        FileMailer { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file an e-mail is written to.
    pub fn path_for(&self, email: &Email) -> PathBuf {
        let id: String = email
            .message_id
            .trim_matches(['<', '>'])
            .split('@')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let kind = email.kind;
        self.dir.join(format!(
            "{}-{kind}-{id}.eml",
            email.date.format("%Y%m%d-%H%M%S")
        ))
    }

    /// Writes synchronously (previews, tests).
    ///
    /// # Errors
    /// `Unavailable` when the folder cannot be written (a full disk may clear).
    pub fn write(&self, email: &Email) -> Result<PathBuf, SendError> {
        let bytes = email.to_eml()?;
        let io =
            |e: std::io::Error, p: &Path| SendError::Unavailable(format!("{}: {e}", p.display()));
        std::fs::create_dir_all(&self.dir).map_err(|e| io(e, &self.dir))?;
        let path = self.path_for(email);
        let tmp = path.with_extension("eml.tmp");
        std::fs::write(&tmp, bytes).map_err(|e| io(e, &tmp))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(e, &path))?;
        Ok(path)
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        self.write(email).map(|_| ())
    }

    fn describe(&self) -> String {
        format!("файлы .eml в {}", self.dir.display())
    }
}

/// Keeps messages in memory; tests read them back and may script failures.
#[derive(Debug, Clone, Default)]
pub struct MemoryMailer {
    sent: Arc<Mutex<Vec<Email>>>,
    /// Outcomes of the next sends: `Some(error)` fails one, `None` lets one through.
    script: Arc<Mutex<VecDeque<Option<SendError>>>>,
}

impl MemoryMailer {
    pub fn new() -> MemoryMailer {
        MemoryMailer::default()
    }

    /// Everything accepted so far, in order.
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The next sends fail with these errors, in order; then sends succeed again.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        let mut script = self.script.lock().unwrap_or_else(|e| e.into_inner());
        script.extend(errors.into_iter().map(Some));
    }

    /// The next `n` scripted sends succeed (to place a failure after some successes).
    pub fn pass_next(&self, n: usize) {
        let mut script = self.script.lock().unwrap_or_else(|e| e.into_inner());
        script.extend(std::iter::repeat_n(None, n));
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        email.to_message()?;
        let scripted = self
            .script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        if let Some(Some(e)) = scripted {
            return Err(e);
        }
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(email.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "память (тесты)".into()
    }
}
