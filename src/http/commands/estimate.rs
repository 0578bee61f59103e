//! Reading the estimate stage's lines as typed: a JSON array (`estimate: [{category,
//! description, amount}]`) or numbered form fields (`estimate_1_category`, …), each mistake
//! named by its line and part.

use super::input::optional_text;
use super::{Field, LinePart, Mistakes};
use crate::domain::estimate::EstimateLine;
use crate::domain::workflow::EstimateForm;
use crate::domain::Kopecks;
use std::collections::BTreeMap;

/// The most lines one estimate may have (a form shows fewer rows; the API is held to this).
pub const MAX_LINES: usize = 100;

/// An estimate line as typed.
#[derive(Debug, Clone, Default)]
pub struct EstimateLineInput {
    /// 0-based position as sent (a form's row number − 1), kept when blank rows are left out
    /// so a mistake is shown at its row.
    pub index: u16,
    pub category: Option<String>,
    pub description: Option<String>,
    pub amount: Option<String>,
}

impl EstimateLineInput {
    fn is_blank(&self) -> bool {
        [&self.category, &self.description, &self.amount]
            .iter()
            .all(|v| optional_text((*v).clone()).is_none())
    }
}

/// The lines of a form or a multipart body: fields `estimate_<row>_category`, `…_description`
/// and `…_amount`, rows numbered from 1; rows left blank are skipped.
pub fn estimate_lines_from_fields(fields: &BTreeMap<String, String>) -> Vec<EstimateLineInput> {
    let mut rows: BTreeMap<u16, EstimateLineInput> = BTreeMap::new();
    for (name, value) in fields {
        let Some((row, part)) = name
            .strip_prefix("estimate_")
            .and_then(|rest| rest.split_once('_'))
        else {
            continue;
        };
        let Some(row) = row
            .parse::<u16>()
            .ok()
            .filter(|r| (1..=MAX_LINES as u16).contains(r))
        else {
            continue;
        };
        let line = rows.entry(row).or_insert_with(|| EstimateLineInput {
            index: row - 1,
            ..EstimateLineInput::default()
        });
        let slot = match part {
            "category" => &mut line.category,
            "description" => &mut line.description,
            "amount" => &mut line.amount,
            _ => continue,
        };
        *slot = Some(value.clone());
    }
    rows.into_values().filter(|l| !l.is_blank()).collect()
}

/// The lines for `stage`, every mistake noted by line and part. `form` is the program's
/// estimate form when `stage` carries the estimate.
pub fn estimate_lines(
    form: Option<&EstimateForm>,
    input: &[EstimateLineInput],
    m: &mut Mistakes,
) -> Vec<EstimateLine> {
    let input: Vec<&EstimateLineInput> = input.iter().filter(|l| !l.is_blank()).collect();
    let Some(form) = form else {
        if !input.is_empty() {
            m.add(Field::EstimateLines, "Этот этап не принимает строки сметы.");
        }
        return vec![];
    };
    if input.is_empty() {
        m.add(
            Field::EstimateLines,
            "Заполните смету: хотя бы одну строку со статьёй, описанием и суммой.",
        );
        return vec![];
    }
    if input.len() > MAX_LINES {
        m.add(
            Field::EstimateLines,
            format!("В смете не больше {MAX_LINES} строк."),
        );
        return vec![];
    }
    input
        .into_iter()
        .filter_map(|l| estimate_line(form, l, m))
        .collect()
}

fn estimate_line(
    form: &EstimateForm,
    l: &EstimateLineInput,
    m: &mut Mistakes,
) -> Option<EstimateLine> {
    let row = l.index + 1;
    let field = |part| Field::EstimateLine(l.index, part);
    let category = match optional_text(l.category.clone()) {
        None => {
            m.add(
                field(LinePart::Category),
                format!("Строка {row}: выберите статью расходов."),
            );
            None
        }
        Some(c) if form.category(&c).is_none() => {
            m.add(
                field(LinePart::Category),
                format!("Строка {row}: статьи «{c}» нет в смете программы — выберите из списка."),
            );
            None
        }
        Some(c) => Some(c),
    };
    let description = optional_text(l.description.clone());
    if description.is_none() {
        m.add(
            field(LinePart::Description),
            format!("Строка {row}: напишите, на что расход (например, «Аренда зала на 4 часа»)."),
        );
    }
    let amount = line_amount(row, field(LinePart::Amount), &l.amount, m);
    Some(EstimateLine {
        category: category?,
        description: description?,
        amount: amount?,
    })
}

fn line_amount(row: u16, field: Field, v: &Option<String>, m: &mut Mistakes) -> Option<Kopecks> {
    let Some(text) = optional_text(v.clone()) else {
        m.add(field, format!("Строка {row}: укажите сумму в рублях."));
        return None;
    };
    match crate::http::ui::format::parse_money(&text) {
        Ok(k) if k > Kopecks::ZERO => Some(k),
        Ok(_) => {
            m.add(
                field,
                format!("Строка {row}: сумма должна быть больше нуля."),
            );
            None
        }
        Err(e) => {
            m.add(field, format!("Строка {row}: {e}."));
            None
        }
    }
}
