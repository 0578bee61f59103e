//! A partner's marketing support on its page (`/partners/{id}/events`): whether it is suspended
//! and the coordinator's form to suspend or resume it (`POST /partners/{id}/support`).

use super::form::FormData;
use super::page::{check_csrf, see_other, UiError, UiResult, Viewer};
use crate::http::api::support::{label, set_support, SupportBody};
use crate::http::error::ApiError;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::Form;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

/// An item program the form may name.
#[derive(Serialize)]
pub struct ProgramOption {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct SupportBox {
    pub partner: String,
    pub suspended: bool,
    pub label: String,
    pub programs: Vec<ProgramOption>,
    /// More than one item program is loaded: the form names one.
    pub choose_program: bool,
    /// What the last action did, in words.
    pub done: Option<String>,
}

pub async fn support_box(
    state: &AppState,
    partner: &str,
    done: Option<&str>,
) -> Result<SupportBox, UiError> {
    let suspended = state.service.store.support_suspended(partner).await?;
    let programs: Vec<ProgramOption> = state
        .service
        .programs()
        .filter(|p| p.wf.events.is_some())
        .map(|p| ProgramOption {
            id: p.wf.id.clone(),
            name: p.wf.name.clone(),
        })
        .collect();
    Ok(SupportBox {
        partner: partner.to_string(),
        suspended,
        label: label(suspended).into(),
        choose_program: programs.len() > 1,
        programs,
        done: match done {
            Some("suspended") => Some("Маркетинговая поддержка приостановлена.".into()),
            Some("resumed") => Some("Маркетинговая поддержка возобновлена.".into()),
            _ => None,
        },
    })
}

/// `POST /partners/{id}/support`: `action` = `suspend` or `resume`, an optional `note`.
pub async fn set(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let suspend = match form.get("action").map(String::as_str) {
        Some("suspend") => true,
        Some("resume") => false,
        _ => {
            return Err(UiError::Api(ApiError::field(
                "action",
                "Выберите действие: приостановить или возобновить поддержку.",
            )))
        }
    };
    let program = form.get("program").cloned();
    let body = SupportBody {
        program,
        note: form.get("note").cloned(),
    };
    set_support(&state, &v.auth(), &id, suspend, body).await?;
    let done = if suspend { "suspended" } else { "resumed" };
    Ok(see_other(&format!("/partners/{id}/events?done={done}")))
}
