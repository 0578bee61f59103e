//! What the service tells the partner-program ops beyond one program's rows (design §4.1
//! `Facts`): the partner's live standings in the other programs (for `status_at_least`), and
//! the flags and constant statuses kept as records (`domain::standing::known`); and the
//! opening of a partner's facts and standing before the first command (a scenario's
//! `[partners.opening]`, an import).

use super::booking::Booked;
use super::standing::{commit_of, read_partner, standing_part};
use super::{Service, ServiceError};
use crate::domain::standing::actions::{ActionRecord, Effects};
use crate::domain::standing::metrics::{Facts, OtherStanding};
use crate::domain::standing::{known, StandingState};
use crate::domain::Program;
use crate::storage::{DynStore, StoreError};
use chrono::{DateTime, Utc};

/// Adds to `facts` the partner's standings in other programs (a held code, ladder unknown here:
/// the code itself) and the flags and constant statuses of `records`.
///
/// # Errors
/// Store failures.
pub async fn add_known(
    store: &DynStore,
    prog: &Program,
    partner: &str,
    records: &[ActionRecord],
    facts: &mut Facts,
) -> Result<(), StoreError> {
    for s in store.standings_of(partner).await? {
        let held = matches!(
            s.state,
            StandingState::Active | StandingState::RenewalPending | StandingState::Admitted
        );
        let Some(code) = s.code.filter(|_| held && s.program != prog.wf.id) else {
            continue;
        };
        facts.other_standings.insert(
            s.program.clone(),
            OtherStanding {
                ladder: vec![code.clone()],
                code,
            },
        );
    }
    known::apply(records, facts);
    Ok(())
}

impl Service {
    /// Books a partner's opening `effects` in `program` (its standing, facts kept as records,
    /// bonuses and points) as of `from`, with the due items they plan.
    ///
    /// # Errors
    /// `UnknownProgram`; store failures; a standing that already exists (conflict).
    pub async fn open_partner(
        &self,
        program: &str,
        partner: &str,
        effects: Effects,
        from: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let prog = self
            .program(program)
            .ok_or_else(|| ServiceError::UnknownProgram(program.to_string()))?;
        let p = standing_part(prog)?;
        let rows = read_partner(&self.store, prog, partner).await?;
        let commit = commit_of(prog, p, &rows, effects, &self.programs, from);
        match self.booker.book(&commit).await? {
            Booked::Written => Ok(()),
            Booked::Conflict(why) => Err(StoreError::Conflict(why).into()),
        }
    }
}
