//! The public page for listeners: approved organizers by city with the date and the landing page
//! (only seminars that keep the vendor's information support). No sign-in needed.

use super::cards::{name_of, partner_names};
use super::format;
use super::page::{render, MaybeViewer, Page, UiError, UiResult};
use crate::domain::deadline::local_date;
use crate::domain::{Program, Seminar, SeminarState};
use crate::http::AppState;
use crate::storage::SeminarQuery;
use axum::extract::{Query, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Organizer {
    partner_name: String,
    date: String,
    past: bool,
    landing: Option<String>,
    /// Address and start time, as the partner gave them.
    venue: Option<String>,
}

#[derive(Serialize)]
struct City {
    city: String,
    organizers: Vec<Organizer>,
}

#[derive(Serialize)]
struct ProgramBlock {
    name: String,
    vendor: String,
    title: String,
    period: String,
    cities: Vec<City>,
}

#[derive(Serialize)]
struct PublicPage {
    programs: Vec<ProgramBlock>,
    any: bool,
    prev: Option<String>,
    next: Option<String>,
}

/// The seminar's public page: the first web link of the latest approved version of the stage
/// that publishes it (`publishes_link` in the workflow), if any.
pub fn landing_link(prog: &Program, s: &Seminar) -> Option<String> {
    let stage = prog.wf.link_stage()?;
    s.stages
        .get(&stage.id)?
        .versions
        .iter()
        .rev()
        .filter(|v| v.decision.as_ref().is_some_and(|d| d.approved))
        .flat_map(|v| v.files.iter())
        .find(|f| f.starts_with("https://") || f.starts_with("http://"))
        .cloned()
}

/// Cities per page of each program's list.
const CITIES_PER_PAGE: usize = 40;

#[derive(Deserialize, Default)]
pub struct PublicQuery {
    /// Page of cities (from 1).
    page: Option<usize>,
}

pub async fn organizers(
    State(state): State<AppState>,
    MaybeViewer(v): MaybeViewer,
    Query(q): Query<PublicQuery>,
) -> UiResult {
    let now = state.clock.now();
    let page = q.page.unwrap_or(1).max(1);
    let mut programs = vec![];
    let mut more = false;
    for prog in state.service.programs() {
        let (seminars, has_more) = approved_page(&state, prog, page).await?;
        more |= has_more;
        let names = partner_names(&state, seminars.iter().map(|s| s.partner.as_str())).await?;
        programs.push(ProgramBlock {
            name: prog.wf.name.clone(),
            vendor: prog.wf.vendor.clone(),
            title: prog.wf.seminar_title.clone(),
            period: format!(
                "{} – {}",
                format::date(prog.wf.seminars.from),
                format::date(prog.wf.seminars.to)
            ),
            cities: cities(prog, &seminars, &names, local_date(prog.tz, now)),
        });
    }
    let any = programs.iter().any(|p| !p.cities.is_empty());
    Ok(render(
        &state,
        Page::new("Где пройдут семинары", "/organizers", v.as_ref()),
        "public",
        PublicPage {
            programs,
            any: any || page > 1,
            prev: (page > 1).then(|| format!("/organizers?page={}", page - 1)),
            next: more.then(|| format!("/organizers?page={}", page + 1)),
        },
    ))
}

/// The seminars holding slots in a page of the program's cities (cities counted in SQL, then
/// only their seminars read), and whether more cities follow.
async fn approved_page(
    state: &AppState,
    prog: &Program,
    page: usize,
) -> Result<(Vec<Seminar>, bool), UiError> {
    let store = &state.service.store;
    let mut cities: Vec<String> = store
        .seminar_cells(prog.id())
        .await?
        .into_iter()
        .filter(|c| SeminarState::parse(&c.state).is_some_and(|st| st.holds_slot()))
        .map(|c| c.city)
        .collect();
    cities.dedup();
    let more = cities.len() > page * CITIES_PER_PAGE;
    let cities: Vec<String> = cities
        .into_iter()
        .skip((page - 1) * CITIES_PER_PAGE)
        .take(CITIES_PER_PAGE)
        .collect();
    if cities.is_empty() {
        return Ok((vec![], more));
    }
    let q = SeminarQuery {
        program: Some(prog.id().to_string()),
        cities: Some(cities),
        states: SeminarState::HOLDING_SLOT.to_vec(),
        ..SeminarQuery::default()
    };
    let found = store.find_seminars(&q).await?;
    Ok((found.into_iter().map(|(_, s)| s).collect(), more))
}

/// Organizers by city, each city's by date: seminars that keep the vendor's information support.
fn cities(
    prog: &Program,
    seminars: &[Seminar],
    names: &BTreeMap<String, String>,
    today: NaiveDate,
) -> Vec<City> {
    let mut by_city: BTreeMap<String, Vec<(NaiveDate, Organizer)>> = BTreeMap::new();
    for s in seminars
        .iter()
        .filter(|s| s.state.holds_slot() && s.info_support)
    {
        by_city.entry(s.city.clone()).or_default().push((
            s.date,
            Organizer {
                partner_name: name_of(names, &s.partner),
                date: format::date_long(s.date),
                past: s.date < today,
                landing: landing_link(prog, s),
                venue: s.venue.clone(),
            },
        ));
    }
    by_city
        .into_iter()
        .map(|(city, mut v)| {
            v.sort_by_key(|(d, _)| *d);
            City {
                city,
                organizers: v.into_iter().map(|(_, o)| o).collect(),
            }
        })
        .collect()
}
