//! Structured logs with `tracing`: human-readable by default, JSON lines with `--log-json`.
//! The level comes from `SEMINARFLOW_LOG` (e.g. `info`, `seminarflow=debug`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing.
pub fn init(json: bool, default: &str) {
    let filter =
        EnvFilter::try_from_env("SEMINARFLOW_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
