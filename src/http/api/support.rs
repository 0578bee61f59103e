//! A partner's marketing support in the item programs (E§4.16): a coordinator suspends and
//! resumes it from the partner's page or the API; while suspended, the partner's events are
//! refused with the program's code.

use crate::domain::Command;
use crate::http::auth::Auth;
use crate::http::commands::run_command;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{AppState, OptionalJson};
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
pub struct SupportBody {
    /// An item program's id; may be left out while one item program is loaded.
    pub program: Option<String>,
    /// Why, for the partner's mail and the history.
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SupportView {
    pub partner: String,
    pub support_suspended: bool,
    /// «поддержка приостановлена» / «поддержка оказывается».
    pub label: String,
}

/// The item program the command runs in: the one named, or the only one loaded.
pub fn item_program(state: &AppState, named: Option<&str>) -> ApiResult<String> {
    let items: Vec<&str> = state
        .service
        .programs()
        .filter(|p| p.wf.events.is_some())
        .map(|p| p.wf.id.as_str())
        .collect();
    match named.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if items.contains(&n) => Ok(n.to_string()),
        Some(n) => Err(ApiError::field(
            "program",
            format!(
                "Программа «{n}» не ведёт мероприятия партнёров; выберите одну из: {}.",
                items.join(", ")
            ),
        )),
        None if items.len() == 1 => Ok(items[0].to_string()),
        None if items.is_empty() => Err(ApiError::not_found(
            "не загружено ни одной программы мероприятий партнёров",
        )),
        None => Err(ApiError::field(
            "program",
            format!("Укажите программу: {}.", items.join(", ")),
        )),
    }
}

/// Whether the partner's support is suspended, in words.
pub fn label(suspended: bool) -> &'static str {
    if suspended {
        "поддержка приостановлена"
    } else {
        "поддержка оказывается"
    }
}

/// Suspends or resumes `partner`'s support; coordinators and administrators only.
pub async fn set_support(
    state: &AppState,
    auth: &Auth,
    partner: &str,
    suspend: bool,
    b: SupportBody,
) -> ApiResult<SupportView> {
    auth.require_staff()?;
    let store = &state.service.store;
    store
        .partner(partner)
        .await?
        .ok_or_else(|| ApiError::not_found("партнёр не найден"))?;
    let program = item_program(state, b.program.as_deref())?;
    let note = b.note.filter(|n| !n.trim().is_empty());
    let partner = partner.to_string();
    let cmd = if suspend {
        Command::SuspendSupport {
            partner: partner.clone(),
            note,
        }
    } else {
        Command::ResumeSupport {
            partner: partner.clone(),
            note,
        }
    };
    run_command(state, auth, &program, cmd).await?;
    let suspended = store.support_suspended(&partner).await?;
    Ok(SupportView {
        partner,
        support_suspended: suspended,
        label: label(suspended).into(),
    })
}

/// Suspends a partner's marketing support.
#[utoipa::path(post, path = "/api/partners/{id}/suspend-support", tag = "partners", params(("id" = String, Path)), request_body = SupportBody, responses((status = 200, body = SupportView), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OptionalJson(b): OptionalJson<SupportBody>,
) -> ApiResult<Json<SupportView>> {
    Ok(Json(set_support(&state, &auth, &id, true, b).await?))
}

/// Resumes a partner's marketing support.
#[utoipa::path(post, path = "/api/partners/{id}/resume-support", tag = "partners", params(("id" = String, Path)), request_body = SupportBody, responses((status = 200, body = SupportView), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    OptionalJson(b): OptionalJson<SupportBody>,
) -> ApiResult<Json<SupportView>> {
    Ok(Json(set_support(&state, &auth, &id, false, b).await?))
}
