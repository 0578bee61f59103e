//! The partner's record: my penalties with reasons, and the points and bonus ledgers with expiry
//! dates (no money for users with limited rights), each list searched, sorted and paged in SQL.

use super::cards::{ledger_reason, partner_names, penalty_ui, PenaltyUi};
use super::format;
use super::lists::{self, ListQuery};
use super::page::{render, Page, PageQuery, UiError, UiResult, Viewer};
use super::partner::{own_partner, own_seminars};
use crate::domain::deadline::local_date;
use crate::domain::{Program, Seminar};
use crate::http::api::seminars::PENALTY_SORT;
use crate::http::listing::{self, PageSpec};
use crate::http::AppState;
use crate::storage::{Order, PenaltyOrder, PenaltyQuery, SeminarQuery};
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Serialize)]
struct PenaltiesPage {
    penalties: Vec<PenaltyUi>,
    total: String,
    count: usize,
    /// The partner has penalties at all (an empty search says «не найдено», not «нет»).
    any: bool,
    headings: Vec<lists::Heading>,
    pager: Option<lists::Pager>,
    found: Option<String>,
    q: String,
    hidden: Vec<lists::Hidden>,
    sort: Vec<lists::SortOption>,
    path: &'static str,
}

const PENALTY_COLUMNS: &[(&str, &str)] = &[
    ("Когда", "at"),
    ("Семинар", "seminar"),
    ("Нарушение и причина", ""),
    ("Баллы", "points"),
    ("Последствия", ""),
];

const NEWEST_FIRST: Order<PenaltyOrder> = Order {
    by: PenaltyOrder::At,
    desc: true,
};

/// `/my/penalties`: the partner's penalties, newest first or in the chosen order, searched
/// (seminar, violation code) and paged in SQL.
pub async fn penalties(
    State(state): State<AppState>,
    v: Viewer,
    PageQuery(lq): PageQuery<ListQuery>,
) -> UiResult {
    let partner = own_partner(&v)?;
    let store = &state.service.store;
    let order =
        listing::sort(lq.sort.as_deref(), PENALTY_SORT, NEWEST_FIRST).map_err(lists::bad_param)?;
    let spec = PageSpec::new(lq.page, lq.per_page, 50, 200).map_err(lists::bad_param)?;
    let all = PenaltyQuery {
        partner: Some(partner.clone()),
        ..PenaltyQuery::default()
    };
    let base = PenaltyQuery {
        search: listing::search(lq.q.as_deref()).map_err(lists::bad_param)?,
        order: Some(order),
        ..all.clone()
    };
    let count = store.count_penalties(&base).await? as usize;
    let any = count > 0 || store.count_penalties(&all).await? > 0;
    let points = store.penalty_points(&base).await?;
    let rows = store
        .find_penalties(&PenaltyQuery {
            page: spec.store_page(),
            ..base.clone()
        })
        .await?;
    let names = partner_names(&state, [partner.as_str()]).await?;
    let seminars = seminars_by_id(&state, rows.iter().map(|r| r.seminar.clone())).await?;
    let list = rows
        .iter()
        .filter_map(|r| {
            let s = seminars.get(&r.seminar)?;
            let prog = state.service.program(&s.program)?;
            Some(penalty_ui(prog, s, &r.penalty, &names))
        })
        .collect();
    let url = lq.url("/my/penalties");
    let page = PenaltiesPage {
        count,
        any,
        penalties: list,
        total: if points == 0 {
            "баллы не списывались".into()
        } else {
            format!(
                "списано {}",
                crate::http::views::plural(points.abs(), "балл", "балла", "баллов")
            )
        },
        headings: lists::headings(&url, "list", PENALTY_COLUMNS, PENALTY_SORT, order),
        pager: lists::pager(&url, "list", spec, count),
        found: base
            .search
            .as_ref()
            .map(|_| lists::found(count, "штраф", "штрафа", "штрафов")),
        q: base.search.clone().unwrap_or_default(),
        hidden: url.hidden(&["q", "sort"]),
        sort: lists::sort_options(PENALTY_COLUMNS, PENALTY_SORT, order),
        path: "/my/penalties",
    };
    Ok(render(
        &state,
        Page::new("Мои штрафы", "/my/penalties", Some(&v)),
        "penalties",
        page,
    ))
}

/// The seminars named, in one read.
async fn seminars_by_id(
    state: &AppState,
    ids: impl Iterator<Item = String>,
) -> Result<BTreeMap<String, Seminar>, UiError> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let q = SeminarQuery {
        ids: Some(ids),
        ..SeminarQuery::default()
    };
    Ok(state
        .service
        .store
        .find_seminars(&q)
        .await?
        .into_iter()
        .map(|(_, s)| (s.id.clone(), s))
        .collect())
}

#[derive(Serialize)]
struct LedgerRow {
    booked: String,
    expires: String,
    active: bool,
    seminar_href: String,
    seminar: String,
    reason: String,
    amount: String,
    negative: bool,
}

#[derive(Serialize)]
struct LedgerPage {
    points_active: String,
    points: Vec<LedgerRow>,
    points_pager: Option<lists::Pager>,
    bonus_pager: Option<lists::Pager>,
    sees_money: bool,
    bonus_active: Option<String>,
    bonus: Vec<LedgerRow>,
    valid_months: String,
    /// The ledgers as an Excel file.
    export: String,
}

/// The partner's ledger entries shown against their seminars: times in each seminar's own
/// program zone (UTC for a seminar that is not the partner's own, e.g. a co-organizer's share).
struct LedgerBook<'a> {
    state: &'a AppState,
    seminars: BTreeMap<String, Seminar>,
    now: DateTime<Utc>,
}

impl LedgerBook<'_> {
    fn program(&self, sid: &str) -> Option<&Program> {
        let s = self.seminars.get(sid)?;
        self.state.service.program(&s.program)
    }

    fn row(&self, sid: &str, booked: DateTime<Utc>, expires: DateTime<Utc>) -> LedgerRow {
        let prog = self.program(sid);
        LedgerRow {
            booked: match prog {
                Some(p) => format::instant(p, booked),
                None => format::instant_in(chrono_tz::UTC, booked),
            },
            expires: format::date(local_date(prog.map_or(chrono_tz::UTC, |p| p.tz), expires)),
            active: booked <= self.now && expires > self.now,
            seminar_href: format!("/seminars/{sid}"),
            seminar: self
                .seminars
                .get(sid)
                .map(|s| format!("{}, {}", s.city, format::date(s.date)))
                .unwrap_or_else(|| sid.to_string()),
            reason: String::new(),
            amount: String::new(),
            negative: false,
        }
    }

    /// A page of the bonus ledger with the balance now and the number of credits in all.
    async fn bonus(
        &self,
        partner: &str,
        spec: PageSpec,
    ) -> Result<(Option<String>, Vec<LedgerRow>, i64), UiError> {
        let store = &self.state.service.store;
        let (rows, total) = store.bonus_page(partner, spec.store_page()).await?;
        let rows = rows
            .into_iter()
            .map(|e| LedgerRow {
                reason: "Компенсация затрат на семинар".into(),
                negative: e.amount.0 < 0,
                amount: format::money(e.amount),
                ..self.row(&e.seminar, e.booked_at, e.expires_at)
            })
            .collect();
        let balance = format::money(store.bonus_balance(partner, self.now).await?);
        Ok((Some(balance), rows, total))
    }

    /// How long points stay valid under the programs of the partner's seminars (every program
    /// when the partner has none yet): `12 месяцев`, or `от 6 до 12 месяцев` when they differ.
    fn valid_months(&self) -> String {
        let own: BTreeSet<u32> = self
            .seminars
            .values()
            .filter_map(|s| self.state.service.program(&s.program))
            .map(|p| p.wf.ledgers.points_valid_months)
            .collect();
        let months = if own.is_empty() {
            self.state
                .service
                .programs()
                .map(|p| p.wf.ledgers.points_valid_months)
                .collect()
        } else {
            own
        };
        let word = |n: u32| crate::text::plural(n.into(), "месяц", "месяца", "месяцев");
        match (months.first(), months.last()) {
            (Some(a), Some(b)) if a != b => format!("от {a} до {}", word(*b)),
            (_, Some(b)) => word(*b),
            _ => word(12),
        }
    }
}

/// The pages of `/my/ledger`'s two tables.
#[derive(Deserialize, Default)]
pub struct LedgerQuery {
    /// Page of the points table.
    page: Option<usize>,
    /// Page of the bonus table.
    bonus_page: Option<usize>,
    per_page: Option<usize>,
}

/// `/my/ledger`: points (and, for users who may see money, bonus) ledgers with expiry dates,
/// newest first, each table paged in SQL.
pub async fn ledger(
    State(state): State<AppState>,
    v: Viewer,
    PageQuery(lq): PageQuery<LedgerQuery>,
) -> UiResult {
    let partner = own_partner(&v)?;
    let spec = PageSpec::new(lq.page, lq.per_page, 50, 200).map_err(lists::bad_param)?;
    let bonus_spec =
        PageSpec::new(lq.bonus_page, lq.per_page, 50, 200).map_err(lists::bad_param)?;
    let url = lists::ListUrl::new("/my/ledger")
        .param("page", lq.page.filter(|p| *p > 1))
        .param("bonus_page", lq.bonus_page.filter(|p| *p > 1))
        .param("per_page", lq.per_page);
    let store = &state.service.store;
    let now = state.clock.now();
    let seminars = own_seminars(&state, &partner)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let book = LedgerBook {
        state: &state,
        seminars,
        now,
    };
    let (points, points_total) = store.points_page(&partner, spec.store_page()).await?;
    let points = points
        .into_iter()
        .map(|e| LedgerRow {
            reason: ledger_reason(book.program(&e.seminar), &e.reason),
            negative: e.points < 0,
            amount: format::points(e.points),
            ..book.row(&e.seminar, e.booked_at, e.expires_at)
        })
        .collect();
    let money = v.user.sees_money();
    let (bonus_active, bonus, bonus_total) = if money {
        book.bonus(&partner, bonus_spec).await?
    } else {
        (None, vec![], 0)
    };
    let page = LedgerPage {
        points_active: format::balance(store.points_balance(&partner, now).await?),
        points,
        points_pager: lists::pager_at(&url, "page", "points", spec, points_total as usize),
        bonus_pager: lists::pager_at(
            &url,
            "bonus_page",
            "bonus",
            bonus_spec,
            bonus_total as usize,
        ),
        sees_money: money,
        bonus_active,
        bonus,
        valid_months: book.valid_months(),
        export: format!(
            "/api/partners/{}/ledger.xlsx",
            super::page::encode(&partner)
        ),
    };
    let title = if money {
        "Баллы и бонусы"
    } else {
        "Баллы"
    };
    Ok(render(
        &state,
        Page::new(title, "/my/ledger", Some(&v)),
        "ledger",
        page,
    ))
}
