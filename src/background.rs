//! Background workers started by `serve` besides the scheduler: the notifier's delivery loop.

use crate::http::AppState;
use crate::notifier::{Notifier, NotifierError};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Spawns the background workers; each stops when `shutdown` is cancelled.
///
/// # Errors
/// A notifier that cannot start (bad SMTP settings, a broken template override).
pub fn spawn(
    state: &AppState,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<()>>, NotifierError> {
    let notifier = Arc::new(
        Notifier::from_config(state.service.clone(), &state.config)?
            .with_clock(state.clock.clone()),
    );
    let health = state.health.clone();
    let handle = tokio::spawn(async move {
        let guard = health.guard("notifier");
        notifier
            .run_reporting(shutdown.cancelled_owned(), Some(&health))
            .await;
        guard.finish();
    });
    Ok(vec![handle])
}
