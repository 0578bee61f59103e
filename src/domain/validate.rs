//! `workflow check`: every rule a workflow file must satisfy before the engine runs it. Each
//! problem names the field path (`stages[2].deadline`) and says in Russian what is wrong.
//!
//! The checks are grouped by section of the workflow file, one function each, run in the order
//! of `SECTIONS` (which is the order problems are reported in). A new section's checks are a
//! new function added to that list.

// The sections of item programs the flagship does not use have their own lists, run after
// `SECTIONS`: `items` (window, kinds, topics, promotion …) and `by_kind` (results by kind).
// `lines` finds the line of a problem's path in the file text.
mod by_kind;
mod items;
pub mod lines;
mod standing;

use super::calendar::{Calendar, CalendarError};
use super::deadline;
use super::workflow::{AutomaticRule, Band, DeadlineRule, Round, Stage, Trigger, Workflow};
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

/// One workflow being checked: what the checks read and the problems found so far.
struct Checks<'a> {
    wf: &'a Workflow,
    calendars: &'a BTreeMap<String, Calendar>,
    found: Vec<Problem>,
}

impl Checks<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.found.push(Problem::new(path, message));
    }
}

/// The checks of each section of the workflow file, in the order their problems are reported.
const SECTIONS: &[fn(&mut Checks)] = &[
    program,
    seminars,
    applications,
    withdrawal,
    slots,
    stages,
    estimate,
    reminders,
    penalties,
    alerts,
    duties,
    results,
    ledgers,
    calendar_coverage,
    stage_roles,
];

/// All problems of `wf`; empty when the workflow is valid.
pub fn validate(wf: &Workflow, calendars: &BTreeMap<String, Calendar>) -> Vec<Problem> {
    let mut c = Checks {
        wf,
        calendars,
        found: Vec::new(),
    };
    if let Some(p) = &wf.standing {
        program(&mut c);
        for section in standing::SECTIONS {
            section(&mut c, p);
        }
        return c.found;
    }
    for section in SECTIONS
        .iter()
        .chain(items::SECTIONS)
        .chain(by_kind::SECTIONS)
    {
        section(&mut c);
    }
    c.found
}

/// The top-level fields: name, zones, calendar.
fn program(c: &mut Checks) {
    let wf = c.wf;
    if wf.name.trim().is_empty() {
        c.problem("name", "название программы не может быть пустым");
    }
    if wf.deadline_zone.parse::<Tz>().is_err() {
        c.problem(
            "deadline_zone",
            format!(
                "неизвестный часовой пояс «{}» (нужно имя IANA, например Europe/Moscow)",
                wf.deadline_zone
            ),
        );
    }
    for (city, zone) in &wf.city_zones {
        if zone.parse::<Tz>().is_err() {
            c.problem(
                format!("city_zones.{city}"),
                format!("неизвестный часовой пояс «{zone}»"),
            );
        }
    }
    if !c.calendars.contains_key(&wf.calendar) {
        let known: Vec<&str> = c.calendars.keys().map(|s| s.as_str()).collect();
        c.problem(
            "calendar",
            format!(
                "календарь «{}» не найден (есть: {})",
                wf.calendar,
                known.join(", ")
            ),
        );
    }
}

/// `[seminars]`: the window and its weeks.
fn seminars(c: &mut Checks) {
    if c.wf.events.is_some() {
        return; // a rolling window has no weeks; `items::events` checks it
    }
    let sw = &c.wf.seminars;
    if sw.from > sw.to {
        c.problem(
            "seminars.to",
            format!("окончание {} раньше начала {}", sw.to, sw.from),
        );
    }
    if sw.weeks.is_empty() {
        c.problem("seminars.weeks", "нужна хотя бы одна неделя");
    }
    let mut week_ids = BTreeSet::new();
    for (i, w) in sw.weeks.iter().enumerate() {
        if !week_ids.insert(w.id.as_str()) {
            c.problem(
                format!("seminars.weeks[{i}].id"),
                format!("неделя «{}» указана дважды", w.id),
            );
        }
        if w.from > w.to {
            c.problem(
                format!("seminars.weeks[{i}].to"),
                format!("окончание недели {} раньше её начала {}", w.to, w.from),
            );
        }
        if w.from < sw.from || w.to > sw.to {
            c.problem(
                format!("seminars.weeks[{i}]"),
                format!(
                    "неделя {}…{} выходит за период семинаров {}…{}",
                    w.from, w.to, sw.from, sw.to
                ),
            );
        }
        for (j, o) in sw.weeks.iter().enumerate().skip(i + 1) {
            if w.from <= o.to && o.from <= w.to {
                c.problem(
                    format!("seminars.weeks[{j}]"),
                    format!("неделя «{}» пересекается с неделей «{}»", o.id, w.id),
                );
            }
        }
    }
}

/// `[applications]`: the window, which ends before the seminars begin, and the review groups.
fn applications(c: &mut Checks) {
    if c.wf.events.is_some() {
        return; // rolling applications: `items::applications`
    }
    let (ap, sw) = (&c.wf.applications, &c.wf.seminars);
    if ap.from > ap.to {
        c.problem(
            "applications.to",
            format!(
                "окончание приёма заявок {} раньше начала {}",
                ap.to, ap.from
            ),
        );
    }
    if ap.to >= sw.from {
        c.problem(
            "applications.to",
            format!(
                "приём заявок ({}) должен закончиться до начала семинаров ({})",
                ap.to, sw.from
            ),
        );
    }
    if ap.group_working_days == 0 || ap.group_working_days > 7 {
        c.problem("applications.group_working_days", "должно быть от 1 до 7");
    }
}

/// `[withdrawal]`: the free withdrawal date lies within the program.
fn withdrawal(c: &mut Checks) {
    let (ap, sw) = (&c.wf.applications, &c.wf.seminars);
    if let Some(d) = c.wf.withdrawal.free_until {
        if d < ap.from || d > sw.to {
            c.problem(
                "withdrawal.free_until",
                format!("дата {d} вне программы ({}…{})", ap.from, sw.to),
            );
        }
    }
}

/// `[slots]`: every limit is at least one.
fn slots(c: &mut Checks) {
    let s = &c.wf.slots;
    if s.per_city_week == 0 || s.per_city == 0 || s.per_partner_city == 0 {
        c.problem("slots", "лимиты мест должны быть не меньше 1");
    }
}

/// `[[stages]]`: ids, the one report stage, deadlines and reminder offsets.
fn stages(c: &mut Checks) {
    let mut ids = BTreeSet::new();
    for (i, s) in c.wf.stages.iter().enumerate() {
        stage(c, &format!("stages[{i}]"), s, &mut ids);
    }
    if c.wf.stages.iter().filter(|s| s.report).count() > 1 {
        c.problem(
            "stages",
            "этап отчёта (report = true) может быть только один",
        );
    }
}

fn stage<'a>(c: &mut Checks, at: &str, s: &'a Stage, ids: &mut BTreeSet<&'a str>) {
    if !is_code(&s.id) {
        c.problem(
            format!("{at}.id"),
            format!(
                "«{}»: идентификатор этапа — латиница в нижнем регистре, цифры и _",
                s.id
            ),
        );
    }
    if !ids.insert(s.id.as_str()) {
        c.problem(format!("{at}.id"), format!("этап «{}» указан дважды", s.id));
    }
    if s.report && !s.submittable {
        c.problem(
            format!("{at}.submittable"),
            "этап отчёта должен приниматься от партнёра",
        );
    }
    stage_deadline(c, at, &s.deadline);
    for (j, r) in s.reminders.iter().flatten().enumerate() {
        if r.working_days_before > 60 {
            c.problem(
                format!("{at}.reminders[{j}].working_days_before"),
                "не больше 60 рабочих дней",
            );
        }
    }
}

/// `[estimate]`: a submittable stage that is not the report, categories with unique ids and
/// names, at least one of them compensable (else no estimate could ever be compensated).
fn estimate(c: &mut Checks) {
    let Some(e) = c.wf.estimate.as_ref() else {
        return;
    };
    match c.wf.stage(&e.stage) {
        None => c.problem(
            "estimate.stage",
            format!("этап «{}» отсутствует в программе", e.stage),
        ),
        Some(st) if !st.submittable || st.report => c.problem(
            "estimate.stage",
            format!(
                "этап «{}» не может нести смету: он не принимает материалы или это отчёт",
                e.stage
            ),
        ),
        Some(_) => {}
    }
    let mut ids = BTreeSet::new();
    for (i, cat) in e.categories.iter().enumerate() {
        if !is_code(&cat.id) {
            c.problem(
                format!("estimate.categories[{i}].id"),
                format!(
                    "«{}»: идентификатор статьи — латиница в нижнем регистре, цифры и _",
                    cat.id
                ),
            );
        }
        if !ids.insert(cat.id.as_str()) {
            c.problem(
                format!("estimate.categories[{i}].id"),
                format!("статья сметы «{}» указана дважды", cat.id),
            );
        }
        if cat.name.trim().is_empty() {
            c.problem(
                format!("estimate.categories[{i}].name"),
                "название статьи не может быть пустым",
            );
        }
    }
    if !e.categories.iter().any(|cat| cat.compensable) {
        c.problem(
            "estimate.categories",
            "нужна хотя бы одна компенсируемая статья (compensable = true)",
        );
    }
}

/// A stage's deadline lies within the program, names every seminar week, and is not absurdly far.
fn stage_deadline(c: &mut Checks, at: &str, rule: &DeadlineRule) {
    let (ap, sw) = (&c.wf.applications, &c.wf.seminars);
    match rule {
        DeadlineRule::Date(d) if *d < ap.from || *d > sw.to => {
            c.problem(
                format!("{at}.deadline.date"),
                format!("срок {d} вне программы ({}…{})", ap.from, sw.to),
            );
        }
        DeadlineRule::PerWeek(map) => {
            for (wid, d) in map {
                match sw.weeks.iter().find(|w| &w.id == wid) {
                    None => c.problem(
                        format!("{at}.deadline.per_week.{wid}"),
                        format!("неизвестная неделя «{wid}»"),
                    ),
                    Some(w) => {
                        if *d < ap.from || *d > w.to {
                            c.problem(
                                format!("{at}.deadline.per_week.{wid}"),
                                format!("срок {d} вне программы ({}…{})", ap.from, w.to),
                            );
                        }
                    }
                }
            }
            for w in &sw.weeks {
                if !map.contains_key(&w.id) {
                    c.problem(
                        format!("{at}.deadline.per_week"),
                        format!("нет срока для недели «{}»", w.id),
                    );
                }
            }
        }
        DeadlineRule::MonthsAfterSeminar(n) if *n > 36 => c.problem(
            format!("{at}.deadline.months_after_seminar"),
            "не больше 36 месяцев",
        ),
        DeadlineRule::WorkingDaysAfterSeminar(n)
        | DeadlineRule::DaysAfterSeminar(n)
        | DeadlineRule::DaysBeforeSeminar(n)
        | DeadlineRule::WorkingDaysBeforeSeminar(n)
            if *n > 366 =>
        {
            c.problem(format!("{at}.deadline"), "не больше 366 дней")
        }
        _ => {}
    }
}

/// `[reminders]`: the program-wide reminder offsets.
fn reminders(c: &mut Checks) {
    for (j, r) in c.wf.reminders.partner_holds.iter().enumerate() {
        if r.working_days_before > 60 {
            c.problem(
                format!("reminders.partner_holds[{j}].working_days_before"),
                "не больше 60 рабочих дней",
            );
        }
    }
}

/// `[penalties]`: each rule, the lateness bands together, and codes unique across the table.
fn penalties(c: &mut Checks) {
    let mut codes = BTreeSet::new();
    for (i, r) in c.wf.penalties.automatic.iter().enumerate() {
        let at = format!("penalties.automatic[{i}]");
        penalty_code(c, &at, &r.code, r.points, &mut codes);
        automatic_rule(c, &at, r);
    }
    lateness_bands(c);
    for (i, m) in c.wf.penalties.manual.iter().enumerate() {
        penalty_code(
            c,
            &format!("penalties.manual[{i}]"),
            &m.code,
            m.points,
            &mut codes,
        );
    }
}

/// A penalty's code is well-formed and unused so far, and its points are not a bonus.
fn penalty_code<'a>(
    c: &mut Checks,
    at: &str,
    code: &'a str,
    points: i64,
    codes: &mut BTreeSet<&'a str>,
) {
    if !is_code(code) {
        c.problem(
            format!("{at}.code"),
            format!("«{code}»: код — латиница в нижнем регистре, цифры и _"),
        );
    }
    if !codes.insert(code) {
        c.problem(format!("{at}.code"), format!("код «{code}» повторяется"));
    }
    if points > 0 {
        c.problem(
            format!("{at}.points"),
            "штрафные баллы не могут быть положительными",
        );
    }
}

/// What an automatic rule needs for its trigger: a day limit for a venue change, else a
/// submittable stage, a round and a lateness band.
fn automatic_rule(c: &mut Checks, at: &str, r: &AutomaticRule) {
    if r.trigger == Trigger::VenueChange {
        if r.days_before_seminar_under.is_none() {
            c.problem(
                format!("{at}.days_before_seminar_under"),
                "для trigger = \"venue_change\" нужно число дней",
            );
        }
        return;
    }
    let wf = c.wf;
    match r.stage.as_deref() {
        None => c.problem(format!("{at}.stage"), "не указан этап"),
        Some(sid) => match wf.stage(sid) {
            None => c.problem(format!("{at}.stage"), format!("неизвестный этап «{sid}»")),
            Some(st) if !st.submittable => c.problem(
                format!("{at}.stage"),
                format!("этап «{sid}» ничего не принимает от партнёра"),
            ),
            _ => {}
        },
    }
    if r.trigger != Trigger::LateReturn && r.round.is_none() {
        c.problem(
            format!("{at}.round"),
            "не указан круг подачи (first или resubmit)",
        );
    }
    match r.late_days {
        None => c.problem(
            format!("{at}.late_days"),
            "не указан диапазон дней просрочки",
        ),
        Some(b) => late_days(c, at, b),
    }
}

fn late_days(c: &mut Checks, at: &str, b: Band) {
    if b.from < 1 {
        c.problem(
            format!("{at}.late_days.from"),
            "просрочка начинается не раньше чем с 1 дня",
        );
    }
    if b.to.is_some_and(|t| t < b.from) {
        c.problem(
            format!("{at}.late_days.to"),
            format!("конец диапазона меньше начала ({})", b.from),
        );
    }
}

/// Lateness bands of one stage and round must neither overlap nor leave gaps.
fn lateness_bands(c: &mut Checks) {
    let mut groups: BTreeMap<BandGroup, Vec<BandAt>> = BTreeMap::new();
    for (i, r) in c.wf.penalties.automatic.iter().enumerate() {
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
        let round_name = match round {
            Round::First => "first",
            Round::Resubmit => "resubmit",
            Round::Any => "any",
        };
        for w in bands.windows(2) {
            let (_, _, prev_to) = w[0];
            let (j, from, _) = w[1];
            let at = format!("penalties.automatic[{j}].late_days");
            match prev_to {
                None => c.problem(at, format!("диапазон пересекается с открытым диапазоном другого правила этапа «{stage}» ({round_name})")),
                Some(t) if from <= t => c.problem(at, format!("диапазон с {from} дн. пересекается с диапазоном до {t} дн. (этап «{stage}», {round_name})")),
                Some(t) if from > t + 1 => c.problem(at, format!("разрыв между диапазонами: дни {}…{} не покрыты (этап «{stage}», {round_name})", t + 1, from - 1)),
                _ => {}
            }
        }
    }
}

/// `[[alerts]]`: a known stage and a well-formed kind.
fn alerts(c: &mut Checks) {
    let wf = c.wf;
    for (i, a) in wf.alerts.iter().enumerate() {
        if wf.stage(&a.stage).is_none() {
            c.problem(
                format!("alerts[{i}].stage"),
                format!("неизвестный этап «{}»", a.stage),
            );
        }
        if !is_code(a.kind.as_str()) {
            c.problem(
                format!("alerts[{i}].kind"),
                format!(
                    "«{}»: вид уведомления — латиница в нижнем регистре и _",
                    a.kind
                ),
            );
        }
    }
}

/// `[[duties]]`: unique ids, a known stage, and when to remind, within a year of the seminar.
fn duties(c: &mut Checks) {
    let wf = c.wf;
    let mut ids = BTreeSet::new();
    for (i, d) in wf.duties.iter().enumerate() {
        if !is_code(&d.id) || !ids.insert(d.id.as_str()) {
            c.problem(format!("duties[{i}].id"), format!("«{}»: идентификатор должен быть уникальным, латиница в нижнем регистре, цифры и _", d.id));
        }
        if let Some(st) = d.stage.as_deref().filter(|st| wf.stage(st).is_none()) {
            c.problem(
                format!("duties[{i}].stage"),
                format!("этап «{st}» отсутствует в программе"),
            );
        }
        if d.days_from_seminar.is_empty() && d.months_after_seminar.is_empty() {
            c.problem(
                format!("duties[{i}]"),
                "не указано, когда напоминать (days_from_seminar или months_after_seminar)",
            );
        }
        if d.days_from_seminar.iter().any(|n| n.abs() > 366)
            || d.months_after_seminar.iter().any(|m| *m > 36)
        {
            c.problem(
                format!("duties[{i}]"),
                "напоминание дальше чем за год от семинара",
            );
        }
    }
}

/// `[results]`: factors at most one, nothing negative, thresholds in order, known split methods.
fn results(c: &mut Checks) {
    let r = &c.wf.results;
    if r.below_minimum_factor.num > r.below_minimum_factor.den {
        c.problem(
            "results.below_minimum_factor",
            "множитель не может быть больше 1",
        );
    }
    if r.third_party_reduction_per_company.num > r.third_party_reduction_per_company.den {
        c.problem(
            "results.third_party_reduction_per_company",
            "скидка не может быть больше 1",
        );
    }
    if r.compensation_cap.0 < 0 {
        c.problem(
            "results.compensation_cap",
            "лимит компенсации не может быть отрицательным",
        );
    }
    if r.organizer_points < 0 {
        c.problem(
            "results.organizer_points",
            "баллы организатора не могут быть отрицательными",
        );
    }
    if r.nothing_below > r.attendance_minimum {
        c.problem(
            "results.nothing_below",
            format!(
                "порог «ничего» ({}) больше минимальной посещаемости ({})",
                r.nothing_below, r.attendance_minimum
            ),
        );
    }
    if r.co_organizers.points_to != "vendor_talks_speaker" {
        c.problem(
            "results.co_organizers.points_to",
            format!(
                "неизвестный способ «{}» (поддерживается vendor_talks_speaker)",
                r.co_organizers.points_to
            ),
        );
    }
    if r.co_organizers.compensation_split != "by_documented_costs" {
        c.problem(
            "results.co_organizers.compensation_split",
            format!(
                "неизвестный способ «{}» (поддерживается by_documented_costs)",
                r.co_organizers.compensation_split
            ),
        );
    }
}

/// `[ledgers]`: points and bonus last at least a month.
fn ledgers(c: &mut Checks) {
    let l = &c.wf.ledgers;
    if l.points_valid_months == 0 || l.bonus_valid_months == 0 {
        c.problem(
            "ledgers",
            "срок действия баллов и бонусов — не меньше месяца",
        );
    }
}

/// The calendar must cover every date the program's deadlines and reminders touch.
fn calendar_coverage(c: &mut Checks) {
    if let Some(cal) = c.calendars.get(&c.wf.calendar) {
        let problems = coverage(c.wf, cal);
        c.found.extend(problems);
    }
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

/// A stage role the engine looks for by flag (not by id) may be given to one submittable stage.
fn stage_roles(c: &mut Checks) {
    let mut seen = false;
    for (i, s) in c.wf.stages.iter().enumerate() {
        if !s.publishes_link {
            continue;
        }
        let path = format!("stages[{i}].publishes_link");
        if seen {
            c.problem(
                path,
                "публичную страницу семинара (publishes_link = true) может нести только один этап",
            );
        } else if !s.submittable {
            c.problem(
                path,
                "этап без сдачи материалов (submittable = false) не может нести публичную страницу",
            );
        }
        seen = true;
    }
}
