//! The estimate parts of the seminar page: the rows of the estimate stage's form, the lines of
//! each submitted version, and the approved estimate next to the report's documented costs with
//! the compensation that results — what the coordinator checks before accepting the report.

use super::format;
use super::page::FormState;
use crate::domain::results;
use crate::domain::workflow::EstimateForm;
use crate::domain::{Program, Seminar, SeminarState, StageStatus};
use crate::http::views::EstimateLineView;
use serde::Serialize;

/// Empty rows the form offers beyond those already filled in.
const SPARE_ROWS: usize = 3;
/// The fewest rows the form shows.
const MIN_ROWS: usize = 6;

#[derive(Serialize)]
pub struct CategoryOption {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
pub struct EstimateRowUi {
    /// Row number from 1 (the inputs are `estimate_<n>_…`).
    n: usize,
    options: Vec<CategoryOption>,
    description: String,
    amount: String,
    category_error: Option<String>,
    description_error: Option<String>,
    amount_error: Option<String>,
    has_error: bool,
}

/// The estimate stage's form: the rows, and what the categories mean for the compensation.
#[derive(Serialize)]
pub struct EstimateFormUi {
    rows: Vec<EstimateRowUi>,
    compensable: Vec<String>,
    not_compensable: Vec<String>,
    /// A mistake about the lines as a whole (none filled in).
    error: Option<String>,
}

/// The form's rows for `stage` when it carries the estimate: refilled from the form sent back
/// with mistakes, else from the partner's last version (a returned estimate is reworked, not
/// retyped).
pub fn estimate_form_ui(
    prog: &Program,
    s: &Seminar,
    stage: &str,
    sent: &FormState,
) -> Option<EstimateFormUi> {
    let form = prog.wf.estimate_form(stage)?;
    let mut filled: Vec<(String, String, String)> = Vec::new();
    if sent.values.keys().any(|k| k.starts_with("estimate_")) {
        let mut n = 1;
        while n <= crate::http::commands::MAX_ESTIMATE_LINES {
            let get = |part: &str| {
                sent.values
                    .get(&format!("estimate_{n}_{part}"))
                    .cloned()
                    .unwrap_or_default()
            };
            let row = (get("category"), get("description"), get("amount"));
            if !sent.values.contains_key(&format!("estimate_{n}_category")) {
                break;
            }
            filled.push(row);
            n += 1;
        }
        // Trailing blank rows are the spare ones offered again below.
        while filled
            .last()
            .is_some_and(|(c, d, a)| c.is_empty() && d.trim().is_empty() && a.trim().is_empty())
        {
            filled.pop();
        }
    } else if let Some(v) = s.stage(stage).and_then(|p| p.versions.last()) {
        filled = v
            .estimate
            .iter()
            .map(|l| {
                (
                    l.category.clone(),
                    l.description.clone(),
                    l.amount.to_string(),
                )
            })
            .collect();
    }
    let count = (filled.len() + SPARE_ROWS).max(MIN_ROWS);
    let rows = (0..count)
        .map(|i| {
            let (category, description, amount) = filled.get(i).cloned().unwrap_or_default();
            row_ui(form, i + 1, &category, description, amount, sent)
        })
        .collect();
    let names = |compensable: bool| {
        form.categories
            .iter()
            .filter(|c| c.compensable == compensable)
            .map(|c| lower_first(&c.name))
            .collect()
    };
    Some(EstimateFormUi {
        rows,
        compensable: names(true),
        not_compensable: names(false),
        error: sent.errors.get("estimate").cloned(),
    })
}

/// A category's name inside a sentence: `аренда зала`.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn row_ui(
    form: &EstimateForm,
    n: usize,
    category: &str,
    description: String,
    amount: String,
    sent: &FormState,
) -> EstimateRowUi {
    let error = |part: &str| sent.errors.get(&format!("estimate_{n}_{part}")).cloned();
    let (category_error, description_error, amount_error) =
        (error("category"), error("description"), error("amount"));
    EstimateRowUi {
        n,
        options: form
            .categories
            .iter()
            .map(|c| CategoryOption {
                id: c.id.clone(),
                name: if c.compensable {
                    c.name.clone()
                } else {
                    format!("{} (не компенсируется)", c.name)
                },
                selected: c.id == category,
            })
            .collect(),
        description,
        amount,
        has_error: category_error.is_some()
            || description_error.is_some()
            || amount_error.is_some(),
        category_error,
        description_error,
        amount_error,
    }
}

#[derive(Serialize)]
pub struct LineUi {
    category: String,
    compensable: bool,
    description: String,
    amount: Option<String>,
}

/// A submitted version's estimate: its lines and totals (sums only for money viewers).
#[derive(Serialize)]
pub struct VersionEstimateUi {
    lines: Vec<LineUi>,
    total: Option<String>,
    compensable: Option<String>,
}

/// The estimate lines of a version as the API shows them to the viewer.
pub fn version_estimate_ui(lines: &[EstimateLineView]) -> Option<VersionEstimateUi> {
    if lines.is_empty() {
        return None;
    }
    let money = lines.iter().all(|l| l.amount.is_some());
    let sum = |compensable_only: bool| {
        let total: i64 = lines
            .iter()
            .filter(|l| l.compensable || !compensable_only)
            .filter_map(|l| l.amount.as_deref())
            .filter_map(|a| a.parse::<crate::domain::Kopecks>().ok())
            .map(|k| k.0)
            .sum();
        money.then(|| format::money(crate::domain::Kopecks(total)))
    };
    Some(VersionEstimateUi {
        lines: lines
            .iter()
            .map(|l| LineUi {
                category: l.category_name.clone(),
                compensable: l.compensable,
                description: l.description.clone(),
                amount: l
                    .amount
                    .as_deref()
                    .and_then(|a| a.parse().ok())
                    .map(format::money),
            })
            .collect(),
        total: sum(false),
        compensable: sum(true),
    })
}

/// The approved estimate against the report: shown to those who see money, in the report
/// stage's review box while the report waits for acceptance, else in a card of its own.
#[derive(Serialize)]
pub struct EstimateReviewUi {
    /// Shown inside the report's review box (the report waits for the coordinator).
    in_review: bool,
    lines: Vec<LineUi>,
    total: Option<String>,
    cap: Option<String>,
    /// Without an approved structured estimate: what limits the compensation instead.
    no_estimate: Option<String>,
    program_limit: String,
    costs: Option<String>,
    voided: Option<String>,
    compensation: Option<String>,
    /// «Компенсация при принятии отчёта» before acceptance, «Компенсация» after.
    compensation_label: &'static str,
    reasons: Vec<String>,
}

/// The comparison for seminar `s`, when there is an approved estimate or a report to compare.
pub fn estimate_review(
    prog: &Program,
    s: &Seminar,
    staff: bool,
    money: bool,
) -> Option<EstimateReviewUi> {
    if !money || (s.estimate.is_none() && s.report.is_none()) {
        return None;
    }
    let report_waits = prog
        .wf
        .report_stage()
        .and_then(|st| s.stage(&st.id))
        .is_some_and(|p| p.status == StageStatus::Submitted);
    let in_review = staff && s.state.is_active() && report_waits;
    if s.estimate.is_none() && !in_review {
        return None;
    }
    let e = s.estimate.as_ref();
    let (compensation, reasons, label) = match (&s.result, &s.report) {
        (Some(r), _) if s.state == SeminarState::Closed => {
            (Some(r.compensation), r.money_reasons.clone(), "Компенсация")
        }
        (_, Some(r)) => {
            let preview = results::compute(&prog.wf, s, r);
            (
                Some(preview.compensation),
                preview.money_reasons,
                "Компенсация при принятии отчёта",
            )
        }
        _ => (None, vec![], "Компенсация"),
    };
    Some(EstimateReviewUi {
        in_review,
        lines: e
            .map(|e| {
                e.lines
                    .iter()
                    .map(|l| LineUi {
                        category: l.category_name.clone(),
                        compensable: l.compensable,
                        description: l.description.clone(),
                        amount: Some(format::money(l.amount)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        total: e.map(|e| format::money(e.total)),
        cap: e.map(|e| format::money(e.cap)),
        no_estimate: e.is_none().then(|| {
            "Смета согласована без строк: компенсация ограничена документально подтверждёнными затратами."
                .to_string()
        }),
        program_limit: format::money(prog.wf.results.compensation_cap),
        costs: s.report.as_ref().map(|r| format::money(r.costs)),
        voided: (s.voided.0 > 0).then(|| format::money(s.voided)),
        compensation: compensation.map(format::money),
        compensation_label: label,
        reasons,
    })
}
