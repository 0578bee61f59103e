//! Sign-in and the signed-in user: login, logout, who am I, password change, API tokens.

use crate::accounts::{check_password_strength, verify_password, User};
use crate::http::auth::{Auth, AuthAllowingPasswordChange, SESSION_COOKIE, SESSION_DAYS};
use crate::http::error::{ApiError, ApiResult};
use crate::http::{AppJson, AppState};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    #[schema(value_type = Object)]
    pub user: User,
    /// Send it back as `X-CSRF-Token` on every unsafe request of a cookie session.
    pub csrf_token: Option<String>,
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Signs in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = MeResponse), (status = 401, body = crate::http::error::ErrorBody), (status = 429, body = crate::http::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Response> {
    let now = Utc::now();
    let email = req.email.trim().to_lowercase();
    state.limiter.check(&email, addr.ip(), now)?;
    let user = state.service.store.user_by_email(&email).await?;
    let ok = crate::accounts::check_login(user.as_ref(), &req.password);
    let Some(user) = user.filter(|_| ok) else {
        state.limiter.failed(&email, addr.ip(), now);
        return Err(ApiError::InvalidCredentials);
    };
    state.limiter.succeeded(&email, addr.ip());
    let session = state
        .service
        .start_session(&user, SESSION_DAYS, now)
        .await?;
    let (token, csrf) = (session.token, session.csrf);
    let body = Json(MeResponse {
        user,
        csrf_token: Some(csrf),
    });
    Ok((
        [(
            header::SET_COOKIE,
            session_cookie(&state, &token, SESSION_DAYS * 86_400),
        )],
        body,
    )
        .into_response())
}

/// Ends the browser session.
#[utoipa::path(post, path = "/api/logout", tag = "session", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    AuthAllowingPasswordChange(auth): AuthAllowingPasswordChange,
) -> ApiResult<Response> {
    if let Some(h) = &auth.session_hash {
        state.service.end_session(h).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
    )
        .into_response())
}

/// The signed-in user and the session's CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "session", responses((status = 200, body = MeResponse), (status = 401, body = crate::http::error::ErrorBody)))]
pub async fn me(AuthAllowingPasswordChange(auth): AuthAllowingPasswordChange) -> Json<MeResponse> {
    Json(MeResponse {
        user: auth.user,
        csrf_token: auth.csrf,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Changes the password (required after a one-time password).
#[utoipa::path(post, path = "/api/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    AuthAllowingPasswordChange(auth): AuthAllowingPasswordChange,
    AppJson(req): AppJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    if !verify_password(&req.current, &auth.user.password_hash) {
        return Err(ApiError::BadRequest(
            "invalid_credentials",
            "текущий пароль указан неверно".into(),
        ));
    }
    check_password_strength(&req.new).map_err(|e| ApiError::bad(e.to_string()))?;
    // Whoever else knew the old password is signed out everywhere but here.
    state
        .service
        .set_password(
            &auth.user,
            &req.new,
            auth.session_hash.as_deref(),
            Utc::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// What the token is for, e.g. «выгрузка в 1С».
    pub name: String,
    /// Days the token is valid, 1…365 (default 90).
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Shown once: send as `Authorization: Bearer <token>`.
    pub token: String,
    /// What `GET /api/me/tokens` lists and `DELETE /api/me/tokens/{id}` revokes.
    pub id: String,
    pub expires: chrono::DateTime<Utc>,
}

/// Creates a bearer API token for scripts.
#[utoipa::path(post, path = "/api/me/tokens", tag = "session", request_body = TokenRequest, responses((status = 201, body = TokenResponse)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(req): AppJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let days = req.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
    let made = state
        .service
        .issue_api_token(&auth.user, &req.name, days, Utc::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            id: made.id,
            token: made.token,
            expires: made.expires,
        }),
    ))
}

/// How long a token lasts when the request does not say.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

/// The signed-in user's API tokens (names and validity, never the tokens).
#[utoipa::path(get, path = "/api/me/tokens", tag = "session", responses((status = 200, body = [crate::storage::ApiToken])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<crate::storage::ApiToken>>> {
    Ok(Json(state.service.store.api_tokens(&auth.user.id).await?))
}

/// Revokes one of the signed-in user's API tokens at once.
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "session", params(("id" = String, Path)), responses((status = 204), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<StatusCode> {
    state
        .service
        .revoke_token(&auth.user, &id, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
