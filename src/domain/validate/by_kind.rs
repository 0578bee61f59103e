//! Checks of `[results]` in the by-kind model: bracket tables, ranges, fixed points,
//! compensation modes, reductions, materials, and that every (kind, topic) an item can have is
//! priced exactly once (docs/design/programs.md §3.2–3.3).

use super::{is_code, Checks};
use crate::domain::money::Factor;
use crate::domain::workflow::{BracketTable, CompensationMode, Kind, ResultModel};
use std::collections::{BTreeMap, BTreeSet};

pub(super) const SECTIONS: &[fn(&mut Checks)] = &[
    brackets,
    ranges,
    fixed,
    compensation,
    reductions,
    materials,
    pricing,
];

fn by_kind(c: &Checks) -> bool {
    c.wf.results.model == ResultModel::ByKind
}

fn above_one(f: Factor) -> bool {
    f.num > f.den
}

/// `[[results.brackets]]`: known kinds and topics, rows contiguous from 0 and open at the end.
fn brackets(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    for (i, t) in wf.results.by_kind.brackets.iter().enumerate() {
        let at = format!("results.brackets[{i}]");
        for (j, k) in t.kinds.iter().enumerate() {
            c.kind_known(format!("{at}.kinds[{j}]"), k);
        }
        for (j, topic) in t.topics.iter().flatten().enumerate() {
            let of_kinds = t
                .kinds
                .iter()
                .filter_map(|k| wf.kinds.iter().find(|x| &x.id == k))
                .any(|k| k.topics.contains(topic));
            if !of_kinds {
                c.problem(
                    format!("{at}.topics[{j}]"),
                    format!(
                        "тема «{topic}» не входит в темы видов {}",
                        t.kinds.join(", ")
                    ),
                );
            }
        }
        if t.rows.is_empty() {
            c.problem(format!("{at}.rows"), "нужна хотя бы одна строка");
        }
        bracket_rows(c, &at, t);
    }
}

fn bracket_rows(c: &mut Checks, at: &str, t: &BracketTable) {
    let mut next = 0u32;
    let mut labels = BTreeSet::new();
    let last = t.rows.len().saturating_sub(1);
    for (j, r) in t.rows.iter().enumerate() {
        let at = format!("{at}.rows[{j}]");
        if r.from != next {
            let after = match next.checked_sub(1) {
                Some(prev) if j > 0 => format!("после «до {prev}» ожидалось «от {next}»"),
                _ => "первая строка должна начинаться с 0".to_string(),
            };
            c.problem(
                format!("{at}.from"),
                format!(
                    "строки таблицы должны идти подряд: {after}, указано {}",
                    r.from
                ),
            );
        }
        match r.to {
            Some(_) if j == last => c.problem(
                format!("{at}.to"),
                "последняя строка таблицы должна быть открытой (без «to»)",
            ),
            None if j != last => c.problem(
                format!("{at}.to"),
                "открытой (без «to») может быть только последняя строка",
            ),
            Some(to) if to < r.from => c.problem(
                format!("{at}.to"),
                format!("конец строки {to} меньше начала {}", r.from),
            ),
            _ => {}
        }
        next = r.to.map_or(next, |t| t.saturating_add(1));
        if let Some(share) = r.share {
            if share.num == 0 || above_one(share) {
                c.problem(
                    format!("{at}.share"),
                    "доля должна быть больше 0 и не больше 1",
                );
            }
        }
        if r.cap.is_some_and(|cap| cap.0 < 0) {
            c.problem(format!("{at}.cap"), "лимит не может быть отрицательным");
        }
        if r.cap.is_some() && r.share.is_none() {
            c.problem(
                format!("{at}.cap"),
                "лимит без доли компенсации (share) не нужен",
            );
        }
        if !labels.insert(r.label.as_str()) {
            c.problem(
                format!("{at}.label"),
                format!("подпись «{}» уже есть в таблице", r.label),
            );
        }
    }
}

/// `[results.range]`: `min ≤ default ≤ max`, a start inside the range, shortfalls that exist.
fn ranges(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    for (kind, r) in &wf.results.by_kind.range {
        let at = format!("results.range.{kind}");
        c.kind_known(at.clone(), kind);
        if r.min > r.max {
            c.problem(
                format!("{at}.max"),
                format!("максимум {} меньше минимума {}", r.max, r.min),
            );
        }
        for (f, v) in [("default", r.default), ("start", r.start)] {
            if let Some(v) = v.filter(|v| *v < r.min || *v > r.max) {
                c.problem(
                    format!("{at}.{f}"),
                    format!("{v} вне диапазона {}…{}", r.min, r.max),
                );
            }
        }
        if r.step.is_some() != r.start.is_some() {
            c.problem(at.clone(), "start и step указываются вместе");
        }
        if r.step.is_some_and(|s| s <= 0) {
            c.problem(format!("{at}.step"), "шаг должен быть больше 0");
        }
        for (j, code) in r.shortfalls.iter().enumerate() {
            let known = wf
                .results
                .by_kind
                .reductions
                .iter()
                .any(|x| &x.code == code && x.shortfall);
            if !known {
                c.problem(
                    format!("{at}.shortfalls[{j}]"),
                    format!("«{code}» не объявлен в reductions с shortfall = true"),
                );
            }
        }
    }
}

/// `[results.fixed]`: topics of the kind that are not refused by its `reward`.
fn fixed(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    for (kind, points) in &wf.results.by_kind.fixed {
        let at = format!("results.fixed.{kind}");
        let Some(k) = wf.kinds.iter().find(|k| &k.id == kind) else {
            c.kind_known(at, kind);
            continue;
        };
        for topic in points.keys() {
            if !k.topics.contains(topic) {
                c.problem(
                    format!("{at}.{topic}"),
                    format!("тема «{topic}» не входит в темы вида «{kind}»"),
                );
            } else if k.reward.contains_key(topic) {
                c.problem(
                    format!("{at}.{topic}"),
                    format!("тема «{topic}» не вознаграждается (reward), баллы не нужны"),
                );
            }
        }
    }
}

/// `[results.compensation]`: known kinds; a share where the mode takes one.
fn compensation(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    for (kind, r) in &wf.results.by_kind.compensation {
        let at = format!("results.compensation.{kind}");
        c.kind_known(at.clone(), kind);
        match (r.mode, r.share) {
            (CompensationMode::Share, None) => {
                c.problem(format!("{at}.share"), "для mode = \"share\" нужна доля");
            }
            (CompensationMode::Share, Some(s)) if s.num == 0 || above_one(s) => {
                c.problem(
                    format!("{at}.share"),
                    "доля должна быть больше 0 и не больше 1",
                );
            }
            (CompensationMode::Bracket, _) => c.problem(
                format!("{at}.mode"),
                "mode = \"bracket\" задаётся таблицей results.brackets, а не здесь",
            ),
            _ => {}
        }
    }
}

/// `[results] reductions`: unique codes, known kinds, no bonus points, factors at most one,
/// shortfalls only for kinds priced by a range.
fn reductions(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    let mut seen = BTreeSet::new();
    for (i, r) in wf.results.by_kind.reductions.iter().enumerate() {
        let at = format!("results.reductions[{i}]");
        c.unique_code(format!("{at}.code"), &r.code, &mut seen);
        for (j, k) in r.kinds.iter().enumerate() {
            c.kind_known(format!("{at}.kinds[{j}]"), k);
            if r.shortfall && !wf.results.by_kind.range.contains_key(k) {
                c.problem(
                    format!("{at}.kinds[{j}]"),
                    format!("shortfall только для видов с диапазоном баллов (results.range), «{k}» не такой"),
                );
            }
        }
        if r.points > 0 {
            c.problem(format!("{at}.points"), "снижение не может добавлять баллы");
        }
        if r.factor_per_unit.is_some_and(above_one) {
            c.problem(
                format!("{at}.factor_per_unit"),
                "множитель не может быть больше 1",
            );
        }
        if !is_code(&r.input) {
            c.problem(
                format!("{at}.input"),
                format!(
                    "«{}»: поле отчёта — латиница в нижнем регистре, цифры и _",
                    r.input
                ),
            );
        }
    }
    if let Some(code) = &wf.results.by_kind.estimate_missing {
        c.code("results.estimate_missing", code);
    }
    for topic in wf.results.by_kind.overrides.keys() {
        if !wf.topics.iter().any(|t| &t.id == topic) {
            c.problem(
                format!("results.overrides.{topic}"),
                format!("тема «{topic}» не объявлена в topics"),
            );
        }
    }
}

/// `[results.materials]`: a share of at most one.
fn materials(c: &mut Checks) {
    if let Some(m) = &c.wf.results.by_kind.materials {
        if above_one(m.share) {
            c.problem("results.materials.share", "доля не может быть больше 1");
        }
    }
}

/// Every (kind, topic) of a kind with a report is priced exactly once: by a bracket table,
/// a range, fixed points, or refused by `reward`.
fn pricing(c: &mut Checks) {
    if !by_kind(c) {
        return;
    }
    let wf = c.wf;
    let mut priced: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    let bk = &wf.results.by_kind;
    for (i, t) in bk.brackets.iter().enumerate() {
        for k in t
            .kinds
            .iter()
            .filter_map(|k| wf.kinds.iter().find(|x| &x.id == k))
        {
            for topic in t.topics.as_ref().unwrap_or(&k.topics) {
                priced
                    .entry((&k.id, topic))
                    .or_default()
                    .push(format!("results.brackets[{i}]"));
            }
        }
    }
    for k in &wf.kinds {
        for topic in &k.topics {
            let mut by = |what: String| priced.entry((&k.id, topic)).or_default().push(what);
            if bk.range.contains_key(&k.id) {
                by(format!("results.range.{}", k.id));
            }
            if bk.fixed.get(&k.id).is_some_and(|f| f.contains_key(topic)) {
                by(format!("results.fixed.{}", k.id));
            }
            if k.reward.contains_key(topic) {
                by(format!("kinds.{}.reward", k.id));
            }
        }
    }
    for (i, k) in wf.kinds.iter().enumerate() {
        if !rewarded(c, k) {
            continue;
        }
        for topic in &k.topics {
            match priced.get(&(k.id.as_str(), topic.as_str())).map(Vec::as_slice) {
                None | Some([]) => c.problem(
                    format!("kinds[{i}]"),
                    format!("для вида «{}» с темой «{topic}» не задано, как считать баллы (brackets, range, fixed или reward)", k.id),
                ),
                Some([_]) => {}
                Some(many) => c.problem(
                    format!("kinds[{i}]"),
                    format!("вид «{}» с темой «{topic}» оценивается дважды: {}", k.id, many.join(", ")),
                ),
            }
        }
    }
}

/// A kind whose items reach a report stage earns a result.
fn rewarded(c: &Checks, k: &Kind) -> bool {
    let wf = c.wf;
    match &k.stages {
        Some(ids) => ids.iter().any(|s| wf.stage(s).is_some_and(|s| s.report)),
        None => wf.report_stage().is_some(),
    }
}
