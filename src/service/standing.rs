//! Partner programs in the service (design §4.2–4.4): a partner command is decided by the pure
//! ops of `domain::standing::actions` on what this partner's rows say, and its standing change,
//! staff, records, ledger entries, notifications and due items are booked in one commit; the
//! scheduler fires standing items through [`Service`]'s [`StandingBook`] the same way.
//!
//! Every read names one partner (its standing, staff, records, ledger), so the cost of a
//! command or an evaluation does not depend on how many partners there are.

use super::booking::{Booked, Booker};
use super::{Service, ServiceError};
use crate::domain::standing::actions::{self, ActionRecord, Ctx, Effects, Fields, Notice};
use crate::domain::standing::clock;
use crate::domain::standing::metrics::{self, Facts, StaffMember};
use crate::domain::standing::Standing;
use crate::domain::workflow::StandingProgram;
use crate::domain::{Notification, PointsEntry, Program, Recipient};
use crate::storage::{CertificateRow, Commit, DynStore, RecordRow, StaffRow, StoreError};
use chrono::{DateTime, Months, Utc};
use std::collections::BTreeMap;

/// What a partner's rows say, read for one command or one due item.
pub struct PartnerRows {
    pub standing: Standing,
    pub staff: Vec<StaffMember>,
    pub records: Vec<ActionRecord>,
    pub facts: Facts,
}

/// The standing part of a program, or a Russian error naming it.
pub fn standing_part(prog: &Program) -> Result<&StandingProgram, ServiceError> {
    prog.wf.standing.as_ref().ok_or_else(|| {
        ServiceError::Program(format!("«{}» — не партнёрская программа", prog.wf.id))
    })
}

/// Reads one partner's rows for `prog`.
///
/// # Errors
/// Store failures.
pub async fn read_partner(
    store: &DynStore,
    prog: &Program,
    partner: &str,
) -> Result<PartnerRows, StoreError> {
    let id = prog.wf.id.as_str();
    let standing = store
        .standing(partner, id)
        .await?
        .unwrap_or_else(|| Standing::new(partner, id));
    let certs = store.certificates_of(partner).await?;
    let staff: Vec<StaffMember> = store
        .staff_of(partner)
        .await?
        .into_iter()
        .map(|r| StaffMember {
            courses: certs
                .iter()
                .filter(|c| c.staff == r.staff)
                .map(|c| c.course.clone())
                .collect(),
            id: r.staff,
            role: r.role,
            attached: r.attached,
            detached: r.detached,
        })
        .collect();
    let records: Vec<ActionRecord> = store
        .records_of(partner, id)
        .await?
        .into_iter()
        .map(|r| ActionRecord {
            data: serde_json::from_str(&r.data).unwrap_or_default(),
            key: r.key,
            kind: r.kind,
            reference: r.reference.unwrap_or_default(),
            at: r.at,
            kopecks: r.kopecks,
        })
        .collect();
    let mut ledger = vec![];
    if let Some(p) = prog.wf.standing.as_ref() {
        for l in &p.ledgers {
            for e in store.ledger_of(partner, &l.id).await? {
                ledger.push(metrics::PointsEntry {
                    ledger: e.ledger.clone(),
                    product: e.product.clone(),
                    entry_kind: e.kind.clone(),
                    points: e.points,
                    booked: e.booked_at,
                    date: e.booked_at.with_timezone(&prog.tz).date_naive(),
                    expires: Some(e.expires_at),
                });
            }
        }
    }
    let mut facts = Facts {
        ledger,
        staff: staff.clone(),
        records: records.iter().map(|r| as_record(prog, r)).collect(),
        ..Facts::default()
    };
    super::standing_known::add_known(store, prog, partner, &records, &mut facts).await?;
    crate::domain::standing::ops::reviewed::enrich(&mut facts, &standing, &records, prog.tz);
    Ok(PartnerRows {
        standing,
        staff,
        records,
        facts,
    })
}

/// A kept record as the metrics read it (money records only; a bonus movement is no record of
/// the program's own).
fn as_record(prog: &Program, r: &ActionRecord) -> metrics::Record {
    metrics::Record {
        record: r.kind.clone(),
        date: r.at.with_timezone(&prog.tz).date_naive(),
        at: r.at,
        amount: r.kopecks.unwrap_or(0),
        reference: Some(r.reference.clone()),
        marks: r
            .data
            .iter()
            .filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), b)))
            .collect(),
    }
}

/// The instant an entry booked at `at` stops counting: 00:00 after date(at) + `months` (S§0).
pub fn expiry(prog: &Program, at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    if months == 0 {
        return DateTime::<Utc>::MAX_UTC;
    }
    let d = at.with_timezone(&prog.tz).date_naive();
    let last = d.checked_add_months(Months::new(months)).unwrap_or(d);
    clock::next_midnight(prog.tz, clock::start_of(prog.tz, last))
}

/// Notifications for `notices` about `partner`, addressed by the file's `[recipients]`.
pub fn address(
    p: &StandingProgram,
    prog: &Program,
    partner: &str,
    at: DateTime<Utc>,
    notices: &[Notice],
) -> Vec<Notification> {
    let mut out = vec![];
    for (i, n) in notices.iter().enumerate() {
        let (to_partner, to_coordinator) = clock::recipients(p, n);
        let mut data = n.data.clone();
        data.insert("program".into(), prog.wf.id.clone().into());
        let mut push = |to: Recipient, with_partner: bool| {
            let mut d = data.clone();
            if with_partner {
                d.insert("partner".into(), partner.into());
            }
            out.push(Notification {
                key: format!(
                    "st:{}:{partner}:{}:{}:{i}:{to}",
                    prog.wf.id,
                    n.kind,
                    at.timestamp_micros()
                ),
                kind: n.kind,
                to,
                seminar: String::new(),
                stage: None,
                at,
                data: serde_json::Value::Object(d),
            });
        };
        if to_partner {
            push(Recipient::Partner(partner.to_string()), false);
        }
        if to_coordinator {
            push(Recipient::Coordinator, true);
        }
    }
    out
}

/// The commit of `effects` on `rows` at `now`.
pub(crate) fn commit_of(
    prog: &Program,
    p: &StandingProgram,
    rows: &PartnerRows,
    e: Effects,
    programs: &BTreeMap<String, Program>,
    now: DateTime<Utc>,
) -> Commit {
    let partner = rows.standing.partner.clone();
    let id = prog.wf.id.as_str();
    let mut c = Commit::default();
    let standing = e.standing.clone().unwrap_or_else(|| rows.standing.clone());
    c.add_due = clock::plan(p, id, &standing, now, e.inputs_changed, prog.tz);
    c.add_due.extend(e.due.iter().cloned());
    if e.standing.is_some() {
        c.standings.push(standing);
    }
    for m in &e.staff {
        c.staff.push(StaffRow {
            partner: partner.clone(),
            staff: m.id.clone(),
            role: m.role.clone(),
            attached: m.attached,
            detached: m.detached,
        });
    }
    for (staff, course) in &e.certificates {
        c.certificates.push(CertificateRow {
            partner: partner.clone(),
            staff: staff.clone(),
            course: course.clone(),
            at: now,
        });
    }
    for r in &e.records {
        c.records.push(RecordRow {
            key: r.key.clone(),
            partner: partner.clone(),
            program: id.to_string(),
            kind: r.kind.clone(),
            reference: Some(r.reference.clone()),
            at: r.at,
            kopecks: r.kopecks,
            qty: None,
            data: serde_json::to_string(&r.data).unwrap_or_default(),
        });
    }
    for (i, cr) in e.credits.iter().enumerate() {
        let months = p
            .ledgers
            .iter()
            .find(|l| l.id == cr.ledger)
            .map_or(12, |l| l.valid_months);
        c.outcome.points.push(PointsEntry {
            key: format!("st:{id}:{}:{}:{i}", cr.partner, now.timestamp_micros()),
            partner: cr.partner.clone(),
            seminar: String::new(),
            points: cr.points,
            reason: cr.reference.clone(),
            booked_at: now,
            expires_at: expiry(prog, now, months),
            ledger: cr.ledger.clone(),
            product: crate::domain::MAIN_PRODUCT.to_string(),
            program: id.to_string(),
            kind: cr.entry_kind.clone(),
        });
    }
    c.add_due
        .extend(evaluations_for(programs, &c.outcome.points));
    c.outcome.notifications = address(p, prog, &partner, now, &e.notices);
    c
}

/// The evaluations a points booking plans in every loaded auto-ladder program that counts its
/// ledger (design §4.3 cross-program trigger): the night after, and at the entry's expiry.
pub fn evaluations_for(
    programs: &BTreeMap<String, Program>,
    points: &[PointsEntry],
) -> Vec<crate::domain::DueItem> {
    let mut out = vec![];
    for prog in programs.values() {
        let Some(p) = prog.wf.standing.as_ref() else {
            continue;
        };
        if p.evaluation.is_none() {
            continue;
        }
        for e in points {
            if p.ledgers.iter().any(|l| l.id == e.ledger) {
                out.extend(clock::after_booking(
                    prog.tz,
                    &prog.wf.id,
                    &e.partner,
                    e.booked_at,
                    e.expires_at,
                ));
            }
        }
    }
    out
}

/// How many times a partner command is decided again after a concurrent change.
const RETRIES: usize = 8;

impl Service {
    /// Runs the partner action `do_name` of `program` for `partner` at `now`.
    ///
    /// # Errors
    /// `Refused` with the contract's code; `UnknownProgram`; store failures.
    pub async fn execute_partner(
        &self,
        program: &str,
        partner: &str,
        do_name: &str,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> Result<Vec<Notification>, ServiceError> {
        let prog = self
            .program(program)
            .ok_or_else(|| ServiceError::UnknownProgram(program.to_string()))?;
        let p = standing_part(prog)?;
        for _ in 0..RETRIES {
            let rows = read_partner(&self.store, prog, partner).await?;
            let ctx = Ctx {
                program_id: program,
                program: p,
                cal: &prog.cal,
                tz: prog.tz,
                partner,
                standing: &rows.standing,
                staff: &rows.staff,
                records: &rows.records,
                facts: &rows.facts,
                now,
            };
            let effects = actions::decide(&ctx, do_name, fields)?;
            let commit = commit_of(prog, p, &rows, effects, &self.programs, now);
            match book(&self.booker, &commit).await? {
                Booked::Written => return Ok(commit.outcome.notifications),
                Booked::Conflict(why) => {
                    tracing::debug!(%why, "partner command conflicted; deciding again")
                }
            }
        }
        Err(StoreError::Conflict(format!("partner {partner} changed concurrently")).into())
    }
}

async fn book(booker: &Booker, c: &Commit) -> Result<Booked, StoreError> {
    booker.book(c).await
}

impl Service {
    /// Writes a partner's opening standing (an import, a scenario's `[partners.opening]`) with
    /// the items its term plans after `from`; nothing before `from` is planned.
    ///
    /// # Errors
    /// Store failures; a standing that already exists (conflict).
    pub async fn open_standing(
        &self,
        prog: &Program,
        s: Standing,
        from: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let p = standing_part(prog)?;
        let mut c = Commit {
            add_due: clock::plan(p, &prog.wf.id, &s, from, false, prog.tz),
            ..Commit::default()
        };
        c.standings.push(s);
        match self.booker.book(&c).await? {
            Booked::Written => Ok(()),
            Booked::Conflict(why) => Err(StoreError::Conflict(why).into()),
        }
    }
}
