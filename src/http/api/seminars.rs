//! Seminars: lists and the stage timeline, every command of coordinators and partners, versions
//! with uploaded files, downloads, penalties and the audit history.

use super::files::{save_upload, UploadedFile};
use crate::http::auth::Auth;
use crate::http::commands::{
    self, loose, CoOrganizerInput, CommandResult, Decision, EstimateLineInput, ItemReportInput,
    ReportInput, ReturnRequest, SubmitRequest, ViolationRequest,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::listing::{self, Columns, PageSpec};
use crate::http::views::{penalty_view, seminar_view, PenaltyView, SeminarView};
use crate::http::{AppJson, AppQuery, AppState, OptionalJson};
use crate::storage::{Order, Page, PenaltyOrder, PenaltyQuery, SeminarOrder, SeminarQuery};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub use crate::http::commands::{run_command, visible_seminar};

pub async fn seminar_response(
    state: &AppState,
    auth: &Auth,
    id: &str,
) -> ApiResult<Json<SeminarView>> {
    let s = visible_seminar(state, auth, id).await?;
    let p = super::programs::program(state, &s.program)?;
    Ok(Json(seminar_view(p, &s, &auth.user, state.clock.now())))
}

#[derive(Deserialize, IntoParams, Clone, Default)]
#[into_params(parameter_in = Query)]
pub struct SeminarFilter {
    pub program: Option<String>,
    pub partner: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    /// Coordinator user id assigned to the partner.
    pub coordinator: Option<String>,
    /// Search: part of the seminar id, the city or the partner's id or name, any case.
    pub q: Option<String>,
    /// Order: `created` (default), `date`, `city`, `partner`, `state`, `deadline`; `-date` for
    /// descending. Offset paging (`page`) only.
    pub sort: Option<String>,
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
    /// Pages in all at this `per_page`.
    pub pages: usize,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<i64>,
}

/// The columns `/api/seminars` (and the pages' seminar lists) sort by.
pub const SEMINAR_SORT: Columns<SeminarOrder> = &[
    ("created", SeminarOrder::Created),
    ("date", SeminarOrder::Date),
    ("city", SeminarOrder::City),
    ("partner", SeminarOrder::Partner),
    ("state", SeminarOrder::State),
    ("deadline", SeminarOrder::Deadline),
];

/// Seminars the caller may see, searched (`q`), filtered, sorted (`sort`, creation order by
/// default) and paged in SQL (`page` from 1 or `cursor`, `per_page`/`limit` up to 200), with
/// the total. A bad `page`, `per_page`, `sort` or `q` is a 422 naming the parameter.
#[utoipa::path(get, path = "/api/seminars", tag = "seminars", params(SeminarFilter), responses((status = 200, body = SeminarPage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<SeminarFilter>,
) -> ApiResult<Json<SeminarPage>> {
    let spec = PageSpec::new(f.page, f.limit.or(f.per_page), 50, 200)?;
    let (page, per_page) = (spec.page, spec.per_page);
    let order = match f.sort.as_deref() {
        None => None,
        sort => Some(listing::sort(sort, SEMINAR_SORT, CREATED)?),
    };
    if order.is_some() && f.cursor.is_some() {
        return Err(ApiError::field(
            "cursor",
            "курсор листает только порядок по умолчанию; с sort используйте page",
        ));
    }
    let states = filter_states(f.state.as_deref())?;
    let Some(partner) = visible_partner(&auth, f.partner.clone()) else {
        return Ok(Json(SeminarPage {
            items: vec![],
            total: 0,
            page,
            per_page,
            pages: 1,
            next_cursor: None,
        }));
    };
    let mut q = SeminarQuery {
        program: f.program.clone(),
        partner,
        coordinator: f.coordinator.clone(),
        cities: f.city.clone().map(|c| vec![c]),
        states,
        search: listing::search(f.q.as_deref())?,
        order,
        ..SeminarQuery::default()
    };
    let store = &state.service.store;
    let total = store.count_seminars(&q).await? as usize;
    q.page = Page {
        after: f.cursor,
        offset: if f.cursor.is_some() {
            0
        } else {
            spec.store_page().offset
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
        pages: spec.pages(total),
        next_cursor,
    }))
}

const CREATED: Order<SeminarOrder> = Order {
    by: SeminarOrder::Created,
    desc: false,
};

/// The `state` filter: none, or one known state.
fn filter_states(state: Option<&str>) -> ApiResult<Vec<crate::domain::SeminarState>> {
    match state {
        None => Ok(vec![]),
        Some(st) => match crate::domain::SeminarState::parse(st) {
            Some(x) => Ok(vec![x]),
            None => Err(ApiError::bad(format!(
                "state: неизвестное состояние «{st}»"
            ))),
        },
    }
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

/// Answers a command that ran with the seminar as it is now.
async fn after(
    state: &AppState,
    auth: &Auth,
    id: &str,
    r: CommandResult<impl Sized>,
) -> ApiResult<Json<SeminarView>> {
    r?;
    seminar_response(state, auth, id).await
}

/// Approves an application (the engine checks the city and week are free).
#[utoipa::path(post, path = "/api/seminars/{id}/approve-application", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = SeminarView), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn approve_application(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SeminarView>> {
    let r = commands::decide_application(&state, &auth, &id, Some(Decision::Approve)).await;
    after(&state, &auth, &id, r).await
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
    let decision = Decision::Reject {
        comment: body.comment,
    };
    let r = commands::decide_application(&state, &auth, &id, Some(decision)).await;
    after(&state, &auth, &id, r).await
}

/// Report figures: numbers as JSON numbers or strings, read by the same parsers as the form.
#[derive(Deserialize, ToSchema, Default)]
pub struct ReportBody {
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = u32)]
    pub attendees: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = u32)]
    pub registrations: Option<String>,
    /// Documented costs, RUB (`"48000"` or `"48000.50"`).
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = String)]
    pub costs: Option<String>,
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<u32>)]
    pub third_party_companies: Option<String>,
    /// No longer taken (422): the estimate the coordinator approved at the estimate stage
    /// limits the compensation.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<String>)]
    pub estimate: Option<String>,
    /// Other partners who co-organized the seminar, each with its part of `costs`: the
    /// compensation is split in proportion to documented costs (JSON only).
    #[serde(default)]
    pub co_organizers: Vec<CoOrganizerBody>,
    /// The partner who gave the vendor-product talks, when a co-organizer did: it gets the points.
    #[serde(default)]
    pub vendor_talks_by: Option<String>,
    /// Item programs: evidence given, as the kind's `report_requires` names it
    /// (`["photos", "announcement_link"]`).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Item programs: the fields the program's reductions read, counts or flags
    /// (`{"paid": false, "other_vendors": 1}`); a field not given never reduces.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, crate::domain::items::brackets::Input>,
    /// Item programs: documented cost of template leaflets, RUB.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<String>)]
    pub materials_costs: Option<String>,
    /// Item programs: the product ledger of a mixed-topic event (`site`, `b24`).
    #[serde(default)]
    pub ledger: Option<String>,
    /// Item programs, co-organized events: the partners (lead or co-organizers) who gave the
    /// vendor-product talks; the points are split among them equally (E§4.14).
    #[serde(default)]
    pub speakers: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CoOrganizerBody {
    /// Partner id.
    pub partner: String,
    /// Documented costs of this partner, RUB.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = String)]
    pub costs: Option<String>,
}

impl From<ReportBody> for ReportInput {
    fn from(r: ReportBody) -> Self {
        ReportInput {
            attendees: r.attendees,
            registrations: r.registrations,
            costs: r.costs,
            third_party_companies: r.third_party_companies,
            estimate: r.estimate,
            co_organizers: r
                .co_organizers
                .into_iter()
                .map(|c| CoOrganizerInput {
                    partner: c.partner,
                    costs: c.costs,
                })
                .collect(),
            vendor_talks_by: r.vendor_talks_by,
            item: ItemReportInput {
                evidence: r.evidence,
                inputs: r.inputs,
                materials_costs: r.materials_costs,
                ledger: r.ledger,
                speakers: r.speakers,
            },
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct SubmitBody {
    pub comment: Option<String>,
    /// Links (e.g. the landing page URL) submitted with the version.
    #[serde(default)]
    pub links: Vec<String>,
    /// Report figures, for the report stage.
    pub report: Option<ReportBody>,
    /// The estimate stage's lines (required for that stage): each with a category id of the
    /// program's `[estimate]` section, a description and an amount in RUB.
    #[serde(default)]
    pub estimate: Vec<EstimateLineBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct EstimateLineBody {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// RUB (`"12000"` or `12000.50`).
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = String)]
    pub amount: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmitResponse {
    pub seminar: SeminarView,
    pub files: Vec<UploadedFile>,
}

/// Submits a new version of a stage: JSON (`comment`, `links`, `report`) or multipart/form-data
/// with `file` parts plus the same fields (`report` figures as fields `attendees`, `registrations`,
/// `costs`, `third_party_companies`; estimate lines as `estimate_<row>_category`,
/// `estimate_<row>_description`, `estimate_<row>_amount`, rows from 1).
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/versions", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = SubmitBody,
    responses((status = 200, body = SubmitResponse), (status = 409, body = crate::http::error::ErrorBody), (status = 413, body = crate::http::error::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Json<SubmitResponse>> {
    let s = commands::authorize_submit(&state, &auth, &id).await?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let body = if is_multipart {
        multipart_submission(&state, req, &auth.actor()).await?
    } else {
        let AppJson(b) = AppJson::<SubmitBody>::from_request(req, &state).await?;
        SubmitRequest {
            comment: b.comment,
            links: b.links,
            report: b.report.map(ReportInput::from).unwrap_or_default(),
            estimate: b
                .estimate
                .into_iter()
                .enumerate()
                .map(|(i, l)| EstimateLineInput {
                    index: u16::try_from(i).unwrap_or(u16::MAX),
                    category: l.category,
                    description: l.description,
                    amount: l.amount,
                })
                .collect(),
            ..SubmitRequest::default()
        }
    };
    let files = body.files.clone();
    commands::submit_version(&state, &auth, &s, &stage, body).await?;
    let Json(seminar) = seminar_response(&state, &auth, &id).await?;
    Ok(Json(SubmitResponse { seminar, files }))
}

/// Reads a multipart submission, storing its files as they stream in; a failure discards the
/// files stored so far.
async fn multipart_submission(
    state: &AppState,
    req: Request,
    actor: &str,
) -> ApiResult<SubmitRequest> {
    let mut body = SubmitRequest::default();
    let read = read_multipart(state, req, &mut body, actor).await;
    if read.is_err() {
        for f in body.files.iter().chain(body.attendee_list.iter()) {
            super::files::discard_if_unreferenced(state, &f.sha256, actor).await;
        }
    }
    read.map(|()| body)
}

async fn read_multipart(
    state: &AppState,
    req: Request,
    body: &mut SubmitRequest,
    actor: &str,
) -> ApiResult<()> {
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::bad(format!("multipart: {}", e.body_text())))?;
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| super::files::multipart_error("запрос", e))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "attendee_list" && field.file_name().is_some() {
            body.attendee_list = Some(save_upload(state, field, actor).await?);
            continue;
        }
        if field.file_name().is_some() || name == "file" {
            body.files.push(save_upload(state, field, actor).await?);
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|e| super::files::multipart_error(&format!("поле {name}"), e))?;
        if name == "link" || name == "links" {
            body.links.push(text);
        } else {
            fields.insert(name, text);
        }
    }
    body.comment = fields.remove("comment");
    body.estimate = commands::estimate_lines_from_fields(&fields);
    body.report = ReportInput {
        attendees: fields.remove("attendees"),
        registrations: fields.remove("registrations"),
        costs: fields.remove("costs"),
        third_party_companies: fields.remove("third_party_companies"),
        estimate: fields.remove("estimate"),
        ..ReportInput::default()
    };
    Ok(())
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReturnBody {
    pub comment: Option<String>,
    /// New due date for the re-submission (inclusive, `2017-02-17` or `17.02.2017`, today or
    /// later); without it the stage's own deadline.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<String>,
}

/// Returns the stage's waiting version for rework, with a comment (required) for the partner.
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/return", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = ReturnBody, responses((status = 200, body = SeminarView), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn return_stage(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    OptionalJson(b): OptionalJson<ReturnBody>,
) -> ApiResult<Json<SeminarView>> {
    let req = ReturnRequest {
        comment: b.comment,
        due: b.due,
    };
    let r = commands::return_stage(&state, &auth, &id, &stage, req).await;
    after(&state, &auth, &id, r).await
}

/// Approves the stage's waiting version (for the report stage: accepts the report).
#[utoipa::path(post, path = "/api/seminars/{id}/stages/{stage}/approve", tag = "seminars", params(("id" = String, Path), ("stage" = String, Path)), request_body = CommentBody, responses((status = 200, body = SeminarView)))]
pub async fn approve_stage(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, stage)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<CommentBody>,
) -> ApiResult<Json<SeminarView>> {
    let r = commands::approve_stage(&state, &auth, &id, &stage, body.comment).await;
    after(&state, &auth, &id, r).await
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
    let r = commands::change_venue(&state, &auth, &id, Some(b.venue)).await;
    after(&state, &auth, &id, r).await
}

#[derive(Deserialize, ToSchema)]
pub struct ViolationBody {
    pub code: String,
    /// How many items (1–100, default 1); more than 1 only for a repeatable violation.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<u32>)]
    pub count: Option<String>,
    /// For violations that void an item's cost: RUB per item.
    #[serde(default, deserialize_with = "loose")]
    #[schema(value_type = Option<String>)]
    pub cost: Option<String>,
    /// What and where (required): the partner sees it as the penalty's reason.
    pub note: Option<String>,
}

/// Records a manual violation from the program's catalogue.
#[utoipa::path(post, path = "/api/seminars/{id}/violations", tag = "seminars", params(("id" = String, Path)), request_body = ViolationBody, responses((status = 200, body = SeminarView), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn violation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(b): AppJson<ViolationBody>,
) -> ApiResult<Json<SeminarView>> {
    let req = ViolationRequest {
        code: Some(b.code),
        count: b.count,
        cost: b.cost,
        note: b.note,
    };
    let r = commands::record_violation(&state, &auth, &id, req).await;
    after(&state, &auth, &id, r).await
}

/// Withdraws the seminar: the partner's own decision (a user with full rights); after the
/// program's free date the partner is flagged `late_withdrawal`.
#[utoipa::path(post, path = "/api/seminars/{id}/withdraw", tag = "seminars", params(("id" = String, Path)), responses((status = 200, body = SeminarView), (status = 403, body = crate::http::error::ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<SeminarView>> {
    let r = commands::withdraw(&state, &auth, &id, true).await;
    after(&state, &auth, &id, r).await
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
    let r = commands::accept_report(&state, &auth, &id, body.comment).await;
    after(&state, &auth, &id, r).await
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
    visible_seminar(&state, &auth, &id).await?;
    // The history shows amounts: not for limited-rights partner users.
    if auth.user.rights == Some(crate::accounts::Rights::Limited) {
        return Err(ApiError::forbidden(
            "история семинара доступна пользователю партнёра с полными правами",
        ));
    }
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

#[derive(Deserialize, IntoParams, Clone, Default)]
#[into_params(parameter_in = Query)]
pub struct PenaltyFilter {
    pub program: Option<String>,
    pub partner: Option<String>,
    pub seminar: Option<String>,
    pub code: Option<String>,
    /// Search: part of the seminar id, the penalty code or the partner's id or name.
    pub q: Option<String>,
    /// Order: `booked` (booking order), `at`, `points`, `seminar`; `-at` for descending
    /// (newest booking first without it). Offset paging (`page`) only.
    pub sort: Option<String>,
    /// Page number from 1 (offset paging instead of `cursor`).
    pub page: Option<usize>,
    /// Rows per page, 1–1000 (default 200).
    pub limit: Option<usize>,
    /// Same as `limit` (the name the seminar list uses).
    pub per_page: Option<usize>,
    /// Keyset paging: the `X-Next-Cursor` header of the previous page.
    pub cursor: Option<i64>,
}

/// The columns `/api/penalties` (and the pages' penalty lists) sort by.
pub const PENALTY_SORT: Columns<PenaltyOrder> = &[
    ("booked", PenaltyOrder::Booked),
    ("at", PenaltyOrder::At),
    ("points", PenaltyOrder::Points),
    ("seminar", PenaltyOrder::Seminar),
];

/// Booked penalties with their reasons, newest first (or by `sort`), searched (`q`), filtered
/// and paged in SQL; `X-Total-Count` holds how many match, and when more rows follow in the
/// default order, the `X-Next-Cursor` response header holds the `cursor` of the next page.
#[utoipa::path(get, path = "/api/penalties", tag = "seminars", params(PenaltyFilter), responses((status = 200, body = [PenaltyView], headers(("X-Next-Cursor" = i64, description = "cursor of the next page, when there is one"), ("X-Total-Count" = i64, description = "penalties matching the filter")))))]
pub async fn penalties(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<PenaltyFilter>,
) -> ApiResult<Response> {
    let (out, next) = penalty_page(&state, &auth, &f).await?;
    let total = match penalty_query(&auth, &f)? {
        Some(q) => state.service.store.count_penalties(&q).await?,
        None => 0,
    };
    let mut resp = Json(out).into_response();
    let h = resp.headers_mut();
    h.insert("x-total-count", header::HeaderValue::from(total));
    if let Some(c) = next {
        h.insert("x-next-cursor", header::HeaderValue::from(c));
    }
    Ok(resp)
}

/// What `f` asks of the store (without the page), `None` when the caller may see nothing of it.
pub fn penalty_query(auth: &Auth, f: &PenaltyFilter) -> ApiResult<Option<PenaltyQuery>> {
    let order = match f.sort.as_deref() {
        None => None,
        sort => Some(listing::sort(sort, PENALTY_SORT, NEWEST)?),
    };
    if f.cursor.is_some() && (order.is_some() || f.page.is_some()) {
        return Err(ApiError::field(
            "cursor",
            "курсор листает только порядок по умолчанию; с sort или page он не нужен",
        ));
    }
    let search = listing::search(f.q.as_deref())?;
    let Some(partner) = visible_partner(auth, f.partner.clone()) else {
        return Ok(None);
    };
    Ok(Some(PenaltyQuery {
        program: f.program.clone(),
        partner,
        seminar: f.seminar.clone(),
        code: f.code.clone(),
        since: None,
        search,
        order,
        page: Page::default(),
    }))
}

const NEWEST: Order<PenaltyOrder> = Order {
    by: PenaltyOrder::Booked,
    desc: true,
};

/// One page of `/api/penalties` and the cursor of the next page (shared with the XLSX export).
pub async fn penalty_page(
    state: &AppState,
    auth: &Auth,
    f: &PenaltyFilter,
) -> ApiResult<(Vec<PenaltyView>, Option<i64>)> {
    let spec = PageSpec::new(f.page, f.limit.or(f.per_page), 200, 1000)?;
    let limit = spec.per_page;
    let Some(mut q) = penalty_query(auth, f)? else {
        return Ok((Vec::new(), None));
    };
    q.page = Page {
        after: f.cursor,
        offset: spec.store_page().offset,
        limit: Some(limit as i64 + 1),
    };
    let mut rows = state.service.store.find_penalties(&q).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    // A cursor continues only the default order; a sorted list pages by number.
    let next = if more && q.order.is_none() {
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
    Ok((out, next))
}
