//! The line of a problem's field path in the file text (`stages[1].cutoff` → the line of
//! `cutoff = …` in the second `[[stages]]`). A path that goes past what the file spells (a field
//! left out, a normalised name) resolves to the deepest part that is there: the table that lacks
//! the field.

use toml_edit::{ImDocument, Item, Value};

/// One step of a field path: a key or an index.
#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = vec![];
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some((n, after)) = rest.split_once(']') {
            match n.parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return out,
            }
            rest = after.strip_prefix('[').unwrap_or("");
        }
    }
    out
}

type Span = Option<std::ops::Range<usize>>;

/// A node of the parsed document while walking a path.
#[derive(Clone, Copy)]
enum Walk<'a> {
    Table(&'a toml_edit::Table),
    Item(&'a Item),
    Value(&'a Value),
}

impl<'a> Walk<'a> {
    /// The child at `step` and the span to report for it (its key's line for a keyed field,
    /// the `[[header]]` line for a table of an array of tables).
    fn child(self, step: &Step) -> Option<(Walk<'a>, Span)> {
        match (self, step) {
            (Walk::Table(t), Step::Key(k)) | (Walk::Item(Item::Table(t)), Step::Key(k)) => {
                let (key, item) = t.get_key_value(k)?;
                Some((Walk::Item(item), key.span().or_else(|| item.span())))
            }
            (Walk::Item(Item::ArrayOfTables(a)), Step::Index(i)) => {
                let t = a.get(*i)?;
                Some((Walk::Table(t), t.span()))
            }
            (Walk::Item(Item::Value(v)), s) | (Walk::Value(v), s) => value_child(v, s),
            _ => None,
        }
    }
}

fn value_child<'a>(v: &'a Value, step: &Step) -> Option<(Walk<'a>, Span)> {
    match (v, step) {
        (Value::InlineTable(t), Step::Key(k)) => {
            let (key, item) = t.get_key_value(k)?;
            Some((Walk::Item(item), key.span().or_else(|| item.span())))
        }
        (Value::Array(a), Step::Index(i)) => {
            let x = a.get(*i)?;
            Some((Walk::Value(x), x.span()))
        }
        _ => None,
    }
}

/// The 1-based line of `path` in `text`, or of its deepest part the file spells; `None` when the
/// text does not parse or nothing of the path is in it.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let doc = ImDocument::parse(text).ok()?;
    let mut node = Walk::Table(doc.as_table());
    let mut span = None;
    for step in steps(path) {
        match node.child(&step) {
            Some((next, s)) => {
                if s.is_some() {
                    span = s;
                }
                node = next;
            }
            None => break,
        }
    }
    let start = span?.start.min(text.len());
    Some(
        text.as_bytes()[..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1,
    )
}
