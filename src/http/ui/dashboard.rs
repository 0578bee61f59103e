//! The coordinator's dashboard for a program: the city × week slot grid, the review queue
//! (application groups with the suggested allocation and priority reasons; submissions waiting,
//! oldest deadline first), deadlines of the next 14 days, overdue items, recent penalties and
//! every seminar — filtered by city, partner and coordinator.

use super::cards::{seminar_row, week_name, SeminarRow};
use super::dashboard_penalties::{Recent, RecentUi};
use super::dashboard_queue::{QueueList, QueueUi};
use super::dashboard_sections::{self as sections, DeadlineItem, GridRow};
use super::format;
use super::lists::{self, ListUrl};
use super::page::{
    check_csrf, render, see_other, with_done, FormData, Page, PageQuery, UiError, UiResult, Viewer,
};
use crate::accounts::Role;
use crate::domain::deadline::local_date;
use crate::domain::{Command, Program, Seminar, SeminarState};
use crate::http::api::programs::{self as api_programs, program};
use crate::http::api::seminars::run_command;
use crate::http::api::seminars::SEMINAR_SORT;
use crate::http::error::ApiError;
use crate::http::listing::{self, PageSpec};
use crate::http::AppState;
use crate::storage::{Order, Page as StorePage, PartnerQuery, SeminarOrder, SeminarQuery};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Form, Json};
use chrono::{DateTime, Duration, NaiveDate, Utc};
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
            // An events program has no city × week grid: its work is the queue across
            // programs and the calendar.
            href: match &p.wf.events {
                Some(_) => "/events/queue".to_string(),
                None => format!("/programs/{}", p.id()),
            },
            name: p.wf.name.clone(),
            seminars: match &p.wf.events {
                Some(e) => format!("{} – {}", format::date(e.from), format::date(e.to)),
                None => format!(
                    "{} – {}",
                    format::date(p.wf.seminars.from),
                    format::date(p.wf.seminars.to)
                ),
            },
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
    /// Search of the seminar list (city, partner, id).
    q: Option<String>,
    /// Order of the seminar list (`date`, `-city`…).
    sort: Option<String>,
    /// Page of the seminar list (from 1).
    page: Option<usize>,
    /// Rows per page of the seminar list.
    per_page: Option<usize>,
    /// Page of the city grid (from 1).
    grid: Option<usize>,
    /// Search of the review queue (partner or city).
    rq: Option<String>,
    /// Page of the submissions waiting for review (from 1).
    wpage: Option<usize>,
    /// Page of the recent penalties (from 1).
    ppage: Option<usize>,
}

#[derive(Serialize)]
struct Opt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Dashboard {
    mail: super::mail::DashboardMail,
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
    #[serde(flatten)]
    queue: QueueUi,
    upcoming: Vec<DeadlineItem>,
    overdue: Vec<DeadlineItem>,
    /// Said when more seminars need attention than the lists show.
    attention_more: Option<String>,
    #[serde(flatten)]
    penalties: RecentUi,
    #[serde(flatten)]
    list: SeminarListUi,
    /// The same lists as Excel files (the API's exports, with the dashboard's filters).
    export_seminars: String,
    export_penalties: String,
    export_queue: String,
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

/// The dashboard's filters as given (empty ones dropped), the partner filter resolved to ids.
struct Filters {
    city: Option<String>,
    partner: Option<String>,
    coordinator: Option<String>,
    /// Partners whose id or name matches the partner filter.
    partner_ids: Option<Vec<String>>,
}

impl Filters {
    /// The partner filter takes an id or part of a name.
    async fn resolve(state: &AppState, f: &Filter, now: DateTime<Utc>) -> Result<Filters, UiError> {
        let empty = |o: &Option<String>| o.clone().filter(|x| !x.trim().is_empty());
        let store = &state.service.store;
        let partner = empty(&f.partner);
        let partner_ids = match &partner {
            None => None,
            Some(text) if store.partner(text.trim()).await?.is_some() => {
                Some(vec![text.trim().to_string()])
            }
            Some(text) => {
                let q = PartnerQuery {
                    search: Some(text.trim().to_string()),
                    page: StorePage::first(100),
                    ..PartnerQuery::default()
                };
                let found = store.find_partners(&q, now).await?;
                Some(found.into_iter().map(|p| p.partner.id).collect())
            }
        };
        Ok(Filters {
            city: empty(&f.city),
            partner,
            coordinator: empty(&f.coordinator),
            partner_ids,
        })
    }

    /// The query parameters that keep the filters (and the seminar list's search, order and
    /// page) on a page link.
    fn params(&self, f: &Filter, page: usize, grid_page: usize) -> Vec<(&'static str, String)> {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        vec![
            ("city", text(&self.city)),
            ("partner", text(&self.partner)),
            ("coordinator", text(&self.coordinator)),
            ("q", text(&f.q)),
            ("sort", text(&f.sort)),
            (
                "per_page",
                f.per_page.map(|n| n.to_string()).unwrap_or_default(),
            ),
            ("page", page.to_string()),
            ("grid", grid_page.to_string()),
            ("rq", text(&f.rq)),
            ("wpage", f.wpage.map(|n| n.to_string()).unwrap_or_default()),
            ("ppage", f.ppage.map(|n| n.to_string()).unwrap_or_default()),
        ]
    }

    /// `/api/seminars.xlsx` with the filters the API knows (a partner filter when it names one
    /// partner).
    fn export_seminars(&self, id: &str) -> String {
        use super::page::encode;
        let mut q = format!("/api/seminars.xlsx?program={}", encode(id));
        if let Some(c) = &self.city {
            q.push_str(&format!("&city={}", encode(c)));
        }
        if let Some(c) = &self.coordinator {
            q.push_str(&format!("&coordinator={}", encode(c)));
        }
        if let Some([p]) = self.partner_ids.as_deref() {
            q.push_str(&format!("&partner={}", encode(p)));
        }
        q
    }

    /// The recent penalties' partner as SQL filters it (one partner named), and whether that
    /// is all the filters (no city or coordinator, not several partners).
    fn penalty_filter(&self) -> (Option<String>, bool) {
        let one = match self.partner_ids.as_deref() {
            None => Some(None),
            Some([p]) => Some(Some(p.clone())),
            Some(_) => None,
        };
        let exact = one.is_some() && self.city.is_none() && self.coordinator.is_none();
        (one.flatten(), exact)
    }

    /// No partner or coordinator filter: the grid shows every partner's seminars.
    fn unfiltered_people(&self) -> bool {
        self.partner.is_none() && self.coordinator.is_none()
    }

    fn any(&self) -> bool {
        self.city.is_some() || self.partner.is_some() || self.coordinator.is_some()
    }

    /// The seminars of program `id` the filters let through (as far as SQL can tell).
    fn query(&self, id: &str) -> SeminarQuery {
        SeminarQuery {
            program: Some(id.to_string()),
            partners: self.partner_ids.clone(),
            coordinator: self.coordinator.clone(),
            cities: self.city.clone().map(|c| vec![c]),
            ..SeminarQuery::default()
        }
    }

    fn keep(&self, partner: &str, city: &str, coordinator: Option<&String>) -> bool {
        self.city.as_ref().is_none_or(|c| c == city)
            && self
                .partner_ids
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|p| p == partner))
            && self
                .coordinator
                .as_ref()
                .is_none_or(|c| coordinator == Some(c))
    }
}

/// Seminars whose earliest held deadline falls within the horizon (or has passed), the most
/// urgent first, at most a page of them; and how many there are in all.
async fn attention(
    state: &AppState,
    base: &SeminarQuery,
    horizon: NaiveDate,
) -> Result<(Vec<(i64, Seminar)>, usize), UiError> {
    let store = &state.service.store;
    let q = SeminarQuery {
        states: vec![SeminarState::Preparing, SeminarState::Held],
        partner_deadline_until: Some(horizon),
        by_deadline: true,
        page: StorePage::first(ATTENTION_SHOWN as i64),
        ..base.clone()
    };
    let found = store.find_seminars(&q).await?;
    let total = if found.len() < ATTENTION_SHOWN {
        found.len()
    } else {
        store.count_seminars(&q).await? as usize
    };
    Ok((found, total))
}

/// Approved seminars taking place in the seven days from `today`, by date.
async fn this_week(
    state: &AppState,
    base: &SeminarQuery,
    today: NaiveDate,
) -> Result<Vec<Seminar>, UiError> {
    let q = SeminarQuery {
        states: vec![SeminarState::Preparing, SeminarState::Held],
        date_from: Some(today),
        date_to: Some(today + Duration::days(6)),
        by_date: true,
        page: StorePage::first(ATTENTION_SHOWN as i64),
        ..base.clone()
    };
    let found = state.service.store.find_seminars(&q).await?;
    Ok(found.into_iter().map(|(_, s)| s).collect())
}

/// One page of the seminar list (searched, by date or the chosen order), and the number of
/// seminars found in all.
async fn listed(
    state: &AppState,
    base: &SeminarQuery,
    list: &SeminarList,
) -> Result<(Vec<Seminar>, usize), UiError> {
    let store = &state.service.store;
    let base = SeminarQuery {
        search: list.search.clone(),
        ..base.clone()
    };
    let total = store.count_seminars(&base).await? as usize;
    let q = SeminarQuery {
        by_date: true,
        order: list.chosen.then_some(list.order),
        page: list.spec.store_page(),
        ..base
    };
    let found = store.find_seminars(&q).await?;
    Ok((found.into_iter().map(|(_, s)| s).collect(), total))
}

/// The seminar list as the page shows it.
#[derive(Serialize)]
struct SeminarListUi {
    seminars: Vec<SeminarRow>,
    seminars_total: usize,
    seminars_pager: Option<lists::Pager>,
    /// The seminar list's sortable headings.
    seminars_headings: Vec<lists::Heading>,
    /// «Найдено: N семинаров» when searched.
    seminars_found: Option<String>,
    /// The seminar list's search as typed, and the parameters its form keeps.
    list_q: String,
    list_hidden: Vec<lists::Hidden>,
    list_sort: Vec<lists::SortOption>,
}

/// The seminar list's search, order and page, as the address gives them.
struct SeminarList {
    search: Option<String>,
    order: Order<SeminarOrder>,
    /// `sort` was given (else: by date, then city).
    chosen: bool,
    spec: PageSpec,
}

const BY_DATE: Order<SeminarOrder> = Order {
    by: SeminarOrder::Date,
    desc: false,
};

/// The seminar list's columns: heading and sort key ("" for a column that does not sort).
const SEMINAR_COLUMNS: &[(&str, &str)] = &[
    ("Дата", "date"),
    ("Город", "city"),
    ("Партнёр", "partner"),
    ("Состояние", "state"),
    ("Следующий шаг партнёра", "deadline"),
    ("На проверке", ""),
    ("Штрафы", ""),
];

impl SeminarList {
    /// # Errors
    /// A 400 page for a page, size, order or search the list cannot take.
    fn read(f: &Filter) -> Result<SeminarList, UiError> {
        Ok(SeminarList {
            search: listing::search(f.q.as_deref()).map_err(lists::bad_param)?,
            order: listing::sort(f.sort.as_deref(), SEMINAR_SORT, BY_DATE)
                .map_err(lists::bad_param)?,
            chosen: f.sort.as_deref().is_some_and(|s| !s.trim().is_empty()),
            spec: PageSpec::new(f.page, f.per_page, SEMINARS_PER_PAGE, 200)
                .map_err(lists::bad_param)?,
        })
    }

    /// The list's part of the page: `rows` of `total`, at the address `path` with `params`.
    fn ui(
        &self,
        path: &str,
        params: &[(&'static str, String)],
        rows: Vec<SeminarRow>,
        total: usize,
    ) -> SeminarListUi {
        let url = dashboard_url(path, params);
        SeminarListUi {
            seminars: rows,
            seminars_total: total,
            seminars_pager: lists::pager(&url, "seminars", self.spec, total),
            seminars_headings: lists::headings(
                &url,
                "seminars",
                SEMINAR_COLUMNS,
                SEMINAR_SORT,
                self.order,
            ),
            seminars_found: self
                .search
                .as_ref()
                .map(|_| lists::found(total, "семинар", "семинара", "семинаров")),
            list_q: self.search.clone().unwrap_or_default(),
            list_hidden: url.hidden(&["q", "sort"]),
            list_sort: lists::sort_options(SEMINAR_COLUMNS, SEMINAR_SORT, self.order),
        }
    }
}

/// The dashboard's address with `params` (page 1 of any list is the address without it).
fn dashboard_url(path: &str, params: &[(&'static str, String)]) -> ListUrl {
    let mut url = ListUrl::new(path);
    for (k, v) in params {
        let first_page = matches!(*k, "grid" | "page" | "wpage" | "ppage") && v == "1";
        let kept = !v.is_empty() && !first_page;
        url = url.param(k, Some(v).filter(|_| kept));
    }
    url
}

/// One read for the names and coordinators of every partner shown: (names, coordinator by
/// partner).
async fn partner_directory(
    state: &AppState,
    mut shown: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>), UiError> {
    shown.retain(|p| !p.is_empty());
    shown.sort();
    shown.dedup();
    if shown.is_empty() {
        return Ok((BTreeMap::new(), BTreeMap::new()));
    }
    let q = PartnerQuery {
        ids: Some(shown),
        ..PartnerQuery::default()
    };
    let summaries = state.service.store.find_partners(&q, now).await?;
    let names = summaries
        .iter()
        .map(|p| (p.partner.id.clone(), p.partner.name.clone()))
        .collect();
    let coordinators = summaries
        .into_iter()
        .filter_map(|p| p.coordinator.map(|c| (p.partner.id, c)))
        .collect();
    Ok((names, coordinators))
}

/// Said when more seminars need attention than the deadline lists show.
fn attention_more(total: usize) -> Option<String> {
    (total > ATTENTION_SHOWN).then(|| {
        format!(
            "Показаны {ATTENTION_SHOWN} самых срочных семинаров из {total}; остальные — в списке семинаров ниже."
        )
    })
}

/// Filter choices: the city is typed (a season has thousands), staff from the staff accounts.
async fn staff_options(state: &AppState, selected: Option<&str>) -> Result<Vec<Opt>, UiError> {
    let staff = state
        .service
        .store
        .users_by_roles(&[Role::Coordinator.as_str(), Role::Admin.as_str()])
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id, u.name));
    Ok(opts(staff, selected))
}

/// Page `grid_page` of the city × week grid, for the city filter; with the number of cities.
async fn grid_rows(
    state: &AppState,
    v: &Viewer,
    id: &str,
    filters: &Filters,
    grid_page: usize,
) -> Result<(Vec<api_programs::CityRow>, usize), ApiError> {
    let slot_filter = api_programs::SlotFilter {
        city: filters.city.clone(),
        limit: Some(CITIES_PER_PAGE),
        offset: Some((grid_page - 1) * CITIES_PER_PAGE),
    };
    api_programs::slot_rows(state, &v.auth(), id, &slot_filter).await
}

/// Where the review queue of program `id` downloads as a spreadsheet.
fn queue_export(id: &str) -> String {
    format!(
        "/api/programs/{}/review-queue.xlsx",
        super::page::encode(id)
    )
}

/// `/programs/{id}`: the dashboard. Every section is one indexed read of what it shows (the
/// grid and the seminar list a page at a time), never the whole season.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    PageQuery(f): PageQuery<Filter>,
) -> UiResult {
    require_staff(&v)?;
    let prog = program(&state, &id)?;
    let list = SeminarList::read(&f)?;
    let queue_list = QueueList::read(f.rq.as_deref(), f.wpage)?;
    let now = state.clock.now();
    let today = local_date(prog.tz, now);
    let filters = Filters::resolve(&state, &f, now).await?;
    let base = filters.query(&id);
    let coordinators = staff_options(&state, filters.coordinator.as_deref()).await?;
    let grid_page = f.grid.unwrap_or(1).max(1);
    let (rows, cities_total) = grid_rows(&state, &v, &id, &filters, grid_page).await?;
    let Json(queue) =
        api_programs::review_queue(State(state.clone()), v.auth(), Path(id.clone())).await?;
    let horizon = today + Duration::days(14);
    let (attention, attention_total) = attention(&state, &base, horizon).await?;
    let this_week = this_week(&state, &base, today).await?;
    let recent = Recent::read(&state, &id, filters.penalty_filter(), f.ppage, now).await?;
    let (listed, seminars_total) = listed(&state, &base, &list).await?;

    let shown: Vec<String> = rows
        .iter()
        .flat_map(|r| r.weeks.iter().flat_map(|w| w.seminars.iter()))
        .map(|x| &x.partner)
        .chain(queue.applications.iter().map(|a| &a.partner))
        .chain(queue.submissions.iter().map(|w| &w.partner))
        .chain(attention.iter().map(|(_, s)| &s.partner))
        .chain(this_week.iter().map(|s| &s.partner))
        .chain(recent.seminars().chain(&listed).map(|s| &s.partner))
        .cloned()
        .collect();
    let (names, coordinator_of) = partner_directory(&state, shown, now).await?;
    let kept = |partner: &str, city: &str| filters.keep(partner, city, coordinator_of.get(partner));

    let reachable = super::mail::partners_with_users(&state).await?;
    let groups =
        sections::application_groups(prog, queue.applications, &names, (today, &reachable), &kept);
    let waiting = sections::waiting(prog, queue.submissions, &names, (today, &reachable), &kept);
    let this_week: Vec<Seminar> = this_week
        .into_iter()
        .filter(|s| kept(&s.partner, &s.city))
        .collect();
    let (upcoming, overdue) =
        sections::deadlines(prog, &attention, &this_week, &v.user, now, horizon, &names);
    let path = format!("/programs/{id}");
    let params = filters.params(&f, list.spec.page, grid_page);
    let url = dashboard_url(&path, &params);
    let pager = |key, at, per, total| pager(&path, &params, key, at, per, total);
    let list_rows = listed
        .iter()
        .map(|s| seminar_row(prog, s, &v.user, now, &names))
        .collect();
    let data = Dashboard {
        mail: super::mail::dashboard_mail(&state, &id).await?,
        program_id: id.clone(),
        program_name: prog.wf.name.clone(),
        filtered: filters.any(),
        city_filter: filters.city.clone().unwrap_or_default(),
        partner_filter: filters.partner.clone().unwrap_or_default(),
        coordinators,
        weeks: week_names(prog),
        grid: sections::grid(rows, &names, filters.unfiltered_people(), &kept),
        grid_pager: pager("grid", grid_page, CITIES_PER_PAGE, cities_total),
        queue: queue_list.ui(&url, groups, waiting),
        upcoming,
        overdue,
        attention_more: attention_more(attention_total),
        penalties: recent.ui(prog, &names, now, &kept, &url),
        list: list.ui(&path, &params, list_rows, seminars_total),
        export_seminars: filters.export_seminars(&id),
        export_penalties: format!("/api/penalties.xlsx?program={}", super::page::encode(&id)),
        export_queue: queue_export(&id),
        path: path.clone(),
    };
    let page = dashboard_meta(prog, &v, f.done.as_deref());
    Ok(render(&state, page, "dashboard", data))
}

/// The dashboard's title and message for the layout.
fn dashboard_meta<'a>(prog: &Program, v: &'a Viewer, done: Option<&str>) -> Page<'a> {
    let title = format!("Панель координатора — {}", prog.wf.name);
    Page::new(title, "/dashboard", Some(v)).flash(done)
}

/// The program's week names, in order (the grid's columns).
fn week_names(prog: &Program) -> Vec<String> {
    prog.wf
        .seminars
        .weeks
        .iter()
        .map(|w| week_name(prog, &w.id))
        .collect()
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
