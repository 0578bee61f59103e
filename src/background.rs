//! Background workers started by `serve` besides the scheduler (the notifier's delivery loop).

use crate::http::AppState;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Spawns the background workers; each stops when `shutdown` is notified.
pub fn spawn(_state: &AppState, _shutdown: Arc<Notify>) -> Vec<JoinHandle<()>> {
    Vec::new()
}
