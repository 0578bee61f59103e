//! Who is calling: a browser session (HttpOnly cookie + CSRF token for unsafe methods) or a
//! bearer API token. Login is rate-limited per e-mail and per client address.

use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::accounts::{token_hash, User};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub const SESSION_COOKIE: &str = "sf_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a browser session lasts.
pub const SESSION_DAYS: i64 = 7;

/// The signed-in user. Rejects with 401 when nobody is, with 403 when a cookie session sends an
/// unsafe request without its CSRF token, or when the user must change the password first.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    /// The session's CSRF token (None for bearer tokens).
    pub csrf: Option<String>,
    pub session_hash: Option<String>,
}

/// Like [`Auth`] but lets a user who must change the password through (for that very change).
pub struct AuthAllowingPasswordChange(pub Auth);

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

async fn authenticate(parts: &Parts, state: &AppState) -> ApiResult<Auth> {
    let store = &state.service.store;
    if let Some(h) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = h
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthorized)?
            .trim();
        let user = store
            .api_token_user(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        return Ok(Auth {
            user,
            csrf: None,
            session_hash: None,
        });
    }
    let token = cookie(parts, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
    let hash = token_hash(&token);
    let (user, csrf) = store
        .session(&hash, Utc::now())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(csrf.as_str()) {
            return Err(ApiError::Forbidden(
                "запрос без CSRF-токена сессии (заголовок X-CSRF-Token)".into(),
            ));
        }
    }
    Ok(Auth {
        user,
        csrf: Some(csrf),
        session_hash: Some(hash),
    })
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = authenticate(parts, state).await?;
        if auth.user.must_change_password {
            return Err(ApiError::Forbidden(
                "сначала смените временный пароль: POST /api/me/password".into(),
            ));
        }
        Ok(auth)
    }
}

impl FromRequestParts<AppState> for AuthAllowingPasswordChange {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(AuthAllowingPasswordChange(
            authenticate(parts, state).await?,
        ))
    }
}

impl Auth {
    pub fn require_staff(&self) -> ApiResult<()> {
        if self.user.is_staff() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "действие доступно только координаторам и администраторам",
            ))
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.user.role == crate::accounts::Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "действие доступно только администраторам",
            ))
        }
    }

    /// A partner's things are invisible to other partners: 404, not 403, so ids do not leak.
    pub fn require_partner_access(&self, partner: &str, what: &str) -> ApiResult<()> {
        if self.user.can_access_partner(partner) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("{what} не найден")))
        }
    }

    /// Actor name for the audit log.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.user.role.as_str(), self.user.email)
    }
}

/// Sliding-window limiter for login attempts.
#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl LoginLimiter {
    /// Failed attempts allowed per key in the window.
    const MAX: usize = 10;
    const WINDOW_MINUTES: i64 = 10;

    pub fn check(&self, keys: &[String], now: DateTime<Utc>) -> ApiResult<()> {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let since = now - chrono::Duration::minutes(Self::WINDOW_MINUTES);
        for k in keys {
            if let Some(v) = map.get_mut(k) {
                v.retain(|t| *t > since);
                if v.len() >= Self::MAX {
                    return Err(ApiError::TooManyRequests);
                }
            }
        }
        Ok(())
    }

    pub fn failed(&self, keys: &[String], now: DateTime<Utc>) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.clear();
        }
        for k in keys {
            map.entry(k.clone()).or_default().push(now);
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            map.remove(k);
        }
    }
}
