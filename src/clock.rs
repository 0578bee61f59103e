//! The business clock: the system clock, or a manual one that only an admin moves (training,
//! demos, `--clock manual`). The scheduler and every command read `now` from here; the domain
//! never does.
//!
//! A manual clock is kept in the database too (setting [`SETTING`]): it survives a restart, and
//! every process on one database follows the latest instant any of them was moved to.

use chrono::{DateTime, Utc};
use std::sync::{Arc, RwLock};

/// The settings key of the manual clock's instant (RFC 3339).
pub const SETTING: &str = "manual_clock";

/// Why a clock cannot be moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("часы системные: время нельзя переводить")]
    System,
    #[error("время не может идти назад (сейчас {})", .now.to_rfc3339())]
    Backwards { now: DateTime<Utc> },
}

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(Arc<RwLock<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(RwLock::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(t) => *t.read().unwrap_or_else(|e| e.into_inner()),
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual(_))
    }

    /// Moves a manual clock forward to `to` if it is later (what another process or an earlier
    /// run already reached); nothing otherwise.
    pub fn advance_to(&self, to: DateTime<Utc>) {
        if let Clock::Manual(t) = self {
            let mut g = t.write().unwrap_or_else(|e| e.into_inner());
            if to > *g {
                *g = to;
            }
        }
    }

    /// Moves a manual clock. Time never goes back.
    ///
    /// # Errors
    /// On the system clock, or when `to` is earlier than the current manual time.
    pub fn set(&self, to: DateTime<Utc>) -> Result<(), ClockError> {
        match self {
            Clock::System => Err(ClockError::System),
            Clock::Manual(t) => {
                let mut g = t.write().unwrap_or_else(|e| e.into_inner());
                if to < *g {
                    return Err(ClockError::Backwards { now: *g });
                }
                *g = to;
                Ok(())
            }
        }
    }
}
