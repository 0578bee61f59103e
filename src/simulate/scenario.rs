//! Scenario files (SCENARIOS.md): parsing with errors that name the step and the field.

use crate::domain::{CoOrganizer, Command, Kopecks, ReportFigures, Workflow};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::collections::HashSet;
use std::fmt;
use toml::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub workflow: String,
    pub until: DateTime<Utc>,
    pub partners: Vec<ScenarioPartner>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPartner {
    pub id: String,
    pub name: String,
    pub experienced: bool,
    pub barred: bool,
    /// Item programs: the partner's marketing support is suspended from the start.
    pub support_suspended: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub action: String,
    pub command: Command,
}

/// A malformed scenario: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub step: Option<usize>,
    pub field: String,
    pub message: String,
    /// 1-based line of the file where the field (or its table) is, when known.
    pub line: Option<usize>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.map(|l| format!("строка {l}")).unwrap_or_default();
        match (self.step, self.line) {
            (Some(i), Some(_)) if self.field.is_empty() => {
                write!(f, "шаг {i} ({line}): {}", self.message)
            }
            (Some(i), Some(_)) => {
                write!(
                    f,
                    "шаг {i} ({line}), поле «{}»: {}",
                    self.field, self.message
                )
            }
            (Some(i), None) => write!(f, "шаг {i}, поле «{}»: {}", self.field, self.message),
            (None, Some(_)) if self.field.is_empty() => write!(f, "{line}: {}", self.message),
            (None, Some(_)) => write!(f, "{line}, поле «{}»: {}", self.field, self.message),
            (None, None) if self.field.is_empty() => write!(f, "{}", self.message),
            (None, None) => write!(f, "поле «{}»: {}", self.field, self.message),
        }
    }
}

pub(super) fn err(step: Option<usize>, field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        step,
        field: field.into(),
        message: message.into(),
        line: None,
    }
}

pub(super) type Table = toml::map::Map<String, Value>;

pub(super) struct Fields<'a> {
    t: &'a Table,
    pub(super) step: Option<usize>,
    used: Vec<&'static str>,
    /// Fields named by the workflow (report inputs), read by [`Fields::get_named`].
    named: Vec<String>,
}

impl<'a> Fields<'a> {
    fn new(t: &'a Table, step: Option<usize>) -> Self {
        Fields {
            t,
            step,
            used: vec![],
            named: vec![],
        }
    }

    /// A field whose name comes from the workflow file.
    pub(super) fn get_named(&mut self, k: &str) -> Option<&'a Value> {
        self.named.push(k.to_string());
        self.t.get(k)
    }

    pub(super) fn get(&mut self, k: &'static str) -> Option<&'a Value> {
        self.used.push(k);
        self.t.get(k)
    }

    pub(super) fn string(&mut self, k: &'static str) -> Result<String, ScenarioError> {
        match self.get(k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(err(self.step, k, "пустая строка")),
            Some(_) => Err(err(self.step, k, "ожидается строка")),
            None => Err(err(self.step, k, "обязательное поле отсутствует")),
        }
    }

    pub(super) fn opt_string(&mut self, k: &'static str) -> Result<Option<String>, ScenarioError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(self.step, k, "ожидается строка")),
        }
    }

    /// Optional array of strings (e.g. `links`): links submitted with a version.
    pub(super) fn strings(&mut self, k: &'static str) -> Result<Vec<String>, ScenarioError> {
        match self.get(k) {
            None => Ok(vec![]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| err(self.step, k, "ожидается массив строк"))
                })
                .collect(),
            Some(_) => Err(err(self.step, k, "ожидается массив строк")),
        }
    }

    pub(super) fn boolean(&mut self, k: &'static str) -> Result<bool, ScenarioError> {
        match self.get(k) {
            None => Ok(false),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(err(self.step, k, "ожидается true или false")),
        }
    }

    pub(super) fn instant(&mut self, k: &'static str) -> Result<DateTime<Utc>, ScenarioError> {
        let text = match self.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Datetime(d)) => d.to_string(),
            Some(_) => {
                return Err(err(
                    self.step,
                    k,
                    "ожидается момент времени RFC 3339, например 2017-01-24T10:00:00+03:00",
                ))
            }
            None => return Err(err(self.step, k, "обязательное поле отсутствует")),
        };
        DateTime::<FixedOffset>::parse_from_rfc3339(&text)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| err(self.step, k, format!("«{text}» — не момент времени RFC 3339 (нужны дата, время и смещение, например 2017-01-24T10:00:00+03:00)")))
    }

    pub(super) fn date_opt(&mut self, k: &'static str) -> Result<Option<NaiveDate>, ScenarioError> {
        let text = match self.get(k) {
            None => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Datetime(d)) => d.to_string(),
            Some(_) => return Err(err(self.step, k, "ожидается дата ГГГГ-ММ-ДД")),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| err(self.step, k, format!("«{text}» — не дата ГГГГ-ММ-ДД")))
    }

    pub(super) fn date(&mut self, k: &'static str) -> Result<NaiveDate, ScenarioError> {
        self.date_opt(k)?
            .ok_or_else(|| err(self.step, k, "обязательное поле отсутствует"))
    }

    pub(super) fn count_opt(&mut self, k: &'static str) -> Result<Option<u32>, ScenarioError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Integer(n)) if *n >= 0 && *n <= u32::MAX as i64 => Ok(Some(*n as u32)),
            Some(Value::Integer(_)) => {
                Err(err(self.step, k, "ожидается неотрицательное целое число"))
            }
            Some(_) => Err(err(self.step, k, "ожидается целое число")),
        }
    }

    /// A whole number that may be negative (a violation's points).
    pub(super) fn int_opt(&mut self, k: &'static str) -> Result<Option<i64>, ScenarioError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Integer(n)) => Ok(Some(*n)),
            Some(_) => Err(err(self.step, k, "ожидается целое число")),
        }
    }

    pub(super) fn count(&mut self, k: &'static str) -> Result<u32, ScenarioError> {
        self.count_opt(k)?
            .ok_or_else(|| err(self.step, k, "обязательное поле отсутствует"))
    }

    pub(super) fn money_opt(&mut self, k: &'static str) -> Result<Option<Kopecks>, ScenarioError> {
        let text = match self.get(k) {
            None => return Ok(None),
            Some(Value::Integer(n)) => {
                return Kopecks::try_from_rub(*n)
                    .map(Some)
                    .map_err(|m| err(self.step, k, m.to_string()))
            }
            Some(Value::Float(f)) if *f >= 0.0 && f.is_finite() => format!("{f}"),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(err(
                    self.step,
                    k,
                    "ожидается неотрицательная сумма в рублях",
                ))
            }
        };
        text.parse::<Kopecks>()
            .map(Some)
            .map_err(|m| err(self.step, k, m.to_string()))
    }

    pub(super) fn money(&mut self, k: &'static str) -> Result<Kopecks, ScenarioError> {
        self.money_opt(k)?
            .ok_or_else(|| err(self.step, k, "обязательное поле отсутствует"))
    }

    /// Fields present but not part of the format are mistakes (a typo would otherwise be ignored).
    fn finish(self) -> Result<(), ScenarioError> {
        for k in self.t.keys() {
            if !self.used.contains(&k.as_str()) && !self.named.contains(k) {
                return Err(err(self.step, k, "неизвестное поле"));
            }
        }
        Ok(())
    }
}

/// Parses scenario text. The workflow is needed to check stage names and violation codes;
/// `load` finds it by id, and its error becomes the message about the `workflow` field.
pub fn parse<E: fmt::Display>(
    text: &str,
    load: impl Fn(&str) -> Result<Workflow, E>,
) -> Result<(Scenario, Workflow), ScenarioError> {
    // A season of thousands of seminars is a file of tens of megabytes: parsing it into one TOML
    // tree costs tens of times its size in memory. The top-level `[[partners]]` and `[[steps]]`
    // tables are parsed one at a time instead (see `split_tables`).
    let (preamble, tables) = split_tables(text);
    let root: Table = parse_chunk(preamble, 0)?;
    let mut f = Fields::new(&root, None);
    let workflow = f.string("workflow")?;
    let until = f.instant("until")?;
    let partners_v = f.get("partners");
    let steps_v = f.get("steps");
    f.finish()?;
    let wf = load(&workflow).map_err(|m| err(None, "workflow", m.to_string()))?;
    for (name, inline) in [("partners", partners_v), ("steps", steps_v)] {
        if inline.is_some() && tables.iter().any(|t| t.name == name) {
            return Err(err(
                None,
                name,
                format!("массив «{name}» задан дважды: и списком, и таблицами [[{name}]]"),
            ));
        }
    }
    // The tables in file order; `[[partners]]` must come before the steps that name them.
    let partner_items = items(partners_v, &tables, "partners")?;
    let step_items = items(steps_v, &tables, "steps")?;
    let partners = parse_partners(partner_items)?;
    let partner_ids = partners.iter().map(|p| p.id.clone()).collect();
    let steps = parse_steps(step_items, &wf, &partner_ids)?;
    if let Some(last) = steps.last() {
        if until < last.at {
            return Err(err(
                None,
                "until",
                "момент окончания раньше последнего шага",
            ));
        }
    }
    Ok((
        Scenario {
            workflow,
            until,
            partners,
            steps,
        },
        wf,
    ))
}

/// The elements of array `name`: those given inline in the preamble, then its tables in file
/// order, each parsed when reached.
fn items<'a>(
    inline: Option<&'a Value>,
    tables: &'a [TableText<'a>],
    name: &'static str,
) -> Result<impl Iterator<Item = Result<Item<'a>, ScenarioError>>, ScenarioError> {
    Ok(array(inline, name)?
        .iter()
        .map(|v| Ok(Item::Inline(v)))
        .chain(
            tables
                .iter()
                .filter(move |t| t.name == name)
                .map(|t| t.parse().map(|v| Item::Owned(v, t.line, t.text))),
        ))
}

/// The `[[partners]]` of the scenario; ids are unique.
fn parse_partners<'a>(
    items: impl Iterator<Item = Result<Item<'a>, ScenarioError>>,
) -> Result<Vec<ScenarioPartner>, ScenarioError> {
    let mut partners = Vec::new();
    let mut ids = HashSet::new();
    for (i, v) in items.enumerate() {
        let v = v?;
        let partner = parse_partner(&v, i, &mut ids).map_err(|e| v.locate(e))?;
        partners.push(partner);
    }
    Ok(partners)
}

fn parse_partner(
    v: &Item<'_>,
    i: usize,
    ids: &mut HashSet<String>,
) -> Result<ScenarioPartner, ScenarioError> {
    {
        let t = v.value().as_table().ok_or_else(|| {
            err(
                None,
                &format!("partners[{i}]"),
                "ожидается таблица [[partners]]",
            )
        })?;
        let in_partner =
            |e: ScenarioError| err(None, &format!("partners[{i}].{}", e.field), e.message);
        let mut f = Fields::new(t, None);
        let id = f.string("id").map_err(in_partner)?;
        let name = f.opt_string("name")?.unwrap_or_else(|| id.clone());
        let experienced = f.boolean("experienced").map_err(in_partner)?;
        let barred = f.boolean("barred").map_err(in_partner)?;
        let support_suspended = f.boolean("support_suspended").map_err(in_partner)?;
        f.finish().map_err(in_partner)?;
        if !ids.insert(id.clone()) {
            return Err(err(
                None,
                &format!("partners[{i}].id"),
                format!("партнёр «{id}» указан дважды"),
            ));
        }
        Ok(ScenarioPartner {
            id,
            name,
            experienced,
            barred,
            support_suspended,
        })
    }
}

/// The `[[steps]]` of the scenario, which never go back in time.
fn parse_steps<'a>(
    items: impl Iterator<Item = Result<Item<'a>, ScenarioError>>,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Vec<Step>, ScenarioError> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, v) in items.enumerate() {
        let v = v?;
        let step = parse_step(&v, i, steps.last(), wf, partners).map_err(|e| v.locate(e))?;
        steps.push(step);
    }
    Ok(steps)
}

fn parse_step(
    v: &Item<'_>,
    i: usize,
    prev: Option<&Step>,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Step, ScenarioError> {
    let t = v
        .value()
        .as_table()
        .ok_or_else(|| err(Some(i), "", "ожидается таблица [[steps]]"))?;
    let mut f = Fields::new(t, Some(i));
    let at = f.instant("at")?;
    if let Some(prev) = prev {
        if at < prev.at {
            return Err(err(Some(i), "at", "шаги не могут идти назад во времени"));
        }
    }
    let action = f.string("do")?;
    let command = step_command(&mut f, &action, wf, partners, i)?;
    f.finish()?;
    Ok(Step {
        at,
        action,
        command,
    })
}

/// One top-level `[[partners]]` or `[[steps]]` table of a scenario file, with the line it starts on.
struct TableText<'a> {
    name: &'static str,
    /// 0-based line of its `[[…]]` header in the file.
    line: usize,
    text: &'a str,
}

impl TableText<'_> {
    /// Parses the table alone and returns its one array element.
    fn parse(&self) -> Result<Value, ScenarioError> {
        let mut root = parse_chunk(self.text, self.line)?;
        match root.remove(self.name) {
            Some(Value::Array(mut a)) if a.len() == 1 => Ok(a.remove(0)),
            _ => Err(err(
                None,
                self.name,
                format!(
                    "строка {}: ожидается таблица [[{}]]",
                    self.line + 1,
                    self.name
                ),
            )),
        }
    }
}

/// A scenario table parsed from the file or on its own; one of its own `[[…]]` also keeps its
/// 0-based header line and text, so errors about its fields can name the file line.
enum Item<'a> {
    Inline(&'a Value),
    Owned(Value, usize, &'a str),
}

impl Item<'_> {
    fn value(&self) -> &Value {
        match self {
            Item::Inline(v) => v,
            Item::Owned(v, ..) => v,
        }
    }

    /// Adds the file line of the error's field (or of the table's header) to an error about
    /// this table.
    fn locate(&self, mut e: ScenarioError) -> ScenarioError {
        if let (Item::Owned(_, header, text), None) = (self, e.line) {
            e.line = Some(header + field_line(text, &e.field).unwrap_or(0) + 1);
        }
        e
    }
}

/// The 0-based line within `text` where the top-level key of `field` (`date`,
/// `partners[0].id`, `report.attendees`) is set.
fn field_line(text: &str, field: &str) -> Option<usize> {
    let key = field.rsplit("].").next().unwrap_or(field);
    let key = key.split(['.', '[']).next().unwrap_or(key);
    if key.is_empty() {
        return None;
    }
    text.lines().position(|l| {
        let t = l.trim_start();
        [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .any(|k| {
                t.strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
    })
}

/// Splits scenario text into what precedes the first top-level `[[partners]]`/`[[steps]]` header
/// and each such table. A header is a line holding only `[[partners]]` or `[[steps]]` (and
/// perhaps a comment) outside a multi-line string.
fn split_tables(text: &str) -> (&str, Vec<TableText<'_>>) {
    let mut starts: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut offset = 0;
    let mut in_string: Option<&str> = None;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        match in_string {
            Some(q) => {
                if t.matches(q).count() % 2 == 1 {
                    in_string = None;
                }
            }
            None => {
                let head = t.split('#').next().unwrap_or("").trim();
                let name = match head {
                    "[[steps]]" => Some("steps"),
                    "[[partners]]" => Some("partners"),
                    _ => None,
                };
                if let Some(name) = name {
                    starts.push((offset, line_no, name));
                } else {
                    for q in ["\"\"\"", "'''"] {
                        if t.matches(q).count() % 2 == 1 {
                            in_string = Some(q);
                            break;
                        }
                    }
                }
            }
        }
        offset += line.len();
    }
    let Some(first) = starts.first() else {
        return (text, Vec::new());
    };
    let preamble = &text[..first.0];
    let tables = starts
        .iter()
        .enumerate()
        .map(|(i, (at, line, name))| TableText {
            name,
            line: *line,
            text: &text[*at..starts.get(i + 1).map_or(text.len(), |n| n.0)],
        })
        .collect();
    (preamble, tables)
}

/// Parses a piece of the file that starts at 0-based line `first_line`; errors name the line.
fn parse_chunk(text: &str, first_line: usize) -> Result<Table, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + first_line + 1);
        let place = line.map(|l| format!("строка {l}: ")).unwrap_or_default();
        err(
            None,
            "",
            format!("файл сценария не разобран: {place}{}", e.message()),
        )
    })
}

fn array<'a>(v: Option<&'a Value>, name: &str) -> Result<&'a [Value], ScenarioError> {
    match v {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(err(
            None,
            name,
            format!("ожидается массив таблиц [[{name}]]"),
        )),
    }
}

fn stage_field(f: &mut Fields, wf: &Workflow, submittable: bool) -> Result<String, ScenarioError> {
    let stage = f.string("stage")?;
    match wf.stage(&stage) {
        Some(s) if s.submittable || !submittable => Ok(stage),
        Some(_) => Err(err(
            f.step,
            "stage",
            format!("этап «{stage}» не принимает материалы"),
        )),
        None => {
            let known: Vec<&str> = wf
                .stages
                .iter()
                .filter(|s| s.submittable)
                .map(|s| s.id.as_str())
                .collect();
            Err(err(
                f.step,
                "stage",
                format!("неизвестный этап «{stage}» (есть: {})", known.join(", ")),
            ))
        }
    }
}

fn report_figures(
    f: &mut Fields,
    partners: &HashSet<String>,
) -> Result<ReportFigures, ScenarioError> {
    let attendees = f.count("attendees")?;
    let registrations = f.count("registrations")?;
    let costs = f.money("costs")?;
    let third_party_companies = f.count_opt("third_party_companies")?.unwrap_or(0);
    // Without it, the documented costs are the estimate (SCENARIOS.md).
    let estimate = f.money_opt("estimate")?;
    let co_organizers = co_organizers(f, partners)?;
    let vendor_talks_by = f.opt_string("vendor_talks_by")?;
    if let Some(v) = vendor_talks_by.as_ref().filter(|v| !partners.contains(*v)) {
        return Err(err(
            f.step,
            "vendor_talks_by",
            format!("партнёр «{v}» не описан в [[partners]]"),
        ));
    }
    Ok(ReportFigures {
        attendees,
        registrations,
        costs,
        third_party_companies,
        estimate,
        co_organizers,
        vendor_talks_by,
        item: Default::default(),
    })
}

/// Optional `co_organizers = [{ partner = "p2", costs = 20000 }, …]` of a report: the other
/// partners and each one's documented costs (RUB, part of `costs`).
fn co_organizers(
    f: &mut Fields,
    partners: &HashSet<String>,
) -> Result<Vec<CoOrganizer>, ScenarioError> {
    const K: &str = "co_organizers";
    let step = f.step;
    let items = match f.get(K) {
        None => return Ok(vec![]),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err(step, K, "ожидается массив таблиц { partner, costs }")),
    };
    let mut v = Vec::new();
    for item in items {
        let Value::Table(t) = item else {
            return Err(err(step, K, "ожидается массив таблиц { partner, costs }"));
        };
        let mut g = Fields::new(t, step);
        let named = |e: ScenarioError| err(step, K, format!("{}: {}", e.field, e.message));
        let partner = g.string("partner").map_err(named)?;
        if !partners.contains(&partner) {
            return Err(err(
                step,
                K,
                format!("партнёр «{partner}» не описан в [[partners]]"),
            ));
        }
        let costs = g.money("costs").map_err(named)?;
        g.finish().map_err(named)?;
        v.push(CoOrganizer { partner, costs });
    }
    Ok(v)
}

/// The `do` values of a step, as the message about an unknown one lists them.
const ACTIONS: &str = "apply, review_applications, approve_application, reject_application, \
                       submit, return, approve, change_venue, violation, withdraw, report, \
                       accept_report";

fn step_command(
    f: &mut Fields,
    action: &str,
    wf: &Workflow,
    partners: &HashSet<String>,
    i: usize,
) -> Result<Command, ScenarioError> {
    let step = Some(i);
    if wf.events.is_some() {
        if let Some(cmd) = super::items::item_step(f, action, wf, partners)? {
            return Ok(cmd);
        }
    }
    Ok(match action {
        "apply" => apply_step(f, partners)?,
        "review_applications" => Command::ReviewApplications,
        "approve_application" => Command::ApproveApplication {
            seminar: f.string("seminar")?,
        },
        "reject_application" => Command::RejectApplication {
            seminar: f.string("seminar")?,
            comment: f.opt_string("comment")?,
        },
        "submit" => submit_step(f, wf, partners)?,
        "report" => report_step(f, wf, partners)?,
        "return" => Command::Return {
            seminar: f.string("seminar")?,
            stage: stage_field(f, wf, true)?,
            due: f.date_opt("due")?,
            comment: f.opt_string("comment")?,
        },
        "approve" => Command::Approve {
            seminar: f.string("seminar")?,
            stage: stage_field(f, wf, true)?,
            comment: f.opt_string("comment")?,
        },
        "change_venue" => Command::ChangeVenue {
            seminar: f.string("seminar")?,
            venue: f.opt_string("venue")?,
        },
        "violation" => violation_step(f, wf)?,
        "withdraw" => Command::Withdraw {
            seminar: f.string("seminar")?,
        },
        "accept_report" => Command::AcceptReport {
            seminar: f.string("seminar")?,
            comment: f.opt_string("comment")?,
            settings: Default::default(),
        },
        other => {
            return Err(err(
                step,
                "do",
                format!("неизвестная команда «{other}» (есть: {ACTIONS})"),
            ))
        }
    })
}

fn apply_step(f: &mut Fields, partners: &HashSet<String>) -> Result<Command, ScenarioError> {
    let partner = f.string("partner")?;
    if !partners.contains(&partner) {
        return Err(err(
            f.step,
            "partner",
            format!("партнёр «{partner}» не описан в [[partners]]"),
        ));
    }
    Ok(Command::Apply {
        seminar: f.string("seminar")?,
        partner,
        city: f.string("city")?,
        date: f.date("date")?,
    })
}

fn submit_step(
    f: &mut Fields,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Command, ScenarioError> {
    let seminar = f.string("seminar")?;
    let stage = stage_field(f, wf, true)?;
    let report = if wf.stage(&stage).is_some_and(|s| s.report) {
        Some(report_figures(f, partners)?)
    } else {
        None
    };
    Ok(Command::Submit {
        seminar,
        stage,
        report,
        estimate: vec![],
        files: f.strings("links")?,
        comment: f.opt_string("comment")?,
    })
}

/// `do = "report"`: a submission of the program's report stage, which needs no `stage` field.
fn report_step(
    f: &mut Fields,
    wf: &Workflow,
    partners: &HashSet<String>,
) -> Result<Command, ScenarioError> {
    let seminar = f.string("seminar")?;
    let Some(stage) = wf.report_stage() else {
        return Err(err(f.step, "do", "в программе нет этапа отчёта"));
    };
    Ok(Command::Submit {
        seminar,
        stage: stage.id.clone(),
        report: Some(report_figures(f, partners)?),
        estimate: vec![],
        files: f.strings("links")?,
        comment: f.opt_string("comment")?,
    })
}

fn violation_step(f: &mut Fields, wf: &Workflow) -> Result<Command, ScenarioError> {
    let seminar = f.string("seminar")?;
    let code = f.string("code")?;
    if wf.manual(&code).is_none() {
        return Err(err(
            f.step,
            "code",
            format!("нарушение «{code}» отсутствует в каталоге программы"),
        ));
    }
    let count = f.count_opt("count")?.unwrap_or(1);
    if count == 0 {
        return Err(err(f.step, "count", "должно быть не меньше 1"));
    }
    Ok(Command::Violation {
        seminar,
        code,
        count,
        cost: f.money_opt("cost")?,
        note: f.opt_string("note")?,
        params: crate::domain::items::breach::BreachParams {
            points: f.int_opt("points")?,
            compensation_percent: f.count_opt("compensation_percent")?,
        },
    })
}
