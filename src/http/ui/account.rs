//! Signing in and out, the home redirect, and the profile: who I am, password change, and the
//! personal calendar feed address.

use super::page::{
    check_csrf, csrf_matches, encode, render_status, safe_back, see_other, with_done, FormData,
    FormState, MaybeViewer, Page, UiResult, Viewer,
};
use crate::accounts::{check_password_strength, random_token, verify_password};
use crate::http::auth::{SESSION_COOKIE, SESSION_DAYS};
use crate::http::error::ApiError;
use crate::http::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Double-submit cookie protecting the login form (there is no session yet).
const LOGIN_COOKIE: &str = "sf_login";

fn cookie_attrs(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "; Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Lax"
    }
}

/// Where a user lands: the dashboard for staff, their seminars for partners.
pub async fn home(MaybeViewer(v): MaybeViewer) -> Response {
    match v {
        None => see_other("/login"),
        Some(v) if v.is_staff() => see_other("/dashboard"),
        Some(_) => see_other("/my"),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    form: FormState,
    next: String,
    login_csrf: String,
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    form: FormState,
    next: &str,
    done: Option<&str>,
) -> Response {
    let token = random_token();
    let mut res = render_status(
        state,
        status,
        Page::new("Вход", "/login", None)
            .flash(done)
            .errors_of(&form, str::to_string),
        "login",
        LoginPage {
            form,
            next: next.to_string(),
            login_csrf: token.clone(),
        },
    );
    if let Ok(v) = format!(
        "{LOGIN_COOKIE}={token}{}; Max-Age=3600",
        cookie_attrs(state)
    )
    .parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_form(
    State(state): State<AppState>,
    MaybeViewer(v): MaybeViewer,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = q.next.as_deref().and_then(safe_back).unwrap_or_default();
    if v.is_some() {
        return see_other(if next.is_empty() { "/" } else { &next });
    }
    login_page(
        &state,
        StatusCode::OK,
        FormState::default(),
        &next,
        q.done.as_deref(),
    )
}

fn login_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == LOGIN_COOKIE && !v.is_empty()).then(|| v.to_string())
        })
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<FormData>,
) -> Response {
    let next = form
        .get("next")
        .and_then(|n| safe_back(n))
        .unwrap_or_default();
    let email = form
        .get("email")
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let mut values = FormData::new();
    values.insert("email".into(), email.clone());
    let fail = |status, f: FormState| login_page(&state, status, f, &next, None);
    let sent = form.get("_csrf").map(String::as_str).unwrap_or("");
    if !login_cookie(&headers).is_some_and(|c| csrf_matches(sent, &c)) {
        return fail(
            StatusCode::FORBIDDEN,
            FormState::with_values(&values)
                .general("Форма входа устарела. Введите e-mail и пароль ещё раз."),
        );
    }
    let mut f = FormState::with_values(&values);
    if email.is_empty() {
        f = f.field("email", "Введите e-mail, с которым вас зарегистрировали");
    }
    if password.is_empty() {
        f = f.field("password", "Введите пароль");
    }
    if f.has_errors() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, f);
    }
    let now = Utc::now();
    if let Err(e) = state.limiter.check(&email, addr.ip(), now) {
        return fail(StatusCode::TOO_MANY_REQUESTS, f.general(e.to_string()));
    }
    let user = match state.service.store.user_by_email(&email).await {
        Ok(u) => u,
        Err(e) => return super::page::UiError::from(e).into_response(),
    };
    let ok = crate::accounts::check_login(user.as_ref(), &password);
    let Some(user) = user.filter(|_| ok) else {
        state.limiter.failed(&email, addr.ip(), now);
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            f.field(
                "password",
                "Неверный e-mail или пароль. Проверьте раскладку и Caps Lock.",
            ),
        );
    };
    state.limiter.succeeded(&email, addr.ip());
    let token = match state.service.start_session(&user, SESSION_DAYS, now).await {
        Ok(session) => session.token,
        Err(e) => return super::page::UiError::from(ApiError::from(e)).into_response(),
    };
    signed_in(&state, &token, user.must_change_password, next)
}

/// The answer to a successful sign-in: the session cookie set, the login form's cookie gone,
/// and on to the password change (when it must happen first), `next`, or home.
fn signed_in(state: &AppState, token: &str, must_change_password: bool, next: String) -> Response {
    let to = if must_change_password {
        "/account?must=1".to_string()
    } else if next.is_empty() {
        "/".to_string()
    } else {
        next
    };
    let mut res = see_other(&to);
    let attrs = cookie_attrs(state);
    for c in [
        format!(
            "{SESSION_COOKIE}={token}{attrs}; Max-Age={}",
            SESSION_DAYS * 86_400
        ),
        format!("{LOGIN_COOKIE}={attrs}; Max-Age=0"),
    ] {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

pub async fn logout(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    state
        .service
        .end_session(&v.session_hash)
        .await
        .map_err(ApiError::from)?;
    let mut res = see_other("/login?done=logged_out");
    if let Ok(h) = format!("{SESSION_COOKIE}={}; Max-Age=0", cookie_attrs(&state)).parse() {
        res.headers_mut().append(header::SET_COOKIE, h);
    }
    Ok(res)
}

/// The address people reach the server at: the configured `base_url`, else the request's host.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if state.config.base_url.is_some() {
        return state.config.base_url();
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| state.config.base_url())
}

#[derive(Deserialize)]
pub struct AccountQuery {
    must: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct AccountPage {
    name: String,
    email: String,
    role: String,
    partner: Option<String>,
    phone: Option<String>,
    /// Staff phones go to partners in e-mails; the hint says so.
    staff: bool,
    must_change: bool,
    /// The subscription address (absolute) and the same feed as a local link.
    ics_url: Option<String>,
    ics_path: Option<String>,
    /// Staff: the same feed with only the partners assigned to them (`?mine=1`).
    ics_mine_url: Option<String>,
    form: FormState,
}

async fn account_page(
    state: &AppState,
    headers: &HeaderMap,
    v: &Viewer,
    status: StatusCode,
    form: FormState,
    must: bool,
    done: Option<&str>,
) -> UiResult {
    let partner = match &v.user.partner {
        Some(p) => Some(
            state
                .service
                .store
                .partner(p)
                .await?
                .map(|x| x.name)
                .unwrap_or_else(|| p.clone()),
        ),
        None => None,
    };
    let ics_path = v
        .user
        .ics_token
        .as_ref()
        .map(|t| format!("/calendar/{}.ics", encode(t)));
    let role = match v.user.rights {
        Some(r) => format!("{}, {}", v.user.role.label(), r.label()),
        None => v.user.role.label().to_string(),
    };
    Ok(render_status(
        state,
        status,
        Page::new("Профиль", "/account", Some(v))
            .flash(done)
            .errors_of(&form, str::to_string),
        "account",
        AccountPage {
            name: v.user.name.clone(),
            email: v.user.email.clone(),
            role,
            partner,
            phone: v.user.phone.clone(),
            staff: v.is_staff(),
            must_change: must || v.user.must_change_password,
            ics_url: ics_path
                .as_ref()
                .map(|p| format!("{}{p}", public_base(state, headers))),
            ics_mine_url: ics_path
                .as_ref()
                .filter(|_| v.user.is_staff())
                .map(|p| format!("{p}?mine=1")),
            ics_path,
            form,
        },
    ))
}

pub async fn account(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Query(q): Query<AccountQuery>,
) -> UiResult {
    account_page(
        &state,
        &headers,
        &v,
        StatusCode::OK,
        FormState::default(),
        q.must.is_some(),
        q.done.as_deref(),
    )
    .await
}

/// Replaces the user's calendar feed address (the old one stops working).
pub async fn renew_calendar_link(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    state
        .service
        .regenerate_ics_token(&v.user, Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(see_other(&with_done("/account", "calendar_link")))
}

pub async fn change_password(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let current = form.get("current").cloned().unwrap_or_default();
    let new = form.get("new").cloned().unwrap_or_default();
    let repeat = form.get("repeat").cloned().unwrap_or_default();
    // Passwords are never put back into the page.
    let mut f = FormState::default();
    if !verify_password(&current, &v.user.password_hash) {
        f.add(
            "current",
            Some("Текущий пароль"),
            "Текущий пароль указан неверно",
        );
    }
    if let Err(m) = check_password_strength(&new) {
        f.add("new", Some("Новый пароль"), format!("Новый {m}"));
    } else if new == current {
        f.add(
            "new",
            Some("Новый пароль"),
            "Новый пароль должен отличаться от текущего",
        );
    }
    if repeat != new {
        f.add(
            "repeat",
            Some("Новый пароль ещё раз"),
            "Пароли не совпадают",
        );
    }
    if f.has_errors() {
        return account_page(
            &state,
            &headers,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            f,
            false,
            None,
        )
        .await;
    }
    state
        .service
        .set_password(&v.user, &new, Some(&v.session_hash), Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(see_other(&with_done("/account", "password")))
}

/// Saves the viewer's own contact phone (blank clears it).
pub async fn change_phone(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let phone = form.get("phone").cloned().unwrap_or_default();
    match state.service.set_phone(&v.user, Some(&phone)).await {
        Ok(_) => Ok(see_other(&with_done("/account", "phone"))),
        Err(crate::service::ServiceError::Field(field, message)) => {
            let mut values = FormData::new();
            values.insert("phone".into(), phone);
            let mut f = FormState::with_values(&values);
            f.add(field, Some("Телефон"), message);
            account_page(
                &state,
                &headers,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                f,
                false,
                None,
            )
            .await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}
