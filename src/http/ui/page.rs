//! What every page shares: the embedded templates (handlebars, strict mode, HTML escaping), the
//! layout with the signed-in user and the navigation, the `Viewer` extractor (session cookie,
//! redirect to the login page), CSRF checks of posted forms, flash messages and error pages.

pub use super::form::{FormData, FormState, SummaryItem};
use super::format;
use crate::accounts::{token_hash, Rights, Role, User};
use crate::http::auth::{cookie, Auth, SESSION_COOKIE};
use crate::http::error::ApiError;
use crate::http::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext};
use serde::Serialize;
use std::sync::OnceLock;

macro_rules! ui_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/ui/", $name, ".hbs")))),*]
    };
}

/// Every page template; `layout` and names starting with `_` are partials.
const TEMPLATES: &[(&str, &str)] = ui_templates!(
    "layout",
    "_penalties",
    "_estimate",
    "_headings",
    "_pager",
    "login",
    "account",
    "programs",
    "dashboard",
    "seminar",
    "my_seminars",
    "apply",
    "penalties",
    "ledger",
    "public",
    "error",
    "_mail",
    "admin_users",
    "admin_partners",
    "admin_clock",
    "admin_outbox",
    "event_new",
    "event",
    "events_queue",
    "events_list",
    "standing",
    "standings_at_risk",
);

pub const CSS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/templates/ui/static/app.css"
));
pub const JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/templates/ui/static/app.js"
));

/// `{{v map "key"}}`: the value under `key`, or nothing — for refilling form fields that may
/// not have been sent (strict mode forbids reading a missing key directly).
fn value_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let key = h.param(1).and_then(|p| p.value().as_str()).unwrap_or("");
    if let Some(v) = h.param(0).and_then(|p| p.value().get(key)) {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        out.write(&handlebars::html_escape(&text))?;
    }
    Ok(())
}

/// `{{ru_date d}}`: an ISO date (`2017-06-01`) as the pages show dates (`01.06.2017`); any
/// other text as it is.
fn ru_date_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let raw = h.param(0).and_then(|p| p.value().as_str()).unwrap_or("");
    let text = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(crate::text::date)
        .unwrap_or_else(|_| raw.to_string());
    out.write(&handlebars::html_escape(&text))?;
    Ok(())
}

/// The registry, built once. A broken template is a programming error caught by the tests.
pub fn templates() -> &'static Handlebars<'static> {
    static REG: OnceLock<Handlebars<'static>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut h = Handlebars::new();
        h.set_strict_mode(true);
        h.register_helper("v", Box::new(value_helper));
        h.register_helper("ru_date", Box::new(ru_date_helper));
        for (name, text) in TEMPLATES {
            let r = if *name == "layout" || name.starts_with('_') {
                h.register_partial(name, *text)
            } else {
                h.register_template_string(name, *text)
            };
            if let Err(e) = r {
                panic!("templates/ui/{name}.hbs: {e}");
            }
        }
        h
    })
}

/// The signed-in user of a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
    /// The partner company's name, for partner users.
    pub partner_name: Option<String>,
}

impl Viewer {
    /// The same caller as the JSON API sees it, to run commands through the shared helpers.
    pub fn auth(&self) -> Auth {
        Auth {
            user: self.user.clone(),
            csrf: Some(self.csrf.clone()),
            session_hash: Some(self.session_hash.clone()),
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user.is_staff()
    }

    /// A partner user with limited rights: reads and uploads, no money, no applications.
    pub fn is_limited(&self) -> bool {
        self.user.rights == Some(Rights::Limited)
    }
}

async fn load_viewer(parts: &Parts, state: &AppState) -> Result<Option<Viewer>, ApiError> {
    let Some(token) = cookie(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let store = &state.service.store;
    let Some((user, csrf)) = store
        .session(&hash, Utc::now())
        .await?
        .filter(|(u, _)| !u.disabled)
    else {
        return Ok(None);
    };
    let partner_name = match &user.partner {
        Some(p) => store.partner(p).await?.map(|x| x.name),
        None => None,
    };
    Ok(Some(Viewer {
        user,
        csrf,
        session_hash: hash,
        partner_name,
    }))
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A local path to return to after a form or the login (never another site).
pub fn safe_back(s: &str) -> Option<String> {
    let ok = s.starts_with('/')
        && !s.starts_with("//")
        && !s.contains('\\')
        && !s.chars().any(|c| c.is_control());
    ok.then(|| s.to_string())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // Back to this page after signing in (a form post cannot be repeated: its page instead).
        let here = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into())
        } else {
            "/".into()
        };
        match load_viewer(parts, state).await {
            Ok(Some(v)) => {
                let path = parts.uri.path();
                let allowed =
                    path == "/account" || path == "/account/password" || path == "/logout";
                if v.user.must_change_password && !allowed {
                    return Err(Redirect::to("/account?must=1").into_response());
                }
                Ok(v)
            }
            Ok(None) => {
                Err(Redirect::to(&format!("/login?next={}", encode(&here))).into_response())
            }
            Err(e) => Err(UiError::Api(e).into_response()),
        }
    }
}

/// A page's query parameters; a malformed one (`?page=abc`) is a 400 error page in Russian, not
/// axum's English plain text.
pub struct PageQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(PageQuery(v)),
            Err(rej) => Err(UiError::Api(ApiError::BadRequest(
                "invalid_query",
                format!(
                    "{}; откройте страницу заново из меню",
                    crate::http::query_problem(&rej.body_text())
                ),
            ))
            .into_response()),
        }
    }
}

/// A page that anyone may open; the viewer when signed in.
pub struct MaybeViewer(pub Option<Viewer>);

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        load_viewer(parts, state)
            .await
            .map(MaybeViewer)
            .map_err(|e| UiError::Api(e).into_response())
    }
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct UserBadge {
    name: String,
    email: String,
    role: String,
}

#[derive(Serialize)]
struct Layout {
    title: String,
    user: Option<UserBadge>,
    nav: Vec<NavItem>,
    csrf: String,
    clock: String,
    clock_manual: bool,
    flash: Option<&'static str>,
    /// What a failed form must have corrected, shown at the top of the page.
    summary: Vec<SummaryItem>,
}

/// What a page tells the layout.
pub struct Page<'a> {
    pub title: String,
    /// `href` of the navigation item to mark as current.
    pub current: &'static str,
    pub viewer: Option<&'a Viewer>,
    pub flash: Option<&'static str>,
    /// The error summary of the forms that failed (empty: none shown).
    pub summary: Vec<SummaryItem>,
}

impl<'a> Page<'a> {
    pub fn new(
        title: impl Into<String>,
        current: &'static str,
        viewer: Option<&'a Viewer>,
    ) -> Self {
        Page {
            title: title.into(),
            current,
            viewer,
            flash: None,
            summary: Vec::new(),
        }
    }

    pub fn flash(mut self, done: Option<&str>) -> Self {
        self.flash = done.and_then(flash_text);
        self
    }

    /// Lists `form`'s errors in the summary at the top of the page («Исправьте, пожалуйста:»),
    /// each linking to its input: `anchor(name)` is the `id` of the input named `name`.
    pub fn errors_of(mut self, form: &FormState, anchor: impl Fn(&str) -> String) -> Self {
        self.summary.extend(form.summary(anchor));
        self
    }
}

fn role_text(v: &Viewer) -> String {
    let u = &v.user;
    match (u.role, u.rights) {
        (Role::Partner, Some(r)) => {
            let company = v
                .partner_name
                .as_deref()
                .or(u.partner.as_deref())
                .unwrap_or("");
            format!("партнёр «{company}», {}", r.label())
        }
        (role, _) => role.label().to_string(),
    }
}

/// The menu; `events`: an events program is loaded (its pages are listed).
fn nav(v: Option<&Viewer>, manual_clock: bool, events: bool) -> Vec<(&'static str, &'static str)> {
    match v {
        None => vec![
            ("/organizers", "Организаторы семинаров"),
            ("/login", "Войти"),
        ],
        Some(v) if v.is_staff() => {
            let mut n = vec![
                ("/dashboard", "Панель координатора"),
                ("/admin/users", "Пользователи"),
                ("/admin/partners", "Партнёры"),
                ("/admin/outbox", "Почта"),
            ];
            if events {
                n.insert(1, ("/events/queue", "Очередь"));
                n.insert(2, ("/events/calendar", "Календарь мероприятий"));
            }
            n.insert(n.len() - 3, ("/partners/at-risk", "Под угрозой"));
            if manual_clock && v.user.role == Role::Admin {
                n.push(("/admin/clock", "Часы"));
            }
            n.push(("/organizers", "Публичная страница"));
            n.push(("/account", "Профиль"));
            n
        }
        Some(v) => {
            let mut n = vec![("/my", "Мои семинары")];
            if events {
                n.push(("/my/events", "Мои мероприятия"));
            }
            if !v.is_limited() {
                n.push(("/my/apply", "Подать заявку"));
                if events {
                    n.push(("/my/events/new", "Новое мероприятие"));
                }
            }
            n.push(("/my/status", "Мой статус"));
            n.push(("/my/penalties", "Штрафы"));
            n.push((
                "/my/ledger",
                if v.user.sees_money() {
                    "Баллы и бонусы"
                } else {
                    "Баллы"
                },
            ));
            if !v.is_limited() {
                n.push(("/my/team", "Сотрудники"));
            }
            n.push(("/account", "Профиль"));
            n
        }
    }
}

/// The header clock: in the programs' deadline zone, named as they name it, when they all
/// share one; in UTC otherwise (no single zone is "the" zone then). Also how lists spanning
/// programs show an instant.
pub fn clock_text(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> String {
    let programs: Vec<&crate::domain::Program> = state.service.programs().collect();
    match programs.split_first() {
        Some((first, rest)) if rest.iter().all(|p| p.tz == first.tz) => format::instant(first, now),
        _ => format::instant_in(chrono_tz::UTC, now),
    }
}

/// Renders `template` inside the layout with the given status.
pub fn render_status(
    state: &AppState,
    status: StatusCode,
    page: Page<'_>,
    template: &str,
    data: impl Serialize,
) -> Response {
    let now = state.clock.now();
    let layout = Layout {
        title: page.title,
        user: page.viewer.map(|v| UserBadge {
            name: v.user.name.clone(),
            email: v.user.email.clone(),
            role: role_text(v),
        }),
        nav: nav(
            page.viewer,
            state.clock.is_manual(),
            state.service.programs().any(|p| p.wf.events.is_some()),
        )
        .into_iter()
        .map(|(href, label)| NavItem {
            href,
            label,
            current: href == page.current,
        })
        .collect(),
        csrf: page.viewer.map(|v| v.csrf.clone()).unwrap_or_default(),
        clock: clock_text(state, now),
        clock_manual: state.clock.is_manual(),
        flash: page.flash,
        summary: page.summary,
    };
    // A page whose data does not serialize is a bug: say so, never render it half empty.
    let value = serde_json::to_value(data).and_then(|mut value| {
        if !value.is_object() {
            value = serde_json::json!({});
        }
        if let Some(obj) = value.as_object_mut() {
            obj.insert("layout".into(), serde_json::to_value(layout)?);
        }
        Ok(value)
    });
    let rendered = value
        .map_err(|e| e.to_string())
        .and_then(|v| templates().render(template, &v).map_err(|e| e.to_string()));
    match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::Internal(format!("page template {template} failed: {e}"))
            .report()
            .attach(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><meta charset=utf-8><title>Ошибка</title><p>Страница не отрисовалась из-за внутренней ошибки. Попробуйте ещё раз или обратитесь к администратору.</p>".to_string()),
                )
                    .into_response(),
            ),
    }
}

pub fn render(state: &AppState, page: Page<'_>, template: &str, data: impl Serialize) -> Response {
    render_status(state, StatusCode::OK, page, template, data)
}

/// Messages shown after a successful form (`?done=<code>`); unknown codes show nothing.
pub fn flash_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "applied" => {
            "Заявка подана. Координатор рассмотрит её в ближайший день рассмотрения заявок."
        }
        "accepted" => "Заявка утверждена, партнёр получит письмо.",
        "declined" => "Заявка отклонена, партнёр получит письмо.",
        "accepted_unsent" => {
            "Заявка утверждена, но письмо партнёру не отправлено: у партнёра нет ни одного активного пользователя. Сообщите о решении сами или добавьте партнёру пользователя."
        }
        "declined_unsent" => {
            "Заявка отклонена, но письмо партнёру не отправлено: у партнёра нет ни одного активного пользователя. Сообщите о решении сами или добавьте партнёру пользователя."
        }
        "reviewed" => "Заявки распределены по предложению системы.",
        "announced" => "Мероприятие анонсировано: координатор рассмотрит заявку.",
        "event_approved" => "Заявка на мероприятие утверждена, партнёр получит письмо.",
        "event_rejected" => "Заявка на мероприятие отклонена, партнёр получит письмо.",
        "submitted" => "Материалы отправлены координатору на проверку.",
        "approved" => "Этап согласован.",
        "report_done" => "Отчёт принят: баллы и компенсация начислены.",
        "returned" => "Материалы возвращены на доработку, партнёр получит письмо.",
        "violation" => "Нарушение зафиксировано, партнёр получит письмо.",
        "withdrawn" => "Семинар отозван.",
        "venue" => "Место проведения сохранено; оно показано на странице организаторов.",
        "password" => "Пароль изменён.",
        "calendar_link" => {
            "Выдана новая ссылка на календарь: старая больше не работает. Подпишитесь на новую."
        }
        "phone" => "Телефон сохранён.",
        "logged_out" => "Вы вышли из системы.",
        "account_off" => "Учётная запись отключена: войти с ней нельзя, её сеансы завершены.",
        "account_on" => "Учётная запись снова включена.",
        "mail_retried" => {
            "Письма поставлены на повторную отправку: они уйдут в течение минуты. Получатели, которым письмо уже пришло, второй копии не получат."
        }
        "mail_not_failed" => "Это письмо уже отправлено или ждёт отправки.",
        "partner_added" => "Партнёр сохранён.",
        "coordinator_set" => "Координатор партнёра назначен.",
        "clock_moved" => "Часы переведены; сроки, наступившие по пути, обработаны.",
        _ => return None,
    })
}

/// Constant-time comparison of the posted CSRF token with the session's.
pub fn check_csrf(v: &Viewer, form: &FormData) -> Result<(), UiError> {
    let sent = form.get("_csrf").map(String::as_str).unwrap_or("");
    if csrf_matches(sent, &v.csrf) {
        Ok(())
    } else {
        Err(UiError::Api(ApiError::forbidden(
            "форма устарела или открыта в другом сеансе: обновите страницу и отправьте её ещё раз",
        )))
    }
}

pub fn csrf_matches(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && !expected.is_empty()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Errors of page handlers: the API's error shown as a page (401 sends to the login page).
#[derive(Debug)]
pub enum UiError {
    Api(ApiError),
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError::Api(e)
    }
}

impl From<crate::storage::StoreError> for UiError {
    fn from(e: crate::storage::StoreError) -> Self {
        UiError::Api(e.into())
    }
}

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    heading: &'static str,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let UiError::Api(e) = self;
        if matches!(e, ApiError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        let status = e.status();
        // Logged once, by `http::error::log_errors`.
        let report = e.report();
        let message = match &e {
            ApiError::Internal(_) => {
                "внутренняя ошибка сервера; попробуйте ещё раз или обратитесь к администратору"
                    .to_string()
            }
            other => other.to_string(),
        };
        let heading = match status {
            StatusCode::NOT_FOUND => "Страница не найдена",
            StatusCode::FORBIDDEN => "Недостаточно прав",
            s if s.is_server_error() => "Что-то пошло не так",
            _ => "Действие не выполнено",
        };
        let data = ErrorPage {
            status: status.as_u16(),
            heading,
            message,
        };
        // The error page has no state at hand: a minimal layout with a way back home.
        let layout = serde_json::json!({
            "title": heading, "user": null, "nav": [{"href": "/", "label": "На главную", "current": false}],
            "csrf": "", "clock": "", "clock_manual": false, "flash": null, "summary": [],
        });
        let Ok(mut value) = serde_json::to_value(data) else {
            return (status, heading).into_response();
        };
        if let Some(o) = value.as_object_mut() {
            o.insert("layout".into(), layout);
        }
        let resp = match templates().render("error", &value) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, heading).into_response(),
        };
        report.attach(resp)
    }
}

pub type UiResult<T = Response> = Result<T, UiError>;

/// Security headers on every page: no framing, no inline scripts, no foreign origins.
pub async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res
}

/// A redirect after a successful form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// `path?done=code` (or `&done=` when the path has a query already).
pub fn with_done(path: &str, code: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}done={code}")
}
