//! Checks of the item-program sections the flagship does not use (docs/design/programs.md §3.2):
//! the `[events]` window, rolling applications, lead times, topics, kinds, audiences, promotion,
//! stage `none`/`cutoff`, rule `measured_from`, violation parameters, rejections, waiting alerts
//! and partner rules. Results of the by-kind model are in `by_kind`.

use super::{is_code, Checks};
use crate::domain::deadline;
use crate::domain::workflow::{
    DeadlineRule, Effect, MeasuredFrom, ViolationParam, Waiting, PARTNER_CHOICE,
};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeSet;

/// The checks of this file, in report order (run after the flagship's own sections).
pub(super) const SECTIONS: &[fn(&mut Checks)] = &[
    events,
    applications,
    lead_times,
    topics,
    kinds,
    audiences,
    promotion,
    stages,
    automatic_rules,
    manual_params,
    rejections,
    evidence,
    item_noun,
    waiting_alerts,
    partner_rules,
    coverage,
];

impl Checks<'_> {
    /// A code field: well-formed (`latin_lower_case`).
    pub(super) fn code(&mut self, path: impl Into<String>, code: &str) {
        if !is_code(code) {
            self.problem(
                path,
                format!("«{code}»: код — латиница в нижнем регистре, цифры и _"),
            );
        }
    }

    /// A code that must be new in `seen`; says so at `path` when it is used again.
    pub(super) fn unique_code<'a>(
        &mut self,
        path: String,
        code: &'a str,
        seen: &mut BTreeSet<&'a str>,
    ) {
        self.code(path.clone(), code);
        if !seen.insert(code) {
            self.problem(path, format!("«{code}» указан дважды"));
        }
    }

    pub(super) fn kind_known(&mut self, path: String, kind: &str) {
        if !self.wf.kinds.iter().any(|k| k.id == kind) {
            self.problem(
                path,
                format!("вид мероприятия «{kind}» не объявлен в kinds"),
            );
        }
    }
}

/// `[events]`: the rolling window, in order; such a program needs its kinds.
fn events(c: &mut Checks) {
    let Some(e) = &c.wf.events else { return };
    if e.from > e.to {
        c.problem(
            "events.to",
            format!("окончание {} раньше начала {}", e.to, e.from),
        );
    }
    if c.wf.kinds.is_empty() {
        c.problem(
            "kinds",
            "программе с периодом [events] нужен хотя бы один вид мероприятия ([[kinds]])",
        );
    }
}

/// `[applications]` of a rolling program: the codes it refuses and lapses with.
fn applications(c: &mut Checks) {
    let a = &c.wf.applications;
    for (field, code) in [
        ("refuse_on_or_after_event", &a.refuse_on_or_after_event),
        ("lapse_at_event_date", &a.lapse_at_event_date),
        ("refuse_suspended", &a.refuse_suspended),
    ] {
        if let Some(code) = code {
            c.code(format!("applications.{field}"), code);
        }
    }
}

/// `[[lead_times]]`: unique codes, at least a day, and effects a short lead can have.
fn lead_times(c: &mut Checks) {
    let wf = c.wf;
    let mut seen = BTreeSet::new();
    for (i, l) in wf.lead_times.iter().enumerate() {
        let at = format!("lead_times[{i}]");
        c.unique_code(format!("{at}.code"), &l.code, &mut seen);
        if l.min_days == 0 {
            c.problem(format!("{at}.min_days"), "не меньше 1 дня");
        }
        for (j, e) in l.effects.iter().enumerate() {
            if !matches!(e, Effect::NoInfoSupport | Effect::NoMaterials) {
                c.problem(
                    format!("{at}.effects[{j}]"),
                    "короткий срок может стоить только no_info_support или no_materials",
                );
            }
        }
    }
}

/// `[[topics]]`: unique ids, and a ledger product declared in `[ledgers] products`.
fn topics(c: &mut Checks) {
    let wf = c.wf;
    let products = &wf.ledgers.products;
    for (j, p) in products.iter().enumerate() {
        c.code(format!("ledgers.products[{j}]"), p);
    }
    let mut seen = BTreeSet::new();
    for (i, t) in wf.topics.iter().enumerate() {
        let at = format!("topics[{i}]");
        c.unique_code(format!("{at}.id"), &t.id, &mut seen);
        let ledger = if t.ledger == PARTNER_CHOICE {
            match &t.default_ledger {
                Some(d) => (format!("{at}.default_ledger"), d),
                None => {
                    c.problem(
                        format!("{at}.default_ledger"),
                        "при ledger = \"partner_choice\" нужен default_ledger",
                    );
                    continue;
                }
            }
        } else {
            (format!("{at}.ledger"), &t.ledger)
        };
        if !products.contains(ledger.1) {
            c.problem(
                ledger.0,
                format!(
                    "продукт «{}» не объявлен в [ledgers] products ({})",
                    ledger.1,
                    products.join(", ")
                ),
            );
        }
    }
}

/// `[[kinds]]`: unique ids, declared topics and stages, and claim/reward rules that fit.
fn kinds(c: &mut Checks) {
    let wf = c.wf;
    let mut seen = BTreeSet::new();
    for (i, k) in wf.kinds.iter().enumerate() {
        let at = format!("kinds[{i}]");
        c.unique_code(format!("{at}.id"), &k.id, &mut seen);
        if k.topics.is_empty() {
            c.problem(format!("{at}.topics"), "нужна хотя бы одна тема");
        }
        for (j, t) in k.topics.iter().enumerate() {
            if !wf.topics.iter().any(|x| &x.id == t) {
                c.problem(
                    format!("{at}.topics[{j}]"),
                    format!("тема «{t}» не объявлена в topics"),
                );
            }
        }
        for (j, s) in k.stages.iter().flatten().enumerate() {
            if wf.stage(s).is_none() {
                c.problem(
                    format!("{at}.stages[{j}]"),
                    format!("этап «{s}» не объявлен в stages"),
                );
            }
        }
        for (j, e) in k.report_requires.iter().enumerate() {
            if wf.evidence.get(e).is_none_or(|l| l.trim().is_empty()) {
                c.problem(
                    format!("{at}.report_requires[{j}]"),
                    format!("«{e}»: нет названия в [evidence] (что партнёр прикладывает к отчёту)"),
                );
            }
        }
        if k.claim_is_report && k.preapproval {
            c.problem(
                format!("{at}.claim_is_report"),
                "заявка-отчёт возможна только без предварительного согласования (preapproval = false)",
            );
        }
        for (topic, code) in &k.reward {
            if !k.topics.contains(topic) {
                c.problem(
                    format!("{at}.reward.{topic}"),
                    format!("тема «{topic}» не входит в темы вида «{}»", k.id),
                );
            }
            c.code(format!("{at}.reward.{topic}"), code);
        }
        if let Some(r) = &k.requirements {
            c.code(format!("{at}.requirements.refuse"), &r.refuse);
        }
    }
}

/// `[audiences]`: refusal codes, and a default audience that is not refused.
fn audiences(c: &mut Checks) {
    let Some(a) = &c.wf.audiences else { return };
    for (aud, code) in &a.refuse {
        c.code(format!("audiences.refuse.{aud}"), code);
    }
    if let Some(d) = a.default.as_deref().filter(|d| a.refuse.contains_key(*d)) {
        c.problem(
            "audiences.default",
            format!("аудитория по умолчанию «{d}» сама в списке отказов"),
        );
    }
}

/// `[promotion]`: a stage without a deadline, known kinds, codes, and blackouts inside the window.
fn promotion(c: &mut Checks) {
    let wf = c.wf;
    let Some(p) = &wf.promotion else { return };
    match wf.stage(&p.stage) {
        None => c.problem(
            "promotion.stage",
            format!("этап «{}» не объявлен в stages", p.stage),
        ),
        Some(s) if s.deadline != DeadlineRule::None => c.problem(
            "promotion.stage",
            format!(
                "у этапа промо-материалов «{}» не должно быть срока (deadline = \"none\")",
                p.stage
            ),
        ),
        _ => {}
    }
    if p.window_days == 0 {
        c.problem("promotion.window_days", "не меньше 1 дня");
    }
    if p.max_parallel == 0 {
        c.problem("promotion.max_parallel", "не меньше 1 мероприятия");
    }
    for (j, k) in p.kinds.iter().enumerate() {
        c.kind_known(format!("promotion.kinds[{j}]"), k);
    }
    if p.order.is_empty() {
        c.problem(
            "promotion.order",
            "нужен хотя бы один признак порядка (date, applied_at)",
        );
    }
    let codes = &p.codes;
    for (f, code) in [
        ("limit", &codes.limit),
        ("repeat", &codes.repeat),
        ("blackout", &codes.blackout),
        ("missing", &codes.missing),
    ] {
        c.code(format!("promotion.codes.{f}"), code);
    }
    blackouts(c);
}

fn blackouts(c: &mut Checks) {
    let wf = c.wf;
    let Some(p) = &wf.promotion else { return };
    let (from, to) = (wf.seminars.from, wf.seminars.to);
    for (i, b) in p.blackouts.iter().enumerate() {
        let at = format!("promotion.blackouts[{i}]");
        if b.from > b.to {
            c.problem(
                format!("{at}.to"),
                format!("окончание {} раньше начала {}", b.to, b.from),
            );
        } else if b.from < from || b.to > to {
            c.problem(
                format!("{at}.to"),
                format!(
                    "период «{} … {}» выходит за окно мероприятий ({from} … {to})",
                    b.from, b.to
                ),
            );
        }
        for (j, o) in p.blackouts.iter().enumerate().take(i) {
            if b.from <= o.to && o.from <= b.to {
                c.problem(
                    format!("{at}.from"),
                    format!("период пересекается с blackouts[{j}] «{}»", o.name),
                );
            }
        }
    }
}

/// `[[stages]]`: `deadline = "none"` and `cutoff` fit the stage.
fn stages(c: &mut Checks) {
    let wf = c.wf;
    for (i, s) in wf.stages.iter().enumerate() {
        let at = format!("stages[{i}]");
        if s.deadline == DeadlineRule::None {
            if s.report {
                c.problem(format!("{at}.deadline"), "у этапа отчёта должен быть срок");
            }
            if s.reminders.as_ref().is_some_and(|r| !r.is_empty()) {
                c.problem(
                    format!("{at}.reminders"),
                    "у этапа без срока нет напоминаний о сроке",
                );
            }
            if s.cutoff.is_some() {
                c.problem(
                    format!("{at}.cutoff"),
                    "крайний срок без основного срока не имеет смысла",
                );
            }
            continue;
        }
        if let Some(cutoff) = &s.cutoff {
            stage_cutoff(c, &at, &s.deadline, cutoff);
        }
    }
}

/// The cutoff comes after the deadline for items on the first and the last day of the window.
fn stage_cutoff(c: &mut Checks, at: &str, rule: &DeadlineRule, cutoff: &DeadlineRule) {
    let wf = c.wf;
    let Some(cal) = c.calendars.get(&wf.calendar) else {
        return;
    };
    let mut days: Vec<(NaiveDate, &str)> = vec![(wf.seminars.from, ""), (wf.seminars.to, "")];
    days.extend(wf.seminars.weeks.iter().map(|w| (w.to, w.id.as_str())));
    for (d, week) in days {
        let (Ok(dl), Ok(co)) = (
            deadline::resolve(rule, cal, d, week),
            deadline::resolve(cutoff, cal, d, week),
        ) else {
            continue;
        };
        if co <= dl {
            c.problem(
                format!("{at}.cutoff"),
                format!("крайний срок ({co} для мероприятия {d}) должен быть позже срока ({dl})"),
            );
            return;
        }
    }
}

/// `[[penalties.automatic]] measured_from = "cutoff"` needs the stage's cutoff.
fn automatic_rules(c: &mut Checks) {
    let wf = c.wf;
    for (i, r) in wf.penalties.automatic.iter().enumerate() {
        if r.measured_from != MeasuredFrom::Cutoff {
            continue;
        }
        let stage = r.stage.as_deref().and_then(|s| wf.stage(s));
        if stage.is_some_and(|s| s.cutoff.is_none()) {
            c.problem(
                format!("penalties.automatic[{i}].measured_from"),
                format!(
                    "у этапа «{}» нет крайнего срока (cutoff)",
                    r.stage.as_deref().unwrap_or_default()
                ),
            );
        }
    }
}

/// `[[penalties.manual]] params`: kinds excluded from a percentage exist and need the parameter.
fn manual_params(c: &mut Checks) {
    let wf = c.wf;
    for (i, m) in wf.penalties.manual.iter().enumerate() {
        let at = format!("penalties.manual[{i}]");
        if !m.compensation_percent_not_for.is_empty()
            && !m.params.contains(&ViolationParam::CompensationPercent)
        {
            c.problem(
                format!("{at}.compensation_percent_not_for"),
                "нужен параметр compensation_percent в params",
            );
        }
        for (j, k) in m.compensation_percent_not_for.iter().enumerate() {
            c.kind_known(format!("{at}.compensation_percent_not_for[{j}]"), k);
        }
        if m.params.contains(&ViolationParam::PointsLeZero) && m.points != 0 {
            c.problem(
                format!("{at}.points"),
                "баллы задаёт координатор (points_le_zero): фиксированные points не указываются",
            );
        }
    }
}

/// `[evidence]`: every name is asked for by some kind's `report_requires` (a typo shows here).
fn evidence(c: &mut Checks) {
    let wf = c.wf;
    for id in wf.evidence.keys() {
        if !wf.kinds.iter().any(|k| k.report_requires.contains(id)) {
            c.problem(
                format!("evidence.{id}"),
                format!("«{id}» не требует ни один вид (report_requires)"),
            );
        }
    }
}

/// `[[rejections]]` and `[[support_refusals]]`: unique codes with a Russian name.
fn rejections(c: &mut Checks) {
    let wf = c.wf;
    let mut seen = BTreeSet::new();
    for (i, r) in wf.rejections.iter().enumerate() {
        c.unique_code(format!("rejections[{i}].code"), &r.code, &mut seen);
        if r.name.trim().is_empty() {
            c.problem(format!("rejections[{i}].name"), "нужно название причины");
        }
    }
    let mut seen = BTreeSet::new();
    for (i, r) in wf.support_refusals.iter().enumerate() {
        c.unique_code(format!("support_refusals[{i}].code"), &r.code, &mut seen);
        if r.name.trim().is_empty() {
            c.problem(
                format!("support_refusals[{i}].name"),
                "нужно название причины",
            );
        }
    }
    if !wf.support_refusals.is_empty() && wf.promotion.is_none() {
        c.problem(
            "support_refusals",
            "отказ в информационной поддержке возможен только в программе с [promotion]",
        );
    }
}

/// `[item_noun]`: every case given (mail builds sentences from them).
fn item_noun(c: &mut Checks) {
    let n = &c.wf.item_noun;
    for (case, word) in [
        ("nom", &n.nom),
        ("gen", &n.gen),
        ("dat", &n.dat),
        ("prep", &n.prep),
    ] {
        if word.trim().is_empty() {
            c.problem(
                format!("item_noun.{case}"),
                "нужна форма слова в этом падеже (например, «мероприятие», «мероприятия»)",
            );
        }
    }
}

/// `[[alerts]]` on applications and reports: a code, a wait, and something to wait for.
fn waiting_alerts(c: &mut Checks) {
    let wf = c.wf;
    for a in &wf.waiting_alerts {
        let at = format!("alerts[{}]", a.file_index);
        c.code(format!("{at}.code"), &a.code);
        if a.working_days == 0 {
            c.problem(format!("{at}.working_days"), "не меньше 1 рабочего дня");
        }
        if a.on == Waiting::Report && wf.report_stage().is_none() {
            c.problem(
                format!("{at}.on"),
                "в программе нет этапа отчёта (report = true)",
            );
        }
    }
}

/// `[partner_rules.low_attendance]`: known kinds, a streak of at least one, a code.
fn partner_rules(c: &mut Checks) {
    let Some(l) = &c.wf.partner_rules.low_attendance else {
        return;
    };
    for (j, k) in l.kinds.iter().enumerate() {
        c.kind_known(format!("partner_rules.low_attendance.kinds[{j}]"), k);
    }
    if l.streak == 0 {
        c.problem("partner_rules.low_attendance.streak", "не меньше 1");
    }
    c.code("partner_rules.low_attendance.alert", &l.alert);
}

/// A rolling program's calendar covers every deadline and cutoff of an item on the window's
/// last day (reports of December events fall due next year).
fn coverage(c: &mut Checks) {
    let wf = c.wf;
    if wf.events.is_none() {
        return;
    }
    let Some(cal) = c.calendars.get(&wf.calendar) else {
        return;
    };
    let mut missing = BTreeSet::new();
    for s in &wf.stages {
        for rule in std::iter::once(&s.deadline).chain(&s.cutoff) {
            if *rule == DeadlineRule::None {
                continue;
            }
            match deadline::resolve(rule, cal, wf.seminars.to, "") {
                Ok(d) if !cal.covers(d.year()) => {
                    missing.insert(d.year());
                }
                Err(deadline::DeadlineError::Calendar(_)) => {
                    missing.insert(wf.seminars.to.year() + 1);
                }
                _ => {}
            }
        }
    }
    for y in missing {
        c.problem(
            "calendar",
            format!(
                "календарь «{}» не содержит данных за {y} год, а сроки отчётов мероприятий конца периода его затрагивают (есть: {:?})",
                cal.id,
                cal.covered_years()
            ),
        );
    }
}
