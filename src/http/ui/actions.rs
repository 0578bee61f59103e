//! Forms posted from the seminar page: the coordinator's decisions (application, approve, return
//! with a due date, violation, report) and the partner's upload and withdrawal. Each checks the
//! session's CSRF token, runs the command at the business clock's now, and either redirects
//! back with a message or shows the page again with the errors next to the fields.

use super::format;
use super::page::{
    check_csrf, safe_back, see_other, with_done, FormData, FormState, UiError, UiResult, Viewer,
};
use super::seminar::{seminar_page, Forms};
use crate::domain::deadline::local_date;
use crate::domain::{Command, Kopecks, ReportFigures};
use crate::http::api::files::save_upload;
use crate::http::api::programs::program;
use crate::http::api::seminars::{run_command, visible_seminar};
use crate::http::error::ApiError;
use crate::http::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::NaiveDate;

/// Shows the seminar page again with one form's errors.
async fn again(
    state: &AppState,
    v: &Viewer,
    id: &str,
    key: String,
    form: FormState,
    status: StatusCode,
) -> UiResult {
    let mut forms = Forms::new();
    forms.insert(key, form);
    seminar_page(state, v, id, forms, status, None).await
}

fn require_staff(v: &Viewer) -> Result<(), UiError> {
    if v.is_staff() {
        Ok(())
    } else {
        Err(UiError::Api(ApiError::forbidden(
            "это действие доступно только координаторам программы",
        )))
    }
}

fn comment(form: &FormData, key: &str) -> Option<String> {
    form.get(key)
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// Runs a command; a refusal becomes the form's error (status from the API's mapping).
async fn run(
    state: &AppState,
    v: &Viewer,
    program_id: &str,
    cmd: Command,
) -> Result<(), (StatusCode, String)> {
    match run_command(state, &v.auth(), program_id, cmd).await {
        Ok(_) => Ok(()),
        Err(ApiError::Internal(detail)) => {
            tracing::error!(%detail, "command failed on a page");
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "Внутренняя ошибка сервера: попробуйте ещё раз или обратитесь к администратору."
                    .into(),
            ))
        }
        Err(e) => Err((e.status(), capitalize(&e.to_string()))),
    }
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Coordinator: approve or reject an application (from the seminar page or the dashboard).
pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    let (cmd, done) = match form.get("decision").map(String::as_str) {
        Some("approve") => (
            Command::ApproveApplication {
                seminar: id.clone(),
            },
            "application_approved",
        ),
        Some("reject") => (
            Command::RejectApplication {
                seminar: id.clone(),
                comment: comment(&form, "comment"),
            },
            "application_rejected",
        ),
        _ => {
            let f =
                FormState::with_values(&form).general("Выберите: утвердить или отклонить заявку.");
            return again(
                &state,
                &v,
                &id,
                "decide".into(),
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        let f = FormState::with_values(&form).general(msg);
        return again(&state, &v, &id, "decide".into(), f, status).await;
    }
    let back = form
        .get("back")
        .and_then(|b| safe_back(b))
        .unwrap_or_else(|| format!("/seminars/{id}"));
    Ok(see_other(&with_done(&back, done)))
}

/// Coordinator: approve a stage's waiting version (the report stage: accept the report).
pub async fn approve(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    let prog = program(&state, &s.program)?;
    let is_report = prog.wf.stage(&stage).is_some_and(|st| st.report);
    let cmd = Command::Approve {
        seminar: id.clone(),
        stage: stage.clone(),
        comment: comment(&form, "comment"),
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        let f = FormState::with_values(&form).general(msg);
        return again(&state, &v, &id, format!("approve:{stage}"), f, status).await;
    }
    let done = if is_report {
        "report_accepted"
    } else {
        "approved"
    };
    Ok(see_other(&format!(
        "/seminars/{id}?done={done}#stage-{stage}"
    )))
}

/// Coordinator: return a stage's waiting version with a comment and an optional due date.
pub async fn return_stage(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    let prog = program(&state, &s.program)?;
    let key = format!("return:{stage}");
    let mut f = FormState::with_values(&form);
    let text = comment(&form, "comment");
    if text.is_none() {
        f = f.field(
            "comment",
            "Напишите, что нужно доработать: партнёр увидит это в письме и на странице семинара.",
        );
    }
    let today = local_date(prog.tz, state.clock.now());
    let due = match form.get("due").map(|d| d.trim()).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(d, "%d.%m.%Y"))
        {
            Ok(date) if date < today => {
                f = f.field(
                    "due",
                    format!(
                        "Срок {} уже прошёл: укажите сегодняшнюю или более позднюю дату.",
                        format::date(date)
                    ),
                );
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                f = f.field("due", "Укажите дату в формате ДД.ММ.ГГГГ.");
                None
            }
        },
    };
    if f.has_errors() {
        return again(&state, &v, &id, key, f, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let cmd = Command::Return {
        seminar: id.clone(),
        stage: stage.clone(),
        due,
        comment: text,
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        return again(&state, &v, &id, key, f.general(msg), status).await;
    }
    Ok(see_other(&format!(
        "/seminars/{id}?done=returned#stage-{stage}"
    )))
}

/// Coordinator: record a manual violation from the program's catalogue.
pub async fn violation(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    let prog = program(&state, &s.program)?;
    let mut f = FormState::with_values(&form);
    let code = form.get("code").cloned().unwrap_or_default();
    let rule = prog.wf.manual(&code);
    if rule.is_none() {
        f = f.field("code", "Выберите нарушение из каталога программы.");
    }
    let count = match form
        .get("count")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        None => 1,
        Some(c) => match c.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                f = f.field("count", "Количество — целое число от 1 до 100.");
                1
            }
        },
    };
    if count > 1 && rule.is_some_and(|r| !r.repeatable) {
        f = f.field("count", "Это нарушение фиксируется один раз; укажите 1.");
    }
    let cost = match form.get("cost").map(|c| c.trim()).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match format::parse_money(c) {
            Ok(k) => Some(k),
            Err(m) => {
                f = f.field("cost", capitalize(&m));
                None
            }
        },
    };
    let note = comment(&form, "note");
    if note.is_none() {
        f = f.field(
            "note",
            "Опишите, что и где нарушено: партнёр увидит это как причину штрафа.",
        );
    }
    if f.has_errors() {
        return again(
            &state,
            &v,
            &id,
            "violation".into(),
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let cmd = Command::Violation {
        seminar: id.clone(),
        code,
        count,
        cost,
        note,
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        return again(&state, &v, &id, "violation".into(), f.general(msg), status).await;
    }
    Ok(see_other(&format!(
        "/seminars/{id}?done=violation#penalties"
    )))
}

/// Partner: withdraw the seminar (after confirming).
pub async fn withdraw(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    if v.is_staff() || v.is_limited() {
        return Err(UiError::Api(ApiError::forbidden(
            "отозвать семинар может пользователь партнёра с полными правами",
        )));
    }
    if form.get("confirm").map(String::as_str) != Some("yes") {
        let f = FormState::with_values(&form)
            .field("confirm", "Отметьте, что понимаете последствия отзыва.");
        return again(
            &state,
            &v,
            &id,
            "withdraw".into(),
            f,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let cmd = Command::Withdraw {
        seminar: id.clone(),
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        let f = FormState::with_values(&form).general(msg);
        return again(&state, &v, &id, "withdraw".into(), f, status).await;
    }
    Ok(see_other(&with_done(
        &format!("/seminars/{id}"),
        "withdrawn",
    )))
}

/// Partner: upload a new version of a stage (files, a link, a comment, report figures).
/// The CSRF field must come first, so nothing is stored for a forged request.
pub async fn submit(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    mut mp: Multipart,
) -> UiResult {
    let bad_form = |m: String| UiError::Api(ApiError::bad(m));
    let first = mp
        .next_field()
        .await
        .map_err(|e| bad_form(format!("форма не получена целиком: {}", e.body_text())))?;
    let mut csrf = FormData::new();
    if let Some(field) = first.filter(|f| f.name() == Some("_csrf")) {
        let token = field.text().await.unwrap_or_default();
        csrf.insert("_csrf".into(), token);
    }
    check_csrf(&v, &csrf)?;
    let s = visible_seminar(&state, &v.auth(), &id).await?;
    let prog = program(&state, &s.program)?;
    let key = format!("submit:{stage}");
    let mut fields = FormData::new();
    let mut files = vec![];
    let mut f = FormState::default();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| bad_form(format!("форма не получена целиком: {}", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        if is_file {
            if field.file_name().is_some_and(|n| n.is_empty()) {
                continue; // a file input left empty
            }
            match save_upload(&state, field, &v.user.actor()).await {
                Ok(up) => files.push(format!("{}:{}", up.sha256, up.name)),
                Err(e) => {
                    let msg = capitalize(&e.to_string());
                    f.errors.insert("file".into(), msg);
                }
            }
        } else {
            let text = field.text().await.unwrap_or_default();
            fields.insert(name, text);
        }
    }
    f.values = fields.clone();
    let is_report = prog.wf.stage(&stage).is_some_and(|st| st.report);
    let text = comment(&fields, "comment");
    let link = comment(&fields, "link");
    if let Some(l) = &link {
        if !(l.starts_with("https://") || l.starts_with("http://")) || l.len() > 2000 {
            f = f.field("link", "Ссылка должна начинаться с https:// или http://.");
        }
    }
    let mut report = None;
    if is_report {
        let mut num = |k: &str, required: bool| -> u32 {
            match fields.get(k).map(|x| x.trim()).filter(|x| !x.is_empty()) {
                None if required => {
                    f.errors
                        .insert(k.into(), "Обязательное поле отчёта.".into());
                    0
                }
                None => 0,
                Some(x) => x.parse().unwrap_or_else(|_| {
                    f.errors
                        .insert(k.into(), format!("«{x}» — не целое неотрицательное число."));
                    0
                }),
            }
        };
        let attendees = num("attendees", true);
        let registrations = num("registrations", true);
        let third = num("third_party_companies", false);
        let mut money = |k: &str, required: bool| -> Option<Kopecks> {
            match fields.get(k).map(|x| x.trim()).filter(|x| !x.is_empty()) {
                None => {
                    if required {
                        f.errors
                            .insert(k.into(), "Обязательное поле отчёта.".into());
                    }
                    None
                }
                Some(x) => format::parse_money(x)
                    .map_err(|m| f.errors.insert(k.into(), capitalize(&m)))
                    .ok(),
            }
        };
        let costs = money("costs", true);
        let estimate = money("estimate", false);
        if let Some(costs) = costs {
            report = Some(ReportFigures {
                attendees,
                registrations,
                costs,
                third_party_companies: third,
                estimate: estimate.unwrap_or(costs),
                // Co-organizers are reported through the API for now.
                co_organizers: vec![],
                vendor_talks_by: None,
            });
        }
    } else if files.is_empty() && link.is_none() && text.is_none() && !f.errors.contains_key("file")
    {
        f = f.field(
            "file",
            "Приложите файл, дайте ссылку или напишите текст в комментарии.",
        );
    }
    if f.has_errors() {
        if !files.is_empty() {
            f.error = Some("Исправьте ошибки и выберите файлы заново: они не отправлены.".into());
        }
        return again(&state, &v, &id, key, f, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    files.extend(link);
    let cmd = Command::Submit {
        seminar: id.clone(),
        stage: stage.clone(),
        report,
        files,
        comment: text,
    };
    if let Err((status, msg)) = run(&state, &v, &s.program, cmd).await {
        return again(&state, &v, &id, key, f.general(msg), status).await;
    }
    Ok(see_other(&format!(
        "/seminars/{id}?done=submitted#stage-{stage}"
    )))
}
