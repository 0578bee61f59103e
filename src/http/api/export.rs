//! Lists as Excel files: `/api/seminars.xlsx`, `/api/penalties.xlsx`,
//! `/api/partners/{id}/ledger.xlsx` and `/api/programs/{id}/review-queue.xlsx`. Each calls the
//! JSON list it mirrors — same filters, same permissions, same rows (every page of it, up to
//! [`MAX_ROWS`]) — and writes those rows as one sheet. The pages link here with their filters.

use super::partners::{self, LedgerEntryView};
use super::programs;
use super::seminars::{self, PenaltyFilter, SeminarFilter};
use crate::domain::money::Kopecks;
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::PenaltyView;
use crate::http::{AppQuery, AppState};
use crate::sheets::export::{file_name, xlsx, Cell, Table, CONTENT_TYPE};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// More rows than any season has: an export stops here and says so in its last row.
pub const MAX_ROWS: usize = 100_000;

fn local(tz: Tz, t: DateTime<Utc>) -> Cell {
    let n: NaiveDateTime = t.with_timezone(&tz).naive_local();
    Cell::DateTime(n)
}

/// A money string of the JSON views (`"15000.50"`, `"-300.00"`) as a number cell.
fn money(s: Option<&str>) -> Cell {
    let Some(s) = s else {
        return Cell::Empty;
    };
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s),
    };
    match digits.parse::<Kopecks>() {
        Ok(k) => Cell::Money(Kopecks(sign * k.0)),
        Err(_) => Cell::Text(s.to_string()),
    }
}

fn attachment(name: &str, state: &AppState, table: &Table) -> ApiResult<Response> {
    let bytes = xlsx(table).map_err(|e| ApiError::Internal(e.to_string()))?;
    let today = state.clock.now().date_naive();
    Response::builder()
        .header(header::CONTENT_TYPE, CONTENT_TYPE)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file_name(name, today)),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn truncated(t: &mut Table) {
    t.push(vec![Cell::Text(format!(
        "Показаны первые {MAX_ROWS} строк: сузьте фильтры."
    ))]);
}

/// The zone times are shown in: the named program's, else the zone all programs share, else UTC.
fn zone(state: &AppState, program: Option<&str>) -> Tz {
    match program.and_then(|p| state.service.program(p)) {
        Some(p) => p.tz,
        None => crate::domain::Program::shared_zone(state.service.programs()).unwrap_or(Tz::UTC),
    }
}

/// The seminars of `/api/seminars` with the same filters, as an XLSX file.
#[utoipa::path(get, path = "/api/seminars.xlsx", tag = "seminars", params(SeminarFilter), responses((status = 200, description = "XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn seminars_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(mut f): AppQuery<SeminarFilter>,
) -> ApiResult<Response> {
    let money_visible = auth.user.sees_money();
    let mut columns = vec![
        "Семинар",
        "Программа",
        "Партнёр",
        "Город",
        "Дата",
        "Неделя",
        "Состояние",
        "Инфоподдержка",
        "Штрафные баллы",
        "Баллы организатора",
    ];
    if money_visible {
        columns.push("Компенсация, ₽");
    }
    let mut t = Table::new("Семинары", &columns);
    f.page = None;
    f.per_page = None;
    f.limit = Some(200);
    f.cursor = None;
    // The whole filtered list in creation order (a cursor walks only that order).
    f.sort = None;
    loop {
        let page = seminars::list(State(state.clone()), auth.clone(), AppQuery(f.clone()))
            .await?
            .0;
        for s in &page.items {
            let mut row = vec![
                s.id.clone().into(),
                s.title.clone().into(),
                s.partner.clone().into(),
                s.city.clone().into(),
                s.date.into(),
                s.week.clone().into(),
                s.state_label.clone().into(),
                if s.info_support { "есть" } else { "нет" }.into(),
                Cell::Int(s.penalties.iter().map(|p| p.points).sum()),
                Cell::Int(s.points_awarded),
            ];
            if money_visible {
                row.push(money(s.compensation.as_deref()));
            }
            t.push(row);
        }
        if t.rows.len() >= MAX_ROWS {
            truncated(&mut t);
            break;
        }
        match page.next_cursor {
            Some(c) => f.cursor = Some(c),
            None => break,
        }
    }
    attachment("seminars", &state, &t)
}

fn penalty_row(tz: Tz, p: &PenaltyView) -> Vec<Cell> {
    let mut reason = p.reason.clone();
    if let Some(n) = &p.note {
        reason.push_str(&format!(" ({n})"));
    }
    vec![
        local(tz, p.at),
        p.seminar.clone().into(),
        p.name.clone().into(),
        p.stage.clone().into(),
        p.deadline.into(),
        p.days_late.into(),
        Cell::Int(p.points),
        if p.exclusion { "да" } else { "" }.into(),
        if p.info_support_withdrawn { "да" } else { "" }.into(),
        if p.manual {
            "координатор"
        } else {
            "автоматически"
        }
        .into(),
        reason.into(),
    ]
}

/// The penalties of `/api/penalties` with the same filters, newest first, as an XLSX file.
#[utoipa::path(get, path = "/api/penalties.xlsx", tag = "seminars", params(PenaltyFilter), responses((status = 200, description = "XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn penalties_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(mut f): AppQuery<PenaltyFilter>,
) -> ApiResult<Response> {
    let tz = zone(&state, f.program.as_deref());
    let mut t = Table::new(
        "Штрафы",
        &[
            "Когда",
            "Семинар",
            "Нарушение",
            "Этап",
            "Срок",
            "Дней опоздания",
            "Баллы",
            "Исключение",
            "Снята инфоподдержка",
            "Кто зафиксировал",
            "Причина",
        ],
    );
    f.limit = Some(1000);
    f.cursor = None;
    // The whole filtered list in booking order, page by page.
    (f.sort, f.page, f.per_page) = (None, None, None);
    loop {
        let (rows, next) = seminars::penalty_page(&state, &auth, &f).await?;
        for p in &rows {
            t.push(penalty_row(tz, p));
        }
        if t.rows.len() >= MAX_ROWS {
            truncated(&mut t);
            break;
        }
        match next {
            Some(c) => f.cursor = Some(c),
            None => break,
        }
    }
    attachment("penalties", &state, &t)
}

fn ledger_row(tz: Tz, e: &LedgerEntryView, kind: &str) -> Vec<Cell> {
    vec![
        kind.into(),
        e.seminar.clone().into(),
        e.reason.clone().into(),
        e.points.into(),
        money(e.amount.as_deref()),
        local(tz, e.booked_at),
        local(tz, e.expires_at),
        if e.active {
            "действует"
        } else {
            "не действует"
        }
        .into(),
    ]
}

/// A partner's points and bonus ledgers (`/api/partners/{id}/ledger`) as an XLSX file.
#[utoipa::path(get, path = "/api/partners/{id}/ledger.xlsx", tag = "partners", params(("id" = String, Path)), responses((status = 200, description = "XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = crate::http::error::ErrorBody)))]
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let tz = zone(&state, None);
    let every = AppQuery(partners::LedgerFilter::default());
    let l = partners::ledger(State(state.clone()), auth, Path(id), every)
        .await?
        .0;
    let mut t = Table::new(
        "Счета",
        &[
            "Счёт",
            "Семинар",
            "Основание",
            "Баллы",
            "Сумма, ₽",
            "Начислено",
            "Действует до",
            "Состояние",
        ],
    );
    for e in &l.points {
        t.push(ledger_row(tz, e, "баллы"));
    }
    for e in l.bonus.iter().flatten() {
        t.push(ledger_row(tz, e, "бонусы"));
    }
    attachment(&format!("ledger-{}", l.partner), &state, &t)
}

/// The coordinator's review queue (`/api/programs/{id}/review-queue`) as an XLSX file:
/// applications first, then submissions.
#[utoipa::path(get, path = "/api/programs/{id}/review-queue.xlsx", tag = "programs", params(("id" = String, Path)), responses((status = 200, description = "XLSX file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn review_queue_xlsx(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let tz = zone(&state, Some(&id));
    let q = programs::review_queue(State(state.clone()), auth, Path(id))
        .await?
        .0;
    let mut t = Table::new(
        "Очередь",
        &[
            "Что",
            "Семинар",
            "Партнёр",
            "Город",
            "Дата семинара",
            "Этап",
            "Срок или день рассмотрения",
            "Поступило",
            "Предложение системы",
            "Почему в таком порядке",
        ],
    );
    for a in &q.applications {
        t.push(vec![
            "заявка".into(),
            a.seminar.clone().into(),
            a.partner.clone().into(),
            a.city.clone().into(),
            a.date.into(),
            Cell::Empty,
            a.review_day.into(),
            local(tz, a.applied_at),
            a.suggestion.clone().into(),
            a.priority_reason.clone().into(),
        ]);
    }
    for s in &q.submissions {
        t.push(vec![
            "материалы".into(),
            s.seminar.clone().into(),
            s.partner.clone().into(),
            s.city.clone().into(),
            Cell::Empty,
            s.stage_name.clone().into(),
            s.deadline.into(),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]);
    }
    attachment("review-queue", &state, &t)
}
