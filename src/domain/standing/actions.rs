//! Partner-program commands as pure functions (design §3.4 "Action ops", §4.2): a file's
//! `actions` map a `do` name onto a generic op; [`decide`] looks the action up, checks what
//! every op shares (admission, role of the acting employee, termination) and calls the op's
//! function — a `match` on the op name, so an op of another module plugs in as one arm.
//!
//! Refusals use the generic codes of the scenario contract (S§5.1), listed in [`codes`]; a code a
//! file names (`refuse_over`) is taken from the file.

use super::metrics::{Facts, StaffMember};
use super::ops;
use super::{Standing, StandingState};
use crate::domain::calendar::Calendar;
use crate::domain::kinds::NotificationKind;
use crate::domain::program::{Refusal, RefusalCode};
use crate::domain::schedule::DueItem;
use crate::domain::workflow::{Action, StandingProgram};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::BTreeMap;

/// The refusal codes every partner program shares (S§5.1 `refused[]`).
pub mod codes {
    pub const NOT_ADMITTED: &str = "not_admitted";
    pub const ALREADY_ADMITTED: &str = "already_admitted";
    pub const TERMINATED: &str = "terminated";
    pub const FORBIDDEN_ROLE: &str = "forbidden_role";
    pub const DUPLICATE_PROJECT: &str = "duplicate_project";
    pub const UNKNOWN_PROJECT: &str = "unknown_project";
    pub const UNKNOWN_REQUEST: &str = "unknown_request";
    pub const POINTS_DENIED: &str = "points_denied";
    pub const STATUS_REQUIRED: &str = "status_required";
}

/// A step's fields (`staff`, `course`, `points`, `price`, …) as JSON values.
pub type Fields = BTreeMap<String, Value>;

/// A record an op keeps (a project, a points request, a violation…), as the ops read it back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionRecord {
    pub key: String,
    /// The record kind: the review it waits for (`project`, `points_request`) or `violation`.
    pub kind: String,
    pub reference: String,
    pub at: DateTime<Utc>,
    /// Money in kopecks (a project's price).
    pub kopecks: Option<i64>,
    /// Further fields: `state`, `points`, `ledger`, `entry_kind`, `joint_with`, `note`…
    pub data: BTreeMap<String, Value>,
}

impl ActionRecord {
    pub fn text(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }
}

/// What an op reads.
pub struct Ctx<'a> {
    pub program_id: &'a str,
    pub program: &'a StandingProgram,
    pub cal: &'a Calendar,
    pub tz: Tz,
    pub partner: &'a str,
    pub standing: &'a Standing,
    pub staff: &'a [StaffMember],
    pub records: &'a [ActionRecord],
    /// What the metrics and requirements read (records, flags, other standings).
    pub facts: &'a Facts,
    pub now: DateTime<Utc>,
}

/// A points entry to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub partner: String,
    pub ledger: String,
    pub entry_kind: String,
    pub points: i64,
    /// What it is for (a project or request id, or the action name).
    pub reference: String,
}

/// A notice an op raises; the service addresses it by the file's `[recipients]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: NotificationKind,
    /// The contract's optional fields (`status`, `from`, `change`, `count`, `project`, …).
    pub data: serde_json::Map<String, Value>,
    /// Whether the coordinator gets a copy by default (losses, risks: S§0 «Who is told»).
    pub loss: bool,
}

/// Everything an op changes; empty vectors when it changes nothing there.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    /// The standing after the op (equal to the input when unchanged).
    pub standing: Option<Standing>,
    pub staff: Vec<StaffMember>,
    /// (employee, course) certificates earned.
    pub certificates: Vec<(String, String)>,
    pub records: Vec<ActionRecord>,
    pub credits: Vec<Credit>,
    pub notices: Vec<Notice>,
    /// The ladder's inputs changed: evaluate at the next run.
    pub inputs_changed: bool,
    /// Due items the op plans itself (the decided ladder's term and obligation items).
    pub due: Vec<DueItem>,
}

/// A refusal with a contract code.
pub fn refuse(code: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        code: RefusalCode::Rule,
        message: message.into(),
        rule: Some(code.to_string()),
    }
}

/// A pure rule's error as the refusal a partner command answers with: its refusal, or a
/// program-data problem as `invalid_input` with the message.
pub fn refusal(e: crate::domain::program::DomainError) -> Refusal {
    match e {
        crate::domain::program::DomainError::Refused(r) => r,
        other => Refusal {
            code: RefusalCode::InvalidInput,
            message: other.to_string(),
            rule: None,
        },
    }
}

/// A malformed step: a field missing or of the wrong kind.
pub fn bad_field(field: &str, what: &str) -> Refusal {
    Refusal {
        code: RefusalCode::InvalidInput,
        message: format!("поле «{field}»: {what}"),
        rule: None,
    }
}

pub fn text<'f>(f: &'f Fields, key: &str) -> Result<&'f str, Refusal> {
    f.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad_field(key, "нужна непустая строка"))
}

pub fn opt_text<'f>(f: &'f Fields, key: &str) -> Option<&'f str> {
    f.get(key).and_then(Value::as_str)
}

pub fn opt_int(f: &Fields, key: &str) -> Result<Option<i64>, Refusal> {
    match f.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad_field(key, "нужно целое число")),
    }
}

/// The action's own parameter `key` from the workflow file, as text.
pub fn param<'a>(a: &'a Action, key: &str) -> Option<&'a str> {
    a.params.get(key).and_then(toml::Value::as_str)
}

/// The `n`-th working day after the local date of `at` (a vendor deadline, S§0).
pub fn working_days_after(ctx: &Ctx, n: u32) -> Result<NaiveDate, Refusal> {
    let d = ctx.now.with_timezone(&ctx.tz).date_naive();
    ctx.cal
        .add_working_days(d, i32::try_from(n).unwrap_or(i32::MAX))
        .map_err(|e| Refusal {
            code: RefusalCode::InvalidInput,
            message: e.to_string(),
            rule: None,
        })
}

/// Ops that work before admission.
/// (`onboarding_flag` opens the account with its first flag, refusing the others itself.)
const BEFORE_ADMISSION: [&str; 3] = ["admission_apply", "admission_decide", "onboarding_flag"];

/// Decides the file action `do_name` with `fields` for the partner of `ctx`.
///
/// # Errors
/// A refusal with the contract's code, or `invalid_input` naming the field.
pub fn decide(ctx: &Ctx, do_name: &str, fields: &Fields) -> Result<Effects, Refusal> {
    let action = ctx
        .program
        .actions
        .iter()
        .find(|a| a.name == do_name)
        .ok_or_else(|| bad_field("do", &format!("действия «{do_name}» нет в программе")))?;
    let s = ctx.standing;
    if super::review_outcome::flag_at(
        ctx.facts,
        super::review_outcome::flags::DISCONNECTED,
        ctx.now,
    ) {
        return Err(refuse(
            super::review_outcome::codes::DISCONNECTED,
            "партнёр отключён от партнёрской программы",
        ));
    }
    if s.state == StandingState::Terminated {
        return Err(refuse(codes::TERMINATED, "партнёрство прекращено"));
    }
    // The decided ladder has no admission of its own: its requirements read the partnership.
    let reviewed = ops::reviewed::runs(ctx.program, action);
    let decided = ops::decided::OPS.contains(&action.op.as_str()) && !reviewed;
    let admitted = !matches!(s.state, StandingState::NotAdmitted | StandingState::Applied);
    if !admitted && !decided && !BEFORE_ADMISSION.contains(&action.op.as_str()) {
        return Err(refuse(
            codes::NOT_ADMITTED,
            "партнёр ещё не принят в программу",
        ));
    }
    // `terminate` names who ends the partnership in `by` (S§5.2), not an employee.
    if action.op != "terminate" {
        check_role(ctx, fields)?;
    }
    match action.op.as_str() {
        "admission_apply" => ops::admission::apply(ctx, action),
        "admission_decide" => ops::admission::decide(ctx, action, fields),
        "staff_certify" => ops::staff::certify(ctx, action, fields),
        "staff_attach" => ops::staff::attach(ctx, action, fields),
        "staff_detach" => ops::staff::detach(ctx, fields),
        "credit" => ops::points::credit(ctx, action, fields),
        "request" => ops::points::request(ctx, action, fields),
        "decide_request" => ops::points::decide_request(ctx, action, fields),
        "project_add" => ops::projects::add(ctx, action, fields),
        "project_publish" => ops::projects::publish(ctx, action, fields),
        "project_return" => ops::projects::give_back(ctx, action, fields),
        "partner_violation" => ops::partner::violation(ctx, fields),
        "sanction" => ops::partner::sanction(ctx, fields),
        "lift_sanction" => ops::partner::lift_sanction(ctx, fields),
        "terminate" => ops::partner::terminate(ctx, action, fields),
        _ if reviewed => ops::reviewed::run(ctx, action, fields),
        op if ops::decided::OPS.contains(&op) => ops::decided::run(ctx, action, fields),
        other => Err(bad_field(
            "do",
            &format!("операция «{other}» этой версией не выполняется"),
        )),
    }
}

/// `by` (an employee id) must hold a role with a right; `main_user`-like roles hold `all`.
fn check_role(ctx: &Ctx, fields: &Fields) -> Result<(), Refusal> {
    let Some(by) = opt_text(fields, "by") else {
        return Ok(());
    };
    let Some(member) = ctx
        .staff
        .iter()
        .find(|m| m.id == by && m.detached.is_none())
    else {
        return Err(refuse(
            codes::FORBIDDEN_ROLE,
            format!("сотрудник «{by}» не прикреплён к карточке партнёра"),
        ));
    };
    let has_rights = ctx
        .program
        .roles
        .iter()
        .find(|r| r.code == member.role)
        .is_some_and(|r| !r.rights.is_empty());
    if has_rights {
        Ok(())
    } else {
        Err(refuse(
            codes::FORBIDDEN_ROLE,
            format!("у роли «{}» нет прав на это действие", member.role),
        ))
    }
}

/// A notice with `fields`.
pub fn notice(kind: NotificationKind, loss: bool, fields: &[(&str, Value)]) -> Notice {
    Notice {
        kind,
        data: fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
        loss,
    }
}

#[cfg(test)]
mod tests;
