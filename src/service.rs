//! The application service: runs a command against the current state, books the outcome and its
//! notifications and due items in one transaction, and retries on concurrent changes.

use crate::domain::rules::View;
use crate::domain::schedule::plan;
use crate::domain::{decide, Command, DomainError, Outcome, Partner, Program, Refusal};
use crate::scheduler::Scheduler;
use crate::storage::{Commit, DynStore, StoreError};
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
    pub scheduler: Scheduler,
}

impl Service {
    pub fn new(store: DynStore, programs: Vec<Program>) -> Service {
        let programs: Arc<BTreeMap<String, Program>> =
            Arc::new(programs.into_iter().map(|p| (p.wf.id.clone(), p)).collect());
        let scheduler = Scheduler::new(store.clone(), programs.clone());
        Service {
            store,
            programs,
            scheduler,
        }
    }

    pub fn program(&self, id: &str) -> Option<&Program> {
        self.programs.get(id)
    }

    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.programs.values()
    }

    /// Registers or updates a partner.
    pub async fn put_partner(&self, p: &Partner) -> Result<(), ServiceError> {
        Ok(self.store.put_partner(p).await?)
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
            let whole = cmd.needs_program_view();
            if whole {
                self.scheduler.tick(now).await?;
            } else if let Some(id) = cmd.seminar() {
                self.scheduler.catch_up_seminar(id, now).await?;
            }
            let mut view = View::default();
            let mut lock = None;
            if whole {
                lock = Some((program.clone(), self.store.program_version(&program).await?));
                view.seminars = self.store.seminars(Some(&program)).await?;
                view.partners = self
                    .store
                    .partners()
                    .await?
                    .into_iter()
                    .map(|p| (p.id.clone(), p))
                    .collect();
            } else if let Some(id) = cmd.seminar() {
                if let Some(s) = self.store.seminar(id).await? {
                    program = s.program.clone();
                    if let Some(p) = self.store.partner(&s.partner).await? {
                        view.partners.insert(p.id.clone(), p);
                    }
                    view.seminars.push(s);
                }
            }
            let prog = self
                .programs
                .get(&program)
                .ok_or_else(|| ServiceError::UnknownProgram(program.clone()))?;
            let outcome = decide(prog, &view, cmd, actor, now)?;
            let mut plans = Vec::new();
            for s in &outcome.seminars {
                plans.push((s.id.clone(), plan(prog, s, now)?));
            }
            let commit = Commit {
                outcome,
                plans,
                fired: None,
                program_lock: lock,
            };
            match self.store.commit(&commit).await {
                Ok(()) => return Ok(commit.outcome),
                Err(StoreError::Conflict(why)) if attempt + 1 < RETRIES => {
                    tracing::debug!(%why, attempt, "command conflicted; deciding again");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the retry loop returns")
    }
}
