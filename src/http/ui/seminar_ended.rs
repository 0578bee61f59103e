//! The seminar page's status panel for a seminar that will not take place (rejected,
//! withdrawn, excluded): what ended it, when, by whom and why, shown instead of live stages.

use super::format;
use super::page::UiResult;
use crate::domain::review::conflict_message;
use crate::domain::{EventKind, Program, RefusalCode, Seminar, SeminarState};
use crate::http::views::penalty_view;
use crate::http::AppState;
use serde::Serialize;

/// The status panel of a seminar that will not take place, shown instead of live stages.
#[derive(Serialize)]
pub struct EndedUi {
    title: String,
    /// `12.03.2017 14:05 (МСК), координатор Иванова`.
    when: Option<String>,
    reason: Option<String>,
    note: String,
}

pub fn ended_state(st: SeminarState) -> bool {
    matches!(
        st,
        SeminarState::Rejected | SeminarState::Withdrawn | SeminarState::Excluded
    )
}

/// What ended a seminar that will not take place (rejected, withdrawn, excluded), when, by whom
/// and why, read from its audit events and booked penalties; `None` for any other seminar.
pub async fn ended_panel(
    state: &AppState,
    prog: &Program,
    s: &Seminar,
    staff: bool,
) -> UiResult<Option<EndedUi>> {
    if !ended_state(s.state) {
        return Ok(None);
    }
    let kind = match s.state {
        SeminarState::Rejected => EventKind::ApplicationRejected,
        SeminarState::Withdrawn => EventKind::Withdraw,
        _ => EventKind::Excluded,
    };
    let events = state.service.store.events(Some(&s.id)).await?;
    let event = events.iter().rev().find(|e| e.kind == kind.as_str());
    let when = event.map(|e| {
        format!(
            "{}, {}",
            format::instant(prog, e.at),
            super::history::actor(&e.actor)
        )
    });
    let (title, reason, note) = match s.state {
        SeminarState::Rejected => {
            let data = event.map(|e| &e.data);
            let comment = data
                .and_then(|d| d["comment"].as_str())
                .filter(|c| !c.trim().is_empty())
                .map(str::to_string);
            let engine = data
                .and_then(|d| serde_json::from_value::<RefusalCode>(d["reason"].clone()).ok())
                .map(|c| capitalized(&conflict_message(c, s)));
            let again = if staff {
                "Этапы, сроки и штрафы к отклонённой заявке не относятся."
            } else {
                "Этапы, сроки и штрафы к отклонённой заявке не относятся. Можно подать новую заявку на свободную неделю."
            };
            (
                "Заявка отклонена",
                Some(
                    comment
                        .or(engine)
                        .unwrap_or_else(|| "Причина не указана.".into()),
                ),
                again,
            )
        }
        SeminarState::Withdrawn => (
            "Семинар отозван партнёром",
            None,
            "Семинар не состоится: этапы и сроки больше не действуют, место в городе освобождено.",
        ),
        _ => {
            let why: Vec<String> = s
                .penalties
                .iter()
                .filter(|p| p.exclusion)
                .map(|p| penalty_view(prog, &s.id, p).reason)
                .collect();
            (
                "Семинар исключён из программы",
                (!why.is_empty()).then(|| why.join("; ")),
                "Семинар не состоится: этапы и сроки больше не действуют, информационная поддержка снята.",
            )
        }
    };
    Ok(Some(EndedUi {
        title: title.into(),
        when,
        reason,
        note: note.into(),
    }))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>() + ".")
        .unwrap_or_default()
}
