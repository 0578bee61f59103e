//! Accounts: admins manage everyone; coordinators add, disable, enable and reset the passwords
//! of partner users; a partner's main user manages its company's users, a full-rights user
//! those below the main user (adding limited-rights users only).

use crate::accounts::{Role, User};
use crate::http::auth::Auth;
use crate::http::error::ApiResult;
use crate::http::{AppJson, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

pub use crate::service::accounts::{CreatedUser, NewUser};

/// Creates an account.
#[utoipa::path(post, path = "/api/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = CreatedUser), (status = 403, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(req): AppJson<NewUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .service
                .register_user(&auth.user, req, Utc::now())
                .await?,
        ),
    ))
}

/// Lists accounts: all for admins, coordinators and partner users for coordinators, the
/// company's own for partner users.
#[utoipa::path(get, path = "/api/users", tag = "accounts", responses((status = 200, body = [Object])))]
pub async fn list_users(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<User>>> {
    let users = match auth.user.role {
        Role::Admin => state.service.store.users(None).await?,
        Role::Coordinator => {
            state
                .service
                .store
                .users_by_roles(&[Role::Coordinator.as_str(), Role::Partner.as_str()])
                .await?
        }
        Role::Partner => {
            state
                .service
                .store
                .users(auth.user.partner.as_deref())
                .await?
        }
    };
    Ok(Json(users))
}

/// Disables an account (admins and coordinators; a partner's main or full-rights user for the
/// company's own users, never the last full-rights one): it can no longer sign in, its
/// sessions end and its API tokens stop working at once.
#[utoipa::path(post, path = "/api/users/{id}/disable", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn disable_user(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<User>> {
    set_disabled(&state, &auth, &id, true).await
}

/// Enables a disabled account again.
#[utoipa::path(post, path = "/api/users/{id}/enable", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn enable_user(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<User>> {
    set_disabled(&state, &auth, &id, false).await
}

async fn set_disabled(
    state: &AppState,
    auth: &Auth,
    id: &str,
    disabled: bool,
) -> ApiResult<Json<User>> {
    let user = state
        .service
        .set_user_disabled(&auth.user, id, disabled, Utc::now())
        .await?;
    Ok(Json(user))
}

/// A temporary password, shown once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PasswordReset {
    #[schema(value_type = Object)]
    pub user: User,
    /// The owner signs in with it and must choose a new password at once.
    pub temporary_password: String,
}

/// Gives an account a new temporary password (admins, coordinators for partner users, a
/// partner's main or full-rights user for the company's users): every session of the account
/// ends, and the owner must change the password at the next sign-in.
#[utoipa::path(post, path = "/api/users/{id}/reset-password", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = PasswordReset), (status = 403, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<PasswordReset>> {
    let (user, temporary_password) = state
        .service
        .reset_password(&auth.user, &id, Utc::now())
        .await?;
    Ok(Json(PasswordReset {
        user,
        temporary_password,
    }))
}
