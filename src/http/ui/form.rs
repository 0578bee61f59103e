//! A posted form as a page shows it again: its fields, the errors found (each with the field's
//! Russian label, in the form's order) and the values to put back, and the lines of the error
//! summary at the top of the page.

use serde::Serialize;
use std::collections::BTreeMap;

/// One line of the error summary: the message, linking to its input when there is one.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct SummaryItem {
    /// `#<input id>`, or nothing for a message about the whole form.
    pub href: Option<String>,
    pub text: String,
}

/// A posted form's fields.
pub type FormData = BTreeMap<String, String>;

/// Field errors of one form, with the values to put back.
///
/// A page that shows a failed form lists its errors at the top with [`Page::errors_of`]; the
/// template marks each input (`aria-invalid`, the message next to it) from `errors`, and puts
/// `values` back (never a file: a browser cannot be given one, so the page asks to choose it
/// again).
#[derive(Serialize, Default, Debug, Clone)]
pub struct FormState {
    /// An error about the whole form.
    pub error: Option<String>,
    pub errors: BTreeMap<String, String>,
    pub values: BTreeMap<String, String>,
    /// The fields in error in the order they were found (the form's order), for the summary.
    #[serde(skip)]
    order: Vec<String>,
    /// Russian labels of the fields in error, as the form names them.
    #[serde(skip)]
    labels: BTreeMap<String, String>,
}

impl FormState {
    pub fn with_values(values: &FormData) -> FormState {
        let mut values = values.clone();
        values.remove("_csrf");
        FormState {
            values,
            ..Default::default()
        }
    }

    pub fn field(mut self, name: &str, msg: impl Into<String>) -> FormState {
        self.add(name, None, msg);
        self
    }

    /// Records the first error of input `name` (the form's name, not the API's), labelled as the
    /// form labels it.
    pub fn add(&mut self, name: &str, label: Option<&str>, msg: impl Into<String>) {
        if self.errors.contains_key(name) {
            return;
        }
        self.errors.insert(name.into(), msg.into());
        self.order.push(name.into());
        if let Some(l) = label {
            self.labels.insert(name.into(), l.into());
        }
    }

    /// The summary lines: the form's own error first, then each field's in the form's order.
    pub fn summary(&self, anchor: impl Fn(&str) -> String) -> Vec<SummaryItem> {
        let mut out: Vec<SummaryItem> = self
            .error
            .iter()
            .map(|e| SummaryItem {
                href: None,
                text: e.clone(),
            })
            .collect();
        let rest = self.errors.keys().filter(|k| !self.order.contains(k));
        for name in self.order.iter().chain(rest) {
            let msg = &self.errors[name];
            let text = match self.labels.get(name) {
                Some(l) if !msg.to_lowercase().starts_with(&l.to_lowercase()) => {
                    format!("{l}: {}", lower_first(msg))
                }
                _ => msg.clone(),
            };
            out.push(SummaryItem {
                href: Some(format!("#{}", anchor(name))),
                text,
            });
        }
        out
    }

    pub fn general(mut self, msg: impl Into<String>) -> FormState {
        self.error = Some(msg.into());
        self
    }

    pub fn has_errors(&self) -> bool {
        self.error.is_some() || !self.errors.is_empty()
    }
}

/// `Пароли…` → `пароли…` (a message after a label and a colon), keeping acronyms (`PDF`).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.clone().next()) {
        (Some(f), Some(n)) if !n.is_uppercase() => f.to_lowercase().chain(c).collect(),
        _ => s.to_string(),
    }
}
