//! Partners: the list with active points (the rating), one partner, its ledgers, and the
//! coordinator assigned to it.

use crate::domain::Partner;
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::listing::{self, Columns, PageSpec};
use crate::http::{AppJson, AppQuery, AppState};
use crate::storage::{Order, Page, PartnerOrder, PartnerQuery, PartnerSummary};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub experienced: bool,
    pub flags: Vec<String>,
    /// Active points now.
    pub points: i64,
    /// Unburnt bonus money, RUB; absent for users who may not see money.
    pub bonus: Option<String>,
    pub coordinator: Option<String>,
}

async fn view(
    state: &AppState,
    p: Partner,
    money: bool,
    now: DateTime<Utc>,
) -> ApiResult<PartnerView> {
    let store = &state.service.store;
    let summary = store
        .find_partners(
            &PartnerQuery {
                ids: Some(vec![p.id.clone()]),
                ..PartnerQuery::default()
            },
            now,
        )
        .await?
        .into_iter()
        .next();
    Ok(match summary {
        Some(s) => summary_view(s, money),
        None => summary_view(
            PartnerSummary {
                partner: p,
                coordinator: None,
                points: 0,
                bonus: Default::default(),
            },
            money,
        ),
    })
}

fn summary_view(s: PartnerSummary, money: bool) -> PartnerView {
    let p = s.partner;
    PartnerView {
        points: s.points,
        bonus: money.then(|| s.bonus.to_string()),
        coordinator: s.coordinator,
        flags: p.flags().into_iter().map(String::from).collect(),
        id: p.id,
        name: p.name,
        experienced: p.experienced,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerFilter {
    /// Part of the partner's id or name.
    pub q: Option<String>,
    /// Coordinator user id assigned to the partner.
    pub coordinator: Option<String>,
    /// Order: `rating` (default: active points, most first, then name), `name`, `id`,
    /// `points`; `-name` for descending.
    pub sort: Option<String>,
    /// Page number from 1 (instead of `offset`).
    pub page: Option<usize>,
    /// Rows per page, 1–500 (default 100).
    pub limit: Option<usize>,
    /// Same as `limit` (the name the seminar list uses).
    pub per_page: Option<usize>,
    /// Rows to skip (the rating is an ordering by points, so pages are offsets).
    pub offset: Option<usize>,
}

/// The columns `/api/partners` sorts by (`rating` is the default order).
pub const PARTNER_SORT: Columns<Option<PartnerOrder>> = &[
    ("rating", None),
    ("name", Some(PartnerOrder::Name)),
    ("id", Some(PartnerOrder::Id)),
    ("points", Some(PartnerOrder::Points)),
];

/// Partners sorted by active points (the rating), with balances, read and paged in one query; a
/// partner user sees only its own company. `X-Total-Count` holds the number of matching partners.
#[utoipa::path(get, path = "/api/partners", tag = "partners", params(PartnerFilter), responses((status = 200, body = [PartnerView], headers(("X-Total-Count" = i64, description = "partners matching the filter")))))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<PartnerFilter>,
) -> ApiResult<Response> {
    let now = state.clock.now();
    let spec = PageSpec::new(f.page, f.limit.or(f.per_page), 100, 500)?;
    if f.page.is_some() && f.offset.is_some() {
        return Err(ApiError::field("offset", "укажите либо page, либо offset"));
    }
    let rating = Order {
        by: None,
        desc: false,
    };
    let sort = listing::sort(f.sort.as_deref(), PARTNER_SORT, rating)?;
    if sort.by.is_none() && sort.desc {
        return Err(ApiError::field(
            "sort",
            "рейтинг идёт от большего числа баллов к меньшему; для обратного порядка — -points",
        ));
    }
    let mut q = PartnerQuery {
        search: listing::search(f.q.as_deref())?,
        coordinator: f.coordinator.clone(),
        by_points: true,
        order: sort.by.map(|by| Order {
            by,
            desc: sort.desc,
        }),
        ..PartnerQuery::default()
    };
    if !auth.user.is_staff() {
        q.ids = Some(auth.user.partner.clone().into_iter().collect());
    }
    let store = &state.service.store;
    let total = store.count_partners(&q).await?;
    q.page = match f.offset {
        Some(offset) => Page {
            after: None,
            offset: offset as i64,
            limit: Some(spec.per_page as i64),
        },
        None => spec.store_page(),
    };
    let money = auth.user.sees_money();
    let out: Vec<PartnerView> = store
        .find_partners(&q, now)
        .await?
        .into_iter()
        .map(|s| summary_view(s, money))
        .collect();
    let mut resp = Json(out).into_response();
    resp.headers_mut().insert(
        "x-total-count",
        axum::http::HeaderValue::from_str(&total.to_string()).expect("digits are a valid header"),
    );
    Ok(resp)
}

#[derive(Deserialize, ToSchema)]
pub struct NewPartner {
    /// Short stable id (latin letters, digits, `-`, `_`).
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub experienced: bool,
    /// Coordinator user id assigned to the partner.
    pub coordinator: Option<String>,
}

/// Registers or updates a partner company (staff).
#[utoipa::path(post, path = "/api/partners", tag = "partners", request_body = NewPartner, responses((status = 201, body = PartnerView)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(req): AppJson<NewPartner>,
) -> ApiResult<(StatusCode, Json<PartnerView>)> {
    auth.require_staff()?;
    let actor = auth.actor();
    let by = crate::service::Audit::now(&actor);
    let saved = state
        .service
        .register_partner(
            by,
            &req.id,
            &req.name,
            req.experienced,
            req.coordinator.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, saved, true, state.clock.now()).await?),
    ))
}

/// One partner.
#[utoipa::path(get, path = "/api/partners/{id}", tag = "partners", params(("id" = String, Path)), responses((status = 200, body = PartnerView), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerView>> {
    auth.require_partner_access(&id, "партнёр")?;
    let p = state
        .service
        .store
        .partner(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("партнёр не найден"))?;
    Ok(Json(
        view(&state, p, auth.user.sees_money(), state.clock.now()).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct LedgerEntryView {
    pub seminar: String,
    /// Penalty code or `organizer`; for bonus entries `compensation`.
    pub reason: String,
    pub points: Option<i64>,
    pub amount: Option<String>,
    pub booked_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub active: bool,
    /// Points entries: the vendor product they count for (`main`; item programs `site`, `b24`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerView {
    pub partner: String,
    pub points_active: i64,
    pub points: Vec<LedgerEntryView>,
    /// Points entries in all (the page may show fewer).
    pub points_total: i64,
    /// Absent for users who may not see money.
    pub bonus_active: Option<String>,
    pub bonus: Option<Vec<LedgerEntryView>>,
    /// Bonus credits in all; absent for users who may not see money.
    pub bonus_total: Option<i64>,
}

/// Paging of both ledgers (each newest first); without either, every entry.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LedgerFilter {
    /// Page number from 1, of each ledger.
    pub page: Option<usize>,
    /// Entries per page of each ledger, 1–500 (default 100 when `page` is given).
    pub per_page: Option<usize>,
}

/// Points and bonus ledgers with expiry dates.
#[utoipa::path(get, path = "/api/partners/{id}/ledger", tag = "partners", params(("id" = String, Path), LedgerFilter), responses((status = 200, body = LedgerView), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn ledger(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppQuery(f): AppQuery<LedgerFilter>,
) -> ApiResult<Json<LedgerView>> {
    auth.require_partner_access(&id, "партнёр")?;
    let page = match (f.page, f.per_page) {
        (None, None) => Page::default(),
        (page, per) => PageSpec::new(page, per, 100, 500)?.store_page(),
    };
    let store = &state.service.store;
    if store.partner(&id).await?.is_none() {
        return Err(ApiError::not_found("партнёр не найден"));
    }
    let now = state.clock.now();
    let (points, points_total) = store.points_page(&id, page).await?;
    let points = points
        .into_iter()
        .map(|e| LedgerEntryView {
            active: e.booked_at <= now && e.expires_at > now,
            seminar: e.seminar,
            reason: e.reason,
            points: Some(e.points),
            amount: None,
            booked_at: e.booked_at,
            expires_at: e.expires_at,
            product: Some(e.product),
        })
        .collect();
    let money = auth.user.sees_money();
    let (bonus, bonus_total) = if money {
        let (rows, total) = store.bonus_page(&id, page).await?;
        let rows = rows
            .into_iter()
            .map(|e| LedgerEntryView {
                active: e.booked_at <= now && e.expires_at > now,
                seminar: e.seminar,
                reason: "compensation".into(),
                points: None,
                amount: Some(e.amount.to_string()),
                booked_at: e.booked_at,
                expires_at: e.expires_at,
                product: None,
            })
            .collect();
        (Some(rows), Some(total))
    } else {
        (None, None)
    };
    Ok(Json(LedgerView {
        points_active: store.points_balance(&id, now).await?,
        bonus_active: if money {
            Some(store.bonus_balance(&id, now).await?.to_string())
        } else {
            None
        },
        partner: id,
        points,
        points_total,
        bonus,
        bonus_total,
    }))
}
