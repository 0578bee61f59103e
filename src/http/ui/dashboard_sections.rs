//! The sections of the coordinator's dashboard, each built from what the dashboard read: the
//! slot grid, the application groups of the review queue, submissions waiting, deadlines of the
//! next days and overdue items. The page handler (`dashboard::show`) only reads and assembles.

use super::cards::{name_of, opened, state_tone};
use super::format;
use crate::accounts::User;
use crate::domain::workflow::Priority;
use crate::domain::{Program, Seminar, SeminarState};
use crate::http::api::programs::{CityRow, QueuedApplication, QueuedSubmission};
use crate::http::views::seminar_view;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Whether a partner's seminar in a city passes the dashboard's filters.
pub type Kept<'a> = &'a dyn Fn(&str, &str) -> bool;

#[derive(Serialize)]
pub struct CellSeminar {
    href: Option<String>,
    partner_name: String,
    date: String,
    state_label: String,
    tone: &'static str,
}

#[derive(Serialize)]
pub struct Cell {
    status: String,
    label: &'static str,
    seminars: Vec<CellSeminar>,
}

#[derive(Serialize)]
pub struct GridRow {
    city: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
pub struct QueuedApp {
    order: usize,
    href: String,
    seminar: String,
    #[serde(skip)]
    partner: String,
    partner_name: String,
    city: String,
    date: String,
    approve: bool,
    suggestion: String,
    priority_reason: String,
    /// The partner has no active user: the decision's e-mail would reach nobody.
    no_user: bool,
}

#[derive(Serialize)]
pub struct AppGroup {
    review_day: String,
    pub due: bool,
    items: Vec<QueuedApp>,
}

#[derive(Serialize)]
pub struct Waiting {
    href: String,
    #[serde(skip)]
    partner: String,
    partner_name: String,
    city: String,
    stage: String,
    deadline: String,
    overdue: bool,
    /// `12.03.2017 14:05 (МСК)`.
    submitted_at: String,
    /// «ждёт 3 дня», «пришло сегодня».
    waiting: String,
    waiting_tone: &'static str,
    return_cost: String,
    /// The partner has no active user: a return's e-mail would reach nobody.
    no_user: bool,
}

#[derive(Serialize)]
pub struct DeadlineItem {
    href: String,
    partner_name: String,
    city: String,
    stage: String,
    deadline: String,
    countdown: String,
    tone: &'static str,
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

/// The grid's rows (the API's view); with a partner or coordinator filter, only cities where
/// a kept seminar is.
pub fn grid(
    rows: Vec<CityRow>,
    names: &BTreeMap<String, String>,
    all: bool,
    kept: Kept<'_>,
) -> Vec<GridRow> {
    rows.into_iter()
        .filter(|r| {
            all || r
                .weeks
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
                                partner_name: name_of(names, &x.partner),
                                date: format::day_month(x.date),
                                state_label: st.map(|s| s.label()).unwrap_or("").into(),
                                tone: st.map(state_tone).unwrap_or("muted"),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The review's suggestion for an application, in words.
fn suggestion_text(suggestion: &str) -> String {
    match suggestion {
        "approve" => "утвердить: неделя в городе свободна".into(),
        "city_week_taken" => "отклонить: неделя в городе уже занята".into(),
        "city_full" => "отклонить: в городе нет свободных мест".into(),
        "partner_city_duplicate" => "отклонить: у партнёра уже есть семинар в этом городе".into(),
        other => format!("отклонить ({other})"),
    }
}

/// Why the application stands where it does, in the workflow's priority order.
fn priority_reason(prog: &Program, a: &QueuedApplication) -> String {
    prog.wf
        .applications
        .priority
        .iter()
        .map(|p| match p {
            Priority::Experienced if a.experienced => {
                "есть опыт проведения семинаров — рассматривается раньше".to_string()
            }
            Priority::Experienced => "опыта семинаров нет".to_string(),
            Priority::Earliest => format!("заявка подана {}", format::instant(prog, a.applied_at)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Partners that have an active user (their mail reaches someone).
pub type Reachable<'a> = &'a BTreeSet<String>;

/// Applications grouped by review day, each group in the order the review takes them.
pub fn application_groups(
    prog: &Program,
    applications: Vec<QueuedApplication>,
    names: &BTreeMap<String, String>,
    (today, reachable): (NaiveDate, Reachable<'_>),
    kept: Kept<'_>,
) -> Vec<AppGroup> {
    let mut groups: Vec<AppGroup> = vec![];
    for a in applications
        .into_iter()
        .filter(|a| kept(&a.partner, &a.city))
    {
        let day = format::date_long(a.review_day);
        let due = a.review_day <= today;
        let mut item = QueuedApp {
            order: 1,
            href: format!("/seminars/{}", a.seminar),
            partner_name: name_of(names, &a.partner),
            partner: a.partner.clone(),
            city: a.city.clone(),
            date: format::date_long(a.date),
            approve: a.suggestion == "approve",
            suggestion: suggestion_text(&a.suggestion),
            priority_reason: priority_reason(prog, &a),
            no_user: !reachable.contains(&a.partner),
            seminar: a.seminar,
        };
        match groups.iter_mut().find(|g| g.review_day == day) {
            Some(g) => {
                item.order = g.items.len() + 1;
                g.items.push(item)
            }
            None => groups.push(AppGroup {
                review_day: day,
                due,
                items: vec![item],
            }),
        }
    }
    groups
}

/// Submissions waiting for the coordinator, as the queue orders them.
pub fn waiting(
    prog: &Program,
    submissions: Vec<QueuedSubmission>,
    names: &BTreeMap<String, String>,
    (today, reachable): (NaiveDate, Reachable<'_>),
    kept: Kept<'_>,
) -> Vec<Waiting> {
    submissions
        .into_iter()
        .filter(|w| kept(&w.partner, &w.city))
        .map(|w| Waiting {
            no_user: !reachable.contains(&w.partner),
            href: format!("/seminars/{}#stage-{}", w.seminar, w.stage),
            partner_name: name_of(names, &w.partner),
            partner: w.partner,
            city: w.city,
            stage: w.stage_name,
            deadline: format::date(w.deadline),
            overdue: w.deadline < today,
            submitted_at: format::instant(prog, w.submitted_at),
            waiting: match w.waiting_days {
                0 => "пришло сегодня".into(),
                n => format!("ждёт {}", format::days(n)),
            },
            waiting_tone: if w.waiting_days >= 3 { "warn" } else { "ok" },
            return_cost: w.return_cost,
        })
        .collect()
}

/// Whether a queue row matches the queue's search (already lower case): part of the partner's id
/// or name, or of the city, in any case.
fn matches(search: &str, partner: &str, partner_name: &str, city: &str) -> bool {
    [partner, partner_name, city]
        .iter()
        .any(|t| t.to_lowercase().contains(search))
}

impl AppGroup {
    /// Keeps the applications matching `search`; each keeps its place in the review order.
    pub fn narrow(&mut self, search: &str) {
        self.items
            .retain(|a| matches(search, &a.partner, &a.partner_name, &a.city));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
}

impl Waiting {
    /// Whether this submission matches the queue's `search` (lower case).
    pub fn matches(&self, search: &str) -> bool {
        matches(search, &self.partner, &self.partner_name, &self.city)
    }
}

/// Stages the partners hold with a deadline up to `horizon` (upcoming, with stages not yet
/// open and the `this_week` seminar days) or past (overdue), each list by date.
pub fn deadlines(
    prog: &Program,
    attention: &[(i64, Seminar)],
    this_week: &[Seminar],
    viewer: &User,
    now: DateTime<Utc>,
    horizon: NaiveDate,
    names: &BTreeMap<String, String>,
) -> (Vec<DeadlineItem>, Vec<DeadlineItem>) {
    let today = crate::domain::deadline::local_date(prog.tz, now);
    let mut upcoming = vec![];
    let mut overdue = vec![];
    for (_, s) in attention {
        let view = seminar_view(prog, s, viewer, now);
        // Stages opening on the seminar day count too: their deadline is as near.
        for st in view.stages.iter().filter(|st| st.partner_holds) {
            let Some((countdown, tone)) = format::countdown(st.days_left, st.days_late) else {
                continue;
            };
            let item = DeadlineItem {
                href: format!("/seminars/{}#stage-{}", s.id, st.id),
                partner_name: name_of(names, &s.partner),
                city: s.city.clone(),
                stage: if opened(prog, s, &st.id, now) {
                    st.name.clone()
                } else {
                    format!("{} (откроется в день семинара)", st.name)
                },
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
    for s in this_week {
        let days = (s.date - today).num_days();
        let countdown = match days {
            0 => "семинар сегодня".to_string(),
            1 => "семинар завтра".to_string(),
            n => format!("семинар через {}", format::days(n)),
        };
        let item = DeadlineItem {
            href: format!("/seminars/{}", s.id),
            partner_name: name_of(names, &s.partner),
            city: s.city.clone(),
            stage: match &s.venue {
                Some(v) => format!("Семинар: {v}"),
                None => "Семинар (место проведения не указано)".into(),
            },
            deadline: format::date(s.date),
            countdown,
            tone: if days <= 1 { "soon" } else { "ok" },
        };
        upcoming.push((s.date, item));
    }
    upcoming.sort_by_key(|(d, _)| *d);
    overdue.sort_by_key(|(d, _)| *d);
    let strip = |v: Vec<(NaiveDate, DeadlineItem)>| v.into_iter().map(|(_, i)| i).collect();
    (strip(upcoming), strip(overdue))
}
