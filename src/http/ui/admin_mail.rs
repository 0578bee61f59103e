//! `/admin/outbox`: every notification with its delivery state for the staff, the failed ones
//! first, with the reason in Russian, what to fix, and «Отправить снова» for one or all (through
//! the service: audited, and the notifier tries the failed recipients afresh).

use super::admin::require_staff;
use super::mail::{mail_rows, status_label, MailRowUi};
use super::page::{
    check_csrf, encode, render, safe_back, see_other, with_done, FormData, Page, UiError, UiResult,
    Viewer,
};
use crate::http::AppState;
use crate::service::ServiceError;
use crate::storage::{OutboxQuery, Page as ListPage};
use axum::extract::{Path, Query, State};
use axum::Form;
use chrono::Utc;
use serde::{Deserialize, Serialize};

/// Rows per page of the outbox list.
const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct OutboxParams {
    /// `failed` (default), `pending`, `digest`, `sent` or `all`.
    status: Option<String>,
    program: Option<String>,
    /// Keyset paging, newest first: rows older than this id.
    before: Option<i64>,
    done: Option<String>,
}

#[derive(Serialize)]
struct Tab {
    href: String,
    label: String,
    current: bool,
}

#[derive(Serialize)]
struct OutboxPage {
    tabs: Vec<Tab>,
    rows: Vec<MailRowUi>,
    failed_total: i64,
    showing_failed: bool,
    back: String,
    next: Option<String>,
    empty: &'static str,
}

const STATUSES: [&str; 5] = ["failed", "pending", "digest", "sent", "all"];

async fn tabs(state: &AppState, current: &str, program: Option<&str>) -> UiResult<Vec<Tab>> {
    let counts = state.service.store.outbox_counts().await?;
    let count = |s: &str| -> i64 {
        counts
            .iter()
            .filter(|(k, _)| s == "all" || k == s)
            .map(|(_, n)| n)
            .sum()
    };
    let extra = program
        .map(|p| format!("&program={}", encode(p)))
        .unwrap_or_default();
    Ok(STATUSES
        .iter()
        .map(|s| Tab {
            href: format!("/admin/outbox?status={s}{extra}"),
            label: format!(
                "{} ({})",
                if *s == "all" {
                    "все"
                } else {
                    status_label(s).0
                },
                count(s)
            ),
            current: *s == current,
        })
        .collect())
}

pub async fn outbox(
    State(state): State<AppState>,
    v: Viewer,
    Query(p): Query<OutboxParams>,
) -> UiResult {
    require_staff(&v)?;
    let status = p
        .status
        .as_deref()
        .filter(|s| STATUSES.contains(s))
        .unwrap_or("failed");
    let program = p.program.as_deref().filter(|s| !s.is_empty());
    let q = OutboxQuery {
        status: (status != "all").then(|| status.to_string()),
        program: program.map(String::from),
        newest_first: true,
        page: ListPage {
            after: p.before,
            offset: 0,
            limit: Some(PER_PAGE),
        },
        ..OutboxQuery::default()
    };
    let store = &state.service.store;
    let rows = store.find_outbox(&q).await?;
    let failed_total = store
        .count_outbox(&OutboxQuery {
            status: Some("failed".into()),
            program: program.map(String::from),
            ..OutboxQuery::default()
        })
        .await?;
    let mut back = format!("/admin/outbox?status={status}");
    if let Some(pr) = program {
        back.push_str(&format!("&program={}", encode(pr)));
    }
    let next = (rows.len() as i64 == PER_PAGE)
        .then(|| rows.last().map(|r| format!("{back}&before={}", r.id)))
        .flatten();
    let data = OutboxPage {
        tabs: tabs(&state, status, program).await?,
        rows: mail_rows(&state, &rows).await?,
        failed_total,
        showing_failed: status == "failed",
        next,
        empty: if status == "failed" {
            "Недоставленных писем нет: все уведомления кому-то пришли или ещё в пути."
        } else {
            "Писем в этом состоянии нет."
        },
        back,
    };
    let page = Page::new("Почта", "/admin/outbox", Some(&v)).flash(p.done.as_deref());
    Ok(render(&state, page, "admin_outbox", data))
}

/// Back to the page the button was on (the outbox, a seminar), with the message `code`.
fn back_to(form: &FormData, code: &str) -> axum::response::Response {
    let back = form
        .get("back")
        .and_then(|b| safe_back(b))
        .unwrap_or_else(|| "/admin/outbox".into());
    see_other(&with_done(&back, code))
}

pub async fn retry_one(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(UiError::Api(crate::http::error::ApiError::not_found(
            "такого письма нет",
        )));
    };
    match state.service.retry_delivery(&v.user, id, Utc::now()).await {
        Ok(()) => Ok(back_to(&form, "mail_retried")),
        // Someone sent it again a moment ago: nothing left to do here.
        Err(ServiceError::Conflict(..)) => Ok(back_to(&form, "mail_not_failed")),
        Err(e) => Err(UiError::Api(e.into())),
    }
}

pub async fn retry_failed(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    let seminar = form.get("seminar").filter(|s| !s.is_empty());
    state
        .service
        .retry_failed_deliveries(&v.user, seminar.map(String::as_str), Utc::now())
        .await
        .map_err(|e| UiError::Api(e.into()))?;
    Ok(back_to(&form, "mail_retried"))
}
