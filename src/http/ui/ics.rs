//! The personal calendar feed `/calendar/<ics_token>.ics`: every deadline of the user's seminars
//! (and the seminar days) as all-day events, valid RFC 5545 — CRLF line endings, lines folded at
//! 75 octets, TEXT values escaped, a stable UID and a DTSTAMP on every event.

use super::format;
use crate::accounts::{Role, User};
use crate::domain::{Program, Seminar, SeminarState};
use crate::http::error::{ApiError, ApiResult};
use crate::http::views::seminar_view;
use crate::http::AppState;
use crate::storage::{PartnerQuery, SeminarQuery};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no physical line exceeds 75 octets (§3.1), never inside a
/// UTF-8 character; ends with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut len = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out.push_str("\r\n");
    out
}

fn ics_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn ics_instant(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// An all-day event.
pub struct DayEvent {
    pub uid: String,
    pub date: NaiveDate,
    pub summary: String,
    pub description: String,
    pub url: String,
}

/// The whole calendar text.
pub fn calendar(name: &str, stamp: DateTime<Utc>, events: &[DayEvent]) -> String {
    let mut out = String::new();
    let mut line = |s: String| out.push_str(&fold(&s));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//seminarflow//Сроки семинаров//RU".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", e.uid));
        line(format!("DTSTAMP:{}", ics_instant(stamp)));
        line(format!("DTSTART;VALUE=DATE:{}", ics_date(e.date)));
        line(format!(
            "DTEND;VALUE=DATE:{}",
            ics_date(e.date + Duration::days(1))
        ));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        line(format!("DESCRIPTION:{}", escape(&e.description)));
        line(format!("URL:{}", e.url));
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// How far back a feed reaches: deadlines of seminars older than this are history, not plans.
const FEED_PAST_DAYS: i64 = 120;

/// The seminars a user's calendar shows: the partner's own; a coordinator's assigned partners'
/// (all when none is assigned); everything for admins. Only approved ones have deadlines, and
/// seminars that ended long ago are left out; filtered in SQL.
async fn seminars_of(
    state: &AppState,
    user: &User,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Vec<Seminar>> {
    let store = &state.service.store;
    let mut q = SeminarQuery {
        states: SeminarState::HOLDING_SLOT.to_vec(),
        date_from: Some(now.date_naive() - Duration::days(FEED_PAST_DAYS)),
        ..SeminarQuery::default()
    };
    match user.role {
        Role::Partner => q.partner = Some(user.partner.clone().unwrap_or_default()),
        Role::Admin => {}
        Role::Coordinator => {
            let assigned = PartnerQuery {
                coordinator: Some(user.id.clone()),
                ..PartnerQuery::default()
            };
            if store.count_partners(&assigned).await? > 0 {
                q.coordinator = Some(user.id.clone());
            }
        }
    }
    Ok(store
        .find_seminars(&q)
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

fn seminar_events(
    prog: &Program,
    s: &Seminar,
    user: &User,
    now: DateTime<Utc>,
    base: &str,
    partner_name: &str,
    host: &str,
) -> Vec<DayEvent> {
    let url = format!("{base}/seminars/{}", s.id);
    let place = format!("{}, {}", s.city, format::date(s.date));
    let who = if user.is_staff() {
        format!("{partner_name}, ")
    } else {
        String::new()
    };
    let mut v = vec![DayEvent {
        uid: format!("{}-day@{host}", s.id),
        date: s.date,
        summary: format!("Семинар: {who}{}", s.city),
        description: format!(
            "{}\n{}\nСостояние: {}\n{url}",
            prog.wf.seminar_title,
            place,
            s.state.label()
        ),
        url: url.clone(),
    }];
    for st in seminar_view(prog, s, user, now).stages {
        let mut d = format!("Срок: до {}", format::deadline(prog, st.deadline));
        if let Some(local) = format::deadline_local(prog, &s.city, st.deadline) {
            d.push_str(&format!(" ({local}, {})", s.city));
        }
        d.push_str(&format!("\nСостояние: {}", st.status_label));
        if !st.lateness_costs.is_empty() {
            d.push_str("\nЧем грозит опоздание: ");
            d.push_str(
                &st.lateness_costs
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        d.push_str(&format!("\n{url}#stage-{}", st.id));
        v.push(DayEvent {
            uid: format!("{}-{}@{host}", s.id, st.id),
            date: st.deadline,
            summary: format!("Срок: {} — {who}{place}", st.name),
            description: d,
            url: format!("{url}#stage-{}", st.id),
        });
    }
    v
}

/// `/calendar/<token>.ics`.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let token = file
        .strip_suffix(".ics")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::not_found("календарь не найден"))?;
    let user = state
        .service
        .store
        .user_by_ics_token(token)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| ApiError::not_found("календарь не найден: ссылка устарела или неверна"))?;
    let now = state.clock.now();
    let base = state.config.base_url();
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or("seminarflow")
        .split(['/', ':'])
        .next()
        .unwrap_or("seminarflow")
        .to_string();
    let seminars = seminars_of(&state, &user, now).await?;
    let names =
        super::cards::partner_names(&state, seminars.iter().map(|s| s.partner.as_str())).await?;
    let mut events = vec![];
    for s in seminars {
        let Some(prog) = state.service.program(&s.program) else {
            continue;
        };
        let name = super::cards::name_of(&names, &s.partner);
        events.extend(seminar_events(prog, &s, &user, now, &base, &name, &host));
    }
    events.sort_by(|a, b| a.date.cmp(&b.date).then(a.uid.cmp(&b.uid)));
    let body = calendar(&format!("Сроки семинаров — {}", user.name), now, &events);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"seminarflow.ics\"",
            ),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "Программа семинара, ".repeat(10));
        let folded = fold(&line);
        for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_values_escape_separators() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
