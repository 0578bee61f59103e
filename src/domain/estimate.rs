//! The structured estimate («смета»): the lines a partner submits with the estimate stage
//! (a category from the workflow's `[estimate]` section, a description, an amount), and the
//! estimate the coordinator approved — whose compensable total is the seminar's compensation
//! cap (DOMAIN.md §2.5: "documented costs, at most the approved estimate total").

use super::money::Kopecks;
use super::seminar::Version;
use super::workflow::{EstimateForm, Workflow};
use serde::{Deserialize, Serialize};

/// One line of a submitted estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateLine {
    /// A category id of the workflow's `[estimate]` section.
    pub category: String,
    pub description: String,
    pub amount: Kopecks,
}

/// An approved line: the submitted line with its category as the workflow named it when the
/// coordinator approved it (a later edit of the workflow file does not rewrite history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedLine {
    pub category: String,
    pub category_name: String,
    pub compensable: bool,
    pub description: String,
    pub amount: Kopecks,
}

/// The estimate the coordinator approved, and the cap it sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedEstimate {
    /// The approved version of the estimate stage.
    pub version: u32,
    pub lines: Vec<ApprovedLine>,
    /// Every line's amount.
    pub total: Kopecks,
    /// The compensable lines' amount: the seminar's compensation cap (the program's own limit
    /// per seminar applies on top).
    pub cap: Kopecks,
}

/// Why submitted lines cannot be an estimate (Russian, for a refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 0-based index of the line.
    pub index: usize,
    pub message: String,
}

/// Checks submitted lines against the workflow's categories: a known category, a description,
/// an amount above zero, and a total within the bounds of money.
///
/// # Errors
/// The first line that is wrong.
pub fn check_lines(form: &EstimateForm, lines: &[EstimateLine]) -> Result<(), LineProblem> {
    let problem = |index, message: String| Err(LineProblem { index, message });
    for (i, l) in lines.iter().enumerate() {
        if form.category(&l.category).is_none() {
            return problem(i, format!("неизвестная статья сметы «{}»", l.category));
        }
        if l.description.trim().is_empty() {
            return problem(i, "не указано, на что расход".into());
        }
        if l.amount <= Kopecks::ZERO || !l.amount.is_valid() {
            return problem(i, "сумма должна быть больше нуля".into());
        }
    }
    if total(lines.iter().map(|l| l.amount)).is_none() {
        return problem(
            lines.len().saturating_sub(1),
            "итог сметы больше допустимой суммы".into(),
        );
    }
    Ok(())
}

/// Lines may come only with the stage that carries the estimate, and must be an estimate.
/// A submission of that stage without lines is taken (scenario files and the seasons before
/// the structured estimate have none); the pages and the API ask for lines.
///
/// # Errors
/// What is wrong, in Russian (line numbers from 1).
pub fn check_submission(wf: &Workflow, stage: &str, lines: &[EstimateLine]) -> Result<(), String> {
    if lines.is_empty() {
        return Ok(());
    }
    let Some(form) = wf.estimate_form(stage) else {
        return Err(format!("этап «{stage}» не принимает строки сметы"));
    };
    check_lines(form, lines).map_err(|p| format!("строка сметы {}: {}", p.index + 1, p.message))
}

/// The estimate a coordinator's approval of `version` of `stage` sets: `Some` for the estimate
/// stage (an approved version without lines sets no cap: `None` inside), `None` for any
/// other stage.
pub fn on_approval(
    wf: &Workflow,
    stage: &str,
    version: &Version,
) -> Option<Option<ApprovedEstimate>> {
    let form = wf.estimate_form(stage)?;
    Some((!version.estimate.is_empty()).then(|| approve(form, version.number, &version.estimate)))
}

fn total(mut amounts: impl Iterator<Item = Kopecks>) -> Option<Kopecks> {
    amounts.try_fold(Kopecks::ZERO, |sum, a| sum.checked_add(a))
}

/// The estimate approved as version `version` with `lines` (already checked): each line with
/// its category's name and whether it is compensable, the total, and the cap.
pub fn approve(form: &EstimateForm, version: u32, lines: &[EstimateLine]) -> ApprovedEstimate {
    let lines: Vec<ApprovedLine> = lines
        .iter()
        .map(|l| {
            let cat = form.category(&l.category);
            ApprovedLine {
                category: l.category.clone(),
                category_name: cat.map_or_else(|| l.category.clone(), |c| c.name.clone()),
                compensable: cat.is_some_and(|c| c.compensable),
                description: l.description.clone(),
                amount: l.amount,
            }
        })
        .collect();
    let sum = |compensable_only: bool| {
        total(
            lines
                .iter()
                .filter(|l| l.compensable || !compensable_only)
                .map(|l| l.amount),
        )
        .unwrap_or(Kopecks::MAX)
    };
    ApprovedEstimate {
        version,
        total: sum(false),
        cap: sum(true),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::EstimateCategory;

    fn form() -> EstimateForm {
        let cat = |id: &str, name: &str, compensable| EstimateCategory {
            id: id.into(),
            name: name.into(),
            compensable,
        };
        EstimateForm {
            stage: "estimate".into(),
            categories: vec![
                cat("hall", "Аренда зала", true),
                cat("coffee_break", "Кофе-брейк", true),
                cat("printing", "Печать программ", false),
            ],
        }
    }

    fn line(category: &str, rub: i64) -> EstimateLine {
        EstimateLine {
            category: category.into(),
            description: format!("{category} на семинар"),
            amount: Kopecks::from_rub(rub),
        }
    }

    #[test]
    fn the_cap_is_the_total_of_the_compensable_lines_only() {
        let e = approve(
            &form(),
            2,
            &[
                line("hall", 20_000),
                line("printing", 3_000),
                line("coffee_break", 7_500),
            ],
        );
        assert_eq!(e.cap, Kopecks::from_rub(27_500));
        assert_eq!(e.total, Kopecks::from_rub(30_500));
        assert_eq!(e.version, 2);
        assert_eq!(e.lines[1].category_name, "Печать программ");
        assert!(!e.lines[1].compensable);
        assert!(e.lines[0].compensable);
    }

    #[test]
    fn an_estimate_of_only_non_compensable_lines_caps_the_compensation_at_zero() {
        let e = approve(&form(), 1, &[line("printing", 3_000)]);
        assert_eq!(e.cap, Kopecks::ZERO);
        assert_eq!(e.total, Kopecks::from_rub(3_000));
    }

    #[test]
    fn a_line_with_an_unknown_category_or_no_amount_is_named_by_its_index() {
        let unknown = check_lines(&form(), &[line("hall", 1), line("banner", 5)]).unwrap_err();
        assert_eq!(unknown.index, 1);
        assert!(unknown.message.contains("banner"), "{unknown:?}");
        let zero = check_lines(&form(), &[line("hall", 0)]).unwrap_err();
        assert_eq!(zero.index, 0);
        let mut blank = line("hall", 10);
        blank.description = "  ".into();
        assert!(check_lines(&form(), &[blank]).is_err());
        assert!(check_lines(&form(), &[line("hall", 10), line("printing", 2)]).is_ok());
    }
}
