//! Programs (workflows): their dates and rules, the city × week slot grid, the review queue,
//! applying, and reviewing a week's applications.

use super::seminars::{run_command, seminar_response};
use crate::domain::review;
use crate::domain::workflow::{DeadlineRule, Priority, Round};
use crate::domain::{Command, Program, Seminar, SeminarState, StageStatus};
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::{costs, return_cost, CostView, SeminarView};
use crate::http::{AppJson, AppQuery, AppState};
use crate::storage::SeminarQuery;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ProgramSummary {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub seminar_title: String,
    pub seminars_from: NaiveDate,
    pub seminars_to: NaiveDate,
    pub applications_from: NaiveDate,
    pub applications_to: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct WeekView {
    pub id: String,
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct StageRule {
    pub id: String,
    pub name: String,
    /// Russian description of the deadline rule.
    pub deadline: String,
    pub requirements: Vec<String>,
    pub first_submission_costs: Vec<CostView>,
    pub resubmission_costs: Vec<CostView>,
}

#[derive(Serialize, ToSchema)]
pub struct ViolationRule {
    pub code: String,
    pub name: String,
    pub points: i64,
    pub repeatable: bool,
    pub effects: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgramDetail {
    #[serde(flatten)]
    pub summary: ProgramSummary,
    pub countries: Vec<String>,
    pub weeks: Vec<WeekView>,
    pub withdrawal_free_until: Option<NaiveDate>,
    pub stages: Vec<StageRule>,
    pub violations: Vec<ViolationRule>,
}

fn summary(p: &Program) -> ProgramSummary {
    let wf = &p.wf;
    ProgramSummary {
        id: wf.id.clone(),
        name: wf.name.clone(),
        vendor: wf.vendor.clone(),
        seminar_title: wf.seminar_title.clone(),
        seminars_from: wf.seminars.from,
        seminars_to: wf.seminars.to,
        applications_from: wf.applications.from,
        applications_to: wf.applications.to,
    }
}

fn deadline_text(rule: &DeadlineRule) -> String {
    let d = |d: &NaiveDate| d.format("%d.%m.%Y").to_string();
    match rule {
        DeadlineRule::None => "без срока".into(),
        DeadlineRule::Date(x) => format!("до {} включительно", d(x)),
        DeadlineRule::PerWeek(m) => m
            .iter()
            .map(|(w, x)| format!("{w}: до {}", d(x)))
            .collect::<Vec<_>>()
            .join("; "),
        DeadlineRule::WorkingDaysAfterSeminar(n) => format!("{n} рабочих дней после семинара"),
        DeadlineRule::DaysAfterSeminar(n) => format!("{n} дней после семинара"),
        DeadlineRule::MonthsAfterSeminar(n) => format!("{n} мес. после семинара"),
        DeadlineRule::DaysBeforeSeminar(n) => format!("за {n} дней до семинара"),
        DeadlineRule::WorkingDaysBeforeSeminar(n) => format!("за {n} рабочих дней до семинара"),
    }
}

pub fn program<'a>(state: &'a AppState, id: &str) -> ApiResult<&'a Program> {
    state
        .service
        .program(id)
        .filter(|p| p.wf.standing.is_none())
        .ok_or_else(|| ApiError::not_found(format!("программа «{id}» не найдена")))
}

/// Programs the server runs.
#[utoipa::path(get, path = "/api/programs", tag = "programs", responses((status = 200, body = [ProgramSummary])))]
pub async fn list(State(state): State<AppState>, _auth: Auth) -> Json<Vec<ProgramSummary>> {
    Json(state.service.programs().map(summary).collect())
}

/// One program: dates, weeks, stages with deadlines and lateness costs, the violation catalogue.
#[utoipa::path(get, path = "/api/programs/{id}", tag = "programs", params(("id" = String, Path)), responses((status = 200, body = ProgramDetail), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ProgramDetail>> {
    let p = program(&state, &id)?;
    let wf = &p.wf;
    Ok(Json(ProgramDetail {
        summary: summary(p),
        countries: wf.countries.clone(),
        weeks: wf
            .seminars
            .weeks
            .iter()
            .map(|w| WeekView {
                id: w.id.clone(),
                name: w.name.clone(),
                from: w.from,
                to: w.to,
            })
            .collect(),
        withdrawal_free_until: wf.withdrawal.free_until,
        stages: wf
            .stages
            .iter()
            .map(|s| StageRule {
                id: s.id.clone(),
                name: s.name.clone(),
                deadline: deadline_text(&s.deadline),
                requirements: s.requirements.clone(),
                first_submission_costs: costs(p, &s.id, Round::First),
                resubmission_costs: costs(p, &s.id, Round::Resubmit),
            })
            .collect(),
        violations: wf
            .penalties
            .manual
            .iter()
            .map(|m| ViolationRule {
                code: m.code.clone(),
                name: m.name.clone(),
                points: m.points,
                repeatable: m.repeatable,
                effects: m.effects.iter().map(|e| format!("{e:?}")).collect(),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SlotCell {
    pub week: String,
    /// By the program's slot rule: `taken` (no room left in the week or the city), `closed`
    /// (the city is closed to the program); else by the seminars in it: `applied`, `excluded`,
    /// `withdrawn`, or `free`.
    pub status: String,
    pub seminars: Vec<SlotSeminar>,
}

#[derive(Serialize, ToSchema)]
pub struct SlotSeminar {
    pub id: String,
    pub partner: String,
    pub date: NaiveDate,
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct CityRow {
    pub city: String,
    pub weeks: Vec<SlotCell>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SlotFilter {
    /// One city only.
    pub city: Option<String>,
    /// Cities per page, 1–500 (default 200), in alphabetical order.
    pub limit: Option<usize>,
    /// Cities to skip.
    pub offset: Option<usize>,
}

/// City × week slot occupancy (partners see cities and states, not other partners' names), a
/// page of cities at a time; `X-Total-Count` holds the number of cities.
#[utoipa::path(get, path = "/api/programs/{id}/slots", tag = "programs", params(("id" = String, Path), SlotFilter), responses((status = 200, body = [CityRow], headers(("X-Total-Count" = i64, description = "cities with seminars")))))]
pub async fn slots(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppQuery(f): AppQuery<SlotFilter>,
) -> ApiResult<Response> {
    let (rows, total) = slot_rows(&state, &auth, &id, &f).await?;
    let mut resp = Json(rows).into_response();
    resp.headers_mut().insert(
        "x-total-count",
        axum::http::HeaderValue::from_str(&total.to_string()).expect("digits are a valid header"),
    );
    Ok(resp)
}

/// A page of the slot grid and the number of cities in all (the dashboard shows the same).
pub async fn slot_rows(
    state: &AppState,
    auth: &Auth,
    id: &str,
    f: &SlotFilter,
) -> ApiResult<(Vec<CityRow>, usize)> {
    let p = program(state, id)?;
    let store = &state.service.store;
    // Cities come from counts in SQL; only the seminars of the page's cities are read.
    let mut all_cities: Vec<String> = store
        .seminar_cells(id)
        .await?
        .into_iter()
        .map(|c| c.city)
        .filter(|c| f.city.as_ref().is_none_or(|x| x == c))
        .collect();
    all_cities.dedup();
    let total = all_cities.len();
    let page: Vec<String> = all_cities
        .into_iter()
        .skip(f.offset.unwrap_or(0))
        .take(f.limit.unwrap_or(200).clamp(1, 500))
        .collect();
    let seminars: Vec<Seminar> = if page.is_empty() {
        vec![]
    } else {
        store
            .find_seminars(&SeminarQuery {
                program: Some(id.to_string()),
                cities: Some(page.clone()),
                ..SeminarQuery::default()
            })
            .await?
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    };
    let mut by_city: BTreeMap<&str, Vec<&Seminar>> = BTreeMap::new();
    for s in &seminars {
        by_city.entry(s.city.as_str()).or_default().push(s);
    }
    let rows = by_city
        .into_iter()
        .map(|(city, list)| city_row(p, auth, city, &list))
        .collect();
    Ok((rows, total))
}

/// One city's row: each week of the program with its seminars (other partners anonymous) and
/// its status.
fn city_row(p: &Program, auth: &Auth, city: &str, seminars: &[&Seminar]) -> CityRow {
    let in_city = seminars.iter().filter(|s| s.state.holds_slot()).count() as u64;
    let weeks =
        p.wf.seminars
            .weeks
            .iter()
            .map(|w| {
                let here: Vec<&Seminar> = seminars
                    .iter()
                    .copied()
                    .filter(|s| s.week == w.id && s.state != SeminarState::Rejected)
                    .collect();
                let in_week = here.iter().filter(|s| s.state.holds_slot()).count() as u64;
                SlotCell {
                    week: w.id.clone(),
                    status: cell_status(p, city, in_city, in_week, &here).into(),
                    seminars: here.iter().map(|s| slot_seminar(auth, s)).collect(),
                }
            })
            .collect();
    CityRow {
        city: city.to_string(),
        weeks,
    }
}

/// A cell's status. By the slot rule (the one the review and the apply page follow): `closed`
/// for a city closed to the program, `taken` when the city or the week has no room left. Else
/// the most telling state of its seminars: `applied`, `excluded`, `withdrawn`, or `free`.
fn cell_status(
    p: &Program,
    city: &str,
    in_city: u64,
    in_week: u64,
    here: &[&Seminar],
) -> &'static str {
    if p.wf.slots.closed_cities.iter().any(|c| c == city) {
        return "closed";
    }
    if review::city_week_refusal(&p.wf.slots, city, in_city, in_week).is_some() {
        return "taken";
    }
    [
        (SeminarState::Applied, "applied"),
        (SeminarState::Excluded, "excluded"),
        (SeminarState::Withdrawn, "withdrawn"),
    ]
    .into_iter()
    .find(|(st, _)| here.iter().any(|s| s.state == *st))
    .map_or("free", |(_, status)| status)
}

/// A seminar in the grid: its id and partner only for those who may see that partner.
fn slot_seminar(auth: &Auth, s: &Seminar) -> SlotSeminar {
    let visible = auth.user.can_access_partner(&s.partner);
    SlotSeminar {
        id: if visible { s.id.clone() } else { String::new() },
        partner: if visible {
            s.partner.clone()
        } else {
            String::new()
        },
        date: s.date,
        state: s.state.as_str().into(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct QueuedApplication {
    pub seminar: String,
    pub partner: String,
    pub city: String,
    pub date: NaiveDate,
    pub review_day: NaiveDate,
    /// When the application arrived.
    pub applied_at: chrono::DateTime<chrono::Utc>,
    pub experienced: bool,
    /// What the engine would decide now: `approve` or a refusal code.
    pub suggestion: String,
    pub priority_reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct QueuedSubmission {
    pub seminar: String,
    pub partner: String,
    pub city: String,
    pub stage: String,
    pub stage_name: String,
    pub deadline: NaiveDate,
    /// When the waiting version arrived.
    pub submitted_at: DateTime<Utc>,
    /// Whole days it has waited, by the program's calendar day (0: arrived today).
    pub waiting_days: i64,
    /// What returning it now (without a new due date) would cost the partner, in Russian.
    pub return_cost: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewQueue {
    pub applications: Vec<QueuedApplication>,
    pub submissions: Vec<QueuedSubmission>,
}

/// The coordinator's review queue: applications whose review day has come (with the engine's
/// suggested allocation and priority) and submissions waiting for review, oldest deadline first.
#[utoipa::path(get, path = "/api/programs/{id}/review-queue", tag = "programs", params(("id" = String, Path)), responses((status = 200, body = ReviewQueue)))]
pub async fn review_queue(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReviewQueue>> {
    auth.require_staff()?;
    let p = program(&state, &id)?;
    let now = state.clock.now();
    let store = &state.service.store;
    // Pending applications, the seminars holding slots in their cities, and the seminars with a
    // submission waiting: each an indexed read, never the whole season.
    let (seminars, partners) = applications_and_slots(&state, &id).await?;
    let waiting: Vec<Seminar> = store
        .find_seminars(&SeminarQuery {
            program: Some(id.clone()),
            awaiting_review: true,
            ..SeminarQuery::default()
        })
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let today = crate::domain::deadline::local_date(p.tz, now);
    let mut due = review::queue(p, &seminars, today + chrono::Duration::days(366))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let experienced = |pid: &str| partners.get(pid).is_some_and(|x| x.experienced);
    // The engine's own order (the workflow's priority), so the queue shows what a review decides.
    review::sort_queue(p, &mut due, experienced);
    let mut all = seminars.clone();
    let mut applications = Vec::new();
    for (day, s) in due {
        // Each suggested approval takes its slot for the applications after it, as the review.
        let suggestion = match review::slot_conflict(p, &all, &s) {
            None => {
                if let Some(x) = all.iter_mut().find(|o| o.id == s.id) {
                    x.state = SeminarState::Preparing;
                }
                "approve".to_string()
            }
            Some(code) => code.as_str().to_string(),
        };
        let exp = experienced(&s.partner);
        applications.push(QueuedApplication {
            priority_reason: priority_reason(p, exp, s.applied_at),
            seminar: s.id,
            partner: s.partner,
            city: s.city,
            date: s.date,
            review_day: day,
            applied_at: s.applied_at,
            experienced: exp,
            suggestion,
        });
    }
    Ok(Json(ReviewQueue {
        applications,
        submissions: queued_submissions(p, &waiting, today)?,
    }))
}

/// The program's pending applications followed by the seminars holding slots in their cities
/// (all the slot rule looks at), and the applying partners by id.
async fn applications_and_slots(
    state: &AppState,
    id: &str,
) -> ApiResult<(Vec<Seminar>, BTreeMap<String, crate::domain::Partner>)> {
    let store = &state.service.store;
    let find = |q: SeminarQuery| async move {
        let found = store.find_seminars(&q).await?;
        Ok::<_, ApiError>(found.into_iter().map(|(_, s)| s).collect::<Vec<Seminar>>())
    };
    let mut seminars = find(SeminarQuery {
        program: Some(id.to_string()),
        states: vec![SeminarState::Applied],
        ..SeminarQuery::default()
    })
    .await?;
    let mut cities: Vec<String> = seminars.iter().map(|s| s.city.clone()).collect();
    cities.sort();
    cities.dedup();
    let mut partner_ids: Vec<String> = seminars.iter().map(|s| s.partner.clone()).collect();
    partner_ids.sort();
    partner_ids.dedup();
    if !cities.is_empty() {
        seminars.extend(
            find(SeminarQuery {
                program: Some(id.to_string()),
                cities: Some(cities),
                states: SeminarState::HOLDING_SLOT.to_vec(),
                ..SeminarQuery::default()
            })
            .await?,
        );
    }
    let partners = store
        .partners_by_ids(&partner_ids)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    Ok((seminars, partners))
}

/// Why an application stands where it does, in the workflow's priority order.
fn priority_reason(p: &Program, experienced: bool, applied_at: DateTime<Utc>) -> String {
    p.wf.applications
        .priority
        .iter()
        .map(|x| match x {
            Priority::Experienced if experienced => "есть опыт проведения семинаров".to_string(),
            Priority::Experienced => "нет опыта семинаров".to_string(),
            Priority::Earliest => format!(
                "заявка подана {}",
                crate::http::views::zoned(p.tz, applied_at)
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Submissions waiting for the coordinator, the earliest deadline first.
fn queued_submissions(
    p: &Program,
    waiting: &[Seminar],
    today: NaiveDate,
) -> ApiResult<Vec<QueuedSubmission>> {
    let mut submissions = Vec::new();
    for s in waiting.iter().filter(|s| s.state.is_active()) {
        for st in &p.wf.stages {
            let Some(version) = s
                .stages
                .get(&st.id)
                .filter(|x| x.status == StageStatus::Submitted)
                .and_then(|x| x.versions.last())
            else {
                continue;
            };
            let deadline = p
                .designated(s, &st.id)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let arrived = crate::domain::deadline::local_date(p.tz, version.submitted_at);
            submissions.push(QueuedSubmission {
                submitted_at: version.submitted_at,
                waiting_days: (today - arrived).num_days().max(0),
                return_cost: return_cost(p, &st.id, deadline, today),
                seminar: s.id.clone(),
                partner: s.partner.clone(),
                city: s.city.clone(),
                stage: st.id.clone(),
                stage_name: st.name.clone(),
                deadline,
            });
        }
    }
    submissions.sort_by(|a, b| a.deadline.cmp(&b.deadline).then(a.seminar.cmp(&b.seminar)));
    Ok(submissions)
}

#[derive(Serialize, ToSchema)]
pub struct ReviewResult {
    pub decided: Vec<SeminarView>,
}

/// Accepts the engine's allocation for every application whose review day has come.
#[utoipa::path(post, path = "/api/programs/{id}/review", tag = "programs", params(("id" = String, Path)), responses((status = 200, body = ReviewResult)))]
pub async fn review_applications(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReviewResult>> {
    auth.require_staff()?;
    let p = program(&state, &id)?;
    let out = run_command(&state, &auth, &id, Command::ReviewApplications).await?;
    let now = state.clock.now();
    Ok(Json(ReviewResult {
        decided: out
            .seminars
            .iter()
            .map(|s| crate::http::views::seminar_view(p, s, &auth.user, now))
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ApplicationRequest {
    /// Partner applying; partner users may omit it (their own company).
    pub partner: Option<String>,
    /// Seminar id; generated when omitted.
    pub seminar: Option<String>,
    pub city: String,
    /// `2017-03-29` (or `29.03.2017`, as the page's form takes it).
    #[serde(deserialize_with = "crate::http::commands::loose")]
    #[schema(value_type = NaiveDate)]
    pub date: Option<String>,
}

/// Applies for a seminar in a city on a date.
#[utoipa::path(post, path = "/api/programs/{id}/applications", tag = "programs", params(("id" = String, Path)), request_body = ApplicationRequest,
    responses((status = 201, body = SeminarView), (status = 409, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    AppJson(req): AppJson<ApplicationRequest>,
) -> ApiResult<(StatusCode, Json<SeminarView>)> {
    // Who may apply, the id, the city and the date are decided with the page's form, once.
    let req = crate::http::commands::ApplyRequest {
        partner: req.partner,
        seminar: req.seminar,
        city: Some(req.city),
        date: req.date,
    };
    let seminar = crate::http::commands::apply(&state, &auth, &id, req).await?;
    Ok((
        StatusCode::CREATED,
        seminar_response(&state, &auth, &seminar).await?,
    ))
}
