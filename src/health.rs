//! Readiness of the background workers (the scheduler and the notifier): each reports after
//! every pass, and a guard marks a worker stopped if its task ends without a clean shutdown
//! (a panic). `/healthz` answers 503 with the reasons while any worker is stopped or failing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What a worker last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    /// Its last pass went through.
    Running,
    /// Its last pass failed; it will try again.
    Failing(String),
    /// Its task ended without a clean shutdown: nothing will happen until a restart.
    Stopped(String),
}

#[derive(Debug, Default)]
pub struct Health {
    workers: Mutex<BTreeMap<&'static str, WorkerState>>,
}

impl Health {
    fn set(&self, worker: &'static str, state: WorkerState) {
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(worker, state);
    }

    pub fn ok(&self, worker: &'static str) {
        self.set(worker, WorkerState::Running);
    }

    pub fn failing(&self, worker: &'static str, why: impl Into<String>) {
        self.set(worker, WorkerState::Failing(why.into()));
    }

    pub fn stopped(&self, worker: &'static str, why: impl Into<String>) {
        self.set(worker, WorkerState::Stopped(why.into()));
    }

    pub fn state(&self, worker: &str) -> Option<WorkerState> {
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(worker)
            .cloned()
    }

    /// One Russian line per worker that is not running, empty when all are.
    pub fn problems(&self) -> Vec<String> {
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|(w, s)| match s {
                WorkerState::Running => None,
                WorkerState::Failing(why) => {
                    Some(format!("{w}: последний проход с ошибкой: {why}"))
                }
                WorkerState::Stopped(why) => Some(format!("{w}: остановлен: {why}")),
            })
            .collect()
    }

    /// A guard for a worker's task: registers it as running and, when dropped before
    /// [`WorkerGuard::finish`] (the task panicked or was aborted), marks it stopped.
    pub fn guard(self: &Arc<Self>, worker: &'static str) -> WorkerGuard {
        self.ok(worker);
        WorkerGuard {
            health: self.clone(),
            worker,
            finished: false,
        }
    }
}

pub struct WorkerGuard {
    health: Arc<Health>,
    worker: &'static str,
    finished: bool,
}

impl WorkerGuard {
    /// A clean shutdown: the worker is no longer listed.
    pub fn finish(mut self) {
        self.finished = true;
        self.health
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(self.worker);
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        if !self.finished {
            let why = if std::thread::panicking() {
                "аварийное завершение (panic)"
            } else {
                "задача прервана"
            };
            tracing::error!(worker = self.worker, why, "background worker stopped");
            self.health.stopped(self.worker, why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_panics_is_reported_stopped() {
        let h = Arc::new(Health::default());
        let h2 = h.clone();
        let r = std::thread::spawn(move || {
            let _g = h2.guard("notifier");
            panic!("boom");
        })
        .join();
        assert!(r.is_err());
        assert!(matches!(h.state("notifier"), Some(WorkerState::Stopped(_))));
        assert_eq!(h.problems().len(), 1);
        let g = h.guard("scheduler");
        h.failing("scheduler", "база недоступна");
        assert_eq!(h.problems().len(), 2);
        h.ok("scheduler");
        g.finish();
        assert_eq!(h.problems().len(), 1);
    }
}
