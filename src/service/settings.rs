//! Durable settings shared by every process (the manual clock, the demo marker) and the demo
//! season's wipe.

use super::{Service, ServiceError};
use chrono::{DateTime, Utc};

/// The setting that says the demo season was loaded completely.
pub const DEMO_LOADED: &str = "demo_loaded";

impl Service {
    /// Keeps the manual clock's instant for every process and the next start.
    ///
    /// # Errors
    /// Store failures.
    pub async fn save_clock(&self, to: DateTime<Utc>) -> Result<(), ServiceError> {
        Ok(self
            .store
            .put_setting(crate::clock::SETTING, &to.to_rfc3339())
            .await?)
    }

    /// Marks the demo season as loaded completely (at wall-clock `now`).
    ///
    /// # Errors
    /// Store failures.
    pub async fn mark_demo_loaded(&self, now: DateTime<Utc>) -> Result<(), ServiceError> {
        Ok(self
            .store
            .put_setting(DEMO_LOADED, &now.to_rfc3339())
            .await?)
    }

    /// Whether the demo season was loaded completely.
    ///
    /// # Errors
    /// Store failures.
    pub async fn demo_loaded(&self) -> Result<bool, ServiceError> {
        Ok(self.store.setting(DEMO_LOADED).await?.is_some())
    }

    /// Empties a demo season a crash cut short (seminars and what they caused, accounts whose
    /// e-mail ends with `accounts_suffix`, partners no account belongs to), in one transaction.
    ///
    /// # Errors
    /// Store failures.
    pub async fn wipe_demo(&self, accounts_suffix: &str) -> Result<(), ServiceError> {
        Ok(self.store.wipe_season(accounts_suffix).await?)
    }
}
