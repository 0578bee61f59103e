//! The application service, the only writer of the store. The command path (this file) runs a
//! command against the current state, books the outcome with its notifications and due items in
//! one transaction, and retries on concurrent changes; the scheduler fires due items through the
//! same [`booking::Booker`]. Accounts, partners, coordinator assignment and files
//! ([`accounts`], [`partners`], [`files`]) are written together with their audit events; outbox
//! delivery state ([`outbox`]) and settings ([`settings`]) have their own operations.

pub mod accounts;
pub mod audit;
pub mod booking;
pub mod files;
pub mod items;
pub mod outbox;
pub mod partners;
pub mod settings;
pub mod standing;
pub mod standing_known;
mod standing_opening;

pub use audit::Audit;

use crate::domain::deadline::{local_date, start_of};
use crate::domain::review;
use crate::domain::rules::{Reads, View, CITY_STATES};
use crate::domain::{decide, Command, DomainError, Outcome, Program, Refusal, SeminarState};
use crate::scheduler::Scheduler;
use crate::storage::{DynStore, SeminarQuery, StoreError};
use booking::{Booked, Booker};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("программа «{0}» не найдена")]
    UnknownProgram(String),
    #[error("{0}")]
    Program(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request the service cannot take as it is (400): a machine code and what to fix.
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// A well-formed request with an unusable field (422): «field: what is wrong».
    #[error("{0}: {1}")]
    Field(&'static str, String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The change collides with existing data (409): a machine code and the reason.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// Something failed that the user cannot fix (hashing, a vanished row); details are logged.
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// 400 `invalid_input`.
    pub fn bad(msg: impl Into<String>) -> ServiceError {
        ServiceError::BadRequest("invalid_input", msg.into())
    }
}

impl From<crate::accounts::PasswordError> for ServiceError {
    fn from(e: crate::accounts::PasswordError) -> Self {
        match e {
            crate::accounts::PasswordError::Weak(m) => ServiceError::bad(m),
            crate::accounts::PasswordError::Hash(m) => ServiceError::Internal(m),
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Refused(r) => ServiceError::Refused(r),
            DomainError::Program(m) => ServiceError::Program(m),
        }
    }
}

/// How many times a command is decided again after a concurrent change.
const RETRIES: usize = 8;

#[derive(Clone)]
pub struct Service {
    pub store: DynStore,
    programs: Arc<BTreeMap<String, Program>>,
    booker: Booker,
    pub scheduler: Scheduler,
}

impl Service {
    pub fn new(store: DynStore, programs: Vec<Program>) -> Service {
        let programs: Arc<BTreeMap<String, Program>> =
            Arc::new(programs.into_iter().map(|p| (p.wf.id.clone(), p)).collect());
        let booker = Booker {
            store: store.clone(),
            programs: programs.clone(),
        };
        Service {
            scheduler: Scheduler::new(store.clone(), programs.clone()),
            store,
            programs,
            booker,
        }
    }

    pub fn program(&self, id: &str) -> Option<&Program> {
        self.programs.get(id)
    }

    /// The item programs (seminars, events): what dashboards, lists and queues loop over.
    /// Partner programs are loaded too but listed only by [`Service::partner_programs`].
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values().filter(|p| p.wf.standing.is_none())
    }

    /// The partner programs (`[standing]`: statuses, competences), by id.
    pub fn partner_programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values().filter(|p| p.wf.standing.is_some())
    }

    /// Every loaded program, item and partner programs alike.
    pub fn all_programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values()
    }

    /// Fills the list columns of seminars written before they existed (a database from an
    /// earlier version); a no-op on every later start.
    ///
    /// # Errors
    /// Store failures.
    pub async fn backfill_attention(&self) -> Result<u64, ServiceError> {
        let mut n = 0;
        loop {
            let batch = self.store.seminars_without_attention(500).await?;
            if batch.is_empty() {
                return Ok(n);
            }
            for s in &batch {
                let a = self
                    .programs
                    .get(&s.program)
                    .map(|p| p.attention(s))
                    .unwrap_or_default();
                self.store.set_attention(&s.id, &a).await?;
                n += 1;
            }
        }
    }

    /// Runs `cmd` in `program` at `now` for `actor`. Due items that are already due fire first,
    /// so the command sees the state the clock has made.
    ///
    /// # Errors
    /// `Refused` with the contract code when the command does not fit; store errors.
    pub async fn execute(
        &self,
        program: &str,
        cmd: &Command,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome, ServiceError> {
        let mut program = program.to_string();
        for attempt in 0.. {
            let reads = cmd.reads();
            let whole = reads.is_program_wide();
            if whole {
                self.scheduler.tick(now).await?;
            }
            let mut lock = None;
            if whole {
                // Program-wide decisions (slots) serialize on the program lock, so two approvals
                // can never take one slot even though each reads only its cities.
                lock = Some((program.clone(), self.store.program_version(&program).await?));
            }
            let (view, of_program) = self.read_view(&program, reads, now).await?;
            if let Some(p) = of_program {
                program = p;
            }
            let prog = self
                .programs
                .get(&program)
                .ok_or_else(|| ServiceError::UnknownProgram(program.clone()))?;
            let outcome = decide(prog, &view, cmd, actor, now)?;
            let (outcome, promotion_plans) =
                items::after_command(&self.store, &self.programs, outcome, now).await?;
            let mut prepared = self.booker.prepare(outcome, |_| now, Vec::new(), lock);
            prepared.commit.plans.extend(promotion_plans);
            if let Some((_, e)) = prepared.unplanned.into_iter().next() {
                return Err(e.into());
            }
            match self.booker.book(&prepared.commit).await? {
                Booked::Written => return Ok(prepared.commit.outcome),
                Booked::Conflict(why) if attempt + 1 < RETRIES => {
                    tracing::debug!(%why, attempt, "command conflicted; deciding again");
                }
                Booked::Conflict(why) => return Err(StoreError::Conflict(why).into()),
            }
        }
        unreachable!("the retry loop returns")
    }

    /// Loads what deciding a command reads ([`Reads`]) in `program`; also returns the program of
    /// the seminar a per-seminar command names.
    async fn read_view(
        &self,
        program: &str,
        reads: Reads<'_>,
        now: DateTime<Utc>,
    ) -> Result<(View, Option<String>), ServiceError> {
        let mut view = View::default();
        let of = match reads {
            Reads::Nothing => None,
            Reads::Seminar(id) => self.read_seminar(&mut view, id, now).await?,
            Reads::Application {
                seminar,
                partner,
                city,
            } => {
                self.read_application(&mut view, program, seminar, partner, city)
                    .await?;
                None
            }
            Reads::Decision { seminar } => {
                self.read_decision(&mut view, program, seminar).await?;
                None
            }
            Reads::DueGroups => {
                self.read_due_groups(&mut view, program, now).await?;
                None
            }
            Reads::Partner(id) => {
                self.read_partner(&mut view, id).await?;
                None
            }
        };
        Ok((view, of))
    }

    /// One seminar and its partner, in one read in the common case; when the clock has made an
    /// item due, it fires first and the seminar is read again. Returns the seminar's program.
    async fn read_seminar(
        &self,
        view: &mut View,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let mut found = self.store.seminar_for_command(id, now).await?;
        if found.as_ref().is_some_and(|(_, _, due)| *due) {
            self.scheduler.catch_up_seminar(id, now).await?;
            found = self.store.seminar_for_command(id, now).await?;
        }
        let Some((s, partner, _)) = found else {
            return Ok(None);
        };
        let of = s.program.clone();
        if let Some(p) = partner {
            view.partners.insert(p.id.clone(), p);
        }
        view.seminars.push(s);
        Ok(Some(of))
    }

    /// The seminar applied for, the partner, and the city's seminars in the states that count.
    async fn read_application(
        &self,
        view: &mut View,
        program: &str,
        seminar: &str,
        partner: &str,
        city: &str,
    ) -> Result<(), ServiceError> {
        let store = &self.store;
        if let Some(s) = store.seminar(seminar).await? {
            view.seminars.push(s);
        }
        if let Some(p) = store.partner(partner).await? {
            view.partners.insert(p.id.clone(), p);
        }
        if self
            .programs
            .get(program)
            .is_some_and(|p| p.wf.events.is_some())
            && store.support_suspended(partner).await?
        {
            view.support_suspended.insert(partner.to_string());
        }
        let q = in_program(program, vec![city.to_string()], &CITY_STATES);
        let known: Vec<String> = view.seminars.iter().map(|s| s.id.clone()).collect();
        view.seminars.extend(
            store
                .find_seminars(&q)
                .await?
                .into_iter()
                .map(|(_, s)| s)
                .filter(|s| !known.contains(&s.id)),
        );
        Ok(())
    }

    /// The seminar decided on, its partner, and the seminars holding slots in its city.
    async fn read_decision(
        &self,
        view: &mut View,
        program: &str,
        seminar: &str,
    ) -> Result<(), ServiceError> {
        let store = &self.store;
        let Some(s) = store
            .seminar(seminar)
            .await?
            .filter(|s| s.program == program)
        else {
            return Ok(());
        };
        if let Some(p) = store.partner(&s.partner).await? {
            view.partners.insert(p.id.clone(), p);
        }
        let q = in_program(program, vec![s.city.clone()], &SeminarState::HOLDING_SLOT);
        let holders = store.find_seminars(&q).await?;
        view.seminars.push(s);
        view.seminars.extend(
            holders
                .into_iter()
                .map(|(_, s)| s)
                .filter(|o| o.id != seminar),
        );
        Ok(())
    }

    /// The applications whose review group is due, their partners, and the slot holders of
    /// their cities.
    async fn read_due_groups(
        &self,
        view: &mut View,
        program: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let store = &self.store;
        let prog = self
            .programs
            .get(program)
            .ok_or_else(|| ServiceError::UnknownProgram(program.to_string()))?;
        let today = local_date(prog.tz, now);
        let cutoff = review::received_cutoff(prog, today)
            .map_err(|e| ServiceError::Program(e.to_string()))?;
        let Some(cutoff) = cutoff else {
            return Ok(());
        };
        let due = store
            .find_seminars(&SeminarQuery {
                program: Some(program.to_string()),
                states: vec![SeminarState::Applied],
                applied_before: Some(start_of(prog.tz, cutoff + chrono::Duration::days(1))),
                ..SeminarQuery::default()
            })
            .await?;
        let mut cities: Vec<String> = due.iter().map(|(_, s)| s.city.clone()).collect();
        cities.sort();
        cities.dedup();
        let mut partners: Vec<String> = due.iter().map(|(_, s)| s.partner.clone()).collect();
        partners.sort();
        partners.dedup();
        for p in store.partners_by_ids(&partners).await? {
            view.partners.insert(p.id.clone(), p);
        }
        if !cities.is_empty() {
            let holders = store
                .find_seminars(&in_program(program, cities, &SeminarState::HOLDING_SLOT))
                .await?;
            view.seminars.extend(holders.into_iter().map(|(_, s)| s));
        }
        view.seminars.extend(due.into_iter().map(|(_, s)| s));
        Ok(())
    }
}

/// The seminars of `program` in `cities` and `states`.
fn in_program(program: &str, cities: Vec<String>, states: &[SeminarState]) -> SeminarQuery {
    SeminarQuery {
        program: Some(program.to_string()),
        cities: Some(cities),
        states: states.to_vec(),
        ..SeminarQuery::default()
    }
}
