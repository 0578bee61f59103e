//! `/admin/partners` (staff): partner companies with their coordinator and how many active
//! users each has (a partner without one gets no mail), adding a partner, assigning a
//! coordinator. `/admin/clock` (admins, only when the install runs on the manual clock of demo
//! and test installs): moving the business time forward.

use super::admin::require_staff;
use super::format;
use super::page::{
    check_csrf, render_status, see_other, with_done, FormData, FormState, Page, UiError, UiResult,
    Viewer,
};
use crate::accounts::Role;
use crate::domain::Program;
use crate::http::api::admin::move_clock;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::service::audit::Audit;
use crate::service::ServiceError;
use crate::storage::PartnerQuery;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::{NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct CoordinatorOpt {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct PartnerRow {
    id: String,
    name: String,
    experienced: bool,
    barred: bool,
    coordinators: Vec<CoordinatorOpt>,
    active_users: usize,
    users_href: String,
}

#[derive(Serialize)]
struct PartnersPage {
    partners: Vec<PartnerRow>,
    coordinators: Vec<CoordinatorOpt>,
    without_users: usize,
    form: FormState,
}

#[derive(Deserialize)]
pub struct DoneParams {
    done: Option<String>,
}

async fn partners_page(
    state: &AppState,
    v: &Viewer,
    form: FormState,
    status: StatusCode,
    done: Option<&str>,
) -> UiResult {
    let store = &state.service.store;
    let q = PartnerQuery {
        page: crate::storage::Page::first(2000),
        ..PartnerQuery::default()
    };
    let mut list = store.find_partners(&q, state.clock.now()).await?;
    list.sort_by(|a, b| a.partner.name.cmp(&b.partner.name));
    let people = store
        .users_by_roles(&[
            Role::Coordinator.as_str(),
            Role::Admin.as_str(),
            Role::Partner.as_str(),
        ])
        .await?;
    let mut active: BTreeMap<&str, usize> = BTreeMap::new();
    for u in people
        .iter()
        .filter(|u| u.role == Role::Partner && !u.disabled)
    {
        if let Some(p) = &u.partner {
            *active.entry(p.as_str()).or_default() += 1;
        }
    }
    let staff: Vec<_> = people
        .iter()
        .filter(|u| u.is_staff() && !u.disabled)
        .collect();
    let options = |chosen: Option<&str>| {
        staff
            .iter()
            .map(|u| CoordinatorOpt {
                id: u.id.clone(),
                name: format!("{} ({})", u.name, u.role.label()),
                selected: chosen == Some(u.id.as_str()),
            })
            .collect::<Vec<_>>()
    };
    let partners: Vec<PartnerRow> = list
        .iter()
        .map(|p| PartnerRow {
            id: p.partner.id.clone(),
            name: p.partner.name.clone(),
            experienced: p.partner.experienced,
            barred: p.partner.barred,
            coordinators: options(p.coordinator.as_deref()),
            active_users: active.get(p.partner.id.as_str()).copied().unwrap_or(0),
            users_href: format!(
                "/admin/users?partner={}",
                super::page::encode(&p.partner.id)
            ),
        })
        .collect();
    let data = PartnersPage {
        without_users: partners.iter().filter(|p| p.active_users == 0).count(),
        coordinators: options(form.values.get("coordinator").map(String::as_str)),
        partners,
        form,
    };
    let page = Page::new("Партнёры", "/admin/partners", Some(v)).flash(done);
    Ok(render_status(state, status, page, "admin_partners", data))
}

pub async fn partners(
    State(state): State<AppState>,
    v: Viewer,
    Query(p): Query<DoneParams>,
) -> UiResult {
    require_staff(&v)?;
    partners_page(
        &state,
        &v,
        FormState::default(),
        StatusCode::OK,
        p.done.as_deref(),
    )
    .await
}

/// Adds (or renames) a partner company, with its coordinator when chosen.
pub async fn add_partner(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let get = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let f = FormState::with_values(&form);
    if get("name").is_empty() || get("id").is_empty() {
        let mut f = f;
        if get("id").is_empty() {
            f = f.field("id", "укажите код партнёра латиницей, например tula-soft");
        }
        if get("name").is_empty() {
            f = f.field("name", "укажите название компании");
        }
        return partners_page(&state, &v, f, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    }
    let actor = v.user.actor();
    let by = Audit::now(&actor);
    let coordinator = Some(get("coordinator")).filter(|c| !c.is_empty());
    let experienced = form.contains_key("experienced");
    match state
        .service
        .register_partner(by, get("id"), get("name"), experienced, coordinator)
        .await
    {
        Ok(_) => Ok(see_other(&with_done("/admin/partners", "partner_added"))),
        Err(ServiceError::BadRequest(_, m)) => {
            let field = if m.starts_with("id") {
                "id"
            } else {
                "coordinator"
            };
            partners_page(
                &state,
                &v,
                f.field(field, m),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(ServiceError::Field(field, m)) => {
            partners_page(
                &state,
                &v,
                f.field(field, m),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => Err(UiError::Api(e.into())),
    }
}

/// Assigns partner `id` a coordinator (or none: every coordinator then looks after it).
pub async fn assign(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let store = &state.service.store;
    if store.partner(&id).await?.is_none() {
        return Err(UiError::Api(ApiError::not_found("такого партнёра нет")));
    }
    let coordinator = form
        .get("coordinator")
        .map(String::as_str)
        .filter(|c| !c.is_empty());
    if let Some(c) = coordinator {
        let ok = store
            .user(c)
            .await?
            .is_some_and(|u| u.is_staff() && !u.disabled);
        if !ok {
            return Err(UiError::Api(ApiError::field(
                "coordinator",
                "такого координатора нет",
            )));
        }
    }
    let actor = v.user.actor();
    let by = Audit::now(&actor);
    state
        .service
        .assign_coordinator(by, &id, coordinator)
        .await
        .map_err(|e| UiError::Api(e.into()))?;
    Ok(see_other(&with_done("/admin/partners", "coordinator_set")))
}

#[derive(Serialize)]
struct ClockPage {
    now: String,
    value: String,
    zone: String,
    form: FormState,
}

fn zone(state: &AppState) -> chrono_tz::Tz {
    Program::shared_zone(state.service.programs()).unwrap_or(chrono_tz::UTC)
}

/// Admins, and only on the manual clock: the system clock is not ours to move.
fn require_manual_clock(state: &AppState, v: &Viewer) -> Result<(), UiError> {
    if v.user.role != Role::Admin {
        return Err(UiError::Api(ApiError::forbidden(
            "переводить часы может только администратор",
        )));
    }
    if !state.clock.is_manual() {
        return Err(UiError::Api(ApiError::not_found(
            "сервер работает по системным часам: учебные часы есть только в демонстрационной и тестовой установке",
        )));
    }
    Ok(())
}

async fn clock_page(
    state: &AppState,
    v: &Viewer,
    form: FormState,
    status: StatusCode,
    done: Option<&str>,
) -> UiResult {
    crate::server::sync_clock(state).await;
    let tz = zone(state);
    let now = state.clock.now();
    let data = ClockPage {
        now: format::instant_in(tz, now),
        value: now.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string(),
        zone: tz.name().to_string(),
        form,
    };
    let page = Page::new("Учебные часы", "/admin/clock", Some(v)).flash(done);
    Ok(render_status(state, status, page, "admin_clock", data))
}

pub async fn clock(
    State(state): State<AppState>,
    v: Viewer,
    Query(p): Query<DoneParams>,
) -> UiResult {
    require_manual_clock(&state, &v)?;
    clock_page(
        &state,
        &v,
        FormState::default(),
        StatusCode::OK,
        p.done.as_deref(),
    )
    .await
}

pub async fn set_clock(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_manual_clock(&state, &v)?;
    let f = FormState::with_values(&form);
    let raw = form.get("now").map(|s| s.trim()).unwrap_or("");
    let tz = zone(&state);
    let parsed = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| tz.from_local_datetime(&t).earliest());
    let Some(to) = parsed else {
        let f = f.field("now", "укажите дату и время, например 2017-03-01 09:00");
        return clock_page(&state, &v, f, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    match move_clock(&state, to.with_timezone(&chrono::Utc)).await {
        Ok(_) => Ok(see_other(&with_done("/admin/clock", "clock_moved"))),
        Err(ApiError::BadRequest("clock_backwards", _)) => {
            let f = f.field(
                "now",
                "часы идут только вперёд: укажите момент позже текущего",
            );
            clock_page(&state, &v, f, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => Err(UiError::Api(e)),
    }
}
