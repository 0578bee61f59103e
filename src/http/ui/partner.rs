//! Partner pages: my seminars and the application form (which weeks are still free in each
//! city); my penalties and ledgers are in [`super::ledger`].

use super::cards::{partner_names, seminar_row, week_name, SeminarRow};
use super::format;
use super::lists::{self, ListUrl};
use super::page::PageQuery;
use super::page::{
    check_csrf, render, render_status, see_other, FormData, FormState, Page, UiError, UiResult,
    Viewer,
};
use crate::domain::deadline::local_date;
use crate::domain::review::city_week_refusal;
use crate::domain::{Program, RefusalCode, Seminar, SeminarState};
use crate::http::api::seminars::SEMINAR_SORT;
use crate::http::commands::{self, ApplyRequest, CommandError};
use crate::http::error::ApiError;
use crate::http::listing::{self, PageSpec};
use crate::http::AppState;
use crate::storage::{Order, SeminarOrder, SeminarQuery};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The viewer's partner company, or a redirect for staff (who have the dashboard).
pub(super) fn own_partner(v: &Viewer) -> Result<String, UiError> {
    v.user.partner.clone().ok_or_else(|| {
        UiError::Api(ApiError::forbidden(
            "раздел для пользователей партнёров; координаторам — панель координатора",
        ))
    })
}

/// The partner's own seminars in every program, in creation order (read by the indexed
/// partner column).
pub(super) async fn own_seminars(state: &AppState, partner: &str) -> Result<Vec<Seminar>, UiError> {
    let q = SeminarQuery {
        partner: Some(partner.to_string()),
        ..SeminarQuery::default()
    };
    Ok(state
        .service
        .store
        .find_seminars(&q)
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

#[derive(Serialize)]
struct OpenProgram {
    name: String,
    until: String,
}

/// The finished seminars' headings and pages.
#[derive(Serialize)]
struct FinishedList {
    headings: Vec<lists::Heading>,
    pager: Option<lists::Pager>,
    total: usize,
}

#[derive(Serialize)]
struct MyPage {
    company: String,
    active: Vec<SeminarRow>,
    finished: Vec<SeminarRow>,
    finished_list: FinishedList,
    points: i64,
    points_text: String,
    bonus: Option<String>,
    can_apply: bool,
    open_programs: Vec<OpenProgram>,
}

/// `/my`'s query: the flash after a form, and the order and page of the finished seminars.
#[derive(Deserialize, Default)]
pub struct MyQuery {
    done: Option<String>,
    sort: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

const FINISHED_COLUMNS: &[(&str, &str)] = &[
    ("Дата", "date"),
    ("Город", "city"),
    ("Состояние", "state"),
    ("Штрафы", ""),
];

const LATEST_FIRST: Order<SeminarOrder> = Order {
    by: SeminarOrder::Date,
    desc: true,
};

/// The partner's seminars that are over (closed, rejected, withdrawn, excluded): one sorted
/// page, and how many there are.
async fn finished_page(
    state: &AppState,
    partner: &str,
    order: Order<SeminarOrder>,
    spec: PageSpec,
) -> Result<(Vec<Seminar>, usize), UiError> {
    let q = SeminarQuery {
        partner: Some(partner.to_string()),
        states: vec![
            SeminarState::Closed,
            SeminarState::Rejected,
            SeminarState::Withdrawn,
            SeminarState::Excluded,
        ],
        order: Some(order),
        ..SeminarQuery::default()
    };
    let store = &state.service.store;
    let total = store.count_seminars(&q).await? as usize;
    let rows = store
        .find_seminars(&SeminarQuery {
            page: spec.store_page(),
            ..q
        })
        .await?;
    Ok((rows.into_iter().map(|(_, s)| s).collect(), total))
}

/// `/my`: the partner's seminars, active first, with the next step and countdown; those that
/// are over below, sorted and paged in SQL.
pub async fn my(
    State(state): State<AppState>,
    v: Viewer,
    PageQuery(q): PageQuery<MyQuery>,
) -> UiResult {
    if v.is_staff() {
        return Ok(see_other("/dashboard"));
    }
    let partner = own_partner(&v)?;
    let order =
        listing::sort(q.sort.as_deref(), SEMINAR_SORT, LATEST_FIRST).map_err(lists::bad_param)?;
    let spec = PageSpec::new(q.page, q.per_page, 20, 200).map_err(lists::bad_param)?;
    let store = &state.service.store;
    let now = state.clock.now();
    let current = SeminarQuery {
        partner: Some(partner.clone()),
        states: vec![
            SeminarState::Applied,
            SeminarState::Preparing,
            SeminarState::Held,
        ],
        by_date: true,
        ..SeminarQuery::default()
    };
    let seminars: Vec<Seminar> = store
        .find_seminars(&current)
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let (over, finished_total) = finished_page(&state, &partner, order, spec).await?;
    let names = partner_names(&state, [partner.as_str()]).await?;
    let row = |s: &Seminar| {
        let prog = state.service.program(&s.program)?;
        Some(seminar_row(prog, s, &v.user, now, &names))
    };
    let active: Vec<SeminarRow> = seminars.iter().filter_map(row).collect();
    let finished: Vec<SeminarRow> = over.iter().filter_map(row).collect();
    let url = ListUrl::new("/my")
        .param("sort", q.sort.as_deref())
        .param("per_page", q.per_page)
        .param("page", q.page.filter(|p| *p > 1));
    let finished_list = FinishedList {
        headings: lists::headings(&url, "done", FINISHED_COLUMNS, SEMINAR_SORT, order),
        pager: lists::pager(&url, "done", spec, finished_total),
        total: finished_total,
    };
    let points = store.points_balance(&partner, now).await?;
    let bonus = if v.user.sees_money() {
        Some(format::money(store.bonus_balance(&partner, now).await?))
    } else {
        None
    };
    let open_programs = state
        .service
        .programs()
        .filter(|p| application_window_open(p, now))
        .map(|p| OpenProgram {
            name: p.wf.name.clone(),
            until: format::date(p.wf.applications.to),
        })
        .collect();
    Ok(render(
        &state,
        Page::new("Мои семинары", "/my", Some(&v)).flash(q.done.as_deref()),
        "my_seminars",
        MyPage {
            company: super::cards::name_of(&names, &partner),
            active,
            finished,
            finished_list,
            points,
            points_text: format::balance(points),
            bonus,
            can_apply: !v.is_limited(),
            open_programs,
        },
    ))
}

/// A season program's application window is open (events programs take announcements all
/// year on their own form, `/my/events/new`).
fn application_window_open(p: &Program, now: chrono::DateTime<chrono::Utc>) -> bool {
    if p.wf.events.is_some() {
        return false;
    }
    let today = local_date(p.tz, now);
    p.wf.applications.from <= today && today <= p.wf.applications.to
}

#[derive(Deserialize)]
pub struct ApplyQuery {
    program: Option<String>,
    city: Option<String>,
}

#[derive(Serialize)]
struct WeekFree {
    name: String,
    free: bool,
    /// The week has ended (program's zone): shown as past, never as free.
    past: bool,
    label: String,
}

#[derive(Serialize)]
struct CityFree {
    city: String,
    selected: bool,
    weeks: Vec<WeekFree>,
    any_free: bool,
}

#[derive(Serialize)]
struct ApplyPage {
    program_id: String,
    program_name: String,
    window: String,
    window_open: bool,
    /// Why no form is shown (before or after the window); empty while it is open.
    window_notice: String,
    /// What the table says about cities it does not list.
    unlisted: String,
    date_min: String,
    date_max: String,
    weeks: Vec<String>,
    known_cities: Vec<String>,
    cities: Vec<CityFree>,
    chosen: Option<CityFree>,
    form: FormState,
}

/// Which weeks of each city are free (slot rules of the program, other partners anonymous);
/// a week that has ended is past, not free.
async fn city_weeks(
    state: &AppState,
    prog: &Program,
    selected: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<CityFree>, UiError> {
    // Counted per city, week and state in SQL: the page never loads the season's seminars.
    let cells = state.service.store.seminar_cells(prog.id()).await?;
    let mut cities: Vec<String> = cells.iter().map(|c| c.city.clone()).collect();
    if let Some(c) = selected.filter(|c| !c.is_empty()) {
        cities.push(c.to_string());
    }
    cities.sort();
    cities.dedup();
    let slots = &prog.wf.slots;
    let holds = |c: &&crate::storage::CellCount| {
        SeminarState::parse(&c.state).is_some_and(|st| st.holds_slot())
    };
    Ok(cities
        .into_iter()
        .map(|city| {
            let held: Vec<&crate::storage::CellCount> = cells
                .iter()
                .filter(|c| c.city == city)
                .filter(holds)
                .collect();
            let count = |cs: &mut dyn Iterator<Item = &&crate::storage::CellCount>| {
                cs.map(|c| c.count.max(0).unsigned_abs()).sum::<u64>()
            };
            let in_city = count(&mut held.iter());
            let closed = slots.closed_cities.contains(&city);
            let today = local_date(prog.tz, now);
            let weeks: Vec<WeekFree> = prog
                .wf
                .seminars
                .weeks
                .iter()
                .map(|w| {
                    let in_week = count(&mut held.iter().filter(|c| c.week == w.id));
                    let past = w.to < today;
                    let free = !past && city_week_refusal(slots, &city, in_city, in_week).is_none();
                    WeekFree {
                        name: week_name(prog, &w.id),
                        free,
                        past,
                        label: if past {
                            "прошла".into()
                        } else if closed {
                            "город закрыт для программы".into()
                        } else if free {
                            "свободна".into()
                        } else {
                            "занята".into()
                        },
                    }
                })
                .collect();
            CityFree {
                selected: selected == Some(city.as_str()),
                any_free: weeks.iter().any(|w| w.free),
                city,
                weeks,
            }
        })
        .collect())
}

/// Why the apply form is not offered today (before or after the application window), or
/// nothing while the window is open.
fn window_notice(prog: &Program, today: NaiveDate) -> String {
    let a = &prog.wf.applications;
    if today < a.from {
        format!(
            "Приём заявок ещё не начался: он откроется {} и продлится по {}.",
            format::date(a.from),
            format::date(a.to)
        )
    } else if today > a.to {
        format!(
            "Приём заявок закрыт: он шёл с {} по {}. Новые заявки на эту программу не принимаются.",
            format::date(a.from),
            format::date(a.to)
        )
    } else {
        String::new()
    }
}

/// What the city table says of cities it does not list: free in the weeks still ahead.
fn unlisted_weeks(prog: &Program, today: NaiveDate) -> String {
    let weeks = &prog.wf.seminars.weeks;
    let ahead: Vec<String> = weeks
        .iter()
        .filter(|w| w.to >= today)
        .map(|w| week_name(prog, &w.id))
        .collect();
    match ahead.len() {
        0 => "Все недели семинаров программы прошли.".to_string(),
        n if n == weeks.len() => {
            "Города, которых нет в таблице, свободны во все недели программы.".to_string()
        }
        _ => format!(
            "Города, которых нет в таблице, свободны в недели: {}; остальные недели прошли.",
            ahead.join(", ")
        ),
    }
}

async fn apply_page(
    state: &AppState,
    v: &Viewer,
    prog: &Program,
    city: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> UiResult {
    let now = state.clock.now();
    let cities = city_weeks(state, prog, city, now).await?;
    let chosen = city
        .and_then(|c| cities.iter().find(|x| x.city == c))
        .map(|c| CityFree {
            city: c.city.clone(),
            selected: true,
            weeks: c
                .weeks
                .iter()
                .map(|w| WeekFree {
                    name: w.name.clone(),
                    free: w.free,
                    past: w.past,
                    label: w.label.clone(),
                })
                .collect(),
            any_free: c.any_free,
        });
    let wf = &prog.wf;
    let today = local_date(prog.tz, now);
    let window_notice = window_notice(prog, today);
    let unlisted = unlisted_weeks(prog, today);
    // The inputs' ids are their names.
    let page =
        Page::new("Заявка на семинар", "/my/apply", Some(v)).errors_of(&form, str::to_string);
    let data = ApplyPage {
        program_id: prog.id().to_string(),
        program_name: wf.name.clone(),
        window: format!(
            "с {} по {}",
            format::date(wf.applications.from),
            format::date(wf.applications.to)
        ),
        window_open: window_notice.is_empty(),
        window_notice,
        unlisted,
        date_min: wf.seminars.from.max(today).format("%Y-%m-%d").to_string(),
        date_max: wf.seminars.to.format("%Y-%m-%d").to_string(),
        weeks: wf
            .seminars
            .weeks
            .iter()
            .map(|w| week_name(prog, &w.id))
            .collect(),
        known_cities: wf.city_zones.keys().cloned().collect(),
        cities,
        chosen,
        form,
    };
    Ok(render_status(state, status, page, "apply", data))
}

/// The program named in the query, else the one taking applications now, else the one whose
/// application window is nearest to today (the next to open, or the last to have closed).
fn pick_program<'a>(state: &'a AppState, id: Option<&str>) -> Result<&'a Program, UiError> {
    let now = state.clock.now();
    if let Some(id) = id.filter(|x| !x.is_empty()) {
        return Ok(crate::http::api::programs::program(state, id)?);
    }
    let distance = |p: &Program| {
        let today = local_date(p.tz, now);
        let a = &p.wf.applications;
        if today < a.from {
            (a.from - today).num_days()
        } else {
            (today - a.to).num_days().max(0)
        }
    };
    state
        .service
        .programs()
        .find(|p| application_window_open(p, now))
        .or_else(|| {
            state
                .service
                .programs()
                .filter(|p| p.wf.events.is_none())
                .min_by_key(|p| distance(p))
        })
        .ok_or_else(|| UiError::Api(ApiError::not_found("программ пока нет")))
}

fn require_apply_rights(v: &Viewer) -> Result<String, UiError> {
    let partner = own_partner(v)?;
    if v.is_limited() {
        return Err(UiError::Api(ApiError::forbidden(
            "подать заявку может пользователь партнёра с полными правами",
        )));
    }
    Ok(partner)
}

/// `/my/apply`: the application form.
pub async fn apply_form(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<ApplyQuery>,
) -> UiResult {
    require_apply_rights(&v)?;
    let prog = pick_program(&state, q.program.as_deref())?;
    let city = q.city.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let mut form = FormState::default();
    if let Some(c) = city {
        form.values.insert("city".into(), c.to_string());
    }
    apply_page(&state, &v, prog, city, form, StatusCode::OK).await
}

pub async fn apply(
    State(state): State<AppState>,
    v: Viewer,
    Form(form): Form<FormData>,
) -> UiResult {
    check_csrf(&v, &form)?;
    own_partner(&v)?;
    let prog = pick_program(&state, form.get("program").map(String::as_str))?;
    // Who may apply, the id, the city and the date are decided with the API, once.
    let req = ApplyRequest {
        partner: None,
        seminar: None,
        city: form.get("city").cloned(),
        date: form.get("date").cloned(),
    };
    let r = commands::apply(&state, &v.auth(), prog.id(), req).await;
    let mut f = FormState::with_values(&form);
    match r {
        Ok(seminar) => return Ok(see_other(&format!("/seminars/{seminar}?done=applied"))),
        Err(CommandError::Invalid(list)) => {
            for i in list {
                f.add(i.field.form(), Some(i.field.label()), i.message);
            }
        }
        Err(CommandError::Api(ApiError::Refused(r))) => {
            let msg = commands::capitalize(&r.message);
            match r.code {
                RefusalCode::DateOutsideProgram | RefusalCode::CityWeekTaken => {
                    f.add("date", Some("Дата семинара"), msg)
                }
                RefusalCode::CityFull | RefusalCode::PartnerCityDuplicate => {
                    f.add("city", Some("Город"), msg)
                }
                _ => f = f.general(msg),
            };
        }
        Err(CommandError::Api(e)) => return Err(e.into()),
    }
    let city = form.get("city").map(|c| c.trim()).filter(|c| !c.is_empty());
    apply_page(&state, &v, prog, city, f, StatusCode::UNPROCESSABLE_ENTITY).await
}
