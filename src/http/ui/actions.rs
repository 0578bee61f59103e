//! Forms posted from the seminar page: the coordinator's decisions (application, approve, return
//! with a due date, violation, report) and the partner's upload and withdrawal. Each checks the
//! session's CSRF token and hands the form to the shared command layer (`http::commands`, the
//! same rules and messages as the JSON API), then either redirects back with a message or shows
//! the page again with the errors next to the fields.

use super::page::{
    check_csrf, safe_back, see_other, with_done, FormData, FormState, UiError, UiResult, Viewer,
};
use super::seminar::{seminar_page, Forms};
use crate::domain::items::brackets::Input;
use crate::http::api::files::save_upload;
pub use crate::http::commands::capitalize;
use crate::http::commands::{
    self, CommandError, CommandResult, Decision, Field, ItemReportInput, ReportInput,
    ReturnRequest, SubmitRequest, ViolationRequest,
};
use crate::http::error::{ApiError, ErrorReport};
use crate::http::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Form;

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
    seminar_page(state, v, id, forms, status, &Default::default()).await
}

/// A command's answer as a page: done → `done(value)` to redirect to; input to correct → the
/// form again (422) with each message next to its field; a refusal by the engine → the form
/// again with the message above it; not allowed or not found → the error page.
async fn answer<T>(
    state: &AppState,
    v: &Viewer,
    id: &str,
    key: String,
    mut f: FormState,
    result: CommandResult<T>,
    done: impl FnOnce(T) -> String,
) -> UiResult {
    let e = match result {
        Ok(x) => return Ok(see_other(&done(x))),
        Err(CommandError::Invalid(list)) => {
            let report = ErrorReport {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_input".into(),
                detail: list
                    .iter()
                    .map(|i| format!("{}: {}", i.field.path(), i.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            for i in list {
                if matches!(i.field, Field::Decision) {
                    f.error.get_or_insert(i.message);
                } else {
                    f.add(&i.field.input(), Some(i.field.label()), i.message);
                }
            }
            let resp = again(state, v, id, key, f, StatusCode::UNPROCESSABLE_ENTITY).await?;
            return Ok(report.attach(resp));
        }
        Err(CommandError::Api(e)) => e,
    };
    match e {
        ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Unauthorized => {
            Err(UiError::Api(e))
        }
        e => {
            let (status, report) = (e.status(), e.report());
            let msg = match e {
                ApiError::Internal(_) => {
                    "Внутренняя ошибка сервера: попробуйте ещё раз или обратитесь к администратору."
                        .into()
                }
                // The message alone: the API's field path (`report.costs`) means nothing here.
                ApiError::Invalid { message, .. } => capitalize(&message),
                other => capitalize(&other.to_string()),
            };
            let resp = again(state, v, id, key, f.general(msg), status).await?;
            Ok(report.attach(resp))
        }
    }
}

fn text(form: &FormData, key: &str) -> Option<String> {
    form.get(key).cloned()
}

/// Coordinator: approve or reject an application (from the seminar page or the dashboard).
pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let decision = match form.get("decision").map(String::as_str) {
        Some("approve") => Some(Decision::Approve),
        Some("reject") => Some(Decision::Reject {
            comment: text(&form, "comment"),
        }),
        _ => None,
    };
    let done = if matches!(decision, Some(Decision::Approve)) {
        "accepted"
    } else {
        "declined"
    };
    let r = commands::decide_application(&state, &v.auth(), &id, decision).await;
    // From the dashboard too, the message must not promise an e-mail nobody gets.
    let done = if r.is_ok() && !super::mail::seminar_mail_reaches_someone(&state, &id).await? {
        if done == "accepted" {
            "accepted_unsent"
        } else {
            "declined_unsent"
        }
    } else {
        done
    };
    let back = form
        .get("back")
        .and_then(|b| safe_back(b))
        .unwrap_or_else(|| format!("/seminars/{id}"));
    let f = FormState::with_values(&form);
    answer(&state, &v, &id, "decide".into(), f, r, |()| {
        with_done(&back, done)
    })
    .await
}

/// Coordinator: approve a stage's waiting version (the report stage: accept the report).
pub async fn approve(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let r = commands::approve_stage(&state, &v.auth(), &id, &stage, text(&form, "comment")).await;
    let f = FormState::with_values(&form);
    let key = format!("approve:{stage}");
    answer(&state, &v, &id, key, f, r, |what| {
        let done = match what {
            commands::Approved::Report => "report_done",
            commands::Approved::Stage => "approved",
        };
        format!("/seminars/{id}?done={done}#stage-{stage}")
    })
    .await
}

/// Coordinator: return a stage's waiting version with a comment and an optional due date.
pub async fn return_stage(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let req = ReturnRequest {
        comment: text(&form, "comment"),
        due: text(&form, "due"),
    };
    let r = commands::return_stage(&state, &v.auth(), &id, &stage, req).await;
    let f = FormState::with_values(&form);
    answer(&state, &v, &id, format!("return:{stage}"), f, r, |()| {
        format!("/seminars/{id}?done=returned#stage-{stage}")
    })
    .await
}

/// Coordinator: record a manual violation from the program's catalogue.
pub async fn violation(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let req = ViolationRequest {
        code: text(&form, "code"),
        count: text(&form, "count"),
        cost: text(&form, "cost"),
        note: text(&form, "note"),
    };
    let r = commands::record_violation(&state, &v.auth(), &id, req).await;
    let f = FormState::with_values(&form);
    answer(&state, &v, &id, "violation".into(), f, r, |()| {
        format!("/seminars/{id}?done=violation#penalties")
    })
    .await
}

/// Partner: withdraw the seminar (after confirming).
pub async fn withdraw(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let confirmed = form.get("confirm").map(String::as_str) == Some("yes");
    let r = commands::withdraw(&state, &v.auth(), &id, confirmed).await;
    let f = FormState::with_values(&form);
    answer(&state, &v, &id, "withdraw".into(), f, r, |()| {
        with_done(&format!("/seminars/{id}"), "withdrawn")
    })
    .await
}

/// Partner: set or change the venue (a change too close to the seminar books the program's
/// venue rule, as the form warns).
pub async fn venue(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let r = commands::change_venue(&state, &v.auth(), &id, text(&form, "venue")).await;
    let f = FormState::with_values(&form);
    answer(&state, &v, &id, "venue".into(), f, r, |()| {
        with_done(&format!("/seminars/{id}"), "venue")
    })
    .await
}

/// Partner: upload a new version of a stage (files, a link, a comment, report figures).
/// The CSRF field must come first, so nothing is stored for a forged request.
pub async fn submit(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, stage)): Path<(String, String)>,
    mut mp: Multipart,
) -> UiResult {
    let first = mp.next_field().await.map_err(incomplete)?;
    let mut csrf = FormData::new();
    if let Some(field) = first.filter(|f| f.name() == Some("_csrf")) {
        let token = field.text().await.map_err(incomplete)?;
        csrf.insert("_csrf".into(), token);
    }
    check_csrf(&v, &csrf)?;
    let s = commands::authorize_submit(&state, &v.auth(), &id).await?;
    let (req, fields) = read_form(&state, &mut mp, &v.auth().actor()).await?;
    let uploaded = !req.files.is_empty() || req.attendee_list.is_some();
    let r = commands::submit_version(&state, &v.auth(), &s, &stage, req).await;
    let mut f = FormState::with_values(&fields);
    if uploaded && matches!(r, Err(CommandError::Invalid(_))) {
        f.error = Some("Исправьте ошибки и выберите файлы заново: они не отправлены.".into());
    }
    answer(&state, &v, &id, format!("submit:{stage}"), f, r, |()| {
        format!("/seminars/{id}?done=submitted#stage-{stage}")
    })
    .await
}

fn incomplete(e: axum::extract::multipart::MultipartError) -> UiError {
    UiError::Api(ApiError::bad(format!(
        "форма не получена целиком: {}",
        e.body_text()
    )))
}

/// An item report's evidence (`evidence_<name>` checkboxes) and the inputs the reductions read
/// (`input_<name>`: a checkbox is a flag, a number a count).
fn item_fields(fields: &FormData) -> ItemReportInput {
    let mut item = ItemReportInput {
        materials_costs: text(fields, "materials_costs"),
        ledger: text(fields, "ledger").filter(|l| !l.is_empty()),
        ..ItemReportInput::default()
    };
    for (k, v) in fields {
        if let Some(name) = k.strip_prefix("evidence_") {
            if v == "on" {
                item.evidence.push(name.to_string());
            }
        } else if let Some(name) = k.strip_prefix("input_") {
            let value = match v.trim() {
                "on" | "true" => Some(Input::Flag(true)),
                "off" | "false" => Some(Input::Flag(false)),
                t => t.parse().ok().map(Input::Count),
            };
            if let Some(value) = value {
                item.inputs.insert(name.to_string(), value);
            }
        }
    }
    item
}

/// The upload form as a submission: files are stored as they stream in (a file that cannot be
/// stored becomes the `file` field's error, and the rest of the form is still read).
async fn read_form(
    state: &AppState,
    mp: &mut Multipart,
    actor: &str,
) -> Result<(SubmitRequest, FormData), UiError> {
    let mut req = SubmitRequest::default();
    let mut fields = FormData::new();
    while let Some(field) = mp.next_field().await.map_err(incomplete)? {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name() {
            Some("") => continue, // a file input left empty
            Some(_) => match save_upload(state, field, actor).await {
                Ok(up) if name == "attendee_list" => req.attendee_list = Some(up),
                Ok(up) => req.files.push(up),
                Err(e) => {
                    req.upload_error
                        .get_or_insert_with(|| capitalize(&e.to_string()));
                }
            },
            None => {
                let text = field.text().await.map_err(incomplete)?;
                fields.insert(name, text);
            }
        }
    }
    req.comment = text(&fields, "comment");
    req.links.extend(text(&fields, "link"));
    req.estimate = commands::estimate_lines_from_fields(&fields);
    req.report = ReportInput {
        attendees: text(&fields, "attendees"),
        registrations: text(&fields, "registrations"),
        costs: text(&fields, "costs"),
        third_party_companies: text(&fields, "third_party_companies"),
        item: item_fields(&fields),
        // Co-organizers are reported through the API for now.
        ..ReportInput::default()
    };
    Ok((req, fields))
}
