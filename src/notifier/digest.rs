//! The daily digest: rows waiting with status `digest` are collected once a day, after
//! `digest_hour` in the notifier's zone, into one e-mail per recipient.
//!
//! The day's digest is itself an outbox row (`digest:<date>`, kind `digest`) so that it is
//! leased, retried and logged like any other: its delivery log records each recipient's digest,
//! and only when every digest is out are the covered rows settled.

use super::context::{self, DigestItem, Facts};
use super::mailer::{self, Email};
use super::{
    ComposeError, DeliveryFailure, DeliveryLog, DeliveryReport, Notifier, NotifierError, SendError,
    Undeliverable,
};
use crate::domain::{Notification, NotificationKind, Recipient};
use crate::storage::{OutboxQuery, OutboxRow};
use chrono::{DateTime, NaiveDate, TimeZone, Timelike, Utc};
use std::collections::BTreeMap;

impl Notifier {
    /// After the digest hour of the program day `now` (the service's clock: the manual one in
    /// demo and test installs), adds today's digest job when rows are waiting for it. A day is
    /// marked done only once its job exists, so rows that reach the digest later that day (the
    /// first pass after a start past the digest hour moves them there) still get today's
    /// digest. The unique key makes the job once per day across processes.
    pub(super) async fn ensure_digest_job(&self, now: DateTime<Utc>) -> Result<(), NotifierError> {
        let zone = self.settings.zone;
        let local = now.with_timezone(&zone);
        if local.hour() < self.settings.digest_hour {
            return Ok(());
        }
        let today = local.date_naive();
        if *self
            .digest_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            == Some(today)
        {
            return Ok(());
        }
        if !self.service.store.outbox_has_status("digest").await? {
            // Nothing waits yet; look again on the next pass rather than skip the day.
            return Ok(());
        }
        // The job is dated at the digest hour of today (now, should that hour not exist).
        let at = today
            .and_hms_opt(self.settings.digest_hour, 0, 0)
            .and_then(|start| zone.from_local_datetime(&start).earliest())
            .map_or(now, |t| t.with_timezone(&Utc));
        let job = Notification {
            key: format!("digest:{today}"),
            kind: NotificationKind::Digest,
            to: Recipient::Coordinator,
            seminar: String::new(),
            stage: None,
            at,
            data: serde_json::json!({ "date": today }),
        };
        self.service.enqueue(job).await?;
        *self
            .digest_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(today);
        Ok(())
    }

    /// Sends the digests of job row `job` and settles the rows they cover (those waiting with
    /// status `digest` and added before the job).
    pub(super) async fn deliver_digest(
        &self,
        job: OutboxRow,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let rows = self.digest_rows(&job).await?;
        let (people, covered) = self.digest_lines(rows, rep).await?;
        let Some(job_log) = self.send_digests(&job, people, wall_now, rep).await? else {
            return Ok(());
        };
        for (row, mut log, tokens) in covered {
            for t in tokens {
                if let Some(outcome) = job_log.get(&t).cloned() {
                    log.record(&t, outcome);
                }
            }
            self.settle(row.id, &log, false, wall_now, rep).await?;
        }
        self.service
            .mark_sent(job.id, wall_now, &job_log.text())
            .await?;
        Ok(())
    }

    /// The rows job `job` covers, in time order, then by seminar: the order rows were booked in
    /// depends on how the scheduler batched them, which a reader should not see.
    async fn digest_rows(&self, job: &OutboxRow) -> Result<Vec<OutboxRow>, NotifierError> {
        let mut rows: Vec<OutboxRow> = self
            .service
            .store
            .find_outbox(&OutboxQuery {
                status: Some("digest".into()),
                ..OutboxQuery::default()
            })
            .await?
            .into_iter()
            .filter(|r| r.id < job.id)
            .collect();
        rows.sort_by(|a, b| {
            (a.notification.at, &a.notification.seminar, a.id).cmp(&(
                b.notification.at,
                &b.notification.seminar,
                b.id,
            ))
        });
        Ok(rows)
    }

    /// Who still lacks which row, and the digest line each row makes for them; rows that
    /// cannot be told fail here.
    async fn digest_lines(
        &self,
        rows: Vec<OutboxRow>,
        rep: &mut DeliveryReport,
    ) -> Result<(People, Vec<Covered>), NotifierError> {
        let mut people: People = BTreeMap::new();
        let mut covered: Vec<Covered> = Vec::new();
        for row in rows {
            let log = DeliveryLog::parse(row.message_id.as_deref());
            let items = match self.prepare(&row.notification).await? {
                Ok(p) => self
                    .row_lines(&row, &log, &p)
                    .map(|i| (i, p.contact))
                    .map_err(Undeliverable::from),
                Err(why) => Err(why),
            };
            let (items, contact) = match items {
                Ok(items) => items,
                Err(why) => {
                    self.fail(row.id, &why.to_string(), rep).await?;
                    continue;
                }
            };
            let tokens = items.iter().map(|(to, _)| to.token.clone()).collect();
            for (to, item) in items {
                people
                    .entry(to.token.clone())
                    .or_insert_with(|| (to, Vec::new(), contact.clone()))
                    .1
                    .push(item);
            }
            covered.push((row, log, tokens));
        }
        Ok((people, covered))
    }

    /// The digest line of one row for each recipient who has not had it yet.
    fn row_lines(
        &self,
        row: &OutboxRow,
        log: &DeliveryLog,
        p: &super::Prepared,
    ) -> Result<Vec<(super::Addressee, DigestItem)>, ComposeError> {
        let n = &row.notification;
        let facts = Facts {
            seminar: &p.seminar,
            program: &p.program,
            partner_name: &p.partner_name,
            base_url: &self.settings.base_url,
            contact: p.contact.as_ref(),
        };
        let mut items = Vec::new();
        for to in p.people.to.iter().filter(|a| !log.has(&a.token)) {
            let ctx = context::notification(n, &facts, to)?;
            let subject = self.templates.subject(n.kind, &ctx)?;
            items.push((
                to.clone(),
                DigestItem {
                    kind: n.kind,
                    subject,
                    at: super::russian::instant(&p.program, n.at),
                    link: facts.link(),
                },
            ));
        }
        Ok(items)
    }

    /// Sends each recipient's digest not yet sent; the job's delivery log, or `None` when the
    /// job was retried or failed instead.
    async fn send_digests(
        &self,
        job: &OutboxRow,
        people: People,
        wall_now: DateTime<Utc>,
        rep: &mut DeliveryReport,
    ) -> Result<Option<DeliveryLog>, NotifierError> {
        let date: NaiveDate = job
            .notification
            .data
            .get("date")
            .and_then(|d| d.as_str())
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| {
                job.notification
                    .at
                    .with_timezone(&self.settings.zone)
                    .date_naive()
            });
        let mut job_log = DeliveryLog::parse(job.message_id.as_deref());
        for (token, (to, items, contact)) in people {
            if job_log.has(&token) {
                continue;
            }
            let ctx = context::digest(&to, date, items, contact.as_ref());
            let r = match self.templates.render(NotificationKind::Digest, &ctx) {
                Ok(r) => r,
                Err(e) => return self.fail(job.id, &e.to_string(), rep).await.map(|()| None),
            };
            let email = Email {
                message_id: mailer::message_id(
                    &job.notification.key,
                    &token,
                    &mailer::domain_of(&self.settings.from),
                ),
                from: self.settings.from.clone(),
                reply_to: super::reply_to(&to, contact.as_ref()),
                to_name: to.name.clone(),
                to_email: to.email.clone(),
                subject: r.subject,
                text: r.text,
                html: r.html,
                date: job.notification.at,
                kind: NotificationKind::Digest,
                key: job.notification.key.clone(),
            };
            let retry = match self.mailer.send(&email).await {
                Ok(()) => {
                    job_log.record(&token, Ok(email.message_id.clone()));
                    rep.sent += 1;
                    rep.digests += 1;
                    None
                }
                Err(SendError::Unavailable(e)) => {
                    rep.unreachable = Some(e.clone());
                    Some(format!("почтовый сервер недоступен: {e}"))
                }
                Err(SendError::Temporary(e)) => Some(e),
                Err(SendError::Permanent(e)) => {
                    job_log.record(
                        &token,
                        Err(DeliveryFailure(format!("{} <{}>: {e}", to.name, to.email))),
                    );
                    None
                }
            };
            self.service
                .record_progress(job.id, &job_log.text())
                .await?;
            if let Some(why) = retry {
                return self.retry(job, wall_now, &why, rep).await.map(|()| None);
            }
        }
        Ok(Some(job_log))
    }
}

/// Per recipient token: the addressee, the lines of their digest, and the coordinator they ask
/// (a partner user's rows are all of their own partner's).
type People = BTreeMap<String, (super::Addressee, Vec<DigestItem>, Option<super::Contact>)>;
/// A covered row, its delivery log, and the recipients its lines went to.
type Covered = (OutboxRow, DeliveryLog, Vec<String>);
