//! The dashboard's «Штрафы за последние 30 дней», a page at a time (`ppage`). Without a city
//! or coordinator filter (and with at most one partner) SQL filters, pages and counts them;
//! with one, SQL cannot tell a penalty's city or coordinator, so the 30 days' penalties are
//! read (at most [`FILTERED_READ`]) and filtered and paged here. The whole list is the Excel
//! export the section links to.

use super::cards::{penalty_ui, PenaltyUi};
use super::dashboard_sections::Kept;
use super::lists::{self, ListUrl};
use super::page::UiError;
use crate::domain::{Program, Seminar};
use crate::http::listing::PageSpec;
use crate::http::AppState;
use crate::storage::{Page as StorePage, PenaltyQuery, PenaltyRow, SeminarQuery};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Penalties per page of the section.
const PER_PAGE: usize = 20;
/// The most penalties read when the filters are applied here.
const FILTERED_READ: i64 = 1000;

/// The penalties read for the section, and their seminars.
pub struct Recent {
    spec: PageSpec,
    rows: Vec<PenaltyRow>,
    seminars: BTreeMap<String, Seminar>,
    /// The total counted in SQL (the rows are the page); `None`: the rows are every penalty
    /// of the 30 days, filtered and paged in [`Recent::ui`].
    counted: Option<usize>,
}

/// The section as the page shows it.
#[derive(Serialize)]
pub struct RecentUi {
    penalties: Vec<PenaltyUi>,
    penalties_total: usize,
    penalties_pager: Option<lists::Pager>,
}

impl Recent {
    /// Penalties of program `id` in the 30 days before `now`, newest first: of `partner` when
    /// the filter names one; `exact` when SQL's filter is all the dashboard's filters.
    ///
    /// # Errors
    /// A 400 page for a page number of 0.
    pub async fn read(
        state: &AppState,
        id: &str,
        (partner, exact): (Option<String>, bool),
        page: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<Recent, UiError> {
        let spec = PageSpec::new(page, None, PER_PAGE, PER_PAGE).map_err(lists::bad_param)?;
        let store = &state.service.store;
        let mut q = PenaltyQuery {
            program: Some(id.to_string()),
            since: Some(now - Duration::days(30)),
            partner,
            page: StorePage::first(FILTERED_READ),
            ..PenaltyQuery::default()
        };
        let counted = if exact {
            q.page = spec.store_page();
            Some(store.count_penalties(&q).await? as usize)
        } else {
            None
        };
        let rows = store.find_penalties(&q).await?;
        let seminars = seminars_of(state, &rows).await?;
        Ok(Recent {
            spec,
            rows,
            seminars,
            counted,
        })
    }

    /// The seminars the penalties belong to (their partners are named on the page).
    pub fn seminars(&self) -> impl Iterator<Item = &Seminar> {
        self.seminars.values()
    }

    /// The section at `url`, with the penalties the filters let through.
    pub fn ui(
        &self,
        prog: &Program,
        names: &BTreeMap<String, String>,
        now: DateTime<Utc>,
        kept: Kept<'_>,
        url: &ListUrl,
    ) -> RecentUi {
        let shown = self
            .rows
            .iter()
            .filter(|r| r.penalty.at <= now)
            .filter_map(|r| Some((self.seminars.get(&r.seminar)?, &r.penalty)))
            .filter(|(s, _)| kept(&s.partner, &s.city))
            .map(|(s, p)| penalty_ui(prog, s, p, names));
        let (penalties, total): (Vec<PenaltyUi>, usize) = match self.counted {
            Some(total) => (shown.collect(), total),
            None => {
                let all: Vec<PenaltyUi> = shown.collect();
                let total = all.len();
                let page = all
                    .into_iter()
                    .skip((self.spec.page - 1) * self.spec.per_page)
                    .take(self.spec.per_page)
                    .collect();
                (page, total)
            }
        };
        RecentUi {
            penalties,
            penalties_total: total,
            penalties_pager: lists::pager_at(url, "ppage", "penalties", self.spec, total),
        }
    }
}

async fn seminars_of(
    state: &AppState,
    rows: &[PenaltyRow],
) -> Result<BTreeMap<String, Seminar>, UiError> {
    let mut ids: Vec<String> = rows.iter().map(|r| r.seminar.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let q = SeminarQuery {
        ids: Some(ids),
        ..SeminarQuery::default()
    };
    let found = state.service.store.find_seminars(&q).await?;
    Ok(found.into_iter().map(|(_, s)| (s.id.clone(), s)).collect())
}
