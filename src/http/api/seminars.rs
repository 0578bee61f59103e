//! Seminars: lists and the stage timeline, every command of coordinators and partners, versions
//! with uploaded files, downloads, penalties and the audit history.

use super::files::{save_upload, UploadedFile};
use crate::accounts::Rights;
use crate::domain::{CoOrganizer, Command, Kopecks, Outcome, ReportFigures, Seminar};
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::{penalty_view, seminar_view, PenaltyView, SeminarView};
use crate::http::{AppJson, AppQuery, AppState, OptionalJson};
use crate::storage::{Page, PenaltyQuery, SeminarQuery};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Runs a command at the clock's now, on behalf of the signed-in user.
pub async fn run_command(
    state: &AppState,
    auth: &Auth,
    program: &str,
    cmd: Command,
) -> ApiResult<Outcome> {
    let out = state
        .service
        .execute(program, &cmd, &auth.actor(), state.clock.now())
        .await?;
    state.wake.notify_one();
    Ok(out)
}

/// Loads a seminar the caller may see (another partner's seminar is 404).
pub async fn visible_seminar(state: &AppState, auth: &Auth, id: &str) -> ApiResult<Seminar> {
    let s = state
        .service
        .store
        .seminar(id)
        .await?
        .ok_or_else(|| ApiError::not_found("семинар не найден"))?;
    auth.require_partner_access(&s.partner, "семинар")?;
    Ok(s)
}

pub async fn seminar_response(
    state: &AppState,
    auth: &Auth,
    id: &str,
) -> ApiResult<Json<SeminarView>> {
    let s = visible_seminar(state, auth, id).await?;
    let p = super::programs::program(state, &s.program)?;
    Ok(Json(seminar_view(p, &s, &auth.user, state.clock.now())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeminarFilter {
    pub program: Option<String>,
    pub partner: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    /// Coordinator user id assigned to the partner.
    pub coordinator: Option<String>,
    /// Page number from 1 (offset paging; ignored with `cursor`).
    pub page: Option<usize>,
    /// Rows per page, 1–200 (default 50).
    pub per_page: Option<usize>,
    /// Same as `per_page` (the name the other lists use).
    pub limit: Option<usize>,
    /// Keyset paging: the `next_cursor` of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SeminarPage {
    pub items: Vec<SeminarView>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<i64>,
}

/// Seminars the caller may see, filtered, sorted (creation order) and paged in SQL (`page` from
/// 1 or `cursor`, `per_page`/`limit` up to 200).
#[utoipa::path(get, path = "/api/seminars", tag = "seminars", params(SeminarFilter), responses((status = 200, body = SeminarPage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<SeminarFilter>,
) -> ApiResult<Json<SeminarPage>> {
    let per_page = f.limit.or(f.per_page).unwrap_or(50).clamp(1, 200);
    let page = f.page.unwrap_or(1).max(1);
    let mut states = Vec::new();
    if let Some(st) = &f.state {
        match crate::domain::SeminarState::parse(st) {
            Some(x) => states.push(x),
            None => {
                return Err(ApiError::bad(format!(
                    "state: неизвестное состояние «{st}»"
                )))
            }
        }
    }
    let Some(partner) = visible_partner(&auth, f.partner.clone()) else {
        return Ok(Json(SeminarPage {
            items: vec![],
            total: 0,
            page,
            per_page,
            next_cursor: None,
        }));
    };
    let mut q = SeminarQuery {
        program: f.program.clone(),
        partner,
        coordinator: f.coordinator.clone(),
        cities: f.city.clone().map(|c| vec![c]),
        states,
        ..SeminarQuery::default()
    };
    let store = &state.service.store;
    let total = store.count_seminars(&q).await? as usize;
    q.page = Page {
        after: f.cursor,
        offset: if f.cursor.is_some() {
            0
        } else {
            ((page - 1) * per_page) as i64
        },
        limit: Some(per_page as i64 + 1),
    };
    let mut rows = store.find_seminars(&q).await?;
    let more = rows.len() > per_page;
    rows.truncate(per_page);
    let next_cursor = if more {
        rows.last().map(|(c, _)| *c)
    } else {
        None
    };
    let now = state.clock.now();
    let items = rows
        .iter()
        .filter_map(|(_, s)| {
            state
                .service
                .program(&s.program)
                .map(|p| seminar_view(p, s, &auth.user, now))
        })
        .collect();
    Ok(Json(SeminarPage {
        items,
        total,
        page,
        per_page,
        next_cursor,
    }))
}

/// The partner filter a caller may use: staff any (or none), a partner user only its own.
/// `None` when the caller asked for another partner's rows (an empty answer, not an error).
pub fn visible_partner(auth: &Auth, asked: Option<String>) -> Option<Option<String>> {
    if auth.user.is_staff() {
        return Some(asked);
    }
    let own = auth.user.partner.clone();
    match asked {
        Some(p) if Some(&p) != own.as_ref() => None,
        _ => Some(Some(own.unwrap_or_default())),
    }
}

/// One seminar with its stage timeline, versions, penalties and results.
#[utoipa::path(get, path = "/api/seminars/{id}", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = SeminarView), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SeminarView>> {
    seminar_response(&state, &auth, &id).await
}

async fn staff_command(
    state: &AppState,
    auth: &Auth,
    id: &str,
    cmd: Command,
) -> ApiResult<Json<SeminarView>> {
    auth.require_staff()?;
    let s = visible_seminar(state, auth, id).await?;
    run_command(state, auth, &s.program, cmd).await?;
    seminar_response(state, auth, id).await
}

fn require_partner_rights(auth: &Auth, s: &Seminar, allow_limited: bool) -> ApiResult<()> {
    if auth.user.is_staff() {
        return Ok(());
    }
    auth.require_partner_access(&s.partner, "семинар")?;
    if !allow_limited && auth.user.rights == Some(Rights::Limited) {
        return Err(ApiError::forbidden(
            "действие доступно пользователю партнёра с полными правами",
        ));
    }
    Ok(())
}

/// Approves an application (the engine checks the city and week are free).
#[utoipa::path(post, path = "/api/seminars/{id}/approve-application", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = SeminarView), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn approve_application(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SeminarView>> {
    staff_command(
        &state,
        &auth,
        &id,
        Command::ApproveApplication {
            seminar: id.clone(),
        },
    )
    .await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CommentBody {
    pub comment: Option<String>,
}

/// Rejects an application.
#[utoipa::path(post, path = "/api/seminars/{id}/reject-application", tag = "seminars", params(("id" = String, Path)), request_body = CommentBody, responses((status = 200, body = SeminarView)))]
pub async fn reject_application(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> ApiResult<Json<SeminarView>> {
    let comment = body.comment;
    staff_command(
        &state,
        &auth,
        &id,
        Command::RejectApplication {
            seminar: id.clone(),
            comment,
        },
    )
    .await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReportBody {
    pub attendees: u32,
    pub registrations: u32,
    /// Documented costs, RUB (`"48000"` or `"48000.50"`).
    #[schema(value_type = String)]
    pub costs: Kopecks,
    #[serde(default)]
    pub third_party_companies: u32,
    /// Approved estimate total, RUB; default = costs.
    #[schema(value_type = Option<String>)]
    pub estimate: Option<Kopecks>,
    /// Other partners who co-organized the seminar, each with its part of `costs`: the
    /// compensation is split in proportion to documented costs (JSON only).
    #[serde(default)]
    pub co_organizers: Vec<CoOrganizerBody>,
    /// The partner who gave the vendor-product talks, when a co-organizer did: it gets the points.
    #[serde(default)]
    pub vendor_talks_by: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CoOrganizerBody {
    /// Partner id.
    pub partner: String,
    /// Documented costs of this partner, RUB.
    #[schema(value_type = String)]
    pub costs: Kopecks,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct SubmitBody {
    pub comment: Option<String>,
    /// Links (e.g. the landing page URL) submitted with the version.
    #[serde(default)]
    pub links: Vec<String>,
    /// Report figures, for the report stage.
    pub report: Option<ReportBody>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmitResponse {
    pub seminar: SeminarView,
    pub files: Vec<UploadedFile>,
}

/// Submits a new version of a stage: JSON (`comment`, `links`, `report`) or multipart/form-data
/// with `file` parts plus the same fields (`report` figures as fields `attendees`, `registrations`,
/// `costs`, `third_party_companies`, `estimate`).
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/versions", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = SubmitBody,
    responses((status = 200, body = SubmitResponse), (status = 409, body = crate::http::error::ErrorBody), (status = 413, body = crate::http::error::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Json<SubmitResponse>> {
    let mut files = Vec::new();
    let result = submit_version(&state, &auth, id, stage, req, &mut files).await;
    if result.is_err() {
        // A refused submission keeps none of its uploads (unless another version has the
        // same bytes).
        for f in &files {
            super::files::discard_if_unreferenced(&state, &f.sha256, &auth.actor()).await;
        }
    }
    result
}

async fn submit_version(
    state: &AppState,
    auth: &Auth,
    id: String,
    stage: String,
    req: Request,
    files: &mut Vec<UploadedFile>,
) -> ApiResult<Json<SubmitResponse>> {
    let (state, auth) = (state.clone(), auth.clone());
    let s = visible_seminar(&state, &auth, &id).await?;
    require_partner_rights(&auth, &s, true)?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let body = if is_multipart {
        let mut mp = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::bad(format!("multipart: {}", e.body_text())))?;
        let mut b = SubmitBody::default();
        let mut fields: std::collections::BTreeMap<String, String> = Default::default();
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| super::files::multipart_error("запрос", e))?
        {
            let name = field.name().unwrap_or("").to_string();
            if field.file_name().is_some() || name == "file" {
                files.push(save_upload(&state, field, &auth.actor()).await?);
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| super::files::multipart_error(&format!("поле {name}"), e))?;
                if name == "link" || name == "links" {
                    b.links.push(text);
                } else {
                    fields.insert(name, text);
                }
            }
        }
        b.comment = fields.remove("comment");
        if fields.contains_key("attendees") || fields.contains_key("costs") {
            let num = |k: &str| -> ApiResult<u32> {
                let v = fields
                    .get(k)
                    .ok_or_else(|| ApiError::bad(format!("{k}: обязательное поле отчёта")))?;
                v.trim().parse().map_err(|_| {
                    ApiError::bad(format!("{k}: «{v}» — не целое неотрицательное число"))
                })
            };
            let money = |k: &str| -> ApiResult<Option<Kopecks>> {
                fields
                    .get(k)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| {
                        v.trim()
                            .parse::<Kopecks>()
                            .map_err(|m| ApiError::field(k, m))
                    })
                    .transpose()
            };
            b.report = Some(ReportBody {
                attendees: num("attendees")?,
                registrations: num("registrations")?,
                costs: money("costs")?
                    .ok_or_else(|| ApiError::bad("costs: обязательное поле отчёта"))?,
                third_party_companies: if fields.contains_key("third_party_companies") {
                    num("third_party_companies")?
                } else {
                    0
                },
                estimate: money("estimate")?,
                co_organizers: vec![],
                vendor_talks_by: None,
            });
        }
        b
    } else {
        let AppJson(b) = AppJson::<SubmitBody>::from_request(req, &state).await?;
        b
    };
    for l in &body.links {
        if !(l.starts_with("https://") || l.starts_with("http://")) || l.len() > 2000 {
            return Err(ApiError::bad(format!(
                "ссылка «{l}» должна начинаться с http:// или https://"
            )));
        }
    }
    if let Some(r) = &body.report {
        for c in &r.co_organizers {
            if state.service.store.partner(&c.partner).await?.is_none() {
                return Err(ApiError::field(
                    "co_organizers",
                    format!("партнёр «{}» не найден", c.partner),
                ));
            }
        }
    }
    let report = body.report.map(|r| ReportFigures {
        attendees: r.attendees,
        registrations: r.registrations,
        costs: r.costs,
        third_party_companies: r.third_party_companies,
        estimate: r.estimate.unwrap_or(r.costs),
        co_organizers: r
            .co_organizers
            .into_iter()
            .map(|c| CoOrganizer {
                partner: c.partner,
                costs: c.costs,
            })
            .collect(),
        vendor_talks_by: r.vendor_talks_by,
    });
    let mut refs: Vec<String> = files
        .iter()
        .map(|f| format!("{}:{}", f.sha256, f.name))
        .collect();
    refs.extend(body.links.iter().cloned());
    let cmd = Command::Submit {
        seminar: id.clone(),
        stage,
        report,
        files: refs,
        comment: body.comment,
    };
    run_command(&state, &auth, &s.program, cmd).await?;
    let Json(seminar) = seminar_response(&state, &auth, &id).await?;
    Ok(Json(SubmitResponse {
        seminar,
        files: files.clone(),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReturnBody {
    pub comment: Option<String>,
    /// New due date for the re-submission (inclusive); without it the stage's own deadline.
    pub due: Option<NaiveDate>,
}

/// Returns the stage's waiting version for rework.
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/return", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = ReturnBody, responses((status = 200, body = SeminarView)))]
pub async fn return_stage(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    OptionalJson(b): OptionalJson<ReturnBody>,
) -> ApiResult<Json<SeminarView>> {
    if let (Some(due), Some(s)) = (b.due, state.service.store.seminar(&id).await?) {
        // The engine accepts any date (a scenario may need it); people get a guard against typos.
        if let Some(p) = state.service.program(&s.program) {
            if due < crate::domain::deadline::local_date(p.tz, state.clock.now()) {
                return Err(ApiError::BadRequest(
                    "invalid_input",
                    format!("due: новый срок {} уже прошёл", due.format("%d.%m.%Y")),
                ));
            }
        }
    }
    staff_command(
        &state,
        &auth,
        &id,
        Command::Return {
            seminar: id.clone(),
            stage,
            due: b.due,
            comment: b.comment,
        },
    )
    .await
}

/// Approves the stage's waiting version (for the report stage: accepts the report).
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/approve", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = CommentBody, responses((status = 200, body = SeminarView)))]
pub async fn approve_stage(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> ApiResult<Json<SeminarView>> {
    let comment = body.comment;
    staff_command(
        &state,
        &auth,
        &id,
        Command::Approve {
            seminar: id.clone(),
            stage,
            comment,
        },
    )
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct VenueBody {
    pub venue: String,
}

/// Changes the venue (too close to the seminar excludes it, per the program's rule).
#[utoipa::path(post, path = "/api/seminars/{id}/venue", tag = "seminars", params(("id" = String, Path)), request_body = VenueBody, responses((status = 200, body = SeminarView)))]
pub async fn change_venue(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(b): AppJson<VenueBody>,
) -> ApiResult<Json<SeminarView>> {
    let s = visible_seminar(&state, &auth, &id).await?;
    require_partner_rights(&auth, &s, false)?;
    if b.venue.trim().is_empty() {
        return Err(ApiError::bad("укажите новое место проведения"));
    }
    run_command(
        &state,
        &auth,
        &s.program,
        Command::ChangeVenue {
            seminar: id.clone(),
            venue: Some(b.venue.trim().into()),
        },
    )
    .await?;
    seminar_response(&state, &auth, &id).await
}

#[derive(Deserialize, ToSchema)]
pub struct ViolationBody {
    pub code: String,
    #[serde(default = "one")]
    pub count: u32,
    /// For violations that void an item's cost: RUB per item.
    #[schema(value_type = Option<String>)]
    pub cost: Option<Kopecks>,
    pub note: Option<String>,
}

fn one() -> u32 {
    1
}

/// Records a manual violation from the program's catalogue.
#[utoipa::path(post, path = "/api/seminars/{id}/violations", tag = "seminars", params(("id" = String, Path)), request_body = ViolationBody, responses((status = 200, body = SeminarView), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn violation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(b): AppJson<ViolationBody>,
) -> ApiResult<Json<SeminarView>> {
    staff_command(
        &state,
        &auth,
        &id,
        Command::Violation {
            seminar: id.clone(),
            code: b.code,
            count: b.count,
            cost: b.cost,
            note: b.note,
        },
    )
    .await
}

/// Withdraws the seminar (after the program's free date the partner is flagged `late_withdrawal`).
#[utoipa::path(post, path = "/api/seminars/{id}/withdraw", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = SeminarView)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SeminarView>> {
    let s = visible_seminar(&state, &auth, &id).await?;
    require_partner_rights(&auth, &s, false)?;
    run_command(
        &state,
        &auth,
        &s.program,
        Command::Withdraw {
            seminar: id.clone(),
        },
    )
    .await?;
    seminar_response(&state, &auth, &id).await
}

/// Accepts the submitted report: points and compensation are computed and booked; an optional
/// `comment` is kept on the report's decision and sent to the partner.
#[utoipa::path(post, path = "/api/seminars/{id}/accept-report", tag = "seminars", params(("id" = String, Path)), request_body = CommentBody, responses((status = 200, body = SeminarView)))]
pub async fn accept_report(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> ApiResult<Json<SeminarView>> {
    staff_command(
        &state,
        &auth,
        &id,
        Command::AcceptReport {
            seminar: id.clone(),
            comment: body.comment,
        },
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// The event's place in the audit log (the audit list's `cursor`); absent in a seminar's
    /// own history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub seminar: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The audit history of a seminar.
#[utoipa::path(get, path = "/api/seminars/{id}/events", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = [EventView])))]
pub async fn events(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    let s = visible_seminar(&state, &auth, &id).await?;
    require_partner_rights(&auth, &s, false)?;
    let ev = state.service.store.events(Some(&id)).await?;
    Ok(Json(
        ev.into_iter()
            .map(|e| EventView {
                id: None,
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                seminar: e.seminar,
                data: e.data,
            })
            .collect(),
    ))
}

/// Downloads a file attached to one of the seminar's versions.
#[utoipa::path(get, path = "/api/seminars/{id}/files/{sha256}", tag = "seminars", params(("id" = String, Path), ("sha256" = String, Path)), responses((status = 200, description = "Содержимое файла"), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, sha)): Path<(String, String)>,
) -> ApiResult<Response> {
    let s = visible_seminar(&state, &auth, &id).await?;
    let attached = s
        .stages
        .values()
        .flat_map(|p| p.versions.iter())
        .flat_map(|v| v.files.iter())
        .find_map(|f| {
            f.split_once(':')
                .filter(|(h, _)| *h == sha)
                .map(|(_, name)| name.to_string())
        });
    let Some(name) = attached else {
        return Err(ApiError::not_found("файл не найден"));
    };
    super::files::stream(&state, &sha, &name).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PenaltyFilter {
    pub program: Option<String>,
    pub partner: Option<String>,
    pub seminar: Option<String>,
    pub code: Option<String>,
    /// Rows per page, 1–1000 (default 200).
    pub limit: Option<usize>,
    /// Keyset paging: the `X-Next-Cursor` header of the previous page.
    pub cursor: Option<i64>,
}

/// Booked penalties with their reasons, newest first, filtered and paged in SQL; when more rows
/// follow, the `X-Next-Cursor` response header holds the `cursor` of the next page.
#[utoipa::path(get, path = "/api/penalties", tag = "seminars", params(PenaltyFilter), responses((status = 200, body = [PenaltyView], headers(("X-Next-Cursor" = i64, description = "cursor of the next page, when there is one")))))]
pub async fn penalties(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<PenaltyFilter>,
) -> ApiResult<Response> {
    let limit = f.limit.unwrap_or(200).clamp(1, 1000);
    let Some(partner) = visible_partner(&auth, f.partner.clone()) else {
        return Ok(Json(Vec::<PenaltyView>::new()).into_response());
    };
    let q = PenaltyQuery {
        program: f.program.clone(),
        partner,
        seminar: f.seminar.clone(),
        code: f.code.clone(),
        since: None,
        page: Page {
            after: f.cursor,
            offset: 0,
            limit: Some(limit as i64 + 1),
        },
    };
    let mut rows = state.service.store.find_penalties(&q).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    let out: Vec<PenaltyView> = rows
        .iter()
        .filter_map(|r| {
            state
                .service
                .program(&r.program)
                .map(|p| penalty_view(p, &r.seminar, &r.penalty))
        })
        .collect();
    let mut resp = Json(out).into_response();
    if let Some(c) = next {
        resp.headers_mut().insert(
            "x-next-cursor",
            header::HeaderValue::from_str(&c.to_string()).expect("digits are a valid header"),
        );
    }
    Ok(resp)
}
