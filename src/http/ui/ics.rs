//! The personal calendar feed `/calendar/<ics_token>.ics`: the seminar days as all-day events and
//! every deadline of the user's seminars as a timed event ending at 23:59 in the program's zone
//! (`TZID` with a `VTIMEZONE` built from the zone database), with reminders (`VALARM`) three
//! working days and one day before; valid RFC 5545 — CRLF line endings, lines folded at 75
//! octets, TEXT values escaped, UIDs that do not depend on the host, a DTSTAMP on every event.
//! `?mine=1` narrows a coordinator's feed to the partners assigned to them.

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
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

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

fn ics_local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// A UTC offset as `+0300`.
fn ics_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// A duration before the event's start as `-P1DT13H`.
fn ics_before(d: Duration) -> String {
    let total = d.num_minutes().max(0);
    let (days, hours, minutes) = (total / 1440, (total % 1440) / 60, total % 60);
    let mut out = format!("-P{days}D");
    if hours > 0 || minutes > 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
    }
    out
}

/// When an event happens.
pub enum When {
    /// An all-day event (the seminar day).
    Day(NaiveDate),
    /// A deadline "by this date": a timed event at the end of that day in the program's zone
    /// (23:00–23:59), with reminders.
    Deadline {
        date: NaiveDate,
        tz: Tz,
        /// Reminder instants, earliest first.
        alarms: Vec<DateTime<Utc>>,
    },
}

/// One event of the feed.
pub struct FeedEvent {
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub description: String,
    pub url: String,
}

impl FeedEvent {
    fn date(&self) -> NaiveDate {
        match &self.when {
            When::Day(d) | When::Deadline { date: d, .. } => *d,
        }
    }
}

/// The local time a deadline event starts and ends at.
const DEADLINE_START: (u32, u32) = (23, 0);
const DEADLINE_END: (u32, u32) = (23, 59);
/// The local time reminders ring at.
const ALARM_AT: (u32, u32) = (10, 0);

fn at_local(tz: Tz, d: NaiveDate, (h, m): (u32, u32)) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    crate::domain::deadline::local_instant(tz, d, time)
}

/// Reminders of a deadline on `date`: at 10:00 three working days before (by the program's
/// calendar, when it covers that year) and at 10:00 the day before.
pub fn deadline_alarms(prog: &Program, date: NaiveDate) -> Vec<DateTime<Utc>> {
    let mut v = Vec::new();
    if let Ok(d) = prog.cal.add_working_days(date, -3) {
        v.push(at_local(prog.tz, d, ALARM_AT));
    }
    v.push(at_local(prog.tz, date - Duration::days(1), ALARM_AT));
    v.sort();
    v.dedup();
    v
}

/// The UTC offset (seconds), DST part (seconds) and abbreviation of `tz` at `t`.
fn offset_at(tz: Tz, t: DateTime<Utc>) -> (i32, i32, String) {
    use chrono::Offset;
    use chrono_tz::{OffsetComponents, OffsetName};
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    let total = o.fix().local_minus_utc();
    let dst = i32::try_from(o.dst_offset().num_seconds()).unwrap_or(0);
    let name = o
        .abbreviation()
        .map_or_else(|| ics_offset(total), str::to_string);
    (total, dst, name)
}

/// The instants in `[from, to)` where `tz` changes its offset, to the second.
fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let next = (t + Duration::hours(6)).min(to);
        if offset_at(tz, t).0 != offset_at(tz, next).0 {
            // The first second of the new offset, by bisection.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid).0 == offset_at(tz, lo).0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
        }
        t = next;
    }
    out
}

/// A `VTIMEZONE` for `tz` valid over `[from, to]` (dates): one sub-component for the offset at
/// `from` and one per transition, so any reader resolves every local time of the feed exactly.
pub fn vtimezone(tz: Tz, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let start = Utc.from_utc_datetime(&(from - Duration::days(1)).and_time(NaiveTime::MIN));
    let end = Utc.from_utc_datetime(&(to + Duration::days(2)).and_time(NaiveTime::MIN));
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    let part = |lines: &mut Vec<String>, onset: NaiveDateTime, from_off: i32, at: DateTime<Utc>| {
        let (to_off, dst, name) = offset_at(tz, at);
        let kind = if dst == 0 { "STANDARD" } else { "DAYLIGHT" };
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", ics_local(onset)));
        lines.push(format!("TZOFFSETFROM:{}", ics_offset(from_off)));
        lines.push(format!("TZOFFSETTO:{}", ics_offset(to_off)));
        lines.push(format!("TZNAME:{name}"));
        lines.push(format!("END:{kind}"));
    };
    let (first, _, _) = offset_at(tz, start);
    part(
        &mut lines,
        start.naive_utc() + Duration::seconds(i64::from(first)),
        first,
        start,
    );
    let mut before = first;
    for t in transitions(tz, start, end) {
        // The onset is given in the local time in force before the change.
        part(
            &mut lines,
            t.naive_utc() + Duration::seconds(i64::from(before)),
            before,
            t,
        );
        before = offset_at(tz, t).0;
    }
    lines.push("END:VTIMEZONE".into());
    lines
}

fn event_lines(e: &FeedEvent, stamp: DateTime<Utc>) -> Vec<String> {
    let mut v = vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", e.uid),
        format!("DTSTAMP:{}", ics_instant(stamp)),
    ];
    match &e.when {
        When::Day(d) => {
            v.push(format!("DTSTART;VALUE=DATE:{}", ics_date(*d)));
            v.push(format!(
                "DTEND;VALUE=DATE:{}",
                ics_date(*d + Duration::days(1))
            ));
        }
        When::Deadline { date, tz, .. } => {
            let local = |(h, m): (u32, u32)| {
                date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
            };
            v.push(format!(
                "DTSTART;TZID={}:{}",
                tz.name(),
                ics_local(local(DEADLINE_START))
            ));
            v.push(format!(
                "DTEND;TZID={}:{}",
                tz.name(),
                ics_local(local(DEADLINE_END))
            ));
        }
    }
    v.push(format!("SUMMARY:{}", escape(&e.summary)));
    v.push(format!("DESCRIPTION:{}", escape(&e.description)));
    v.push(format!("URL:{}", e.url));
    v.push("TRANSP:TRANSPARENT".into());
    if let When::Deadline { date, tz, alarms } = &e.when {
        let starts = at_local(*tz, *date, DEADLINE_START);
        for a in alarms.iter().filter(|a| **a < starts) {
            v.push("BEGIN:VALARM".into());
            v.push("ACTION:DISPLAY".into());
            v.push(format!("DESCRIPTION:{}", escape(&e.summary)));
            v.push(format!("TRIGGER:{}", ics_before(starts - *a)));
            v.push("END:VALARM".into());
        }
    }
    v.push("END:VEVENT".into());
    v
}

/// The whole calendar text: a `VTIMEZONE` for every zone the deadlines use, then the events.
pub fn calendar(name: &str, stamp: DateTime<Utc>, events: &[FeedEvent]) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//seminarflow//Сроки семинаров//RU".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    let mut zones: BTreeMap<&str, (Tz, NaiveDate, NaiveDate)> = BTreeMap::new();
    for e in events {
        if let When::Deadline { tz, date, .. } = &e.when {
            let z = zones.entry(tz.name()).or_insert((*tz, *date, *date));
            z.1 = z.1.min(*date);
            z.2 = z.2.max(*date);
        }
    }
    for (tz, from, to) in zones.values() {
        lines.extend(vtimezone(*tz, *from - Duration::days(7), *to));
    }
    for e in events {
        lines.extend(event_lines(e, stamp));
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
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
    only_mine: bool,
) -> ApiResult<Vec<Seminar>> {
    let store = &state.service.store;
    let mut q = SeminarQuery {
        states: SeminarState::HOLDING_SLOT.to_vec(),
        date_from: Some(now.date_naive() - Duration::days(FEED_PAST_DAYS)),
        ..SeminarQuery::default()
    };
    match user.role {
        Role::Partner => q.partner = Some(user.partner.clone().unwrap_or_default()),
        // "Only my seminars": the partners assigned to this coordinator or admin, none else.
        Role::Admin | Role::Coordinator if only_mine => q.coordinator = Some(user.id.clone()),
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

/// An event's UID: the same on every host and every fetch, so calendars update, not duplicate.
fn uid(prog: &Program, s: &Seminar, what: &str) -> String {
    format!("{}.{}.{what}@seminarflow", prog.id(), s.id)
}

fn seminar_events(
    prog: &Program,
    s: &Seminar,
    user: &User,
    now: DateTime<Utc>,
    base: &str,
    partner_name: &str,
) -> Vec<FeedEvent> {
    let url = format!("{base}/seminars/{}", s.id);
    let place = format!("{}, {}", s.city, format::date(s.date));
    let who = if user.is_staff() {
        format!("{partner_name}, ")
    } else {
        String::new()
    };
    let mut v = vec![FeedEvent {
        uid: uid(prog, s, "day"),
        when: When::Day(s.date),
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
        v.push(FeedEvent {
            uid: uid(prog, s, &st.id),
            when: When::Deadline {
                date: st.deadline,
                tz: prog.tz,
                alarms: deadline_alarms(prog, st.deadline),
            },
            summary: format!("Срок: {} — {who}{place}", st.name),
            description: d,
            url: format!("{url}#stage-{}", st.id),
        });
    }
    v
}

#[derive(serde::Deserialize, Default)]
pub struct FeedQuery {
    /// `mine=1`: only the seminars of the partners assigned to the user (coordinators, admins).
    #[serde(default)]
    mine: Option<String>,
}

/// `/calendar/<token>.ics` (`?mine=1` for a coordinator's own partners only).
pub async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    axum::extract::Query(fq): axum::extract::Query<FeedQuery>,
) -> ApiResult<Response> {
    let only_mine = matches!(fq.mine.as_deref(), Some("1" | "true" | "yes"));
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
    let seminars = seminars_of(&state, &user, now, only_mine).await?;
    let names =
        super::cards::partner_names(&state, seminars.iter().map(|s| s.partner.as_str())).await?;
    let mut events = vec![];
    for s in seminars {
        let Some(prog) = state.service.program(&s.program) else {
            continue;
        };
        let name = super::cards::name_of(&names, &s.partner);
        events.extend(seminar_events(prog, &s, &user, now, &base, &name));
    }
    events.sort_by(|a, b| a.date().cmp(&b.date()).then(a.uid.cmp(&b.uid)));
    let title = if only_mine {
        format!("Сроки моих семинаров — {}", user.name)
    } else {
        format!("Сроки семинаров — {}", user.name)
    };
    let body = calendar(&title, now, &events);
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
    fn a_zone_with_summer_time_gets_both_transitions_of_the_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let lines = vtimezone(chrono_tz::Europe::Berlin, d("2017-01-10"), d("2017-12-20"));
        let text = lines.join("\n");
        // 26.03.2017 02:00 CET → CEST; 29.10.2017 03:00 CEST → CET.
        assert!(
            text.contains("BEGIN:DAYLIGHT\nDTSTART:20170326T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST"),
            "{text}"
        );
        assert!(
            text.contains("BEGIN:STANDARD\nDTSTART:20171029T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET"),
            "{text}"
        );
        let moscow = vtimezone(chrono_tz::Europe::Moscow, d("2017-01-10"), d("2017-12-20"));
        assert_eq!(
            moscow.iter().filter(|l| l.starts_with("BEGIN:")).count(),
            2,
            "{moscow:?}"
        );
        assert!(moscow.contains(&"TZOFFSETTO:+0300".to_string()));
    }

    #[test]
    fn durations_before_the_start_read_as_rfc5545() {
        assert_eq!(ics_before(Duration::hours(37)), "-P1DT13H");
        assert_eq!(ics_before(Duration::days(2)), "-P2D");
        assert_eq!(ics_before(Duration::minutes(90)), "-P0DT1H30M");
    }

    #[test]
    fn text_values_escape_separators() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
