//! Pages of the partner programs (issue 11 item 5): the partner's «Мой статус» (`/my/status`),
//! the coordinators' «Партнёры под угрозой» (`/partners/at-risk`) and a partner's card
//! (`/partners/{id}`) with its standings and the forms of the vendor's decisions the file
//! declares (`POST /partners/{id}/standings/{program}`).

use super::events::require_staff;
use super::form::FormData;
use super::page::{check_csrf, render, render_status, see_other, Page, UiError, UiResult, Viewer};
use crate::domain::Program;
use crate::http::api::standing_view::{partner_standings, ProgramStanding};
use crate::http::api::standings::{at_risk_rows, coordinators_action, run_step, AtRiskRow};
use crate::http::error::ApiError;
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Card {
    program: String,
    program_name: String,
    state: String,
    state_label: String,
    code: String,
    name: String,
    since: String,
    until: String,
    points: Vec<PointsRow>,
    has_points: bool,
    active: Vec<String>,
    next: Option<GoalUi>,
    keep: Option<GoalUi>,
    risks: Vec<String>,
    history: Vec<String>,
    /// The vendor decisions of the file (coordinators only).
    forms: Vec<ActionForm>,
}

#[derive(Serialize)]
struct PointsRow {
    ledger: String,
    booked: String,
    kind: String,
    reason: String,
    points: i64,
    expires: String,
}

#[derive(Serialize)]
struct GoalUi {
    title: String,
    missing: Vec<String>,
    met: bool,
}

#[derive(Serialize)]
struct ActionForm {
    name: String,
    op: String,
}

/// A form per vendor decision the file declares.
fn forms_of(prog: &Program) -> Vec<ActionForm> {
    prog.wf
        .standing
        .iter()
        .flat_map(|p| p.actions.iter())
        .filter(|a| coordinators_action(&a.op))
        .map(|a| ActionForm {
            name: a.name.clone(),
            op: a.op.clone(),
        })
        .collect()
}

fn card(prog: &Program, v: ProgramStanding, staff: bool) -> Card {
    let day = |d: Option<chrono::NaiveDate>| d.map(crate::text::date).unwrap_or_default();
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&prog.tz).date_naive();
    let points: Vec<PointsRow> = v
        .ledgers
        .iter()
        .flat_map(|l| {
            l.entries.iter().map(|e| PointsRow {
                ledger: l.ledger.clone(),
                booked: crate::text::date(local(e.booked_at)),
                kind: e.kind.clone(),
                reason: e.reason.clone(),
                points: e.points,
                expires: e.last_day.map_or("бессрочно".into(), |d| {
                    format!("по {}", crate::text::date(d))
                }),
            })
        })
        .collect();
    let goal = |g: &crate::http::api::standing_view::Goal, keep: bool| GoalUi {
        title: if keep {
            format!(
                "Чтобы сохранить «{}» после {}",
                g.name,
                crate::text::date(crate::http::api::standing_view::last_day(prog, g.at))
            )
        } else {
            format!("Для «{}»", g.name)
        },
        met: g.missing.is_empty(),
        missing: g
            .missing
            .iter()
            .map(|m| format!("{}: {}", m.label, m.text))
            .collect(),
    };
    let forms = if staff { forms_of(prog) } else { vec![] };
    Card {
        program: v.program.clone(),
        program_name: v.program_name.clone(),
        state: v.state.clone(),
        state_label: v.state_label.clone(),
        code: v.code.clone().unwrap_or_default(),
        name: v.name.clone().unwrap_or_else(|| "нет".into()),
        since: day(v.since.map(local)),
        until: day(v.last_day),
        has_points: !points.is_empty(),
        points,
        active: v
            .ledgers
            .iter()
            .map(|l| format!("{}: {}", l.ledger, l.active))
            .collect(),
        next: v.next.as_ref().map(|g| goal(g, false)),
        keep: v.keep.as_ref().map(|g| goal(g, true)),
        risks: v.risks.iter().map(|r| r.message.clone()).collect(),
        history: v
            .history
            .iter()
            .map(|h| {
                format!(
                    "{} — {}{}",
                    crate::text::date(local(h.at)),
                    h.change,
                    h.code
                        .as_ref()
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
        forms,
    }
}

async fn cards(state: &AppState, partner: &str, staff: bool) -> Result<Vec<Card>, UiError> {
    let now = state.clock.now();
    let views = partner_standings(
        &state.service.store,
        state.service.partner_programs(),
        partner,
        now,
    )
    .await?;
    Ok(views
        .into_iter()
        .filter_map(|v| {
            let prog = state.service.program(&v.program)?;
            Some(card(prog, v, staff))
        })
        .collect())
}

#[derive(Serialize)]
struct StatusPage {
    title: String,
    partner: String,
    cards: Vec<Card>,
    staff: bool,
    error: Option<String>,
    done: Option<String>,
}

/// `/my/status`: the partner's own standings.
pub async fn my(State(state): State<AppState>, v: Viewer) -> UiResult {
    let Some(partner) = v.user.partner.clone() else {
        return Ok(see_other("/partners/at-risk"));
    };
    let data = StatusPage {
        title: "Мой статус".into(),
        cards: cards(&state, &partner, false).await?,
        partner,
        staff: false,
        error: None,
        done: None,
    };
    let page = Page::new("Мой статус", "/my/status", Some(&v));
    Ok(render(&state, page, "standing", data))
}

#[derive(Deserialize, Default)]
pub struct CardQuery {
    done: Option<String>,
}

async fn partner_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    error: Option<String>,
    done: Option<String>,
    status: StatusCode,
) -> UiResult {
    let partner = state
        .service
        .store
        .partner(id)
        .await?
        .ok_or_else(|| UiError::Api(ApiError::not_found("партнёр не найден")))?;
    let data = StatusPage {
        title: format!("Партнёр «{}»", partner.name),
        partner: id.to_string(),
        cards: cards(state, id, true).await?,
        staff: true,
        error,
        done,
    };
    let page = Page::new(data.title.clone(), "/partners/at-risk", Some(v));
    Ok(render_status(state, status, page, "standing", data))
}

/// `/partners/{id}`: a partner's standings and the coordinator's decision forms.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> UiResult {
    require_staff(&v)?;
    let done = q
        .done
        .filter(|d| !d.is_empty())
        .map(|d| format!("Действие «{d}» выполнено."));
    partner_page(&state, &v, &id, None, done, StatusCode::OK).await
}

/// `fields` of the form: one `name = value` a line; numbers and `true`/`false` as such.
pub fn parse_fields(text: &str) -> Result<BTreeMap<String, serde_json::Value>, String> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!(
                "строка {}: нужно «имя = значение», а написано «{line}»",
                i + 1
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(format!("строка {}: не указано имя поля", i + 1));
        }
        let value = match v {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            _ => v
                .parse::<i64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| serde_json::Value::String(v.to_string())),
        };
        out.insert(k.to_string(), value);
    }
    Ok(out)
}

/// `POST /partners/{id}/standings/{program}`: `do`, optional `by`, `fields` lines.
pub async fn step(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, program)): Path<(String, String)>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let action = form.get("do").cloned().unwrap_or_default();
    let fail = |msg: String| async {
        partner_page(
            &state,
            &v,
            &id,
            Some(msg),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
    };
    let mut fields = match parse_fields(form.get("fields").map_or("", String::as_str)) {
        Ok(f) => f,
        Err(e) => return fail(format!("Поля: {e}")).await,
    };
    if let Some(by) = form.get("by").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        fields.insert("by".into(), by.into());
    }
    match run_step(&state, &v.auth(), &id, &program, &action, &fields).await {
        Ok(_) => Ok(see_other(&format!(
            "/partners/{id}?done={}",
            super::format::url_encode(&action)
        ))),
        Err(ApiError::Forbidden(m)) => Err(UiError::Api(ApiError::Forbidden(m))),
        Err(e) => {
            let msg = match &e {
                ApiError::Refused(r) => format!("{} ({})", r.message, r.code_str()),
                other => other.to_string(),
            };
            fail(msg).await
        }
    }
}

#[derive(Serialize)]
struct AtRiskPage {
    rows: Vec<AtRiskUi>,
    all: bool,
    programs: Vec<Filter>,
}

#[derive(Serialize)]
struct AtRiskUi {
    partner: String,
    partner_name: String,
    program_name: String,
    status: String,
    reason: String,
    reason_label: String,
    date: String,
    message: String,
}

#[derive(Serialize)]
struct Filter {
    id: String,
    name: String,
    current: bool,
}

#[derive(Deserialize, Default)]
pub struct AtRiskQuery {
    program: Option<String>,
}

fn reason_label(reason: &str) -> &'static str {
    match reason {
        "expiring" => "истекает срок",
        "below_threshold" => "ниже порога",
        "renewal_not_requested" => "продление не запрошено",
        _ => "под угрозой",
    }
}

/// `/partners/at-risk`: partners at risk in the partner programs, soonest first.
pub async fn at_risk(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<AtRiskQuery>,
) -> UiResult {
    require_staff(&v)?;
    let program = q.program.filter(|p| !p.is_empty());
    let rows: Vec<AtRiskRow> = at_risk_rows(&state, program.as_deref()).await?;
    let data = AtRiskPage {
        rows: rows
            .into_iter()
            .map(|r| AtRiskUi {
                reason_label: reason_label(&r.reason).into(),
                partner: r.partner,
                partner_name: r.partner_name,
                program_name: r.program_name,
                status: r.name.unwrap_or_default(),
                reason: r.reason,
                date: crate::text::date(r.date),
                message: r.message,
            })
            .collect(),
        all: program.is_none(),
        programs: state
            .service
            .partner_programs()
            .map(|p| Filter {
                id: p.wf.id.clone(),
                name: p.wf.name.clone(),
                current: program.as_deref() == Some(p.wf.id.as_str()),
            })
            .collect(),
    };
    let page = Page::new("Партнёры под угрозой", "/partners/at-risk", Some(&v));
    Ok(render(&state, page, "standings_at_risk", data))
}
