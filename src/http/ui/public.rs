//! The public page for listeners: approved organizers by city with the date and the landing page
//! (only seminars that keep the vendor's information support). No sign-in needed.

use super::cards::{name_of, partner_names};
use super::format;
use super::page::{render, MaybeViewer, Page, UiResult};
use crate::domain::deadline::local_date;
use crate::domain::{Program, Seminar};
use crate::http::AppState;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Organizer {
    partner_name: String,
    date: String,
    past: bool,
    landing: Option<String>,
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
}

/// The landing page address of the latest approved landing version, if it carried a link.
pub fn landing_link(prog: &Program, s: &Seminar) -> Option<String> {
    let stage = prog.wf.stages.iter().find(|st| st.id == "landing")?;
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

pub async fn organizers(State(state): State<AppState>, MaybeViewer(v): MaybeViewer) -> UiResult {
    let names = partner_names(&state).await?;
    let now = state.clock.now();
    let mut programs = vec![];
    for prog in state.service.programs() {
        let today = local_date(prog.tz, now);
        let seminars = state.service.store.seminars(Some(prog.id())).await?;
        let mut by_city: BTreeMap<String, Vec<(chrono::NaiveDate, Organizer)>> = BTreeMap::new();
        for s in seminars
            .iter()
            .filter(|s| s.state.is_active_or_closed() && s.info_support)
        {
            by_city.entry(s.city.clone()).or_default().push((
                s.date,
                Organizer {
                    partner_name: name_of(&names, &s.partner),
                    date: format::date_long(s.date),
                    past: s.date < today,
                    landing: landing_link(prog, s),
                },
            ));
        }
        let cities = by_city
            .into_iter()
            .map(|(city, mut v)| {
                v.sort_by_key(|(d, _)| *d);
                City {
                    city,
                    organizers: v.into_iter().map(|(_, o)| o).collect(),
                }
            })
            .collect();
        programs.push(ProgramBlock {
            name: prog.wf.name.clone(),
            vendor: prog.wf.vendor.clone(),
            title: prog.wf.seminar_title.clone(),
            period: format!(
                "{} – {}",
                format::date(prog.wf.seminars.from),
                format::date(prog.wf.seminars.to)
            ),
            cities,
        });
    }
    let any = programs.iter().any(|p| !p.cities.is_empty());
    Ok(render(
        &state,
        Page::new("Где пройдут семинары", "/organizers", v.as_ref()),
        "public",
        PublicPage { programs, any },
    ))
}
