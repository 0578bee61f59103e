//! Pages of the events programs (item programs with `[events]`): the partner's «Новое
//! мероприятие» form and history, the event page (promotion window, shown on the site or not,
//! promo and report uploads, points and compensation with the bracket row), and for
//! coordinators the queue of applications and reports across every program, the calendar of
//! upcoming events and a partner's history. Kinds, topics and refusal codes come from the
//! workflow files.

use super::form::{FormData, FormState};
use super::page::{check_csrf, render, render_status, see_other, Page, UiError, UiResult, Viewer};
use crate::domain::Program;
use crate::http::api::event_view::{event_detail, EventDetail};
use crate::http::api::events::{calendar_rows, queue_rows, today, QueueRow};
use crate::http::commands::{self, CommandError, EventDecision, EventRequest};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::storage::{Page as StorePage, SeminarQuery};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The item programs loaded (those with an `[events]` window).
fn event_programs(state: &AppState) -> Vec<&Program> {
    state
        .service
        .programs()
        .filter(|p| p.wf.events.is_some())
        .collect()
}

fn pick<'s>(state: &'s AppState, id: Option<&str>) -> Result<&'s Program, UiError> {
    let all = event_programs(state);
    match id {
        Some(id) => all.into_iter().find(|p| p.id() == id),
        None => all.into_iter().next(),
    }
    .ok_or_else(|| UiError::Api(ApiError::not_found("программа мероприятий не найдена")))
}

pub(super) fn require_staff(v: &Viewer) -> Result<(), UiError> {
    if v.is_staff() {
        Ok(())
    } else {
        Err(UiError::Api(ApiError::forbidden(
            "страница доступна только координаторам",
        )))
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct NewEventPage {
    program_id: String,
    program_name: String,
    programs: Vec<Choice>,
    kinds: Vec<Choice>,
    topics: Vec<Choice>,
    materials: Vec<Choice>,
    window: String,
    form: FormState,
}

#[derive(Deserialize, Default)]
pub struct ProgramQuery {
    program: Option<String>,
}

fn choices<'a>(items: impl Iterator<Item = (&'a str, &'a str)>, sel: Option<&str>) -> Vec<Choice> {
    items
        .map(|(v, l)| Choice {
            value: v.into(),
            label: l.into(),
            selected: sel == Some(v),
        })
        .collect()
}

fn new_event_page(
    state: &AppState,
    v: &Viewer,
    prog: &Program,
    form: FormState,
    status: StatusCode,
) -> UiResult {
    let wf = &prog.wf;
    let sel = |k: &str| form.values.get(k).map(String::as_str);
    let window = wf
        .events
        .as_ref()
        .map(|e| {
            format!(
                "Мероприятия программы проходят с {} по {}.",
                super::format::date(e.from),
                super::format::date(e.to)
            )
        })
        .unwrap_or_default();
    let data = NewEventPage {
        program_id: prog.id().into(),
        program_name: wf.name.clone(),
        programs: choices(
            event_programs(state)
                .into_iter()
                .map(|p| (p.id(), p.wf.name.as_str())),
            Some(prog.id()),
        ),
        kinds: choices(
            wf.kinds.iter().map(|k| (k.id.as_str(), k.name.as_str())),
            sel("kind"),
        ),
        topics: choices(
            wf.topics.iter().map(|t| (t.id.as_str(), t.name.as_str())),
            sel("topic"),
        ),
        materials: choices(
            [
                ("none", "не нужны"),
                ("send", "пришлёт вендор"),
                ("print", "напечатаем сами по шаблону"),
            ]
            .into_iter(),
            sel("materials"),
        ),
        window,
        form: form.clone(),
    };
    let page =
        Page::new("Новое мероприятие", "/my/events/new", Some(v)).errors_of(&form, str::to_string);
    Ok(render_status(state, status, page, "event_new", data))
}

fn require_announce_rights(v: &Viewer) -> Result<(), UiError> {
    if v.user.partner.is_none() || v.is_limited() {
        return Err(UiError::Api(ApiError::forbidden(
            "анонсировать мероприятие может пользователь партнёра с полными правами",
        )));
    }
    Ok(())
}

/// `/my/events/new`: the announcement form.
pub async fn new_form(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ProgramQuery>,
) -> UiResult {
    require_announce_rights(&v)?;
    let prog = pick(&state, q.program.as_deref())?;
    new_event_page(&state, &v, prog, FormState::default(), StatusCode::OK)
}

pub async fn announce(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_announce_rights(&v)?;
    let prog = pick(&state, form.get("program").map(String::as_str))?;
    let get = |k: &str| form.get(k).cloned();
    let req = EventRequest {
        partner: None,
        kind: get("kind"),
        topic: get("topic"),
        date: get("date"),
        end_date: get("end_date"),
        city: get("city"),
        online: form.contains_key("online"),
        materials: get("materials"),
        info_support: Some(form.contains_key("info_support")),
        audience: None,
        co_organizers: get("co_organizers").into_iter().collect(),
    };
    let r = commands::announce(&state, &v.auth(), prog.id(), req).await;
    let mut f = FormState::with_values(&form);
    match r {
        Ok(id) => return Ok(see_other(&format!("/events/{id}?done=announced"))),
        Err(CommandError::Invalid(list)) => {
            for i in list {
                f.add(i.field.form(), Some(i.field.label()), i.message);
            }
        }
        Err(CommandError::Api(ApiError::Refused(r))) => {
            f = f.general(commands::capitalize(&r.message));
        }
        Err(CommandError::Api(e)) => return Err(e.into()),
    }
    new_event_page(&state, &v, prog, f, StatusCode::UNPROCESSABLE_ENTITY)
}

#[derive(Serialize)]
struct EventPage {
    event: EventDetail,
    staff: bool,
    partner_may_act: bool,
    pending: bool,
    has_promo: bool,
    promo_open: bool,
    report_open: bool,
    /// The evidence the kind's report requires (`report_requires`), one checkbox each, named
    /// as the file's `[evidence]` names it.
    evidence: Vec<Choice>,
    /// The report fields the kind's reductions read (`input_<name>`).
    inputs: Vec<InputField>,
    rejections: Vec<Choice>,
    support_refusals: Vec<Choice>,
    form: FormState,
}

/// One report field a reduction reads: a count, or a checkbox whose checked value is `value`.
#[derive(Serialize)]
struct InputField {
    name: String,
    label: String,
    count: bool,
    value: &'static str,
}

/// The fields the reductions of `kind` read from the report, once each, in file order. A
/// reduction fired by a missing thing (`negate`) is a checkbox that sends `false`; the third-party
/// count is the report's own field already.
fn report_inputs(wf: &crate::domain::workflow::Workflow, kind: &str) -> Vec<InputField> {
    let mut seen = std::collections::BTreeSet::new();
    wf.results
        .by_kind
        .reductions
        .iter()
        .filter(|r| r.kinds.iter().any(|k| k == kind))
        .filter(|r| {
            r.input != crate::domain::items::accept::THIRD_PARTY && seen.insert(r.input.clone())
        })
        .map(|r| {
            let name = r.name.clone().unwrap_or_else(|| r.code.clone());
            let count = r.factor_per_unit.is_some();
            InputField {
                name: r.input.clone(),
                label: if count {
                    format!("{name}: сколько")
                } else {
                    name
                },
                count,
                value: if r.negate { "false" } else { "true" },
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn event_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    form: FormState,
    done: Option<String>,
    status: StatusCode,
) -> UiResult {
    let s = commands::visible_seminar(state, &v.auth(), id).await?;
    let prog = crate::http::api::programs::program(state, &s.program)?;
    let event = event_detail(prog, &s, &v.user, state.clock.now());
    let stage_open = |id: &str| {
        s.stages.get(id).is_some_and(|p| {
            s.state.is_active()
                && !matches!(
                    p.status,
                    crate::domain::StageStatus::Submitted | crate::domain::StageStatus::Approved
                )
        })
    };
    let promo = prog.wf.promotion.as_ref().map(|p| p.stage.clone());
    let report = prog.wf.report_stage().map(|st| st.id.clone());
    let data = EventPage {
        staff: v.is_staff(),
        partner_may_act: !v.is_staff(),
        pending: s.state == crate::domain::SeminarState::Applied,
        has_promo: promo.as_ref().is_some_and(|p| s.stages.contains_key(p)),
        promo_open: promo.as_deref().is_some_and(stage_open) && event.info_support,
        report_open: report.as_deref().is_some_and(stage_open)
            && s.state == crate::domain::SeminarState::Held,
        evidence: prog
            .wf
            .kinds
            .iter()
            .find(|k| k.id == s.item.kind)
            .map(|k| k.report_requires.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|e| Choice {
                value: e.clone(),
                label: prog.wf.evidence_label(e).to_string(),
                selected: false,
            })
            .collect(),
        inputs: report_inputs(&prog.wf, &s.item.kind),
        rejections: choices(
            prog.wf
                .rejections
                .iter()
                .map(|r| (r.code.as_str(), r.name.as_str())),
            form.values.get("code").map(String::as_str),
        ),
        support_refusals: choices(
            prog.wf
                .support_refusals
                .iter()
                .map(|r| (r.code.as_str(), r.name.as_str())),
            form.values.get("support_refusal").map(String::as_str),
        ),
        event,
        form: form.clone(),
    };
    let title = format!("{} {}", data.event.kind_name, super::format::date(s.date));
    let page = Page::new(title, "/events", Some(v))
        .flash(done.as_deref())
        .errors_of(&form, str::to_string);
    Ok(render_status(state, status, page, "event", data))
}

/// `/events/{id}`: the event page.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    event_page(
        &state,
        &v,
        &id,
        FormState::default(),
        q.done,
        StatusCode::OK,
    )
    .await
}

/// `/events/{id}/decide`: approve with the agreed amounts, or reject with a code.
pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    let get = |k: &str| form.get(k).cloned();
    let approve = form.get("decision").map(String::as_str) == Some("approve");
    let d = if approve {
        EventDecision::Approve {
            estimate: get("estimate"),
            materials_cost: get("materials_cost"),
            compensation: get("compensation"),
            info_support: None,
            support_refusal: get("support_refusal"),
        }
    } else {
        EventDecision::Reject {
            code: get("code"),
            comment: get("comment"),
        }
    };
    let back = get("back").filter(|b| b == "/events/queue");
    let mut f = FormState::with_values(&form);
    match commands::decide_event(&state, &v.auth(), &id, d).await {
        Ok(()) => {
            let code = if approve {
                "event_approved"
            } else {
                "event_rejected"
            };
            let to = back.unwrap_or_else(|| format!("/events/{id}"));
            return Ok(see_other(&super::page::with_done(&to, code)));
        }
        Err(CommandError::Invalid(list)) => {
            for i in list {
                f.add(i.field.form(), Some(i.field.label()), i.message);
            }
        }
        Err(CommandError::Api(ApiError::Refused(r))) => {
            f = f.general(commands::capitalize(&r.message));
        }
        Err(CommandError::Api(e)) => return Err(e.into()),
    }
    event_page(&state, &v, &id, f, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Serialize)]
struct QueuePage {
    rows: Vec<QueueRow>,
    /// The program filter: every loaded program, the chosen one marked.
    programs: Vec<ProgramFilter>,
    all: bool,
}

#[derive(Serialize)]
struct ProgramFilter {
    id: String,
    name: String,
    current: bool,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    done: Option<String>,
    program: Option<String>,
}

/// `/events/queue`: applications and submissions waiting, every program side by side.
pub async fn queue(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<QueueQuery>,
) -> UiResult {
    require_staff(&v)?;
    let program = q.program.filter(|p| !p.is_empty());
    let rows = queue_rows(&state, program.clone()).await?;
    let mut programs: Vec<ProgramFilter> = state
        .service
        .programs()
        .map(|p| ProgramFilter {
            id: p.wf.id.clone(),
            name: p.wf.name.clone(),
            current: program.as_deref() == Some(p.wf.id.as_str()),
        })
        .collect();
    programs.sort_by(|a, b| a.id.cmp(&b.id));
    let data = QueuePage {
        rows,
        all: program.is_none(),
        programs,
    };
    let page =
        Page::new("Очередь заявок и отчётов", "/events/queue", Some(&v)).flash(q.done.as_deref());
    Ok(render(&state, page, "events_queue", data))
}

#[derive(Serialize)]
struct ListPage {
    title: String,
    events: Vec<EventDetail>,
    empty: String,
    new_link: bool,
    /// The partner's support and the form to suspend or resume it (a partner's history only).
    support: Option<super::support::SupportBox>,
}

/// `/events/calendar`: upcoming events of every item program (a partner sees its own).
pub async fn calendar(State(state): State<AppState>, v: Viewer) -> UiResult {
    let from = today(&state);
    let to = from + Duration::days(90);
    let events = calendar_rows(&state, from, to, v.user.partner.clone(), &v.user).await?;
    let data = ListPage {
        title: "Календарь мероприятий".into(),
        events,
        empty: "В ближайшие 90 дней мероприятий нет.".into(),
        new_link: false,
        support: None,
    };
    let page = Page::new("Календарь мероприятий", "/events/calendar", Some(&v));
    Ok(render(&state, page, "events_list", data))
}

/// Every event of `partner` in the item programs, newest first.
async fn history(state: &AppState, v: &Viewer, partner: &str) -> Result<Vec<EventDetail>, UiError> {
    let q = SeminarQuery {
        partner: Some(partner.to_string()),
        by_date: true,
        page: StorePage::first(500),
        ..SeminarQuery::default()
    };
    let now = state.clock.now();
    let mut out = vec![];
    for (_, s) in state.service.store.find_seminars(&q).await? {
        if s.item.is_flagship() {
            continue;
        }
        if let Ok(p) = crate::http::api::programs::program(state, &s.program) {
            out.push(event_detail(p, &s, &v.user, now));
        }
    }
    out.reverse();
    Ok(out)
}

/// `/my/events`: the partner's own events.
pub async fn my(State(state): State<AppState>, v: Viewer) -> UiResult {
    let Some(partner) = v.user.partner.clone() else {
        return Ok(see_other("/events/queue"));
    };
    let events = history(&state, &v, &partner).await?;
    let data = ListPage {
        title: "Мои мероприятия".into(),
        events,
        empty: "Мероприятий пока нет.".into(),
        new_link: !v.is_limited(),
        support: None,
    };
    let page = Page::new("Мои мероприятия", "/my/events", Some(&v));
    Ok(render(&state, page, "events_list", data))
}

/// `/partners/{id}/events`: a partner's history, for coordinators.
pub async fn partner_history(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<super::support::Done>,
) -> UiResult {
    require_staff(&v)?;
    let events = history(&state, &v, &id).await?;
    let data = ListPage {
        title: format!("Мероприятия партнёра {id}"),
        events,
        empty: "У партнёра нет мероприятий.".into(),
        new_link: false,
        support: Some(super::support::support_box(&state, &id, q.done.as_deref()).await?),
    };
    let page = Page::new(data.title.clone(), "/events/queue", Some(&v));
    Ok(render(&state, page, "events_list", data))
}
