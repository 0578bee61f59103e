//! Events of item programs over JSON: announce, approve with agreed amounts, reject with the
//! file's code, the event's detail (promotion window, shown today, bracket, points and
//! compensation), the coordinator's queue across every program, the calendar of upcoming events
//! and a partner's history. Promo materials and the report use the stage routes of
//! `api::seminars` (`/stages/{stage}/versions`, `/approve`, `/accept-report`).

use super::event_view::{event_detail, EventDetail};
use crate::domain::deadline::local_date;
use crate::domain::{Program, Seminar, SeminarState};
use crate::http::auth::Auth;
use crate::http::commands::{self, EventDecision, EventRequest};
use crate::http::error::ApiResult;
use crate::http::{AppJson, AppQuery, AppState, OptionalJson};
use crate::storage::{Page, SeminarQuery};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An event announcement.
#[derive(Deserialize, ToSchema, Default)]
pub struct EventBody {
    /// Staff name the partner; a partner user announces for its own company.
    pub partner: Option<String>,
    /// A `[[kinds]]` id of the program (`seminar`, `webinar` …).
    pub kind: Option<String>,
    /// A topic of the kind; absent: the kind's first topic.
    pub topic: Option<String>,
    /// `2017-06-20` or `20.06.2017`.
    pub date: Option<String>,
    /// Last day of a multi-day event (exhibitions, talks).
    pub end_date: Option<String>,
    /// The city (kinds with `city = "required"`); leave empty with `online`.
    pub city: Option<String>,
    #[serde(default)]
    pub online: bool,
    /// Leaflets: `none`, `send` (the vendor sends them) or `print`.
    pub materials: Option<String>,
    /// Ask for the vendor's information support (absent: the kind's default).
    pub info_support: Option<bool>,
    /// An `[audiences]` key; absent: the file's default.
    pub audience: Option<String>,
    /// Other partners organizing the event (ids).
    #[serde(default)]
    pub co_organizers: Vec<String>,
}

pub(crate) fn event_request(b: EventBody) -> EventRequest {
    EventRequest {
        partner: b.partner,
        kind: b.kind,
        topic: b.topic,
        date: b.date,
        end_date: b.end_date,
        city: b.city,
        online: b.online,
        materials: b.materials,
        info_support: b.info_support,
        audience: b.audience,
        co_organizers: b.co_organizers,
    }
}

async fn event_response(state: &AppState, auth: &Auth, id: &str) -> ApiResult<Json<EventDetail>> {
    let s = commands::visible_seminar(state, auth, id).await?;
    let p = super::programs::program(state, &s.program)?;
    Ok(Json(event_detail(p, &s, &auth.user, state.clock.now())))
}

/// Announces an event of an item program; the engine's refusals keep the file's codes (422).
#[utoipa::path(post, path = "/api/programs/{id}/events", tag = "events", params(("id" = String, Path)), request_body = EventBody, responses((status = 201, body = EventDetail), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn announce(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(body): AppJson<EventBody>,
) -> ApiResult<(StatusCode, Json<EventDetail>)> {
    let seminar = commands::announce(&state, &auth, &id, event_request(body)).await?;
    Ok((
        StatusCode::CREATED,
        event_response(&state, &auth, &seminar).await?,
    ))
}

/// An event with its promotion window, whether it is shown today, and the award.
#[utoipa::path(get, path = "/api/seminars/{id}/event", tag = "events", params(("id" = String, Path)), responses((status = 200, body = EventDetail), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<EventDetail>> {
    event_response(&state, &auth, &id).await
}

/// What the coordinator agrees to; amounts in RUB as numbers or text.
#[derive(Deserialize, ToSchema, Default)]
pub struct ApproveEventBody {
    #[serde(default, deserialize_with = "commands::loose")]
    #[schema(value_type = Option<String>)]
    pub estimate: Option<String>,
    #[serde(default, deserialize_with = "commands::loose")]
    #[schema(value_type = Option<String>)]
    pub materials_cost: Option<String>,
    #[serde(default, deserialize_with = "commands::loose")]
    #[schema(value_type = Option<String>)]
    pub compensation: Option<String>,
    pub info_support: Option<bool>,
    /// A `[[support_refusals]]` code of the program (e.g. `technical_audience`): information
    /// support is refused for this reason and booked as a consequence.
    pub code: Option<String>,
}

/// Approves an event application with the agreed amounts.
#[utoipa::path(post, path = "/api/seminars/{id}/approve-event", tag = "events", params(("id" = String, Path)), request_body = ApproveEventBody, responses((status = 200, body = EventDetail), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OptionalJson(b): OptionalJson<ApproveEventBody>,
) -> ApiResult<Json<EventDetail>> {
    let d = EventDecision::Approve {
        estimate: b.estimate,
        materials_cost: b.materials_cost,
        compensation: b.compensation,
        info_support: b.info_support,
        support_refusal: b.code,
    };
    commands::decide_event(&state, &auth, &id, d).await?;
    event_response(&state, &auth, &id).await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RejectEventBody {
    /// A `[[rejections]]` code of the program.
    pub code: Option<String>,
    pub comment: Option<String>,
}

/// Rejects an event application with a code of the program's `[[rejections]]`.
#[utoipa::path(post, path = "/api/seminars/{id}/reject-event", tag = "events", params(("id" = String, Path)), request_body = RejectEventBody, responses((status = 200, body = EventDetail), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(b): AppJson<RejectEventBody>,
) -> ApiResult<Json<EventDetail>> {
    let d = EventDecision::Reject {
        code: b.code,
        comment: b.comment,
    };
    commands::decide_event(&state, &auth, &id, d).await?;
    event_response(&state, &auth, &id).await
}

/// One row of the queue across programs.
#[derive(Serialize, ToSchema, Clone)]
pub struct QueueRow {
    /// `application` or a stage id (`promo`, `report`, `estimate` …).
    pub what: String,
    /// «Заявка» or the stage's name.
    pub what_label: String,
    pub seminar: String,
    pub program: String,
    pub program_name: String,
    pub partner: String,
    /// The kind's name for an event, «Семинар» for a flagship seminar.
    pub kind_name: String,
    pub city: String,
    pub date: NaiveDate,
    /// The version's or the application's arrival.
    pub since: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// Only this program (all programs when absent).
    pub program: Option<String>,
}

/// The kind's name of an item, or the program's item title for a flagship seminar.
pub fn kind_name(p: &Program, s: &Seminar) -> String {
    p.wf.kinds
        .iter()
        .find(|k| k.id == s.item.kind)
        .map(|k| k.name.clone())
        .unwrap_or_else(|| "Семинар".into())
}

/// Applications and submissions waiting for a coordinator, in every program (or one), oldest
/// first.
pub async fn queue_rows(state: &AppState, program: Option<String>) -> ApiResult<Vec<QueueRow>> {
    let mut rows = vec![];
    let apps = SeminarQuery {
        program: program.clone(),
        states: vec![SeminarState::Applied],
        page: Page::first(500),
        ..SeminarQuery::default()
    };
    let waiting = SeminarQuery {
        program,
        awaiting_review: true,
        page: Page::first(500),
        ..SeminarQuery::default()
    };
    for (_, s) in state.service.store.find_seminars(&apps).await? {
        let Ok(p) = super::programs::program(state, &s.program) else {
            continue;
        };
        rows.push(row(p, &s, "application", "Заявка".into(), s.applied_at));
    }
    for (_, s) in state.service.store.find_seminars(&waiting).await? {
        let Ok(p) = super::programs::program(state, &s.program) else {
            continue;
        };
        for (stage, progress) in &s.stages {
            if progress.status != crate::domain::StageStatus::Submitted {
                continue;
            }
            let name =
                p.wf.stage(stage)
                    .map(|st| st.name.clone())
                    .unwrap_or_default();
            let since = progress
                .versions
                .last()
                .map(|v| v.submitted_at)
                .unwrap_or(s.applied_at);
            rows.push(row(p, &s, stage, name, since));
        }
    }
    rows.sort_by(|a, b| a.since.cmp(&b.since).then(a.seminar.cmp(&b.seminar)));
    Ok(rows)
}

fn row(
    p: &Program,
    s: &Seminar,
    what: &str,
    label: String,
    since: chrono::DateTime<chrono::Utc>,
) -> QueueRow {
    QueueRow {
        what: what.into(),
        what_label: label,
        seminar: s.id.clone(),
        program: s.program.clone(),
        program_name: p.wf.name.clone(),
        partner: s.partner.clone(),
        kind_name: kind_name(p, s),
        city: s.city.clone(),
        date: s.date,
        since,
    }
}

/// Coordinator: applications and submissions waiting, across programs, oldest first.
#[utoipa::path(get, path = "/api/queue", tag = "events", params(QueueFilter), responses((status = 200, body = Vec<QueueRow>), (status = 403, body = crate::http::error::ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<QueueFilter>,
) -> ApiResult<Json<Vec<QueueRow>>> {
    auth.require_staff()?;
    if let Some(p) = &f.program {
        super::programs::program(&state, p)?;
    }
    Ok(Json(queue_rows(&state, f.program).await?))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CalendarFilter {
    /// First day (default: today).
    pub from: Option<NaiveDate>,
    /// Last day (default: 60 days after `from`).
    pub to: Option<NaiveDate>,
    /// A partner's events only (a partner user sees its own).
    pub partner: Option<String>,
}

/// Events approved or applied for, of every item program, in `[from, to]`, by date.
pub async fn calendar_rows(
    state: &AppState,
    from: NaiveDate,
    to: NaiveDate,
    partner: Option<String>,
    viewer: &crate::accounts::User,
) -> ApiResult<Vec<EventDetail>> {
    let q = SeminarQuery {
        partner,
        date_from: Some(from),
        date_to: Some(to),
        by_date: true,
        page: Page::first(500),
        ..SeminarQuery::default()
    };
    let now = state.clock.now();
    let mut out = vec![];
    for (_, s) in state.service.store.find_seminars(&q).await? {
        if s.item.is_flagship() || (!s.state.is_active() && s.state != SeminarState::Applied) {
            continue;
        }
        if let Ok(p) = super::programs::program(state, &s.program) {
            out.push(event_detail(p, &s, viewer, now));
        }
    }
    Ok(out)
}

/// Today in the programs' zones (the earliest of their dates; UTC without programs).
pub fn today(state: &AppState) -> NaiveDate {
    let now = state.clock.now();
    state
        .service
        .programs()
        .map(|p| local_date(p.tz, now))
        .min()
        .unwrap_or_else(|| now.date_naive())
}

/// Upcoming events of every item program (a partner sees its own).
#[utoipa::path(get, path = "/api/calendar", tag = "events", params(CalendarFilter), responses((status = 200, body = Vec<EventDetail>)))]
pub async fn calendar(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(f): AppQuery<CalendarFilter>,
) -> ApiResult<Json<Vec<EventDetail>>> {
    let partner = match &auth.user.partner {
        Some(own) => Some(own.clone()),
        None => f.partner,
    };
    let today = today(&state);
    let from = f.from.unwrap_or(today);
    let to = f.to.unwrap_or(from + Duration::days(60));
    Ok(Json(
        calendar_rows(&state, from, to, partner, &auth.user).await?,
    ))
}
