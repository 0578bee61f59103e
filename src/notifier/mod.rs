//! The notifier: drains the outbox into e-mail. Each outbox row (written in the same
//! transaction as the effect it reports) becomes one message per recipient, rendered from the
//! kind's templates ([`templates`]) and handed to a [`Mailer`]: SMTP, `.eml` files (the default
//! without SMTP: mail is never dropped) or memory.
//!
//! # Modules
//! - [`recipients`]: who gets which kind, when, and who wants it in the daily digest.
//! - [`context`]: the JSON object a template sees for one e-mail.
//! - [`templates`]: the Handlebars templates per kind, compiled in and overridable.
//! - [`russian`]: Russian wording — plurals, dates, deadlines, roubles.
//! - [`mailer`]: where mail goes: SMTP, `.eml` files, memory.
//! - [`preview`]: `simulate --mail-dir`, a season's mail rendered as `.eml` files.
//! - `digest` (private): the daily digest, one e-mail per recipient.
//! - this module: the delivery loop — lease, render, send, log, retry.
//!
//! # Recipients and digests
//! See [`recipients`] for who gets what and when. Rows some recipient wants in the daily digest
//! get status `digest` once everyone else has their copy; after `mail.digest_hour` (deadline
//! zone, on the service's clock — the manual one in demo and test installs) a `digest:<date>`
//! job row is added to the outbox and delivered like any other row: one digest per recipient,
//! then the rows it covered are settled.
//!
//! # Whom to ask
//! Every e-mail to a partner user names the partner's coordinator ([`recipients::Contact`]):
//! `Reply-To`, and e-mail and phone in the footer.
//!
//! # Exactly once, and the window where it is "at least once"
//! A row is leased (`claim_outbox`) so one process works on it. Each accepted message is
//! recorded at once in the row's delivery log (`message_id` column, one `token message-id` line
//! per recipient, `token !error` for a permanent failure), so a retry or a restart skips the
//! recipients already served. The Message-ID (and the MIME boundary) is derived from the
//! notification key and the recipient, never random.
//!
//! The one window left: the process dies after the SMTP server accepted a message and before the
//! log line is written (a few milliseconds per message). When the lease expires, another run
//! sends that one message again — the *same* message, byte for byte, with the same Message-ID,
//! so mail clients and servers that de-duplicate by Message-ID show it once. Nothing else is
//! ever sent twice. A digest re-sent this way keeps its Message-ID; its list may have grown.
//!
//! # Failures
//! A 4xx answer is temporary: the row is tried again after an exponential back-off (1 min, 2,
//! 4, … capped at 6 h), at most `max_attempts` times. A server that cannot be reached at all
//! (connection refused, time-out, TLS) postpones the row it was trying the same way and ends the
//! pass: the other rows stay pending, untried, so a dead server costs one connection attempt
//! per pass rather than one per row, and no pass outlives its leases. A 5xx
//! answer or an unusable address fails that recipient for good; the row ends `failed` with every
//! reason in `last_error`, visible to admins through `outbox()`. A row that cannot be rendered
//! (missing seminar, broken template) fails the same way.

pub mod alert_details;
pub mod context;
mod digest;
pub mod kkv_details;
pub mod mailer;
mod partner_level;
pub mod preview;
pub mod recipients;
pub mod russian;
pub mod standing_details;
pub mod templates;

pub use mailer::{Email, FileMailer, Mailer, MemoryMailer, SendError, SmtpMailer};
pub use templates::{Rendered, TemplateError, Templates};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{Notification, NotificationKind, Program, Seminar};
use crate::service::Service;
use crate::storage::{OutboxRow, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use context::Facts;
use recipients::{Addressee, Contact, Resolution};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Every status an outbox row can have: waiting (or retrying), delivered, given up, held for
/// the recipient's daily digest. `/metrics` shows each, zero included.
pub const OUTBOX_STATUSES: [&str; 4] = ["pending", "sent", "failed", "digest"];

#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Smtp(#[from] mailer::SmtpSetupError),
    #[error("{0}")]
    Other(String),
}

/// Tunables; [`Settings::from_config`] fills them from the one config place.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address of the web interface for links, without a trailing slash.
    pub base_url: String,
    /// The From header, `Name <address>`.
    pub from: String,
    /// Hour of the daily digest in `zone`.
    pub digest_hour: u32,
    pub zone: Tz,
    /// Rows claimed at a time.
    pub batch: i64,
    /// How long a claimed row stays ours; after a crash, others wait this long.
    pub lease: chrono::Duration,
    pub retry_base: chrono::Duration,
    pub retry_max: chrono::Duration,
    /// Temporary failures before a row is marked `failed`.
    pub max_attempts: i32,
    /// Lease owner name: the same for this node across restarts (host and listen address), so
    /// a restarted node takes back its own leases at once ([`Notifier::resume`]).
    pub owner: String,
    /// How often [`Notifier::run`] looks at the outbox when not woken.
    pub poll: std::time::Duration,
    /// The program's coordinator for partners without an assigned one (`mail.coordinator`).
    pub coordinator: Option<Contact>,
}

/// `notifier@<host>/<listen>`: stable across restarts of one node, distinct between nodes (two
/// processes on one host listen on different addresses).
fn node_owner(c: &Config) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("notifier@{host}/{}", c.listen)
}

impl Settings {
    pub fn from_config(c: &Config, zone: Tz) -> Settings {
        Settings {
            base_url: c.base_url(),
            from: c
                .smtp
                .as_ref()
                .map(|s| s.from.clone())
                .unwrap_or_else(|| c.mail.from.clone()),
            digest_hour: c.mail.digest_hour.min(23),
            zone,
            batch: 20,
            lease: chrono::Duration::minutes(5),
            retry_base: chrono::Duration::minutes(1),
            retry_max: chrono::Duration::hours(6),
            max_attempts: 12,
            owner: node_owner(c),
            poll: std::time::Duration::from_secs(15),
            coordinator: Contact::from_config(
                c.mail.coordinator.as_deref(),
                c.mail.coordinator_phone.as_deref(),
            ),
        }
    }

    /// When the row that failed `attempts` times before may be tried again.
    pub fn next_attempt(&self, wall_now: DateTime<Utc>, attempts: i32) -> DateTime<Utc> {
        let factor = 1i32
            .checked_shl(attempts.clamp(0, 30) as u32)
            .unwrap_or(i32::MAX);
        let delay = self
            .retry_base
            .checked_mul(factor)
            .unwrap_or(self.retry_max)
            .min(self.retry_max);
        wall_now + delay
    }
}

/// What one [`Notifier::deliver_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages the mailer accepted (digests included).
    pub sent: usize,
    /// Rows now fully delivered (`sent`).
    pub rows_done: usize,
    /// Rows now waiting for the digest.
    pub to_digest: usize,
    /// Rows to be tried again after a temporary failure.
    pub retried: usize,
    /// Rows marked `failed`.
    pub failed: usize,
    /// Digest messages among `sent`.
    pub digests: usize,
    /// Why the pass stopped early: the mail server could not be reached. The rows not tried
    /// stay pending and are tried on the next pass.
    pub unreachable: Option<String>,
}

impl DeliveryReport {
    pub fn is_empty(&self) -> bool {
        *self == DeliveryReport::default()
    }
}

/// Why one recipient's copy of a row was not delivered, as its delivery log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryFailure(pub String);

/// Per-recipient outcomes of one row (a message id or a failure), kept in its `message_id`
/// column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryLog {
    entries: Vec<(String, Result<String, DeliveryFailure>)>,
}

impl DeliveryLog {
    pub fn parse(s: Option<&str>) -> DeliveryLog {
        let entries = s
            .unwrap_or("")
            .lines()
            .filter_map(|l| {
                let (token, rest) = l.split_once(' ')?;
                Some((
                    token.to_string(),
                    match rest.strip_prefix('!') {
                        Some(e) => Err(DeliveryFailure(e.to_string())),
                        None => Ok(rest.to_string()),
                    },
                ))
            })
            .collect();
        DeliveryLog { entries }
    }

    pub(crate) fn get(&self, token: &str) -> Option<&Result<String, DeliveryFailure>> {
        self.entries
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, r)| r)
    }

    pub(crate) fn has(&self, token: &str) -> bool {
        self.get(token).is_some()
    }

    pub(crate) fn record(&mut self, token: &str, outcome: Result<String, DeliveryFailure>) {
        let clean = |s: String| s.replace(['\r', '\n'], " ");
        self.entries.push((
            token.replace([' ', '\n'], "_"),
            outcome.map(clean).map_err(|e| DeliveryFailure(clean(e.0))),
        ));
    }

    pub(crate) fn failures(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(|e| e.0.clone()))
            .collect()
    }

    /// The tokens of the recipients that failed for good (`partner:<id>` for a partner
    /// without users, `coordinator` for none at all, `user:<id>` for a refused address).
    pub fn failed_tokens(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(t, _)| t.as_str())
            .collect()
    }

    /// The log text without its failed recipients: what a retry keeps, so the recipients
    /// served are skipped and the failed ones tried again.
    pub fn without_failures(&self) -> String {
        DeliveryLog {
            entries: self
                .entries
                .iter()
                .filter(|(_, r)| r.is_ok())
                .cloned()
                .collect(),
        }
        .text()
    }

    pub fn text(&self) -> String {
        self.entries
            .iter()
            .map(|(t, r)| match r {
                Ok(id) => format!("{t} {id}"),
                Err(e) => format!("{t} !{e}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Why notification `n` cannot be rendered: its row lacks data its kind needs, or a template
/// fails.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Context(#[from] context::ContextError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// Why a row cannot be delivered to anyone: what it is about cannot be had, or it cannot be
/// rendered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Undeliverable {
    #[error("семинар «{seminar}» не читается: {error}")]
    UnreadableSeminar { seminar: String, error: StoreError },
    #[error("семинар «{0}» не найден")]
    NoSeminar(String),
    #[error("программа «{program}» семинара «{seminar}» не загружена")]
    NoProgram { program: String, seminar: String },
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// A row's seminar, program and people, or why they cannot be had.
pub(crate) struct Prepared {
    pub seminar: Seminar,
    pub program: Program,
    pub partner_name: String,
    pub people: Resolution,
    /// The partner's coordinator, named in the e-mails.
    pub contact: Option<Contact>,
}

/// Where a reply goes: the partner's coordinator, for everyone but the coordinators themselves.
pub(crate) fn reply_to(to: &Addressee, contact: Option<&Contact>) -> Option<String> {
    contact
        .filter(|c| !to.coordinator && !c.email.eq_ignore_ascii_case(&to.email))
        .map(Contact::mailbox)
}

/// Renders notification `n` for `to` into an e-mail from `from`.
///
/// # Errors
/// The row lacks data its kind needs, or a template fails; the message says which.
pub fn compose(
    templates: &Templates,
    n: &Notification,
    facts: &Facts,
    to: &Addressee,
    from: &str,
) -> Result<Email, ComposeError> {
    let ctx = context::notification(n, facts, to)?;
    let r = templates.render(n.kind, &ctx)?;
    Ok(Email {
        message_id: mailer::message_id(&n.key, &to.token, &mailer::domain_of(from)),
        from: from.to_string(),
        reply_to: reply_to(to, facts.contact),
        to_name: to.name.clone(),
        to_email: to.email.clone(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        date: n.at,
        kind: n.kind,
        key: n.key.clone(),
    })
}

pub struct Notifier {
    service: Service,
    mailer: Arc<dyn Mailer>,
    templates: Arc<Templates>,
    settings: Settings,
    digest_checked: Mutex<Option<NaiveDate>>,
    wake: tokio::sync::Notify,
    /// The service's clock for the digest day in [`Notifier::run`]; the system clock if unset.
    clock: Option<Clock>,
}

impl Notifier {
    pub fn new(
        service: Service,
        mailer: Arc<dyn Mailer>,
        templates: Arc<Templates>,
        settings: Settings,
    ) -> Notifier {
        Notifier {
            service,
            mailer,
            templates,
            settings,
            digest_checked: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            clock: None,
        }
    }

    /// Follows `clock` (the service's, manual in demo and test installs) for the digest's day
    /// in [`Notifier::run`].
    pub fn with_clock(mut self, clock: Clock) -> Notifier {
        self.clock = Some(clock);
        self
    }

    /// The notifier the configuration asks for: SMTP when `smtp` is set, else `.eml` files in
    /// `mail_dir()`; templates with the admin's overrides; the digest in the programs' deadline
    /// zone when they share one, else UTC.
    ///
    /// # Errors
    /// A broken template override, or an SMTP host TLS cannot use.
    pub fn from_config(service: Service, config: &Config) -> Result<Notifier, NotifierError> {
        let templates = Arc::new(Templates::load(config.mail.templates.as_deref())?);
        let mailer: Arc<dyn Mailer> = match &config.smtp {
            Some(smtp) => Arc::new(SmtpMailer::new(smtp)?),
            None => Arc::new(FileMailer::new(config.mail_dir())),
        };
        let zone = Program::shared_zone(service.programs()).unwrap_or(chrono_tz::UTC);
        let settings = Settings::from_config(config, zone);
        Ok(Notifier::new(service, mailer, templates, settings))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where mail goes, for the start-up log.
    pub fn describe(&self) -> String {
        self.mailer.describe()
    }

    /// Asks a running [`Notifier::run`] to look at the outbox now (e.g. after a command).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Delivers everything due at wall-clock `wall_now` and returns what it did, with the
    /// program's clock at the same instant. Deterministic for tests: it reads no clock.
    ///
    /// # Errors
    /// Store failures (rows already claimed are picked up again when their lease ends).
    pub async fn deliver_once(
        &self,
        wall_now: DateTime<Utc>,
    ) -> Result<DeliveryReport, NotifierError> {
        self.deliver_at(wall_now, wall_now).await
    }

    /// Delivers everything due at wall-clock `wall_now` (leases, retries); the digest's day
    /// and hour follow `now`, the service's clock (the manual one in demo and test installs).
    ///
    /// # Errors
    /// Store failures (rows already claimed are picked up again when their lease ends).
    pub async fn deliver_at(
        &self,
        wall_now: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<DeliveryReport, NotifierError> {
        let mut rep = DeliveryReport::default();
        self.ensure_digest_job(now).await?;
        self.drain(wall_now, &mut rep).await?;
        if rep.to_digest > 0 && rep.unreachable.is_none() {
            // Rows just moved to the digest after its hour (a late start): today's digest
            // goes out in this pass, not tomorrow.
            self.ensure_digest_job(now).await?;
            self.drain(wall_now, &mut rep).await?;
        }
        Ok(rep)
    }

    /// Claims and delivers due rows until none are left or the server is unreachable.
    async fn drain(
        &self,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let service = &self.service;
        loop {
            let rows = service
                .claim_deliveries(
                    wall_now,
                    self.settings.batch,
                    &self.settings.owner,
                    wall_now + self.settings.lease,
                )
                .await?;
            let n = rows.len() as i64;
            for row in rows {
                if rep.unreachable.is_some() {
                    // No point trying the rest now; give them back untouched.
                    service.set_delivery_status(row.id, "pending").await?;
                } else {
                    self.deliver_isolated(row, wall_now, rep).await?;
                }
            }
            if n < self.settings.batch || rep.unreachable.is_some() {
                return Ok(());
            }
        }
    }

    /// Delivers until `shutdown` completes: at once, then whenever woken or every `poll`.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        self.run_reporting(shutdown, None).await
    }

    /// Takes back the leases this node held before a crash or kill, so its claimed rows go out
    /// now rather than after the lease runs out. Called once at start.
    ///
    /// # Errors
    /// Store failures.
    pub async fn resume(&self) -> Result<u64, NotifierError> {
        let n = self
            .service
            .release_delivery_leases(&self.settings.owner)
            .await?;
        if n > 0 {
            tracing::info!(rows = n, owner = %self.settings.owner, "leases from before the restart released");
        }
        Ok(n)
    }

    /// [`Notifier::run`], reporting each pass's outcome to `health`.
    pub async fn run_reporting(
        &self,
        shutdown: impl Future<Output = ()>,
        health: Option<&crate::health::Health>,
    ) {
        tracing::info!(mailer = %self.mailer.describe(), "notifier started");
        if let Err(e) = self.resume().await {
            tracing::error!(error = %e, "leases from before the restart not released");
        }
        tokio::pin!(shutdown);
        loop {
            let now = self.clock.as_ref().map_or_else(Utc::now, Clock::now);
            match self.deliver_at(Utc::now(), now).await {
                Ok(rep) => {
                    if !rep.is_empty() {
                        tracing::info!(
                            sent = rep.sent,
                            done = rep.rows_done,
                            digest = rep.to_digest,
                            retried = rep.retried,
                            failed = rep.failed,
                            "mail delivered"
                        );
                    }
                    if let Some(h) = health {
                        h.ok("notifier");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "mail delivery stopped; trying again later");
                    if let Some(h) = health {
                        h.failing("notifier", e.to_string());
                    }
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
            }
        }
        tracing::info!("notifier stopped");
    }

    /// Delivers one row so that whatever is wrong with it — unreadable data, a panic while
    /// rendering or building the message — fails that row alone and never the batch.
    async fn deliver_isolated(
        &self,
        row: OutboxRow,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        use futures_util::FutureExt;
        use std::panic::AssertUnwindSafe;
        let id = row.id;
        let mut one = DeliveryReport::default();
        let outcome = if row.notification.kind == NotificationKind::Digest {
            AssertUnwindSafe(self.deliver_digest(row, wall_now, &mut one))
                .catch_unwind()
                .await
        } else {
            AssertUnwindSafe(self.deliver_row(row, wall_now, &mut one))
                .catch_unwind()
                .await
        };
        rep.sent += one.sent;
        rep.rows_done += one.rows_done;
        rep.to_digest += one.to_digest;
        rep.retried += one.retried;
        rep.failed += one.failed;
        rep.digests += one.digests;
        if one.unreachable.is_some() {
            rep.unreachable = one.unreachable;
        }
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(NotifierError::Store(
                e @ (StoreError::Corrupt(_) | StoreError::Unreadable(_)),
            ))) => self.fail(id, &e.to_string(), rep).await,
            Ok(Err(e)) => Err(e),
            Err(_) => {
                tracing::error!(outbox = id, "notification panicked while being delivered");
                self.fail(
                    id,
                    "внутренняя ошибка при подготовке письма (подробности в журнале сервера)",
                    rep,
                )
                .await
            }
        }
    }

    /// Loads what rendering `n` needs; `Err` is why the row cannot be delivered.
    pub(crate) async fn prepare(
        &self,
        n: &Notification,
    ) -> Result<Result<Prepared, Undeliverable>, NotifierError> {
        if n.seminar.is_empty() {
            return self
                .prepare_partner_level(n, &partner_level::partner_of(n))
                .await;
        }
        let store = &self.service.store;
        let seminar = match store.seminar(&n.seminar).await {
            Ok(s) => s,
            // One unreadable seminar fails its own notifications, never the whole batch.
            Err(e @ (StoreError::Corrupt(_) | StoreError::Unreadable(_))) => {
                return Ok(Err(Undeliverable::UnreadableSeminar {
                    seminar: n.seminar.clone(),
                    error: e,
                }))
            }
            Err(e) => return Err(e.into()),
        };
        let Some(seminar) = seminar else {
            return Ok(Err(Undeliverable::NoSeminar(n.seminar.clone())));
        };
        let Some(program) = self.service.program(&seminar.program) else {
            return Ok(Err(Undeliverable::NoProgram {
                program: seminar.program.clone(),
                seminar: seminar.id.clone(),
            }));
        };
        let partner_name = store
            .partner(&seminar.partner)
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| seminar.partner.clone());
        let people = recipients::resolve(store, n, &seminar.partner, &partner_name).await?;
        let contact =
            recipients::contact_of(store, &seminar.partner, self.settings.coordinator.as_ref())
                .await?;
        Ok(Ok(Prepared {
            program: program.clone(),
            seminar,
            partner_name,
            people,
            contact,
        }))
    }

    async fn deliver_row(
        &self,
        row: OutboxRow,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let n = &row.notification;
        let p = match self.prepare(n).await? {
            Ok(p) => p,
            Err(why) => return self.fail(row.id, &why.to_string(), rep).await,
        };
        let facts = Facts {
            seminar: &p.seminar,
            program: &p.program,
            partner_name: &p.partner_name,
            base_url: &self.settings.base_url,
            contact: p.contact.as_ref(),
        };
        let mut log = DeliveryLog::parse(row.message_id.as_deref());
        for (token, problem) in &p.people.problems {
            if !log.has(token) {
                log.record(token, Err(DeliveryFailure(problem.clone())));
            }
        }
        let mut waits_for_digest = false;
        for to in &p.people.to {
            if log.has(&to.token) {
                continue;
            }
            if to.digest {
                waits_for_digest = true;
                continue;
            }
            let email = match compose(&self.templates, n, &facts, to, &self.settings.from) {
                Ok(e) => e,
                Err(why) => {
                    self.service.record_progress(row.id, &log.text()).await?;
                    return self.fail(row.id, &why.to_string(), rep).await;
                }
            };
            match self.mailer.send(&email).await {
                Ok(()) => {
                    log.record(&to.token, Ok(email.message_id.clone()));
                    rep.sent += 1;
                }
                Err(SendError::Unavailable(e)) => {
                    rep.unreachable = Some(e.clone());
                    self.service.record_progress(row.id, &log.text()).await?;
                    return self
                        .retry(
                            &row,
                            wall_now,
                            &format!("почтовый сервер недоступен: {e}"),
                            rep,
                        )
                        .await;
                }
                Err(SendError::Temporary(e)) => {
                    self.service.record_progress(row.id, &log.text()).await?;
                    return self.retry(&row, wall_now, &e, rep).await;
                }
                Err(SendError::Permanent(e)) => log.record(
                    &to.token,
                    Err(DeliveryFailure(format!("{} <{}>: {e}", to.name, to.email))),
                ),
            }
            self.service.record_progress(row.id, &log.text()).await?;
        }
        self.settle(row.id, &log, waits_for_digest, wall_now, rep)
            .await
    }

    /// Moves a row on once every recipient has been tried: to the digest, `failed`, or `sent`.
    async fn settle(
        &self,
        id: i64,
        log: &DeliveryLog,
        waits_for_digest: bool,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        if waits_for_digest {
            self.service.record_progress(id, &log.text()).await?;
            self.service.set_delivery_status(id, "digest").await?;
            rep.to_digest += 1;
            return Ok(());
        }
        let failures = log.failures();
        if failures.is_empty() {
            self.service.mark_sent(id, wall_now, &log.text()).await?;
            rep.rows_done += 1;
            Ok(())
        } else {
            self.service.record_progress(id, &log.text()).await?;
            self.fail(id, &failures.join("; "), rep).await
        }
    }

    async fn fail(
        &self,
        id: i64,
        why: &str,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        tracing::warn!(outbox = id, error = why, "notification failed permanently");
        self.service.mark_failed(id, why).await?;
        rep.failed += 1;
        Ok(())
    }

    async fn retry(
        &self,
        row: &OutboxRow,
        wall_now: DateTime<Utc>,
        error: &str,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        if row.attempts + 1 >= self.settings.max_attempts {
            return self
                .fail(
                    row.id,
                    &format!(
                        "не доставлено за {}, последняя ошибка: {error}",
                        russian::count(
                            i64::from(row.attempts) + 1,
                            "попытку",
                            "попытки",
                            "попыток"
                        )
                    ),
                    rep,
                )
                .await;
        }
        let next = self.settings.next_attempt(wall_now, row.attempts);
        tracing::info!(outbox = row.id, error, next = %next, "delivery postponed");
        self.service.mark_retry(row.id, next, error).await?;
        rep.retried += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivery_log_reads_back_what_it_wrote() {
        let mut log = DeliveryLog::default();
        log.record("user:a", Ok("<sf.1@x>".into()));
        log.record(
            "user:b",
            Err(DeliveryFailure("550 нет\nтакого ящика".into())),
        );
        let back = DeliveryLog::parse(Some(&log.text()));
        assert_eq!(back, log);
        assert!(back.has("user:a") && back.has("user:b") && !back.has("user:c"));
        assert_eq!(back.failures(), vec!["550 нет такого ящика".to_string()]);
    }

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let s = Settings::from_config(&Config::default(), chrono_tz::Europe::Moscow);
        let t0 = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        assert_eq!(s.next_attempt(t0, 0) - t0, chrono::Duration::minutes(1));
        assert_eq!(s.next_attempt(t0, 3) - t0, chrono::Duration::minutes(8));
        assert_eq!(s.next_attempt(t0, 20) - t0, chrono::Duration::hours(6));
        assert_eq!(s.next_attempt(t0, 500) - t0, chrono::Duration::hours(6));
    }
}
