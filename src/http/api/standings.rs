//! Partner programs over HTTP (issue 11 item 5): a partner's standings with what is missing,
//! the coordinators' list of partners at risk, and the manual steps of a program's file
//! (`actions`), run through `Service::execute_partner`.
//!
//! Who may run a step is decided by its op (engine vocabulary, not program data): the ops in
//! [`PARTNER_OPS`] are the partner's own requests and records; every other op is a vendor's
//! decision and needs a coordinator or an administrator (decisions.md).

use super::standing_view::{partner_standings, ProgramStanding};
use crate::domain::program::{Refusal, RefusalCode};
use crate::domain::Program;
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{AppJson, AppQuery, AppState};
use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Ops a partner's user runs for its own partner: applications, requests, documents, records
/// of its own work and its own notice to leave. The rest are the vendor's decisions.
pub const PARTNER_OPS: &[&str] = &[
    "admission_apply",
    "request",
    "project_add",
    "standing_apply",
    "standing_documents",
    "standing_renewal_request",
    "obligation_start",
    "obligation_done",
    "obligation_end",
    "onboarding_flag",
    "bonus_spend",
    "terminate",
];

/// Whether a program's action is the coordinator's (a vendor decision).
pub fn coordinators_action(op: &str) -> bool {
    !PARTNER_OPS.contains(&op)
}

#[derive(Serialize, ToSchema)]
pub struct PartnerStandings {
    pub partner: String,
    pub programs: Vec<ProgramStanding>,
}

/// The partner program or 404 naming it.
pub fn partner_program<'a>(state: &'a AppState, id: &str) -> ApiResult<&'a Program> {
    state
        .service
        .program(id)
        .filter(|p| p.wf.standing.is_some())
        .ok_or_else(|| ApiError::not_found(format!("партнёрская программа «{id}» не найдена")))
}

async fn known_partner(state: &AppState, auth: &Auth, id: &str) -> ApiResult<()> {
    auth.require_partner_access(id, "партнёр")?;
    state
        .service
        .store
        .partner(id)
        .await?
        .ok_or_else(|| ApiError::not_found("партнёр не найден"))?;
    Ok(())
}

/// A partner's status or level in every partner program: since, until, history, active points
/// with the date each entry stops counting, and what is missing for the next status and for
/// keeping the current one.
#[utoipa::path(get, path = "/api/partners/{id}/standings", tag = "standings", params(("id" = String, Path)), responses((status = 200, body = PartnerStandings), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn get_standings(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PartnerStandings>> {
    known_partner(&state, &auth, &id).await?;
    let now = state.clock.now();
    let programs = partner_standings(
        &state.service.store,
        state.service.partner_programs(),
        &id,
        now,
    )
    .await?;
    Ok(Json(PartnerStandings {
        partner: id,
        programs,
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AtRiskQuery {
    /// Only this partner program.
    pub program: Option<String>,
}

/// One partner at risk in one program, for one reason.
#[derive(Serialize, ToSchema, Clone)]
pub struct AtRiskRow {
    pub partner: String,
    pub partner_name: String,
    pub program: String,
    pub program_name: String,
    pub code: Option<String>,
    pub name: Option<String>,
    /// `expiring`, `below_threshold` or `renewal_not_requested`.
    pub reason: String,
    pub date: NaiveDate,
    pub message: String,
}

/// Rows of partners at risk, soonest first; `program` filters (404 when not a partner program).
///
/// # Errors
/// Unknown program; store failures.
pub async fn at_risk_rows(state: &AppState, program: Option<&str>) -> ApiResult<Vec<AtRiskRow>> {
    let programs: Vec<&Program> = match program.filter(|p| !p.is_empty()) {
        Some(id) => vec![partner_program(state, id)?],
        None => state.service.partner_programs().collect(),
    };
    let now = state.clock.now();
    let store = &state.service.store;
    let mut out = vec![];
    for partner in store.partners().await? {
        let views = partner_standings(store, programs.iter().copied(), &partner.id, now).await?;
        for v in views {
            for r in &v.risks {
                out.push(AtRiskRow {
                    partner: partner.id.clone(),
                    partner_name: partner.name.clone(),
                    program: v.program.clone(),
                    program_name: v.program_name.clone(),
                    code: v.code.clone(),
                    name: v.name.clone(),
                    reason: r.reason.clone(),
                    date: r.date,
                    message: r.message.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.date, &a.partner, &a.program, &a.reason)
            .cmp(&(b.date, &b.partner, &b.program, &b.reason))
    });
    Ok(out)
}

/// Partners at risk (expiring, below threshold, renewal not requested), soonest first;
/// coordinators and administrators.
#[utoipa::path(get, path = "/api/standings/at-risk", tag = "standings", params(AtRiskQuery), responses((status = 200, body = [AtRiskRow]), (status = 403, body = crate::http::error::ErrorBody)))]
pub async fn at_risk(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(q): AppQuery<AtRiskQuery>,
) -> ApiResult<Json<Vec<AtRiskRow>>> {
    auth.require_staff()?;
    Ok(Json(at_risk_rows(&state, q.program.as_deref()).await?))
}

/// A step of a partner program: the file's action name and the fields it reads.
#[derive(Deserialize, ToSchema, Default)]
pub struct StepBody {
    /// The action's `do` name in the program's file (`admission_decide`, `kkv_decide`, …).
    #[serde(rename = "do")]
    pub action: Option<String>,
    /// The step's fields (`decision`, `level`, `code`, `by`, …) as the action reads them.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct StepResult {
    pub program: String,
    pub action: String,
    /// The notification kinds the step sent.
    pub notified: Vec<String>,
    /// The standing after the step.
    pub standing: Option<ProgramStanding>,
}

/// Runs `action` of `program` for `partner` with `fields`, checking who may.
///
/// # Errors
/// 403 for a partner running a vendor's decision; 422 naming the field; refusals as 422 with
/// the rule book's code.
pub async fn run_step(
    state: &AppState,
    auth: &Auth,
    partner: &str,
    program: &str,
    action: &str,
    fields: &BTreeMap<String, serde_json::Value>,
) -> ApiResult<StepResult> {
    known_partner(state, auth, partner).await?;
    let prog = partner_program(state, program)?;
    let p = prog.wf.standing.as_ref().ok_or_else(|| {
        ApiError::not_found(format!("партнёрская программа «{program}» не найдена"))
    })?;
    let action = action.trim();
    if action.is_empty() {
        return Err(ApiError::field("do", "укажите действие программы"));
    }
    let Some(def) = p.actions.iter().find(|a| a.name == action) else {
        let names: Vec<&str> = p.actions.iter().map(|a| a.name.as_str()).collect();
        return Err(ApiError::field(
            "do",
            format!(
                "в программе «{}» нет действия «{action}»; есть: {}",
                prog.wf.name,
                names.join(", ")
            ),
        ));
    };
    if coordinators_action(&def.op) && !auth.user.is_staff() {
        return Err(ApiError::forbidden(format!(
            "«{action}» — решение координатора; партнёру это действие недоступно"
        )));
    }
    if auth.user.role == crate::accounts::Role::Partner && !auth.user.can_access_partner(partner) {
        return Err(ApiError::forbidden(
            "действие доступно только самому партнёру",
        ));
    }
    let now = state.clock.now();
    let sent = state
        .service
        .execute_partner(program, partner, action, fields, now)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Refused(r) => ApiError::Refused(as_unprocessable(r)),
            other => other,
        })?;
    let mut views = partner_standings(
        &state.service.store,
        std::iter::once(prog),
        partner,
        state.clock.now(),
    )
    .await?;
    Ok(StepResult {
        program: program.to_string(),
        action: action.to_string(),
        notified: sent.iter().map(|n| n.kind.to_string()).collect(),
        standing: views.pop(),
    })
}

/// A partner program's refusals are about the step's values and the standing's rules: 422
/// with the rule book's code (`invalid_state` included), never 409.
fn as_unprocessable(r: Refusal) -> Refusal {
    if r.code == RefusalCode::InvalidState {
        Refusal {
            code: RefusalCode::Rule,
            rule: Some(RefusalCode::InvalidState.as_str().into()),
            message: r.message,
        }
    } else {
        r
    }
}

/// Runs a step of a partner program (an application, a decision, a sanction, a record…) for the
/// partner. Vendor decisions need a coordinator (403 otherwise); refusals are 422 with the rule
/// book's code and a Russian message.
#[utoipa::path(post, path = "/api/partners/{id}/standings/{program}", tag = "standings", params(("id" = String, Path), ("program" = String, Path)), request_body = StepBody, responses((status = 200, body = StepResult), (status = 400, body = crate::http::error::ErrorBody), (status = 403, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, program)): Path<(String, String)>,
    AppJson(b): AppJson<StepBody>,
) -> ApiResult<Json<StepResult>> {
    let action = b.action.unwrap_or_default();
    Ok(Json(
        run_step(&state, &auth, &id, &program, &action, &b.fields).await?,
    ))
}
