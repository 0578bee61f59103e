//! The coordinator's dashboard for a program: the city × week slot grid, the review queue
//! (application groups with the suggested allocation and priority reasons; submissions waiting,
//! oldest deadline first), deadlines of the next 14 days, overdue items, recent penalties and
//! every seminar — filtered by city, partner and coordinator.

use super::cards::{
    name_of, partner_names, penalty_ui, seminar_row, week_name, PenaltyUi, SeminarRow,
};
use super::format;
use super::page::{
    check_csrf, render, see_other, with_done, FormData, Page, UiError, UiResult, Viewer,
};
use crate::accounts::Role;
use crate::domain::deadline::local_date;
use crate::domain::{Command, Seminar};
use crate::http::api::programs::{self as api_programs, program};
use crate::http::api::seminars::run_command;
use crate::http::error::ApiError;
use crate::http::views::seminar_view;
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Form, Json};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

fn require_staff(v: &Viewer) -> Result<(), UiError> {
    if v.is_staff() {
        Ok(())
    } else {
        Err(UiError::Api(ApiError::forbidden(
            "панель координатора доступна только координаторам; ваши семинары — в разделе «Мои семинары»",
        )))
    }
}

#[derive(Serialize)]
struct ProgramItem {
    href: String,
    name: String,
    seminars: String,
    applications: String,
}

#[derive(Serialize)]
struct ProgramsPage {
    programs: Vec<ProgramItem>,
}

/// `/dashboard`: the only program's dashboard, or the list of programs.
pub async fn index(State(state): State<AppState>, v: Viewer) -> UiResult {
    require_staff(&v)?;
    let programs: Vec<_> = state.service.programs().collect();
    if programs.len() == 1 {
        return Ok(see_other(&format!("/programs/{}", programs[0].id())));
    }
    let items = programs
        .iter()
        .map(|p| ProgramItem {
            href: format!("/programs/{}", p.id()),
            name: p.wf.name.clone(),
            seminars: format!(
                "{} – {}",
                format::date(p.wf.seminars.from),
                format::date(p.wf.seminars.to)
            ),
            applications: format!(
                "{} – {}",
                format::date(p.wf.applications.from),
                format::date(p.wf.applications.to)
            ),
        })
        .collect();
    Ok(render(
        &state,
        Page::new("Программы", "/dashboard", Some(&v)),
        "programs",
        ProgramsPage { programs: items },
    ))
}

#[derive(Deserialize, Default)]
pub struct Filter {
    city: Option<String>,
    partner: Option<String>,
    coordinator: Option<String>,
    done: Option<String>,
}

#[derive(Serialize)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct CellSeminar {
    href: Option<String>,
    partner_name: String,
    date: String,
    state_label: String,
    tone: &'static str,
}

#[derive(Serialize)]
struct Cell {
    status: String,
    label: &'static str,
    seminars: Vec<CellSeminar>,
}

#[derive(Serialize)]
struct GridRow {
    city: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct QueuedApp {
    order: usize,
    href: String,
    seminar: String,
    partner_name: String,
    city: String,
    date: String,
    approve: bool,
    suggestion: String,
    priority_reason: String,
}

#[derive(Serialize)]
struct AppGroup {
    review_day: String,
    due: bool,
    items: Vec<QueuedApp>,
}

#[derive(Serialize)]
struct Waiting {
    href: String,
    partner_name: String,
    city: String,
    stage: String,
    deadline: String,
    overdue: bool,
}

#[derive(Serialize)]
struct DeadlineItem {
    href: String,
    partner_name: String,
    city: String,
    stage: String,
    deadline: String,
    countdown: String,
    tone: &'static str,
}

#[derive(Serialize)]
struct Dashboard {
    program_id: String,
    program_name: String,
    path: String,
    filtered: bool,
    cities: Vec<Opt>,
    partners: Vec<Opt>,
    coordinators: Vec<Opt>,
    weeks: Vec<String>,
    grid: Vec<GridRow>,
    groups: Vec<AppGroup>,
    any_due_group: bool,
    waiting: Vec<Waiting>,
    upcoming: Vec<DeadlineItem>,
    overdue: Vec<DeadlineItem>,
    penalties: Vec<PenaltyUi>,
    seminars: Vec<SeminarRow>,
}

fn opts(items: impl IntoIterator<Item = (String, String)>, selected: Option<&str>) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: selected == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

fn cell_label(status: &str) -> &'static str {
    match status {
        "taken" => "занято",
        "applied" => "есть заявка",
        "excluded" => "освободилось: исключён",
        "withdrawn" => "освободилось: отозван",
        _ => "свободно",
    }
}

/// `/programs/{id}`: the dashboard.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(f): Query<Filter>,
) -> UiResult {
    require_staff(&v)?;
    let prog = program(&state, &id)?;
    let store = &state.service.store;
    let now = state.clock.now();
    let today = local_date(prog.tz, now);
    let names = partner_names(&state).await?;
    let experienced: BTreeSet<String> = store
        .partners()
        .await?
        .into_iter()
        .filter(|p| p.experienced)
        .map(|p| p.id)
        .collect();
    let seminars = store.seminars(Some(&id)).await?;
    let empty = |o: &Option<String>| o.clone().filter(|x| !x.is_empty());
    let (city_f, partner_f, coord_f) = (empty(&f.city), empty(&f.partner), empty(&f.coordinator));

    let coordinator_of = store.partner_coordinators().await?;
    let keep = |s: &Seminar| {
        city_f.as_ref().is_none_or(|c| &s.city == c)
            && partner_f.as_ref().is_none_or(|p| &s.partner == p)
            && coord_f
                .as_ref()
                .is_none_or(|c| coordinator_of.get(&s.partner) == Some(c))
    };
    let by_id: BTreeMap<&str, &Seminar> = seminars.iter().map(|s| (s.id.as_str(), s)).collect();
    let kept = |sid: &str| by_id.get(sid).is_some_and(|s| keep(s));

    // Filter choices.
    let cities: BTreeSet<String> = seminars.iter().map(|s| s.city.clone()).collect();
    let staff: Vec<(String, String)> = store
        .users(None)
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Coordinator | Role::Admin) && !u.disabled)
        .map(|u| (u.id, u.name))
        .collect();

    // Slot grid (the API's view, names instead of ids).
    let Json(rows) = api_programs::slots(State(state.clone()), v.auth(), Path(id.clone())).await?;
    let grid = rows
        .into_iter()
        .filter(|r| city_f.as_ref().is_none_or(|c| &r.city == c))
        .filter(|r| {
            (partner_f.is_none() && coord_f.is_none())
                || r.weeks
                    .iter()
                    .flat_map(|w| w.seminars.iter())
                    .any(|x| kept(&x.id))
        })
        .map(|r| GridRow {
            city: r.city,
            cells: r
                .weeks
                .into_iter()
                .map(|w| Cell {
                    label: cell_label(&w.status),
                    status: w.status,
                    seminars: w
                        .seminars
                        .iter()
                        .map(|x| {
                            let st = by_id.get(x.id.as_str());
                            CellSeminar {
                                href: (!x.id.is_empty()).then(|| format!("/seminars/{}", x.id)),
                                partner_name: name_of(&names, &x.partner),
                                date: format::day_month(x.date),
                                state_label: st.map(|s| s.state.label()).unwrap_or("").into(),
                                tone: st
                                    .map(|s| super::cards::state_tone(s.state))
                                    .unwrap_or("muted"),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();

    // Review queue.
    let Json(queue) =
        api_programs::review_queue(State(state.clone()), v.auth(), Path(id.clone())).await?;
    let mut groups: Vec<AppGroup> = vec![];
    for a in queue.applications.into_iter().filter(|a| kept(&a.seminar)) {
        let mut item = QueuedApp {
            order: 1,
            href: format!("/seminars/{}", a.seminar),
            partner_name: name_of(&names, &a.partner),
            city: a.city.clone(),
            date: format::date_long(a.date),
            approve: a.suggestion == "approve",
            suggestion: if a.suggestion == "approve" {
                "утвердить: неделя в городе свободна".into()
            } else {
                match a.suggestion.as_str() {
                    "city_week_taken" => "отклонить: неделя в городе уже занята".into(),
                    "city_full" => "отклонить: в городе нет свободных мест".into(),
                    "partner_city_duplicate" => {
                        "отклонить: у партнёра уже есть семинар в этом городе".into()
                    }
                    other => format!("отклонить ({other})"),
                }
            },
            priority_reason: format!(
                "{}; заявка подана {}",
                if experienced.contains(&a.partner) {
                    "есть опыт проведения семинаров — рассматривается раньше"
                } else {
                    "опыта семинаров нет"
                },
                by_id
                    .get(a.seminar.as_str())
                    .map(|s| format::instant(prog.tz, s.applied_at))
                    .unwrap_or_default()
            ),
            seminar: a.seminar,
        };
        let day = format::date_long(a.review_day);
        match groups.iter_mut().find(|g| g.review_day == day) {
            Some(g) => {
                item.order = g.items.len() + 1;
                g.items.push(item)
            }
            None => groups.push(AppGroup {
                review_day: day,
                due: a.review_day <= today,
                items: vec![item],
            }),
        }
    }
    let waiting = queue
        .submissions
        .into_iter()
        .filter(|w| kept(&w.seminar))
        .map(|w| Waiting {
            href: format!("/seminars/{}#stage-{}", w.seminar, w.stage),
            partner_name: name_of(&names, &w.partner),
            city: w.city,
            stage: w.stage_name,
            deadline: format::date(w.deadline),
            overdue: w.deadline < today,
        })
        .collect();

    // Deadlines and overdue items the partners hold.
    let mut upcoming = vec![];
    let mut overdue = vec![];
    for s in seminars.iter().filter(|s| s.state.is_active() && keep(s)) {
        let view = seminar_view(prog, s, &v.user, now);
        for st in view
            .stages
            .iter()
            .filter(|st| st.partner_holds && super::cards::opened(prog, s, &st.id, now))
        {
            let Some((countdown, tone)) = format::countdown(st.days_left, st.days_late) else {
                continue;
            };
            let item = DeadlineItem {
                href: format!("/seminars/{}#stage-{}", s.id, st.id),
                partner_name: name_of(&names, &s.partner),
                city: s.city.clone(),
                stage: st.name.clone(),
                deadline: format::deadline_moscow(prog, st.deadline),
                countdown,
                tone,
            };
            if st.days_late.is_some() {
                overdue.push((st.deadline, item));
            } else if st.deadline <= today + Duration::days(14) {
                upcoming.push((st.deadline, item));
            }
        }
    }
    upcoming.sort_by_key(|(d, _)| *d);
    overdue.sort_by_key(|(d, _)| *d);

    // Penalties of the last 30 days, newest first.
    let since = now - Duration::days(30);
    let mut recent: Vec<(chrono::DateTime<chrono::Utc>, PenaltyUi)> = seminars
        .iter()
        .filter(|s| keep(s))
        .flat_map(|s| {
            s.penalties
                .iter()
                .filter(|p| p.at >= since && p.at <= now)
                .map(|p| (p.at, penalty_ui(prog, s, p, &names)))
        })
        .collect();
    recent.sort_by_key(|p| std::cmp::Reverse(p.0));

    let mut rows: Vec<&Seminar> = seminars.iter().filter(|s| keep(s)).collect();
    rows.sort_by(|a, b| a.date.cmp(&b.date).then(a.city.cmp(&b.city)));
    let path = format!("/programs/{id}");
    let data = Dashboard {
        program_id: id.clone(),
        program_name: prog.wf.name.clone(),
        filtered: city_f.is_some() || partner_f.is_some() || coord_f.is_some(),
        cities: opts(
            cities.into_iter().map(|c| (c.clone(), c)),
            city_f.as_deref(),
        ),
        partners: opts(
            names.iter().map(|(k, n)| (k.clone(), n.clone())),
            partner_f.as_deref(),
        ),
        coordinators: opts(staff, coord_f.as_deref()),
        weeks: prog
            .wf
            .seminars
            .weeks
            .iter()
            .map(|w| week_name(prog, &w.id))
            .collect(),
        grid,
        any_due_group: groups.iter().any(|g| g.due),
        groups,
        waiting,
        upcoming: upcoming.into_iter().map(|(_, i)| i).collect(),
        overdue: overdue.into_iter().map(|(_, i)| i).collect(),
        penalties: recent.into_iter().map(|(_, p)| p).collect(),
        seminars: rows
            .into_iter()
            .map(|s| seminar_row(prog, s, &v.user, now, &names))
            .collect(),
        path,
    };
    Ok(render(
        &state,
        Page::new(
            format!("Панель координатора — {}", prog.wf.name),
            "/dashboard",
            Some(&v),
        )
        .flash(f.done.as_deref()),
        "dashboard",
        data,
    ))
}

/// Accepts the suggested allocation for every application group whose review day has come.
pub async fn review(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> Result<Response, UiError> {
    check_csrf(&v, &form)?;
    require_staff(&v)?;
    program(&state, &id)?;
    run_command(&state, &v.auth(), &id, Command::ReviewApplications).await?;
    Ok(see_other(&with_done(
        &format!("/programs/{id}"),
        "reviewed",
    )))
}
