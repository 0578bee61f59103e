//! Pieces several pages show: a seminar's row in a list (with its next step and countdown), a
//! penalty with its reason, state badges, partner names.

use super::format;
use crate::accounts::User;
use crate::domain::{Penalty, Program, Seminar, SeminarState, StageStatus};
use crate::http::views::seminar_view;
use crate::http::AppState;
use crate::storage::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Partner id → company name, for the partners a page shows (one query, never all partners).
pub async fn partner_names<'a>(
    state: &AppState,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(state
        .service
        .store
        .partners_by_ids(&ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

pub fn name_of(names: &BTreeMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_string())
}

/// CSS tone of a seminar state badge.
pub fn state_tone(s: SeminarState) -> &'static str {
    match s {
        SeminarState::Applied => "info",
        SeminarState::Preparing | SeminarState::Held => "ok",
        SeminarState::Closed | SeminarState::Withdrawn => "muted",
        SeminarState::Excluded | SeminarState::Rejected => "bad",
    }
}

pub fn week_name(prog: &Program, week: &str) -> String {
    prog.wf
        .seminars
        .weeks
        .iter()
        .find(|w| w.id == week)
        .map(|w| {
            format!(
                "{} ({}–{})",
                w.name,
                format::day_month(w.from),
                format::day_month(w.to)
            )
        })
        .unwrap_or_else(|| week.to_string())
}

#[derive(Serialize, Clone)]
pub struct NextStep {
    pub stage: String,
    pub deadline: String,
    pub countdown: String,
    pub tone: &'static str,
    /// What lateness would cost from here, in Russian («опоздание на 1–2 дня: −10 баллов; …»).
    pub cost: String,
    /// The stage on the seminar page.
    pub href: String,
}

#[derive(Serialize)]
pub struct SeminarRow {
    pub id: String,
    pub href: String,
    pub city: String,
    pub date: String,
    pub date_long: String,
    pub week: String,
    pub partner: String,
    pub partner_name: String,
    pub state_label: String,
    pub state_tone: &'static str,
    /// The first stage the partner holds, with its countdown.
    pub next: Option<NextStep>,
    /// Every stage the partner holds now, earliest deadline first (`next` is the first).
    pub duties: Vec<NextStep>,
    /// Stages waiting for the coordinator.
    pub in_review: Vec<String>,
    pub penalties: usize,
}

pub fn seminar_row(
    prog: &Program,
    s: &Seminar,
    viewer: &User,
    now: DateTime<Utc>,
    names: &BTreeMap<String, String>,
) -> SeminarRow {
    let view = seminar_view(prog, s, viewer, now);
    let mut duties: Vec<(chrono::NaiveDate, NextStep)> = view
        .stages
        .iter()
        .filter(|st| st.partner_holds && opened(prog, s, &st.id, now))
        .map(|st| {
            let (countdown, tone) = format::countdown(st.days_left, st.days_late)
                .unwrap_or_else(|| (String::new(), "ok"));
            let cost = st
                .lateness_costs
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let step = NextStep {
                stage: st.name.clone(),
                deadline: format::deadline(prog, st.deadline),
                countdown,
                tone,
                cost,
                href: format!("/seminars/{}#stage-{}", s.id, st.id),
            };
            (st.deadline, step)
        })
        .collect();
    duties.sort_by_key(|(d, _)| *d);
    let duties: Vec<NextStep> = duties.into_iter().map(|(_, d)| d).collect();
    let next = duties.first().cloned();
    let in_review = prog
        .wf
        .stages
        .iter()
        .filter(|st| {
            s.stages
                .get(&st.id)
                .is_some_and(|p| p.status == StageStatus::Submitted)
        })
        .map(|st| st.name.clone())
        .collect();
    SeminarRow {
        id: s.id.clone(),
        href: format!("/seminars/{}", s.id),
        city: s.city.clone(),
        date: format::date(s.date),
        date_long: format::date_long(s.date),
        week: week_name(prog, &s.week),
        partner: s.partner.clone(),
        partner_name: name_of(names, &s.partner),
        state_label: s.state.label().to_string(),
        state_tone: state_tone(s.state),
        next,
        duties,
        in_review,
        penalties: s.penalties.len(),
    }
}

/// Whether a stage has opened for the partner (stages opening on the seminar day wait for it).
pub fn opened(prog: &Program, s: &Seminar, stage: &str, now: DateTime<Utc>) -> bool {
    use crate::domain::workflow::StageOpens;
    match prog.wf.stage(stage) {
        Some(st) if st.opens == StageOpens::SeminarDay => {
            crate::domain::deadline::local_date(prog.tz, now) >= s.date
        }
        Some(_) => true,
        None => false,
    }
}

#[derive(Serialize)]
pub struct PenaltyUi {
    pub seminar: String,
    pub seminar_href: String,
    /// `Тула, 29.03.2017`.
    pub seminar_label: String,
    pub city: String,
    pub partner_name: String,
    pub name: String,
    pub reason: String,
    pub points: String,
    pub effects: Vec<&'static str>,
    pub at: String,
    pub manual: bool,
    pub stage: Option<String>,
}

pub fn penalty_ui(
    prog: &Program,
    s: &Seminar,
    p: &Penalty,
    names: &BTreeMap<String, String>,
) -> PenaltyUi {
    let mut reason = String::new();
    if let (Some(d), Some(n)) = (p.deadline, p.days_late) {
        reason = format!("срок {}, опоздание {}", format::date(d), format::days(n));
    }
    if let Some(note) = &p.note {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(note);
    }
    if p.count > 1 {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(&format!("нарушений: {}", p.count));
    }
    let effects: Vec<&str> = p.effects.iter().map(|e| e.label()).collect();
    PenaltyUi {
        seminar: s.id.clone(),
        seminar_href: format!("/seminars/{}", s.id),
        seminar_label: format!("{}, {}", s.city, format::date(s.date)),
        city: s.city.clone(),
        partner_name: name_of(names, &s.partner),
        name: p.name.clone(),
        reason,
        points: format::points(p.points),
        effects,
        at: format::instant(prog, p.at),
        manual: p.manual,
        stage: p
            .stage
            .as_ref()
            .and_then(|st| prog.wf.stage(st))
            .map(|st| st.name.clone()),
    }
}

/// Human name of a points-ledger reason: a penalty code or `organizer`.
pub fn ledger_reason(prog: Option<&Program>, code: &str) -> String {
    if code == "organizer" {
        return "Баллы организатора семинара".into();
    }
    prog.and_then(|p| {
        p.wf.automatic(code)
            .map(|r| r.name.clone())
            .or_else(|| p.wf.manual(code).map(|m| m.name.clone()))
    })
    .map(|n| format!("Штраф: {n}"))
    .unwrap_or_else(|| code.to_string())
}
