//! Accounts on the pages: `/admin/users` for admins (everyone) and coordinators (partner
//! users), `/my/team` for a partner's users (their company). Adding a user, disabling, enabling
//! and a temporary password, each through the service (same rules and audit events as the API);
//! a new or reset password is shown once, on the page that answers the form.

use super::cards::{name_of, partner_names};
use super::page::{
    check_csrf, render_status, see_other, with_done, FormData, FormState, Page, UiError, UiResult,
    Viewer,
};
use crate::accounts::{Rights, Role, User};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::service::accounts::{can_manage, NewUser};
use crate::service::ServiceError;
use crate::storage::PartnerQuery;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::Utc;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    partner: Option<String>,
    state: &'static str,
    tone: &'static str,
    disabled: bool,
    can_manage: bool,
    is_me: bool,
}

/// The add form: which roles, partners and rights the viewer may choose.
#[derive(Serialize)]
struct AddForm {
    form: FormState,
    roles: Vec<Opt>,
    partners: Vec<Opt>,
    rights: Vec<Opt>,
    /// A partner user adds to its own company: no choice of role or partner.
    own_company: bool,
}

/// A password shown once.
#[derive(Serialize)]
struct Issued {
    name: String,
    email: String,
    password: String,
    new_user: bool,
}

#[derive(Serialize)]
struct UsersPage {
    heading: String,
    intro: &'static str,
    base: &'static str,
    users: Vec<UserRow>,
    add: Option<AddForm>,
    issued: Option<Issued>,
    error: Option<String>,
    partner_filter: Vec<Opt>,
    filtered: bool,
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    partner: Option<String>,
    done: Option<String>,
}

/// Where this viewer manages accounts: `/admin/users` for staff, `/my/team` for partners.
fn base_of(v: &Viewer) -> &'static str {
    if v.is_staff() {
        "/admin/users"
    } else {
        "/my/team"
    }
}

fn opt(value: &str, label: &str, chosen: Option<&str>) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
        selected: chosen == Some(value),
    }
}

fn user_row(v: &Viewer, u: &User, names: &std::collections::BTreeMap<String, String>) -> UserRow {
    let (state, tone) = if u.disabled {
        ("отключена", "muted")
    } else if u.must_change_password {
        ("ждёт смены временного пароля", "warn")
    } else {
        ("активна", "ok")
    };
    let role = match (u.role, u.rights) {
        (Role::Partner, Some(r)) => format!("партнёр, {}", r.label()),
        (role, _) => role.label().to_string(),
    };
    UserRow {
        id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
        role,
        partner: u.partner.as_deref().map(|p| name_of(names, p)),
        state,
        tone,
        disabled: u.disabled,
        can_manage: can_manage(&v.user, u),
        is_me: u.id == v.user.id,
    }
}

/// The add form for `v`, or `None` for a limited-rights user; staff get `partner` (the list's
/// filter) chosen unless the form says otherwise.
async fn add_form(
    state: &AppState,
    v: &Viewer,
    form: FormState,
    partner: Option<&str>,
) -> UiResult<Option<AddForm>> {
    let chosen = |k: &str| form.values.get(k).cloned();
    let (role, rights) = (chosen("role"), chosen("rights"));
    let rights_opts = |list: &[Rights]| {
        list.iter()
            .map(|r| opt(r.as_str(), r.label(), rights.as_deref().or(Some("limited"))))
            .collect::<Vec<_>>()
    };
    let all_rights = [Rights::Main, Rights::Full, Rights::Limited];
    match (v.user.role, v.user.rights) {
        (Role::Partner, Some(Rights::Limited)) | (Role::Partner, None) => Ok(None),
        (Role::Partner, Some(r)) => Ok(Some(AddForm {
            roles: vec![],
            partners: vec![],
            rights: rights_opts(if r == Rights::Main {
                &all_rights
            } else {
                &[Rights::Limited]
            }),
            own_company: true,
            form,
        })),
        (staff, _) => {
            let roles = if staff == Role::Admin {
                [Role::Partner, Role::Coordinator, Role::Admin]
                    .iter()
                    .map(|r| opt(r.as_str(), r.label(), role.as_deref().or(Some("partner"))))
                    .collect()
            } else {
                vec![]
            };
            let partner = chosen("partner").or(partner.map(String::from));
            let partners = partner_options(state, partner.as_deref()).await?;
            Ok(Some(AddForm {
                roles,
                partners,
                rights: rights_opts(&all_rights),
                own_company: false,
                form,
            }))
        }
    }
}

/// Every partner as a choice (name order), `chosen` selected.
async fn partner_options(state: &AppState, chosen: Option<&str>) -> UiResult<Vec<Opt>> {
    let q = PartnerQuery {
        page: crate::storage::Page::first(2000),
        ..PartnerQuery::default()
    };
    let mut list = state
        .service
        .store
        .find_partners(&q, state.clock.now())
        .await?;
    list.sort_by(|a, b| a.partner.name.cmp(&b.partner.name));
    Ok(list
        .iter()
        .map(|p| opt(&p.partner.id, &p.partner.name, chosen))
        .collect())
}

/// The page with the given add-form state, a password to show once, or an error above the list.
async fn users_page(
    state: &AppState,
    v: &Viewer,
    q: &UsersQuery,
    form: FormState,
    issued: Option<Issued>,
    status: StatusCode,
) -> UiResult {
    let mut users = state
        .service
        .manageable_users(&v.user)
        .await
        .map_err(|e| UiError::Api(e.into()))?;
    let filter = q.partner.as_deref().filter(|p| !p.is_empty());
    if let Some(p) = filter {
        users.retain(|u| u.partner.as_deref() == Some(p));
    }
    let names = partner_names(state, users.iter().filter_map(|u| u.partner.as_deref())).await?;
    let staff = v.is_staff();
    let heading = match &v.partner_name {
        Some(company) if !staff => format!("Сотрудники «{company}»"),
        _ => "Пользователи".to_string(),
    };
    let data = UsersPage {
        heading: heading.clone(),
        intro: if staff {
            "Учётные записи координаторов и партнёров. Отключённый пользователь не может войти и не получает писем; временный пароль нужно сменить при первом входе."
        } else {
            "Коллеги вашей компании, которые работают с семинарами. Отключённый сотрудник не может войти и не получает писем."
        },
        base: base_of(v),
        users: users.iter().map(|u| user_row(v, u, &names)).collect(),
        error: form
            .error
            .clone()
            .filter(|_| form.errors.is_empty() && form.values.is_empty()),
        add: add_form(state, v, form, filter).await?,
        issued,
        partner_filter: if staff {
            partner_options(state, filter).await?
        } else {
            vec![]
        },
        filtered: filter.is_some(),
    };
    let current = base_of(v);
    let page = Page::new(heading, current, Some(v)).flash(q.done.as_deref());
    Ok(render_status(state, status, page, "admin_users", data))
}

pub async fn users(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<UsersQuery>,
) -> UiResult {
    users_page(&state, &v, &q, FormState::default(), None, StatusCode::OK).await
}

/// Adds an account; shows its one-time password once.
pub async fn add_user(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let get = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let (role, partner) = if v.is_staff() {
        (
            get("role").unwrap_or_else(|| "partner".into()),
            get("partner"),
        )
    } else {
        ("partner".into(), v.user.partner.clone())
    };
    let role_partner = role == "partner";
    let req = NewUser {
        email: get("email").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        role,
        partner: partner.filter(|_| role_partner),
        rights: get("rights").filter(|_| role_partner),
        password: None,
    };
    let q = UsersQuery::default();
    let f = FormState::with_values(&form);
    if req.name.is_empty() || req.email.is_empty() {
        let mut f = f;
        if req.name.is_empty() {
            f = f.field("name", "укажите имя и фамилию");
        }
        if req.email.is_empty() {
            f = f.field(
                "email",
                "укажите e-mail: на него придут письма и он нужен для входа",
            );
        }
        return users_page(&state, &v, &q, f, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match state.service.register_user(&v.user, req, Utc::now()).await {
        Ok(created) => {
            let issued = created.one_time_password.map(|password| Issued {
                name: created.user.name.clone(),
                email: created.user.email.clone(),
                password,
                new_user: true,
            });
            users_page(&state, &v, &q, FormState::default(), issued, StatusCode::OK).await
        }
        Err(e) => {
            let (f, status) = form_error(f, e)?;
            users_page(&state, &v, &q, f, None, status).await
        }
    }
}

/// A refused add as the form shows it: next to its field, or above the form.
fn form_error(f: FormState, e: ServiceError) -> UiResult<(FormState, StatusCode)> {
    Ok(match e {
        ServiceError::Field(field, m) => (f.field(field, m), StatusCode::UNPROCESSABLE_ENTITY),
        ServiceError::Conflict("email_taken", m) => (f.field("email", m), StatusCode::CONFLICT),
        ServiceError::BadRequest(_, m) => (f.general(m), StatusCode::UNPROCESSABLE_ENTITY),
        ServiceError::Forbidden(m) => (f.general(m), StatusCode::FORBIDDEN),
        other => return Err(UiError::Api(ApiError::from(other))),
    })
}

/// What a row's button does.
#[derive(Clone, Copy)]
enum RowAction {
    Disable,
    Enable,
    Reset,
}

async fn row_action(state: &AppState, v: &Viewer, id: &str, what: RowAction) -> UiResult {
    let now = Utc::now();
    let service = &state.service;
    let result = match what {
        RowAction::Disable => service
            .set_user_disabled(&v.user, id, true, now)
            .await
            .map(|_| None),
        RowAction::Enable => service
            .set_user_disabled(&v.user, id, false, now)
            .await
            .map(|_| None),
        RowAction::Reset => service.reset_password(&v.user, id, now).await.map(Some),
    };
    let q = UsersQuery::default();
    match result {
        Ok(None) => {
            let done = if matches!(what, RowAction::Disable) {
                "account_off"
            } else {
                "account_on"
            };
            Ok(see_other(&with_done(base_of(v), done)))
        }
        Ok(Some((user, password))) => {
            let issued = Issued {
                name: user.name,
                email: user.email,
                password,
                new_user: false,
            };
            users_page(
                state,
                v,
                &q,
                FormState::default(),
                Some(issued),
                StatusCode::OK,
            )
            .await
        }
        Err(ServiceError::Field(_, m)) => {
            let f = FormState::default().general(m);
            users_page(state, v, &q, f, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(UiError::Api(e.into())),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    row_action(&state, &v, &id, RowAction::Disable).await
}

pub async fn enable(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    row_action(&state, &v, &id, RowAction::Enable).await
}

pub async fn reset_password(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    row_action(&state, &v, &id, RowAction::Reset).await
}

/// Staff only: the administration pages' gate.
pub fn require_staff(v: &Viewer) -> Result<(), UiError> {
    if v.is_staff() {
        Ok(())
    } else {
        Err(UiError::Api(ApiError::forbidden(
            "раздел доступен координаторам и администраторам",
        )))
    }
}

/// A page of the users list for the staff only (`/admin/users`), the team for partners.
pub async fn staff_users(state: State<AppState>, v: Viewer, q: Query<UsersQuery>) -> UiResult {
    require_staff(&v)?;
    users(state, v, q).await
}

/// `/my/team`: partners only (staff manage accounts at `/admin/users`).
pub async fn team(state: State<AppState>, v: Viewer, q: Query<UsersQuery>) -> UiResult {
    if v.is_staff() {
        return Ok(see_other("/admin/users"));
    }
    users(state, v, q).await
}
