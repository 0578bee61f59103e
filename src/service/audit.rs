//! Audit events of the changes the service makes outside commands: accounts, partners,
//! coordinator assignment and files. Each is written in the same transaction as its change
//! ([`crate::storage::Store::apply`]); none carries a password or a token.

use crate::domain::{Event, EventKind};
use chrono::{DateTime, Utc};

/// Who makes a change and when (the wall clock, or a scenario's instant).
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    /// The actor as the audit log names it (`<role>:<e-mail>`, `system`, …).
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

impl<'a> Audit<'a> {
    /// `actor` acting now, on the wall clock (accounts, files, start-up: not program time).
    pub fn now(actor: &'a str) -> Audit<'a> {
        Audit {
            actor,
            at: chrono::Utc::now(),
        }
    }

    /// The event of kind `kind` with `data`, not tied to a seminar.
    pub fn event(&self, kind: EventKind, data: serde_json::Value) -> Event {
        Event {
            at: self.at,
            actor: self.actor.to_string(),
            kind: kind.to_string(),
            seminar: None,
            data,
        }
    }
}

/// What an account event says about the account (never its password hash or tokens).
pub fn user_data(u: &crate::accounts::User) -> serde_json::Value {
    serde_json::json!({
        "user": u.id,
        "email": u.email,
        "role": u.role.as_str(),
        "partner": u.partner,
        "rights": u.rights.map(|r| r.as_str()),
        "disabled": u.disabled,
    })
}
