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
use std::net::IpAddr;
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
            .api_token_user(&token_hash(token), Utc::now())
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

/// Login attempts, limited three ways so that an attacker cannot lock out a victim and cannot
/// reset his own counters:
/// - per client address: at most [`LoginLimiter::PER_IP`] failures in the window, whatever the
///   accounts; a successful login does *not* clear it;
/// - per account and address: after [`LoginLimiter::PER_ACCOUNT_FROM_IP`] failures that address
///   may not try that account again for the window;
/// - per account from anywhere: after [`LoginLimiter::PER_ACCOUNT_FROM_IP`] failures, each further
///   try waits an exponential back-off (1 s, 2 s, 4 s … at most
///   [`LoginLimiter::ACCOUNT_BACKOFF_MAX_SECS`]), so the owner's correct password from another
///   address gets through within a minute while guessing stays slow.
#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl LoginLimiter {
    pub const WINDOW_MINUTES: i64 = 15;
    pub const PER_IP: usize = 30;
    pub const PER_ACCOUNT_FROM_IP: usize = 10;
    pub const ACCOUNT_BACKOFF_MAX_SECS: i64 = 60;

    fn keys(email: &str, ip: IpAddr) -> [String; 3] {
        [
            format!("ip:{ip}"),
            format!("account-ip:{email}|{ip}"),
            format!("account:{email}"),
        ]
    }

    /// Whether `email` may be tried from `ip` at `now`.
    ///
    /// # Errors
    /// `TooManyRequests` while a limit holds.
    pub fn check(&self, email: &str, ip: IpAddr, now: DateTime<Utc>) -> ApiResult<()> {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let since = now - chrono::Duration::minutes(Self::WINDOW_MINUTES);
        let [by_ip, by_account_ip, by_account] = Self::keys(email, ip);
        let mut recent = |k: &str| -> Vec<DateTime<Utc>> {
            match map.get_mut(k) {
                Some(v) => {
                    v.retain(|t| *t > since);
                    v.clone()
                }
                None => Vec::new(),
            }
        };
        if recent(&by_ip).len() >= Self::PER_IP
            || recent(&by_account_ip).len() >= Self::PER_ACCOUNT_FROM_IP
        {
            return Err(ApiError::TooManyRequests);
        }
        let account = recent(&by_account);
        if account.len() >= Self::PER_ACCOUNT_FROM_IP {
            let over = (account.len() - Self::PER_ACCOUNT_FROM_IP).min(16) as u32;
            let wait = (1i64 << over).min(Self::ACCOUNT_BACKOFF_MAX_SECS);
            if let Some(last) = account.last() {
                if now < *last + chrono::Duration::seconds(wait) {
                    return Err(ApiError::TooManyRequests);
                }
            }
        }
        Ok(())
    }

    pub fn failed(&self, email: &str, ip: IpAddr, now: DateTime<Utc>) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            let since = now - chrono::Duration::minutes(Self::WINDOW_MINUTES);
            map.retain(|_, v| v.last().is_some_and(|t| *t > since));
        }
        for k in Self::keys(email, ip) {
            map.entry(k).or_default().push(now);
        }
    }

    /// A correct password clears the account's counters, never the address's.
    pub fn succeeded(&self, email: &str, ip: IpAddr) {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let [_, by_account_ip, by_account] = Self::keys(email, ip);
        map.remove(&by_account_ip);
        map.remove(&by_account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_back_off_grows_and_ends_within_a_minute() {
        let l = LoginLimiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        for _ in 0..LoginLimiter::PER_ACCOUNT_FROM_IP {
            assert!(l.check("v@x", a, t0).is_ok());
            l.failed("v@x", a, t0);
        }
        assert!(
            l.check("v@x", a, t0).is_err(),
            "the attacker's address is locked"
        );
        assert!(
            l.check("other@x", a, t0).is_ok(),
            "other accounts behind it are not"
        );
        assert!(l.check("v@x", b, t0).is_err(), "a one-second back-off");
        let later = t0 + chrono::Duration::seconds(2);
        assert!(
            l.check("v@x", b, later).is_ok(),
            "the owner gets in from elsewhere"
        );
        assert!(l.check("v@x", a, later).is_err());
        l.succeeded("v@x", b);
        assert!(l.check("v@x", b, later).is_ok());
    }
}
