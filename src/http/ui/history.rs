//! The audit history of a seminar, told in Russian: who did what and when; the seminar page
//! shows it a page at a time, searched and counted in SQL.

use super::format;
use super::lists::{self, ListUrl};
use super::page::UiError;
use crate::domain::{Event, EventKind, Program};
use crate::http::listing::{self, PageSpec};
use crate::http::AppState;
use crate::storage::EventQuery;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
pub struct EventUi {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub details: Vec<String>,
}

/// `coordinator:anna@x` → `anna@x (координатор)`.
pub fn actor(a: &str) -> String {
    match a.split_once(':') {
        Some(("coordinator", who)) => format!("координатор {who}"),
        Some(("admin", who)) => format!("администратор {who}"),
        Some(("partner", who)) => format!("партнёр {who}"),
        Some(("scheduler", _)) => "система (по расписанию)".into(),
        _ if a == "scheduler" => "система (по расписанию)".into(),
        _ => a.to_string(),
    }
}

/// Like [`actor`], with the person's name where the account is known:
/// `coordinator:anna@x` → `координатор Анна Иванова`.
pub fn actor_named(a: &str, names: &std::collections::BTreeMap<String, String>) -> String {
    let Some((role, who)) = a.split_once(':') else {
        return actor(a);
    };
    match names.get(who) {
        Some(name) => actor(&format!("{role}:{name}")),
        None => actor(a),
    }
}

/// The e-mails of the people behind `actors` (`<role>:<e-mail>`), for a name lookup.
pub fn actor_emails<'a>(actors: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = actors
        .filter_map(|a| a.split_once(':').map(|(_, who)| who.to_string()))
        .filter(|who| who.contains('@'))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

pub fn event_ui(prog: &Program, e: &Event) -> EventUi {
    let d = &e.data;
    let kind = e.kind.parse::<EventKind>().ok();
    let mut details = vec![];
    if let Some(st) = text(d, "stage") {
        let name = prog.wf.stage(&st).map(|s| s.name.clone()).unwrap_or(st);
        details.push(format!("этап: {name}"));
    }
    if kind == Some(EventKind::Apply) {
        if let (Some(city), Some(date)) = (text(d, "city"), text(d, "date")) {
            let date = date.parse().map(format::date).unwrap_or(date);
            details.push(format!("{city}, {date}"));
        }
    }
    if matches!(kind, Some(EventKind::Violation | EventKind::PenaltyBooked)) {
        let code = text(d, "code").unwrap_or_default();
        let name = text(d, "name")
            .or_else(|| prog.wf.manual(&code).map(|m| m.name.clone()))
            .unwrap_or(code);
        if !name.is_empty() {
            details.push(name);
        }
        if let Some(p) = d.get("points").and_then(Value::as_i64).filter(|p| *p != 0) {
            details.push(format::points(p));
        }
        if let Some(n) = text(d, "note") {
            details.push(format!("примечание: {n}"));
        }
    }
    if kind == Some(EventKind::Excluded) {
        if let Some(code) = text(d, "reason") {
            let name = prog
                .wf
                .automatic(&code)
                .map(|r| r.name.clone())
                .or_else(|| prog.wf.manual(&code).map(|m| m.name.clone()))
                .unwrap_or(code);
            details.push(format!("причина: {name}"));
        }
    }
    if let Some(due) = text(d, "due") {
        let due = due.parse().map(format::date).unwrap_or(due);
        details.push(format!("новый срок: {due}"));
    }
    if let Some(c) = text(d, "comment") {
        details.push(format!("комментарий: «{c}»"));
    }
    if let Some(v) = text(d, "venue") {
        details.push(format!("место: {v}"));
    }
    if let Some(files) = d
        .get("files")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
    {
        details.push(format!("вложений: {}", files.len()));
    }
    EventUi {
        at: format::instant(prog, e.at),
        actor: actor(&e.actor),
        what: kind.map_or_else(|| e.kind.clone(), |k| k.label().to_string()),
        details,
    }
}

/// History events per page of the seminar page.
const HISTORY_PER_PAGE: usize = 50;

/// The seminar's history: a page of it, newest first, with people named, searched by `hq`.
#[derive(Serialize)]
pub struct HistoryUi {
    items: Vec<EventUi>,
    /// The number of the first event shown (the list counts down: the newest has the highest).
    start: usize,
    pager: Option<lists::Pager>,
    /// The search as typed, and «Найдено: N событий» when searched.
    q: String,
    found: Option<String>,
}

/// One page of the seminar's history, read and counted in SQL (a long season has hundreds of
/// events per seminar).
pub async fn history_ui(
    state: &AppState,
    prog: &Program,
    id: &str,
    hq: Option<&str>,
    hpage: Option<usize>,
) -> Result<HistoryUi, UiError> {
    let search = listing::search(hq).map_err(lists::bad_param)?;
    let spec =
        PageSpec::new(hpage, None, HISTORY_PER_PAGE, HISTORY_PER_PAGE).map_err(lists::bad_param)?;
    let mut eq = EventQuery {
        seminar: Some(id.to_string()),
        search: search.clone(),
        newest_first: true,
        page: crate::storage::Page::default(),
    };
    let store = &state.service.store;
    let total = store.count_events(&eq).await? as usize;
    eq.page = spec.store_page();
    let events: Vec<_> = store
        .search_events(&eq)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let names = people_names(state, events.iter().map(|e| e.actor.as_str())).await?;
    let url = ListUrl::new(format!("/seminars/{id}")).param("hq", search.as_deref());
    Ok(HistoryUi {
        start: total.saturating_sub(spec.store_page().offset as usize),
        items: events
            .iter()
            .map(|e| EventUi {
                actor: actor_named(&e.actor, &names),
                ..event_ui(prog, e)
            })
            .collect(),
        pager: lists::pager_at(&url, "hpage", "hist", spec, total),
        found: search
            .as_ref()
            .map(|_| lists::found(total, "событие", "события", "событий")),
        q: search.unwrap_or_default(),
    })
}

/// The names of the people behind the actors of a history (a handful per seminar).
async fn people_names<'a>(
    state: &AppState,
    actors: impl Iterator<Item = &'a str>,
) -> Result<std::collections::BTreeMap<String, String>, crate::storage::StoreError> {
    let mut names = std::collections::BTreeMap::new();
    for email in actor_emails(actors) {
        if let Some(u) = state.service.store.user_by_email(&email).await? {
            names.insert(email, u.name);
        }
    }
    Ok(names)
}
