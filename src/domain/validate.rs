//! `workflow check`: every rule a workflow file must satisfy before the engine runs it. Each
//! problem names the field path (`stages[2].deadline`) and says in Russian what is wrong.

use super::calendar::{Calendar, CalendarError};
use super::deadline;
use super::workflow::{DeadlineRule, Round, Trigger, Workflow};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Bands are checked per stage, round and kind (late return vs. submission/holding).
type BandGroup = (String, Round, bool);
/// Rule index, band start, band end.
type BandAt = (usize, i64, Option<i64>);

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// All problems of `wf`; empty when the workflow is valid.
pub fn validate(wf: &Workflow, calendars: &BTreeMap<String, Calendar>) -> Vec<Problem> {
    let mut p = Vec::new();
    let mut push = |path: String, msg: String| p.push(Problem::new(path, msg));

    if wf.name.trim().is_empty() {
        push(
            "name".into(),
            "название программы не может быть пустым".into(),
        );
    }
    if wf.deadline_zone.parse::<Tz>().is_err() {
        push(
            "deadline_zone".into(),
            format!(
                "неизвестный часовой пояс «{}» (нужно имя IANA, например Europe/Moscow)",
                wf.deadline_zone
            ),
        );
    }
    for (city, zone) in &wf.city_zones {
        if zone.parse::<Tz>().is_err() {
            push(
                format!("city_zones.{city}"),
                format!("неизвестный часовой пояс «{zone}»"),
            );
        }
    }
    let cal = calendars.get(&wf.calendar);
    if cal.is_none() {
        let known: Vec<&str> = calendars.keys().map(|s| s.as_str()).collect();
        push(
            "calendar".into(),
            format!(
                "календарь «{}» не найден (есть: {})",
                wf.calendar,
                known.join(", ")
            ),
        );
    }

    // Seminar window and weeks.
    let sw = &wf.seminars;
    if sw.from > sw.to {
        push(
            "seminars.to".into(),
            format!("окончание {} раньше начала {}", sw.to, sw.from),
        );
    }
    if sw.weeks.is_empty() {
        push("seminars.weeks".into(), "нужна хотя бы одна неделя".into());
    }
    let mut week_ids = BTreeSet::new();
    for (i, w) in sw.weeks.iter().enumerate() {
        if !week_ids.insert(w.id.as_str()) {
            push(
                format!("seminars.weeks[{i}].id"),
                format!("неделя «{}» указана дважды", w.id),
            );
        }
        if w.from > w.to {
            push(
                format!("seminars.weeks[{i}].to"),
                format!("окончание недели {} раньше её начала {}", w.to, w.from),
            );
        }
        if w.from < sw.from || w.to > sw.to {
            push(
                format!("seminars.weeks[{i}]"),
                format!(
                    "неделя {}…{} выходит за период семинаров {}…{}",
                    w.from, w.to, sw.from, sw.to
                ),
            );
        }
        for (j, o) in sw.weeks.iter().enumerate().skip(i + 1) {
            if w.from <= o.to && o.from <= w.to {
                push(
                    format!("seminars.weeks[{j}]"),
                    format!("неделя «{}» пересекается с неделей «{}»", o.id, w.id),
                );
            }
        }
    }

    // Applications.
    let ap = &wf.applications;
    if ap.from > ap.to {
        push(
            "applications.to".into(),
            format!(
                "окончание приёма заявок {} раньше начала {}",
                ap.to, ap.from
            ),
        );
    }
    if ap.to >= sw.from {
        push(
            "applications.to".into(),
            format!(
                "приём заявок ({}) должен закончиться до начала семинаров ({})",
                ap.to, sw.from
            ),
        );
    }
    if ap.group_working_days == 0 || ap.group_working_days > 7 {
        push(
            "applications.group_working_days".into(),
            "должно быть от 1 до 7".into(),
        );
    }
    if let Some(d) = wf.withdrawal.free_until {
        if d < ap.from || d > sw.to {
            push(
                "withdrawal.free_until".into(),
                format!("дата {d} вне программы ({}…{})", ap.from, sw.to),
            );
        }
    }
    if wf.slots.per_city_week == 0 || wf.slots.per_city == 0 || wf.slots.per_partner_city == 0 {
        push("slots".into(), "лимиты мест должны быть не меньше 1".into());
    }

    // Stages.
    let mut stage_ids = BTreeSet::new();
    let mut report_stages = 0;
    for (i, s) in wf.stages.iter().enumerate() {
        let at = format!("stages[{i}]");
        if !is_code(&s.id) {
            push(
                format!("{at}.id"),
                format!(
                    "«{}»: идентификатор этапа — латиница в нижнем регистре, цифры и _",
                    s.id
                ),
            );
        }
        if !stage_ids.insert(s.id.as_str()) {
            push(format!("{at}.id"), format!("этап «{}» указан дважды", s.id));
        }
        if s.report {
            report_stages += 1;
            if !s.submittable {
                push(
                    format!("{at}.submittable"),
                    "этап отчёта должен приниматься от партнёра".into(),
                );
            }
        }
        match &s.deadline {
            DeadlineRule::Date(d) if *d < ap.from || *d > sw.to => {
                push(
                    format!("{at}.deadline.date"),
                    format!("срок {d} вне программы ({}…{})", ap.from, sw.to),
                );
            }
            DeadlineRule::PerWeek(map) => {
                for (wid, d) in map {
                    match sw.weeks.iter().find(|w| &w.id == wid) {
                        None => push(
                            format!("{at}.deadline.per_week.{wid}"),
                            format!("неизвестная неделя «{wid}»"),
                        ),
                        Some(w) => {
                            if *d < ap.from || *d > w.to {
                                push(
                                    format!("{at}.deadline.per_week.{wid}"),
                                    format!("срок {d} вне программы ({}…{})", ap.from, w.to),
                                );
                            }
                        }
                    }
                }
                for w in &sw.weeks {
                    if !map.contains_key(&w.id) {
                        push(
                            format!("{at}.deadline.per_week"),
                            format!("нет срока для недели «{}»", w.id),
                        );
                    }
                }
            }
            DeadlineRule::MonthsAfterSeminar(n) if *n > 36 => push(
                format!("{at}.deadline.months_after_seminar"),
                "не больше 36 месяцев".into(),
            ),
            DeadlineRule::WorkingDaysAfterSeminar(n)
            | DeadlineRule::DaysAfterSeminar(n)
            | DeadlineRule::DaysBeforeSeminar(n)
            | DeadlineRule::WorkingDaysBeforeSeminar(n)
                if *n > 366 =>
            {
                push(format!("{at}.deadline"), "не больше 366 дней".into())
            }
            _ => {}
        }
        for (j, r) in s.reminders.iter().flatten().enumerate() {
            if r.working_days_before > 60 {
                push(
                    format!("{at}.reminders[{j}].working_days_before"),
                    "не больше 60 рабочих дней".into(),
                );
            }
        }
    }
    if report_stages > 1 {
        push(
            "stages".into(),
            "этап отчёта (report = true) может быть только один".into(),
        );
    }
    for (j, r) in wf.reminders.partner_holds.iter().enumerate() {
        if r.working_days_before > 60 {
            push(
                format!("reminders.partner_holds[{j}].working_days_before"),
                "не больше 60 рабочих дней".into(),
            );
        }
    }

    // Penalty codes are unique across the whole table.
    let mut codes = BTreeSet::new();
    for (i, r) in wf.penalties.automatic.iter().enumerate() {
        let at = format!("penalties.automatic[{i}]");
        if !is_code(&r.code) {
            push(
                format!("{at}.code"),
                format!("«{}»: код — латиница в нижнем регистре, цифры и _", r.code),
            );
        }
        if !codes.insert(r.code.as_str()) {
            push(
                format!("{at}.code"),
                format!("код «{}» повторяется", r.code),
            );
        }
        if r.points > 0 {
            push(
                format!("{at}.points"),
                "штрафные баллы не могут быть положительными".into(),
            );
        }
        match r.trigger {
            Trigger::VenueChange => {
                if r.days_before_seminar_under.is_none() {
                    push(
                        format!("{at}.days_before_seminar_under"),
                        "для trigger = \"venue_change\" нужно число дней".into(),
                    );
                }
            }
            t => {
                match r.stage.as_deref() {
                    None => push(format!("{at}.stage"), "не указан этап".into()),
                    Some(sid) => match wf.stage(sid) {
                        None => push(format!("{at}.stage"), format!("неизвестный этап «{sid}»")),
                        Some(st) if !st.submittable => push(
                            format!("{at}.stage"),
                            format!("этап «{sid}» ничего не принимает от партнёра"),
                        ),
                        _ => {}
                    },
                }
                if t != Trigger::LateReturn && r.round.is_none() {
                    push(
                        format!("{at}.round"),
                        "не указан круг подачи (first или resubmit)".into(),
                    );
                }
                match r.late_days {
                    None => push(
                        format!("{at}.late_days"),
                        "не указан диапазон дней просрочки".into(),
                    ),
                    Some(b) => {
                        if b.from < 1 {
                            push(
                                format!("{at}.late_days.from"),
                                "просрочка начинается не раньше чем с 1 дня".into(),
                            );
                        }
                        if b.to.is_some_and(|t| t < b.from) {
                            push(
                                format!("{at}.late_days.to"),
                                format!("конец диапазона меньше начала ({})", b.from),
                            );
                        }
                    }
                }
            }
        }
    }
    // Lateness bands of one stage and round must neither overlap nor leave gaps.
    let mut groups: BTreeMap<BandGroup, Vec<BandAt>> = BTreeMap::new();
    for (i, r) in wf.penalties.automatic.iter().enumerate() {
        if let (Some(stage), Some(b)) = (&r.stage, r.late_days) {
            let late_return = r.trigger == Trigger::LateReturn;
            if r.trigger == Trigger::VenueChange {
                continue;
            }
            groups
                .entry((stage.clone(), r.round.unwrap_or(Round::First), late_return))
                .or_default()
                .push((i, b.from, b.to));
        }
    }
    for ((stage, round, _), mut bands) in groups {
        bands.sort_by_key(|b| b.1);
        for w in bands.windows(2) {
            let (_, _, prev_to) = w[0];
            let (j, from, _) = w[1];
            let round_name = if round == Round::First {
                "first"
            } else {
                "resubmit"
            };
            match prev_to {
                None => push(format!("penalties.automatic[{j}].late_days"), format!("диапазон пересекается с открытым диапазоном другого правила этапа «{stage}» ({round_name})")),
                Some(t) if from <= t => push(format!("penalties.automatic[{j}].late_days"), format!("диапазон с {from} дн. пересекается с диапазоном до {t} дн. (этап «{stage}», {round_name})")),
                Some(t) if from > t + 1 => push(format!("penalties.automatic[{j}].late_days"), format!("разрыв между диапазонами: дни {}…{} не покрыты (этап «{stage}», {round_name})", t + 1, from - 1)),
                _ => {}
            }
        }
    }
    for (i, m) in wf.penalties.manual.iter().enumerate() {
        let at = format!("penalties.manual[{i}]");
        if !is_code(&m.code) {
            push(
                format!("{at}.code"),
                format!("«{}»: код — латиница в нижнем регистре, цифры и _", m.code),
            );
        }
        if !codes.insert(m.code.as_str()) {
            push(
                format!("{at}.code"),
                format!("код «{}» повторяется", m.code),
            );
        }
        if m.points > 0 {
            push(
                format!("{at}.points"),
                "штрафные баллы не могут быть положительными".into(),
            );
        }
    }
    for (i, a) in wf.alerts.iter().enumerate() {
        if wf.stage(&a.stage).is_none() {
            push(
                format!("alerts[{i}].stage"),
                format!("неизвестный этап «{}»", a.stage),
            );
        }
        if !is_code(a.kind.as_str()) {
            push(
                format!("alerts[{i}].kind"),
                format!(
                    "«{}»: вид уведомления — латиница в нижнем регистре и _",
                    a.kind
                ),
            );
        }
    }

    let mut duty_ids = BTreeSet::new();
    for (i, d) in wf.duties.iter().enumerate() {
        if !is_code(&d.id) || !duty_ids.insert(d.id.as_str()) {
            push(format!("duties[{i}].id"), format!("«{}»: идентификатор должен быть уникальным, латиница в нижнем регистре, цифры и _", d.id));
        }
        if let Some(st) = d.stage.as_deref().filter(|st| wf.stage(st).is_none()) {
            push(
                format!("duties[{i}].stage"),
                format!("этап «{st}» отсутствует в программе"),
            );
        }
        if d.days_from_seminar.is_empty() && d.months_after_seminar.is_empty() {
            push(
                format!("duties[{i}]"),
                "не указано, когда напоминать (days_from_seminar или months_after_seminar)".into(),
            );
        }
        if d.days_from_seminar.iter().any(|n| n.abs() > 366)
            || d.months_after_seminar.iter().any(|m| *m > 36)
        {
            push(
                format!("duties[{i}]"),
                "напоминание дальше чем за год от семинара".into(),
            );
        }
    }

    // Results.
    let r = &wf.results;
    if r.below_minimum_factor.num > r.below_minimum_factor.den {
        push(
            "results.below_minimum_factor".into(),
            "множитель не может быть больше 1".into(),
        );
    }
    if r.third_party_reduction_per_company.num > r.third_party_reduction_per_company.den {
        push(
            "results.third_party_reduction_per_company".into(),
            "скидка не может быть больше 1".into(),
        );
    }
    if r.compensation_cap.0 < 0 {
        push(
            "results.compensation_cap".into(),
            "лимит компенсации не может быть отрицательным".into(),
        );
    }
    if r.organizer_points < 0 {
        push(
            "results.organizer_points".into(),
            "баллы организатора не могут быть отрицательными".into(),
        );
    }
    if r.nothing_below > r.attendance_minimum {
        push(
            "results.nothing_below".into(),
            format!(
                "порог «ничего» ({}) больше минимальной посещаемости ({})",
                r.nothing_below, r.attendance_minimum
            ),
        );
    }
    if r.co_organizers.points_to != "vendor_talks_speaker" {
        push(
            "results.co_organizers.points_to".into(),
            format!(
                "неизвестный способ «{}» (поддерживается vendor_talks_speaker)",
                r.co_organizers.points_to
            ),
        );
    }
    if r.co_organizers.compensation_split != "by_documented_costs" {
        push(
            "results.co_organizers.compensation_split".into(),
            format!(
                "неизвестный способ «{}» (поддерживается by_documented_costs)",
                r.co_organizers.compensation_split
            ),
        );
    }
    if wf.ledgers.points_valid_months == 0 || wf.ledgers.bonus_valid_months == 0 {
        push(
            "ledgers".into(),
            "срок действия баллов и бонусов — не меньше месяца".into(),
        );
    }

    // The calendar must cover every date the program's deadlines and reminders touch.
    if let Some(cal) = cal {
        p.extend(coverage(wf, cal));
    }
    p.extend(stage_roles(wf));
    p
}

/// A stage role the engine looks for by flag (not by id) may be given to one submittable stage.
fn stage_roles(wf: &Workflow) -> Vec<Problem> {
    let mut p = Vec::new();
    let mut seen = false;
    for (i, s) in wf.stages.iter().enumerate() {
        if !s.publishes_link {
            continue;
        }
        let path = format!("stages[{i}].publishes_link");
        if seen {
            p.push(Problem::new(
                path,
                "публичную страницу семинара (publishes_link = true) может нести только один этап",
            ));
        } else if !s.submittable {
            p.push(Problem::new(
                path,
                "этап без сдачи материалов (submittable = false) не может нести публичную страницу",
            ));
        }
        seen = true;
    }
    p
}

fn coverage(wf: &Workflow, cal: &Calendar) -> Vec<Problem> {
    let mut missing = BTreeSet::new();
    fn note(missing: &mut BTreeSet<i32>, e: CalendarError) {
        if let CalendarError::YearNotCovered { year, .. } = e {
            missing.insert(year);
        }
    }
    for y in wf.applications.from.year()..=wf.seminars.to.year() {
        if !cal.covers(y) {
            missing.insert(y);
        }
    }
    let days: Vec<(NaiveDate, &str)> = wf
        .seminars
        .weeks
        .iter()
        .flat_map(|w| [(w.from, w.id.as_str()), (w.to, w.id.as_str())])
        .collect();
    for s in &wf.stages {
        let max_back = wf
            .reminder_offsets(s)
            .iter()
            .map(|r| r.working_days_before)
            .max()
            .unwrap_or(0) as i32;
        for (d, week) in &days {
            match deadline::resolve(&s.deadline, cal, *d, week) {
                Ok(dl) => {
                    if !cal.covers(dl.year()) {
                        missing.insert(dl.year());
                    } else if let Err(e) = cal.add_working_days(dl, -max_back) {
                        note(&mut missing, e);
                    }
                }
                Err(deadline::DeadlineError::Calendar(e)) => note(&mut missing, e),
                Err(_) => {}
            }
        }
    }
    missing
        .into_iter()
        .map(|y| Problem::new("calendar", format!("календарь «{}» не содержит данных за {y} год, а сроки программы его затрагивают (есть: {:?})", cal.id, cal.covered_years())))
        .collect()
}
