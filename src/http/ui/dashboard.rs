//! The coordinator's dashboard for a program: the city × week slot grid, the review queue
//! (application groups with the suggested allocation and priority reasons; submissions waiting,
//! oldest deadline first), deadlines of the next 14 days, overdue items, recent penalties and
//! every seminar — filtered by city, partner and coordinator.

use super::cards::{name_of, penalty_ui, seminar_row, week_name, PenaltyUi, SeminarRow};
use super::format;
use super::page::{
    check_csrf, render, see_other, with_done, FormData, Page, UiError, UiResult, Viewer,
};
use crate::accounts::Role;
use crate::domain::deadline::local_date;
use crate::domain::workflow::Priority;
use crate::domain::{Command, Seminar, SeminarState};
use crate::http::api::programs::{self as api_programs, program};
use crate::http::api::seminars::run_command;
use crate::http::error::ApiError;
use crate::http::views::seminar_view;
use crate::http::AppState;
use crate::storage::{Page as StorePage, PartnerQuery, PenaltyQuery, SeminarQuery};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Form, Json};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Page of the seminar list (from 1).
    page: Option<usize>,
    /// Page of the city grid (from 1).
    grid: Option<usize>,
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
    /// The city filter as typed (an exact city name).
    city_filter: String,
    /// The partner filter as typed (an id or part of a name).
    partner_filter: String,
    coordinators: Vec<Opt>,
    weeks: Vec<String>,
    grid: Vec<GridRow>,
    grid_pager: Option<Pager>,
    groups: Vec<AppGroup>,
    any_due_group: bool,
    waiting: Vec<Waiting>,
    upcoming: Vec<DeadlineItem>,
    overdue: Vec<DeadlineItem>,
    /// Said when more seminars need attention than the lists show.
    attention_more: Option<String>,
    penalties: Vec<PenaltyUi>,
    seminars: Vec<SeminarRow>,
    seminars_total: usize,
    seminars_pager: Option<Pager>,
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
        "closed" => "город закрыт для программы",
        "applied" => "есть заявка",
        "excluded" => "освободилось: исключён",
        "withdrawn" => "освободилось: отозван",
        _ => "свободно",
    }
}

/// Seminars per page of the dashboard's list, and cities per page of its grid.
const SEMINARS_PER_PAGE: usize = 50;
const CITIES_PER_PAGE: usize = 30;
/// Seminars whose deadlines the overdue and 14-day lists show, most urgent first.
const ATTENTION_SHOWN: usize = 50;

/// Links to the previous and next page of a list, keeping the other query parameters.
#[derive(Serialize)]
struct Pager {
    label: String,
    prev: Option<String>,
    next: Option<String>,
}

fn pager(
    path: &str,
    params: &[(&str, String)],
    key: &str,
    page: usize,
    per: usize,
    total: usize,
) -> Option<Pager> {
    let pages = total.div_ceil(per).max(1);
    if pages <= 1 {
        return None;
    }
    let link = |n: usize| {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, v)| *k != key && !v.is_empty())
            .map(|(k, v)| format!("{k}={}", format::url_encode(v)))
            .collect();
        q.push(format!("{key}={n}"));
        format!("{path}?{}", q.join("&"))
    };
    Some(Pager {
        label: format!("страница {page} из {pages}"),
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    })
}

/// `/programs/{id}`: the dashboard. Every section is one indexed read of what it shows (the
/// grid and the seminar list a page at a time), never the whole season.
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
    let empty = |o: &Option<String>| o.clone().filter(|x| !x.trim().is_empty());
    let (city_f, partner_f, coord_f) = (empty(&f.city), empty(&f.partner), empty(&f.coordinator));

    // The partner filter takes an id or part of a name.
    let partner_ids: Option<Vec<String>> = match &partner_f {
        None => None,
        Some(text) => {
            let text = text.trim();
            if store.partner(text).await?.is_some() {
                Some(vec![text.to_string()])
            } else {
                let q = PartnerQuery {
                    search: Some(text.to_string()),
                    page: StorePage::first(100),
                    ..PartnerQuery::default()
                };
                Some(
                    store
                        .find_partners(&q, now)
                        .await?
                        .into_iter()
                        .map(|p| p.partner.id)
                        .collect(),
                )
            }
        }
    };
    let base = SeminarQuery {
        program: Some(id.clone()),
        partners: partner_ids.clone(),
        coordinator: coord_f.clone(),
        cities: city_f.clone().map(|c| vec![c]),
        ..SeminarQuery::default()
    };
    let keep = |partner: &str, city: &str, coordinator: Option<&String>| {
        city_f.as_ref().is_none_or(|c| c == city)
            && partner_ids
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|p| p == partner))
            && coord_f.as_ref().is_none_or(|c| coordinator == Some(c))
    };

    // Filter choices: the city is typed (a season has thousands), staff from the staff accounts.
    let staff: Vec<(String, String)> = store
        .users_by_roles(&[Role::Coordinator.as_str(), Role::Admin.as_str()])
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id, u.name))
        .collect();

    // Slot grid: a page of cities (the API's view).
    let grid_page = f.grid.unwrap_or(1).max(1);
    let slot_filter = api_programs::SlotFilter {
        city: city_f.clone(),
        limit: Some(CITIES_PER_PAGE),
        offset: Some((grid_page - 1) * CITIES_PER_PAGE),
    };
    let (rows, cities_total) =
        api_programs::slot_rows(&state, &v.auth(), &id, &slot_filter).await?;

    // Review queue (applications and waiting submissions).
    let Json(queue) =
        api_programs::review_queue(State(state.clone()), v.auth(), Path(id.clone())).await?;

    // Deadlines and overdue items the partners hold: only seminars whose earliest held deadline
    // falls within 14 days (or has passed), the most urgent first, at most a page of them.
    let horizon = today + Duration::days(14);
    let attention_q = SeminarQuery {
        states: vec![SeminarState::Preparing, SeminarState::Held],
        partner_deadline_until: Some(horizon),
        by_deadline: true,
        page: StorePage::first(ATTENTION_SHOWN as i64),
        ..base.clone()
    };
    let attention = store.find_seminars(&attention_q).await?;
    let attention_total = if attention.len() < ATTENTION_SHOWN {
        attention.len()
    } else {
        store.count_seminars(&attention_q).await? as usize
    };

    // Penalties of the last 30 days, newest first.
    let recent_rows = store
        .find_penalties(&PenaltyQuery {
            program: Some(id.clone()),
            since: Some(now - Duration::days(30)),
            partner: partner_ids
                .as_ref()
                .filter(|v| v.len() == 1)
                .map(|v| v[0].clone()),
            page: StorePage::first(200),
            ..PenaltyQuery::default()
        })
        .await?;
    let mut penalty_seminar_ids: Vec<String> =
        recent_rows.iter().map(|r| r.seminar.clone()).collect();
    penalty_seminar_ids.sort();
    penalty_seminar_ids.dedup();
    let penalty_seminars: BTreeMap<String, Seminar> = if penalty_seminar_ids.is_empty() {
        BTreeMap::new()
    } else {
        store
            .find_seminars(&SeminarQuery {
                ids: Some(penalty_seminar_ids),
                ..SeminarQuery::default()
            })
            .await?
            .into_iter()
            .map(|(_, s)| (s.id.clone(), s))
            .collect()
    };

    // The seminar list: one page, by date.
    let page = f.page.unwrap_or(1).max(1);
    let seminars_total = store.count_seminars(&base).await? as usize;
    let listed: Vec<Seminar> = store
        .find_seminars(&SeminarQuery {
            by_date: true,
            page: StorePage {
                after: None,
                offset: ((page - 1) * SEMINARS_PER_PAGE) as i64,
                limit: Some(SEMINARS_PER_PAGE as i64),
            },
            ..base.clone()
        })
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect();

    // One read for the names, experience and coordinators of every partner on the page.
    let mut shown: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.weeks
                .iter()
                .flat_map(|w| w.seminars.iter().map(|x| x.partner.clone()))
        })
        .chain(queue.applications.iter().map(|a| a.partner.clone()))
        .chain(queue.submissions.iter().map(|w| w.partner.clone()))
        .chain(attention.iter().map(|(_, s)| s.partner.clone()))
        .chain(penalty_seminars.values().map(|s| s.partner.clone()))
        .chain(listed.iter().map(|s| s.partner.clone()))
        .filter(|p| !p.is_empty())
        .collect();
    shown.sort();
    shown.dedup();
    let summaries = if shown.is_empty() {
        vec![]
    } else {
        store
            .find_partners(
                &PartnerQuery {
                    ids: Some(shown),
                    ..PartnerQuery::default()
                },
                now,
            )
            .await?
    };
    let names: BTreeMap<String, String> = summaries
        .iter()
        .map(|p| (p.partner.id.clone(), p.partner.name.clone()))
        .collect();
    let coordinator_of: BTreeMap<&str, &String> = summaries
        .iter()
        .filter_map(|p| p.coordinator.as_ref().map(|c| (p.partner.id.as_str(), c)))
        .collect();
    let kept =
        |partner: &str, city: &str| keep(partner, city, coordinator_of.get(partner).copied());

    let grid = rows
        .into_iter()
        .filter(|r| {
            (partner_f.is_none() && coord_f.is_none())
                || r.weeks
                    .iter()
                    .flat_map(|w| w.seminars.iter())
                    .any(|x| kept(&x.partner, &r.city))
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
                            let st = SeminarState::parse(&x.state);
                            CellSeminar {
                                href: (!x.id.is_empty()).then(|| format!("/seminars/{}", x.id)),
                                partner_name: name_of(&names, &x.partner),
                                date: format::day_month(x.date),
                                state_label: st.map(|s| s.label()).unwrap_or("").into(),
                                tone: st.map(super::cards::state_tone).unwrap_or("muted"),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();

    let mut groups: Vec<AppGroup> = vec![];
    for a in queue
        .applications
        .into_iter()
        .filter(|a| kept(&a.partner, &a.city))
    {
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
            // In the workflow's priority order, as the review decides.
            priority_reason: prog
                .wf
                .applications
                .priority
                .iter()
                .map(|p| match p {
                    Priority::Experienced if a.experienced => {
                        "есть опыт проведения семинаров — рассматривается раньше".to_string()
                    }
                    Priority::Experienced => "опыта семинаров нет".to_string(),
                    Priority::Earliest => {
                        format!("заявка подана {}", format::instant(prog, a.applied_at))
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
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
        .filter(|w| kept(&w.partner, &w.city))
        .map(|w| Waiting {
            href: format!("/seminars/{}#stage-{}", w.seminar, w.stage),
            partner_name: name_of(&names, &w.partner),
            city: w.city,
            stage: w.stage_name,
            deadline: format::date(w.deadline),
            overdue: w.deadline < today,
        })
        .collect();

    let mut upcoming = vec![];
    let mut overdue = vec![];
    for (_, s) in &attention {
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
                deadline: format::deadline(prog, st.deadline),
                countdown,
                tone,
            };
            if st.days_late.is_some() {
                overdue.push((st.deadline, item));
            } else if st.deadline <= horizon {
                upcoming.push((st.deadline, item));
            }
        }
    }
    upcoming.sort_by_key(|(d, _)| *d);
    overdue.sort_by_key(|(d, _)| *d);

    let recent: Vec<PenaltyUi> = recent_rows
        .iter()
        .filter(|r| r.penalty.at <= now)
        .filter_map(|r| {
            let s = penalty_seminars.get(&r.seminar)?;
            kept(&s.partner, &s.city).then(|| penalty_ui(prog, s, &r.penalty, &names))
        })
        .collect();

    let path = format!("/programs/{id}");
    let params = [
        ("city", city_f.clone().unwrap_or_default()),
        ("partner", partner_f.clone().unwrap_or_default()),
        ("coordinator", coord_f.clone().unwrap_or_default()),
        ("page", page.to_string()),
        ("grid", grid_page.to_string()),
    ];
    let data = Dashboard {
        program_id: id.clone(),
        program_name: prog.wf.name.clone(),
        filtered: city_f.is_some() || partner_f.is_some() || coord_f.is_some(),
        city_filter: city_f.clone().unwrap_or_default(),
        partner_filter: partner_f.clone().unwrap_or_default(),
        coordinators: opts(staff, coord_f.as_deref()),
        weeks: prog
            .wf
            .seminars
            .weeks
            .iter()
            .map(|w| week_name(prog, &w.id))
            .collect(),
        grid,
        grid_pager: pager(
            &path,
            &params,
            "grid",
            grid_page,
            CITIES_PER_PAGE,
            cities_total,
        ),
        any_due_group: groups.iter().any(|g| g.due),
        groups,
        waiting,
        upcoming: upcoming.into_iter().map(|(_, i)| i).collect(),
        overdue: overdue.into_iter().map(|(_, i)| i).collect(),
        attention_more: (attention_total > ATTENTION_SHOWN).then(|| {
            format!(
                "Показаны {ATTENTION_SHOWN} самых срочных семинаров из {attention_total}; остальные — в списке семинаров ниже."
            )
        }),
        penalties: recent,
        seminars: listed
            .iter()
            .map(|s| seminar_row(prog, s, &v.user, now, &names))
            .collect(),
        seminars_total,
        seminars_pager: pager(
            &path,
            &params,
            "page",
            page,
            SEMINARS_PER_PAGE,
            seminars_total,
        ),
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
