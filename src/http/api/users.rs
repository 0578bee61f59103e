//! Accounts: admins manage everyone; a partner's main user adds users of any rights to its
//! company, a full-rights user adds users below full rights.

use crate::accounts::{
    check_password_strength, hash_password, new_id, random_password, random_token, Rights, Role,
    User,
};
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{AppJson, AppState};
use crate::storage::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// `admin`, `coordinator` or `partner`.
    pub role: String,
    /// For partner users: the partner id.
    pub partner: Option<String>,
    /// For partner users: `main`, `full` or `limited`.
    pub rights: Option<String>,
    /// Without it a one-time password is generated and returned.
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    #[schema(value_type = Object)]
    pub user: User,
    /// The generated one-time password, shown once.
    pub one_time_password: Option<String>,
}

/// Validates and creates an account on behalf of `by`.
pub async fn create(state: &AppState, by: &User, req: NewUser) -> ApiResult<CreatedUser> {
    let name = crate::text::single_line(&req.name, 200).map_err(|m| ApiError::field("name", m))?;
    let email = crate::text::single_line(&req.email, 254)
        .map_err(|m| ApiError::field("email", m))?
        .to_lowercase();
    if !email.contains('@') || email.len() < 3 || email.contains(char::is_whitespace) {
        return Err(ApiError::bad(format!(
            "«{}» — не адрес электронной почты",
            req.email
        )));
    }
    let role = Role::parse(&req.role)
        .ok_or_else(|| ApiError::bad("role: допустимо admin, coordinator или partner"))?;
    let rights = match (&role, req.rights.as_deref()) {
        (Role::Partner, Some(r)) => Some(
            Rights::parse(r)
                .ok_or_else(|| ApiError::bad("rights: допустимо main, full или limited"))?,
        ),
        (Role::Partner, None) => Some(Rights::Limited),
        (_, _) => None,
    };
    let partner = if role == Role::Partner {
        let p = req
            .partner
            .clone()
            .ok_or_else(|| ApiError::bad("partner: укажите партнёра пользователя"))?;
        if state.service.store.partner(&p).await?.is_none() {
            return Err(ApiError::bad(format!("партнёр «{p}» не найден")));
        }
        Some(p)
    } else {
        None
    };
    // Who may create whom.
    match by.role {
        Role::Admin => {}
        Role::Partner if role == Role::Partner && partner == by.partner => {
            match (by.rights, rights) {
                (Some(Rights::Main), _) => {}
                (Some(Rights::Full), Some(Rights::Limited)) => {}
                (Some(Rights::Full), _) => {
                    return Err(ApiError::forbidden(
                        "пользователей с полными правами добавляет только основной пользователь",
                    ))
                }
                _ => {
                    return Err(ApiError::forbidden(
                        "пользователь с ограниченными правами не может добавлять пользователей",
                    ))
                }
            }
        }
        _ => {
            return Err(ApiError::forbidden(
                "недостаточно прав для создания такой учётной записи",
            ))
        }
    }
    let (password, one_time) = match req.password {
        Some(p) => {
            check_password_strength(&p).map_err(ApiError::bad)?;
            (p, None)
        }
        None => {
            let p = random_password();
            (p.clone(), Some(p))
        }
    };
    let user = User {
        id: new_id(),
        email,
        name,
        role,
        partner,
        rights,
        password_hash: hash_password(&password).map_err(ApiError::Internal)?,
        must_change_password: one_time.is_some(),
        digest: role == Role::Coordinator,
        ics_token: Some(random_token()),
        disabled: false,
    };
    match state.service.store.create_user(&user, Utc::now()).await {
        Ok(()) => Ok(CreatedUser {
            user,
            one_time_password: one_time,
        }),
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict(
            "email_taken",
            format!("пользователь с адресом {} уже есть", user.email),
        )),
        Err(e) => Err(e.into()),
    }
}

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
        Json(create(&state, &auth.user, req).await?),
    ))
}

/// Lists accounts: all for admins, the company's own for partner users.
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

/// Disables an account (admins; a partner's main user for the company's own users): it can
/// no longer sign in, its sessions end and its API tokens stop working at once.
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
    let store = &state.service.store;
    let by = &auth.user;
    let main_user = by.role == Role::Partner && by.rights == Some(Rights::Main);
    if by.role != Role::Admin && !main_user {
        return Err(ApiError::forbidden(
            "отключать учётные записи могут администратор и основной пользователь партнёра",
        ));
    }
    // Another company's account answers like one that does not exist.
    let Some(mut user) = store
        .user(id)
        .await?
        .filter(|u| by.role == Role::Admin || (u.partner.is_some() && u.partner == by.partner))
    else {
        return Err(ApiError::not_found("такой учётной записи нет"));
    };
    if user.id == by.id {
        return Err(ApiError::field(
            "id",
            "свою учётную запись отключить нельзя",
        ));
    }
    user.disabled = disabled;
    store.update_user(&user).await?;
    if disabled {
        store.end_sessions(&user.id, None).await?;
    }
    Ok(Json(user))
}
