//! Figures and the table they are printed as.

use super::BenchError;
use serde::Serialize;

/// A target of issue 9 and whether the figure meets it (`None`: not decidable here — the part
/// did not finish, or the sizes were scaled down and the target is absolute).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Target {
    pub text: String,
    pub met: Option<bool>,
}

/// One measured figure.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figure {
    /// The benchmark it belongs to (`simulate`, `burst`, …).
    pub bench: String,
    /// What was measured, e.g. "10 000 seminars: time".
    pub name: String,
    /// The number in `unit` (`None` when not measured, e.g. timed out).
    pub value: Option<f64>,
    pub unit: String,
    /// The figure as printed ("12.3 s", "> 300 s (timed out)").
    pub shown: String,
    pub target: Option<Target>,
}

impl Figure {
    pub fn new(bench: &str, name: impl Into<String>, value: Option<f64>, unit: &str) -> Figure {
        Figure {
            bench: bench.into(),
            name: name.into(),
            value,
            unit: unit.into(),
            shown: String::new(),
            target: None,
        }
    }

    pub fn shown(mut self, s: impl Into<String>) -> Figure {
        self.shown = s.into();
        self
    }

    pub fn target(mut self, t: Target) -> Figure {
        self.target = Some(t);
        self
    }

    /// An absolute bound: met only decided at the sizes.
    pub fn bound(mut self, text: &str, full_size: bool, at_most: bool, bound: f64) -> Figure {
        let met = if full_size {
            self.value
                .map(|v| if at_most { v <= bound } else { v >= bound })
        } else {
            None
        };
        self.target = Some(Target {
            text: text.into(),
            met,
        });
        self
    }

    /// A benchmark that could not run.
    pub fn failed(bench: &str, e: BenchError) -> Figure {
        Figure::new(bench, "error", None, "").shown(format!("failed: {e:#}"))
    }
}

/// The figures as an aligned plain-text table.
pub fn table(figures: &[Figure]) -> String {
    let rows: Vec<[String; 5]> = figures
        .iter()
        .map(|f| {
            let (target, met) = match &f.target {
                Some(t) => (
                    t.text.clone(),
                    match t.met {
                        Some(true) => "met".to_string(),
                        Some(false) => "NOT met".to_string(),
                        None => "—".to_string(),
                    },
                ),
                None => (String::new(), String::new()),
            };
            [
                f.bench.clone(),
                f.name.clone(),
                f.shown.clone(),
                target,
                met,
            ]
        })
        .collect();
    let head = ["benchmark", "figure", "value", "target", "met"].map(String::from);
    let mut widths = head.clone().map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &[String; 5]| {
        let mut s = String::new();
        for (i, (c, w)) in r.iter().zip(widths).enumerate() {
            if i > 0 {
                s.push_str(" | ");
            }
            s.push_str(c);
            if i < 4 {
                s.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&head);
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}
