//! Checks of a partner program's standing sections (docs/design/programs.md §3.4): the ladder,
//! metrics and their parameters, evaluation instants, term and renewal, actions and their ops,
//! recipients, sanctions. Run instead of the item sections when `wf.standing` is set.

use super::Checks;
use crate::domain::money::Kopecks;
use crate::domain::workflow::{
    op_named, EvaluationMode, MetricType, QuarterRule, Recipients, StandingMode, StandingProgram,
    Threshold, BEST_OF_LAST_AND_CURRENT, OPS, RECIPIENTS,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// The checks of this file, in report order.
pub(super) const SECTIONS: &[fn(&mut Checks, &StandingProgram)] = &[
    standing,
    ledgers,
    metrics,
    statuses,
    evaluation,
    term,
    actions,
    recipients,
    sanctions,
    requirements,
];

/// Effects a sanction may have (the engine's vocabulary).
const SANCTION_EFFECTS: &[&str] = &[
    "no_positive_credits",
    "flag",
    "terminate",
    "suspend",
    "revoke",
];

/// `[standing]`: the mode's own fields.
fn standing(c: &mut Checks, p: &StandingProgram) {
    let s = &p.standing;
    match s.mode {
        StandingMode::AutoLadder => {
            match &s.floor {
                Some(f) if !p.statuses.iter().any(|x| &x.code == f) => c.problem(
                    "standing.floor",
                    format!("статус «{f}» не объявлен в [[statuses]]"),
                ),
                Some(_) => {}
                None => c.problem("standing.floor", "для mode = \"auto_ladder\" нужен floor"),
            }
            if p.statuses.is_empty() {
                c.problem("statuses", "у лестницы статусов нет ни одного статуса");
            }
            if p.evaluation.is_none() {
                c.problem(
                    "evaluation",
                    "для mode = \"auto_ladder\" нужен раздел [evaluation]",
                );
            }
        }
        StandingMode::DecidedLadder => {
            if s.levels.is_empty() {
                c.problem("standing.levels", "не указан ни один уровень");
            }
            let mut seen = BTreeSet::new();
            for (i, l) in s.levels.iter().enumerate() {
                c.unique_code(format!("standing.levels[{i}]"), l, &mut seen);
            }
            if s.code.is_none() {
                c.problem("standing.code", "для mode = \"decided_ladder\" нужен code");
            }
            if p.decision.is_none() {
                c.problem(
                    "decision",
                    "для mode = \"decided_ladder\" нужен раздел [decision]",
                );
            }
        }
    }
}

fn ledgers(c: &mut Checks, p: &StandingProgram) {
    let mut seen = BTreeSet::new();
    for (i, l) in p.ledgers.iter().enumerate() {
        c.unique_code(format!("ledgers[{i}].id"), &l.id, &mut seen);
        if l.price_divisor == Some(0) {
            c.problem(
                format!("ledgers[{i}].price_divisor"),
                "делитель цены не может быть 0",
            );
        }
    }
    for (i, l) in p.bonus_ledgers.iter().enumerate() {
        c.unique_code(format!("bonus_ledgers[{i}].id"), &l.id, &mut seen);
    }
}

fn ledger_known(c: &mut Checks, p: &StandingProgram, path: String, id: &str) {
    let known = p.ledgers.iter().any(|l| l.id == id) || p.bonus_ledgers.iter().any(|l| l.id == id);
    if !known {
        c.problem(path, format!("счёт баллов «{id}» не объявлен в ledgers"));
    }
}

/// `[metrics]`: a known type with the parameters it reads.
fn metrics(c: &mut Checks, p: &StandingProgram) {
    let records = record_kinds(p);
    for (name, m) in &p.metrics {
        let at = format!("metrics.{name}");
        c.code(at.clone(), name);
        let Some(t) = m.metric_type() else {
            let known: Vec<&str> = MetricType::ALL.iter().map(|t| t.as_str()).collect();
            c.problem(
                format!("{at}.type"),
                format!(
                    "неизвестный тип метрики «{}»; допустимо: {}",
                    m.kind,
                    known.join(", ")
                ),
            );
            continue;
        };
        for (field, given) in t.required() {
            if !given(m) {
                c.problem(
                    format!("{at}.{field}"),
                    format!("для метрики типа «{}» нужно поле «{field}»", t.as_str()),
                );
            }
        }
        if let Some(l) = &m.ledger {
            ledger_known(c, p, format!("{at}.ledger"), l);
        }
        if let Some(r) = &m.record {
            if !records.contains(r.as_str()) {
                c.problem(
                    format!("{at}.record"),
                    format!("записи «{r}» не создаёт ни одно действие с op = \"record\""),
                );
            }
        }
        metric_options(c, p, &at, m);
    }
}

fn metric_options(
    c: &mut Checks,
    p: &StandingProgram,
    at: &str,
    m: &crate::domain::workflow::Metric,
) {
    if let Some(r) = &m.rule {
        if QuarterRule::parse(r).is_none() {
            c.problem(
                format!("{at}.rule"),
                format!("неизвестное правило «{r}»; допустимо «each» или «average»"),
            );
        }
    }
    if let Some(w) = &m.window {
        if w != BEST_OF_LAST_AND_CURRENT {
            c.problem(
                format!("{at}.window"),
                format!("неизвестное окно «{w}»; допустимо «{BEST_OF_LAST_AND_CURRENT}»"),
            );
        }
    }
    if let Some(s) = &m.skip_before {
        if !p.statuses.iter().any(|x| &x.code == s) {
            c.problem(
                format!("{at}.skip_before"),
                format!("статус «{s}» не объявлен"),
            );
        }
    }
}

/// Every record kind some `record` action creates.
fn record_kinds(p: &StandingProgram) -> BTreeSet<&str> {
    p.actions
        .iter()
        .filter(|a| a.op == "record")
        .filter_map(|a| a.params.get("record").and_then(|v| v.as_str()))
        .collect()
}

/// `[[statuses]]`: codes, criteria over declared metrics, thresholds rising up the ladder.
fn statuses(c: &mut Checks, p: &StandingProgram) {
    let mut seen = BTreeSet::new();
    // metric → (threshold, status) of the highest status below that names it.
    let mut below: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    let mut effective: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for (i, s) in p.statuses.iter().enumerate() {
        c.unique_code(format!("statuses[{i}].code"), &s.code, &mut seen);
        let mut own = match &s.includes {
            Some(inc) => match effective.get(inc.as_str()) {
                Some(m) => m.clone(),
                None => {
                    c.problem(
                        format!("statuses[{i}].includes"),
                        format!("«{inc}» не статус ниже по лестнице"),
                    );
                    BTreeMap::new()
                }
            },
            None => BTreeMap::new(),
        };
        for (j, cr) in s.criteria.iter().enumerate() {
            let at = format!("statuses[{i}].criteria[{j}]");
            let Some(min) = threshold(c, p, &at, &cr.metric, &cr.min) else {
                continue;
            };
            if let Some((prev, by)) = below.get(cr.metric.as_str()) {
                if min < *prev {
                    c.problem(
                        format!("{at}.min"),
                        format!(
                            "пороги должны расти по лестнице статусов: {} меньше, чем у «{by}» ({})",
                            shown(&cr.min),
                            shown_value(p, &cr.metric, *prev)
                        ),
                    );
                }
            }
            own.insert(cr.metric.as_str(), min);
        }
        for (m, v) in &own {
            below.insert(m, (*v, s.code.as_str()));
        }
        effective.insert(s.code.as_str(), own);
    }
}

/// The threshold in the metric's unit (kopecks for money), or `None` after saying why.
fn threshold(
    c: &mut Checks,
    p: &StandingProgram,
    at: &str,
    metric: &str,
    min: &Threshold,
) -> Option<i64> {
    let Some(m) = p.metrics.get(metric) else {
        c.problem(
            format!("{at}.metric"),
            format!("метрика «{metric}» не объявлена в [metrics]"),
        );
        return None;
    };
    // An unknown type is reported at the metric; its unit is unknown too.
    let money = m.metric_type()?.is_money();
    match (min, money) {
        (Threshold::Count(n), false) => Some(*n),
        (Threshold::Count(n), true) => Kopecks::try_from_rub(*n).ok().map(|k| k.0),
        (Threshold::Money(s), true) => match s.parse::<Kopecks>() {
            Ok(k) => Some(k.0),
            Err(e) => {
                c.problem(format!("{at}.min"), e.to_string());
                None
            }
        },
        (Threshold::Money(s), false) => {
            c.problem(
                format!("{at}.min"),
                format!("«{s}»: для метрики «{metric}» порог — целое число"),
            );
            None
        }
    }
}

fn shown(t: &Threshold) -> String {
    match t {
        Threshold::Count(n) => n.to_string(),
        Threshold::Money(s) => s.clone(),
    }
}

fn shown_value(p: &StandingProgram, metric: &str, v: i64) -> String {
    let money = p
        .metrics
        .get(metric)
        .and_then(|m| m.metric_type())
        .is_some_and(MetricType::is_money);
    if money {
        Kopecks(v).to_string()
    } else {
        v.to_string()
    }
}

/// `[evaluation]`: a daily run needs its time; review dates are real `MM-DD`, sorted, unique.
fn evaluation(c: &mut Checks, p: &StandingProgram) {
    let Some(e) = &p.evaluation else { return };
    match e.mode {
        EvaluationMode::Daily if e.at.is_none() => {
            c.problem(
                "evaluation.at",
                "для mode = \"daily\" нужно время запуска at",
            );
        }
        EvaluationMode::ReviewDates if e.review_dates.is_empty() => {
            c.problem(
                "evaluation.review_dates",
                "не указана ни одна дата пересмотра",
            );
        }
        _ => {}
    }
    let mut prev: Option<NaiveDate> = None;
    for (i, d) in e.review_dates.iter().enumerate() {
        let at = format!("evaluation.review_dates[{i}]");
        // A leap year, so that 02-29 is a date (reviewed on 02-28 in other years: C-reading).
        match NaiveDate::parse_from_str(&format!("2000-{d}"), "%Y-%m-%d") {
            Ok(date) => {
                if prev.is_some_and(|p| p >= date) {
                    c.problem(
                        at,
                        format!("«{d}»: даты пересмотра идут по порядку, без повторов"),
                    );
                }
                prev = Some(date);
            }
            Err(_) => c.problem(at, format!("«{d}» — нет такой даты (нужно ММ-ДД)")),
        }
    }
    review_gap(c, e);
}

/// `at_risk.days_before` must fall after the previous review: shorter than the shortest gap.
fn review_gap(c: &mut Checks, e: &crate::domain::workflow::Evaluation) {
    let Some(risk) = &e.at_risk else { return };
    let days: Vec<NaiveDate> = e
        .review_dates
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(&format!("2001-{d}"), "%Y-%m-%d").ok())
        .collect();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return;
    };
    let wrap = (*first + chrono::Months::new(12) - *last).num_days();
    let gap = days
        .windows(2)
        .map(|w| (w[1] - w[0]).num_days())
        .chain([wrap])
        .min()
        .unwrap_or(wrap);
    if i64::from(risk.days_before) >= gap {
        c.problem(
            "evaluation.at_risk.days_before",
            format!(
                "{}: предупреждение должно приходить после предыдущего пересмотра (между пересмотрами {gap} дн.)",
                risk.days_before
            ),
        );
    }
}

/// `[term]`, `[renewal]`, `[decision]`: lengths inside their bounds.
fn term(c: &mut Checks, p: &StandingProgram) {
    let months = p.term.as_ref().map(|t| t.months);
    if let Some(m) = months {
        if !(1..=120).contains(&m) {
            c.problem(
                "term.months",
                format!("{m}: срок действия — от 1 до 120 месяцев"),
            );
        }
    }
    if let Some(r) = &p.renewal {
        match months {
            // The shortest month count in days: a request this early is always before the term.
            Some(m) if r.request_days_before >= m.saturating_mul(28) => c.problem(
                "renewal.request_days_before",
                format!(
                    "{} больше срока действия ({m} месяцев)",
                    r.request_days_before
                ),
            ),
            None => c.problem("term", "для раздела [renewal] нужен раздел [term]"),
            _ => {}
        }
    }
    let warning = p.notices.expiry_warning_days_before.unwrap_or(0);
    if let Some(m) = months.filter(|m| warning >= m.saturating_mul(28)) {
        c.problem(
            "notices.expiry_warning_days_before",
            format!("{warning} больше срока действия ({m} месяцев)"),
        );
    }
    if p.decision.as_ref().is_some_and(|d| d.working_days == 0) {
        c.problem(
            "decision.working_days",
            "срок решения — не меньше 1 рабочего дня",
        );
    }
}

/// `actions`: unique names, known ops, each op's parameters present and pointing at declared things.
fn actions(c: &mut Checks, p: &StandingProgram) {
    let mut seen = BTreeSet::new();
    for (i, a) in p.actions.iter().enumerate() {
        c.unique_code(format!("actions[{i}].do"), &a.name, &mut seen);
        let Some(op) = op_named(&a.op) else {
            let known: Vec<&str> = OPS.iter().map(|o| o.name).collect();
            c.problem(
                format!("actions[{i}].op"),
                format!(
                    "неизвестная операция «{}»; допустимо: {}",
                    a.op,
                    known.join(", ")
                ),
            );
            continue;
        };
        for field in op.required {
            if !a.params.contains_key(*field) {
                c.problem(
                    format!("actions[{i}].op"),
                    format!("операция «{}» требует поле «{field}»", a.op),
                );
            }
        }
        if let Some(l) = a.params.get("ledger").and_then(|v| v.as_str()) {
            ledger_known(c, p, format!("actions[{i}].ledger"), l);
        }
        if let Some(o) = a.params.get("obligation").and_then(|v| v.as_str()) {
            if !p.obligations.iter().any(|x| x.code == o) {
                c.problem(
                    format!("actions[{i}].obligation"),
                    format!("обязательство «{o}» не объявлено в obligations"),
                );
            }
        }
        if let Some(r) = a.params.get("review").and_then(|v| v.as_str()) {
            if !p.vendor_deadlines.iter().any(|d| d.review == r) {
                c.problem(
                    format!("actions[{i}].review"),
                    format!("проверка «{r}» не объявлена в vendor_deadlines"),
                );
            }
        }
    }
}

/// `[recipients]`: partner and coordinator only.
fn recipients(c: &mut Checks, p: &StandingProgram) {
    for (kind, r) in &p.recipients {
        c.code(format!("recipients.{kind}"), kind);
        let lists: Vec<(String, &Vec<String>)> = match r {
            Recipients::All(v) => vec![(format!("recipients.{kind}"), v)],
            Recipients::ByChange(m) => m
                .iter()
                .map(|(change, v)| (format!("recipients.{kind}.{change}"), v))
                .collect(),
        };
        for (at, list) in lists {
            for (i, who) in list.iter().enumerate() {
                if !RECIPIENTS.contains(&who.as_str()) {
                    c.problem(
                        format!("{at}[{i}]"),
                        format!(
                            "неизвестный получатель «{who}»; допустимо «partner» или «coordinator»"
                        ),
                    );
                }
            }
        }
    }
}

/// `violations`, `sanctions`: unique codes, known effects.
fn sanctions(c: &mut Checks, p: &StandingProgram) {
    let mut seen = BTreeSet::new();
    for (i, v) in p.violations.iter().enumerate() {
        c.unique_code(format!("violations[{i}]"), v, &mut seen);
    }
    let mut seen = BTreeSet::new();
    for (i, s) in p.sanctions.iter().enumerate() {
        c.unique_code(format!("sanctions[{i}].code"), &s.code, &mut seen);
        if !SANCTION_EFFECTS.contains(&s.effect.as_str()) {
            c.problem(
                format!("sanctions[{i}].effect"),
                format!(
                    "неизвестное действие санкции «{}»; допустимо: {}",
                    s.effect,
                    SANCTION_EFFECTS.join(", ")
                ),
            );
        }
    }
}

/// `[requirements]`: declared metrics, declared levels.
fn requirements(c: &mut Checks, p: &StandingProgram) {
    let Some(r) = &p.requirements else { return };
    let named = r
        .all
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("requirements.all[{i}]"), m))
        .chain(
            r.at_grant
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("requirements.at_grant[{i}]"), m)),
        );
    for (at, m) in named {
        if !p.metrics.contains_key(m) {
            c.problem(at, format!("метрика «{m}» не объявлена в [metrics]"));
        }
    }
    for (level, list) in &r.levels {
        if !p.standing.levels.contains(level) {
            c.problem(
                format!("requirements.levels.{level}"),
                format!("уровень «{level}» не объявлен"),
            );
        }
        for (i, m) in list.iter().enumerate() {
            if !p.metrics.contains_key(m) {
                c.problem(
                    format!("requirements.levels.{level}[{i}]"),
                    format!("метрика «{m}» не объявлена в [metrics]"),
                );
            }
        }
    }
}
