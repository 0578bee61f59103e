//! The review queue's search and paging on the coordinator's dashboard: `rq` narrows the
//! application groups and the waiting submissions to a partner (part of its name or id) or a
//! city; `wpage` pages the waiting submissions.
//!
//! There is no sort: the application groups are in the order the review takes them (the
//! workflow's priority), and the submissions oldest deadline first — another order would show a
//! queue the coordinator does not work through (decision in docs/decisions.md). A search keeps
//! each application's place number in its group.

use super::dashboard_sections::{AppGroup, Waiting};
use super::lists::{self, ListUrl};
use super::page::UiError;
use crate::http::listing::{self, PageSpec};
use serde::Serialize;

/// Waiting submissions per page of the dashboard.
const WAITING_PER_PAGE: usize = 25;

/// The queue's search and the waiting submissions' page, as the address gives them.
pub struct QueueList {
    search: Option<String>,
    spec: PageSpec,
}

/// The queue as the page shows it.
#[derive(Serialize)]
pub struct QueueUi {
    groups: Vec<AppGroup>,
    /// A group whose review day has come exists (the review button acts on every such group,
    /// found by the search or not).
    any_due_group: bool,
    waiting: Vec<Waiting>,
    waiting_total: usize,
    waiting_pager: Option<lists::Pager>,
    /// The search as typed, the parameters its form keeps, and what it found.
    queue_q: String,
    queue_hidden: Vec<lists::Hidden>,
    queue_found: Option<String>,
}

impl QueueList {
    /// # Errors
    /// A 400 page for a search or page the queue cannot take.
    pub fn read(q: Option<&str>, page: Option<usize>) -> Result<QueueList, UiError> {
        Ok(QueueList {
            search: listing::search(q).map_err(lists::bad_param)?,
            spec: PageSpec::new(page, None, WAITING_PER_PAGE, WAITING_PER_PAGE)
                .map_err(lists::bad_param)?,
        })
    }

    /// The queue's part of the page at `url` (the dashboard's address with all its parameters).
    pub fn ui(&self, url: &ListUrl, mut groups: Vec<AppGroup>, waiting: Vec<Waiting>) -> QueueUi {
        let any_due_group = groups.iter().any(|g| g.due);
        let search = self.search.as_deref().map(str::to_lowercase);
        let mut waiting = waiting;
        if let Some(s) = &search {
            groups.iter_mut().for_each(|g| g.narrow(s));
            groups.retain(|g| !g.is_empty());
            waiting.retain(|w| w.matches(s));
        }
        let total = waiting.len();
        let shown: Vec<Waiting> = waiting
            .into_iter()
            .skip((self.spec.page - 1) * self.spec.per_page)
            .take(self.spec.per_page)
            .collect();
        let found = groups.iter().map(|g| g.len()).sum::<usize>() + total;
        QueueUi {
            groups,
            any_due_group,
            waiting: shown,
            waiting_total: total,
            waiting_pager: lists::pager_at(url, "wpage", "waiting", self.spec, total),
            queue_q: self.search.clone().unwrap_or_default(),
            queue_hidden: url.hidden(&["rq", "wpage"]),
            queue_found: self.search.as_ref().map(|_| {
                format!(
                    "Найдено в очереди: {}",
                    crate::text::plural(found as i64, "строка", "строки", "строк")
                )
            }),
        }
    }
}
