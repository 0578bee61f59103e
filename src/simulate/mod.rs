//! `seminarflow simulate`: runs a scenario through the real services — the same domain rules,
//! scheduler and store code — on an in-memory SQLite database with a manual clock.
//!
//! - [`scenario`]: the scenario file format, parsed with errors that name the step and field.
//! - this module: running a scenario, its JSON report and its readable timeline.

pub mod competence_open;
pub mod competence_report;
pub mod item_report;
mod items;
pub mod partner;
mod partner_opening;
pub mod partner_report;
pub mod scenario;

use crate::catalog::Catalog;
use crate::domain::{
    Event, EventKind, Kopecks, Notification, NotificationKind, Partner, Program, Recipient, Seminar,
};
use crate::service::{Service, ServiceError};
use crate::storage::{
    DynStore, OutboxQuery, Page, PartnerQuery, PartnerSummary, SeminarQuery, SqliteStore,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use scenario::{Scenario, ScenarioError};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Exit status 2: the scenario itself is wrong.
    #[error("{0}")]
    Malformed(ScenarioError),
    #[error("{0}")]
    Failed(String),
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Report {
    pub seminars: Vec<SeminarReport>,
    pub partners: Vec<PartnerReport>,
    pub refused: Vec<RefusedStep>,
    pub notifications: Vec<NotificationReport>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct SeminarReport {
    pub id: String,
    pub partner: String,
    pub city: String,
    pub date: String,
    pub state: String,
    pub info_support: bool,
    pub penalties: Vec<PenaltyReport>,
    pub points_awarded: i64,
    pub compensation: String,
    /// Item programs only (events-000.md Part 2).
    #[serde(flatten)]
    pub item: Option<item_report::ItemOut>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PenaltyReport {
    pub code: String,
    pub points: i64,
    pub exclusion: bool,
    pub at: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PartnerReport {
    pub id: String,
    pub points: i64,
    pub bonus: String,
    pub flags: Vec<String>,
    /// Item programs only (events-000.md Part 2).
    #[serde(flatten)]
    pub item: Option<item_report::PartnerItemOut>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct RefusedStep {
    pub step: usize,
    #[serde(rename = "do")]
    pub action: String,
    pub seminar: Option<String>,
    pub code: String,
    /// Not in the contract's example but allowed as an optional field: the reason in Russian.
    pub message: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct NotificationReport {
    pub at: String,
    pub to: String,
    pub kind: NotificationKind,
    pub seminar: String,
    pub stage: Option<String>,
    /// Item programs only: the rule-book codes the notice carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<String>>,
}

/// Formats an instant in the program's deadline zone, `2017-02-23T00:00:00+03:00`.
pub fn zoned(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Parses a scenario file's text against the workflows in `catalog`.
pub fn load(catalog: &Catalog, text: &str) -> Result<(Scenario, Program), SimulateError> {
    let (sc, _) = scenario::parse(text, |id| catalog.program(id).map(|p| p.wf))
        .map_err(SimulateError::Malformed)?;
    let prog = catalog.program(&sc.workflow).map_err(|e| {
        SimulateError::Malformed(ScenarioError {
            step: None,
            field: "workflow".into(),
            message: e.to_string(),
            line: None,
        })
    })?;
    Ok((sc, prog))
}

/// Runs the scenario and returns the service it ran on (for mail previews and tests) and its report.
pub async fn run(sc: &Scenario, prog: Program) -> Result<(Service, Report), SimulateError> {
    let fail = |e: &dyn std::fmt::Display| SimulateError::Failed(e.to_string());
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .map_err(|e| fail(&e))?;
    let tz = prog.tz;
    let program = prog.wf.id.clone();
    let service = Service::new(Arc::new(store), vec![prog]);
    for p in &sc.partners {
        let partner = Partner {
            id: p.id.clone(),
            name: p.name.clone(),
            experienced: p.experienced,
            barred: p.barred,
            late_withdrawal: false,
        };
        let by = crate::service::Audit {
            actor: "scenario",
            at: sc.steps.first().map_or(sc.until, |s| s.at),
        };
        service
            .save_partner(by, &partner)
            .await
            .map_err(|e| fail(&e))?;
        if p.support_suspended {
            let cmd = crate::domain::Command::SuspendSupport {
                partner: p.id.clone(),
                note: None,
            };
            service
                .execute(&program, &cmd, "scenario", by.at)
                .await
                .map_err(|e| fail(&e))?;
        }
    }
    let mut refused = Vec::new();
    for (i, step) in sc.steps.iter().enumerate() {
        // Effects due at the same instant as a step fire first.
        service
            .scheduler
            .tick(step.at)
            .await
            .map_err(|e| fail(&e))?;
        match service
            .execute(&program, &step.command, "coordinator", step.at)
            .await
        {
            Ok(_) => {}
            Err(ServiceError::Refused(r)) => refused.push(RefusedStep {
                step: i,
                action: step.action.clone(),
                seminar: step.command.seminar().map(String::from),
                code: r.code_str().into(),
                message: r.message,
            }),
            Err(e) => return Err(fail(&format!("шаг {i}: {e}"))),
        }
    }
    service
        .scheduler
        .tick(sc.until)
        .await
        .map_err(|e| fail(&e))?;
    let report = report(&service, sc, tz, &program, refused)
        .await
        .map_err(|e| fail(&e))?;
    Ok((service, report))
}

/// Read a page at a time: a season of tens of thousands of seminars must not sit in memory
/// twice (as rows and as the report).
const PAGE: i64 = 500;

async fn report(
    service: &Service,
    sc: &Scenario,
    tz: Tz,
    program: &str,
    refused: Vec<RefusedStep>,
) -> Result<Report, ServiceError> {
    let store = &service.store;
    let prog = service.program(program);
    let items = prog.is_some_and(|p| p.wf.events.is_some());
    Ok(Report {
        seminars: seminar_reports(store, tz, prog, program).await?,
        partners: partner_reports(store, sc, prog).await?,
        refused,
        notifications: contract_notifications(store, tz, items).await?,
    })
}

/// Every seminar of the program, in the store's order.
async fn seminar_reports(
    store: &DynStore,
    tz: Tz,
    prog: Option<&Program>,
    program: &str,
) -> Result<Vec<SeminarReport>, ServiceError> {
    let mut seminars = Vec::new();
    let mut after = None;
    loop {
        let q = SeminarQuery {
            program: Some(program.to_string()),
            page: Page {
                after,
                offset: 0,
                limit: Some(PAGE),
            },
            ..SeminarQuery::default()
        };
        let rows = store.find_seminars(&q).await?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = Some(*last);
        seminars.extend(
            rows.into_iter()
                .map(|(_, s)| SeminarReport::of(s, tz, prog)),
        );
    }
    Ok(seminars)
}

impl SeminarReport {
    fn of(s: Seminar, tz: Tz, prog: Option<&Program>) -> SeminarReport {
        SeminarReport {
            item: item_report::item_out(prog, &s, tz),
            penalties: s
                .penalties
                .iter()
                .map(|p| PenaltyReport {
                    code: p.code.clone(),
                    points: p.points,
                    exclusion: p.exclusion,
                    at: zoned(tz, p.at),
                })
                .collect(),
            points_awarded: s.points_awarded(),
            compensation: s.compensation().to_string(),
            id: s.id,
            partner: s.partner,
            city: s.city,
            date: s.date.to_string(),
            state: s.state.as_str().into(),
            info_support: s.info_support,
        }
    }
}

/// Every partner of the scenario, in its order, with its active points, bonus and flags.
async fn partner_reports(
    store: &DynStore,
    sc: &Scenario,
    prog: Option<&Program>,
) -> Result<Vec<PartnerReport>, ServiceError> {
    let mut partners = Vec::new();
    for chunk in sc.partners.chunks(PAGE as usize) {
        let q = PartnerQuery {
            ids: Some(chunk.iter().map(|p| p.id.clone()).collect()),
            ..PartnerQuery::default()
        };
        let found: std::collections::HashMap<String, PartnerSummary> = store
            .find_partners(&q, sc.until)
            .await?
            .into_iter()
            .map(|p| (p.partner.id.clone(), p))
            .collect();
        for p in chunk {
            let rec = found.get(&p.id);
            partners.push(PartnerReport {
                id: p.id.clone(),
                points: rec.map_or(0, |r| r.points),
                // A scenario partner the store does not list has no ledger entries: no bonus.
                bonus: rec.map_or(Kopecks::ZERO, |r| r.bonus).to_string(),
                flags: rec.map_or_else(Vec::new, |r| {
                    r.partner.flags().into_iter().map(String::from).collect()
                }),
                item: item_report::partner_out(store, prog, &p.id, sc.until).await?,
            });
        }
    }
    Ok(partners)
}

/// The outbox rows of the kinds the JSON contract lists, by instant and then booking order.
async fn contract_notifications(
    store: &DynStore,
    tz: Tz,
    items: bool,
) -> Result<Vec<NotificationReport>, ServiceError> {
    let mut notifications: Vec<(DateTime<Utc>, i64, NotificationReport)> = Vec::new();
    let mut after = None;
    loop {
        let q = OutboxQuery {
            page: Page {
                after,
                offset: 0,
                limit: Some(PAGE * 4),
            },
            ..OutboxQuery::default()
        };
        let rows = store.find_outbox(&q).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.id);
        for r in rows {
            if !r.notification.kind.in_scenario_contract() {
                continue;
            }
            let n = r.notification;
            let codes = if items { item_report::codes(&n) } else { None };
            let at = n.at;
            let mut report = NotificationReport::of(n, tz);
            report.codes = codes;
            notifications.push((at, r.id, report));
        }
    }
    notifications.sort_by_key(|n| (n.0, n.1));
    Ok(notifications.into_iter().map(|(_, _, n)| n).collect())
}

impl NotificationReport {
    fn of(n: Notification, tz: Tz) -> NotificationReport {
        NotificationReport {
            at: zoned(tz, n.at),
            to: match n.to {
                Recipient::Partner(p) => p,
                Recipient::Coordinator => "coordinator".into(),
            },
            kind: n.kind,
            seminar: n.seminar,
            stage: n.stage,
            codes: None,
        }
    }
}

/// The readable per-seminar timeline printed without `--json`.
pub async fn timeline(
    service: &Service,
    report: &Report,
    prog: &Program,
) -> Result<String, ServiceError> {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Программа: {} ({})", prog.wf.name, prog.wf.id);
    for s in &report.seminars {
        seminar_timeline(&mut out, service, prog, s).await?;
    }
    partners_timeline(&mut out, &report.partners);
    refused_timeline(&mut out, &report.refused);
    Ok(out)
}

/// One seminar: its heading, its events and deadline reminders by instant, and its result.
async fn seminar_timeline(
    out: &mut String,
    service: &Service,
    prog: &Program,
    s: &SeminarReport,
) -> Result<(), ServiceError> {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "\nСеминар {} — партнёр {}, {}, {}: {}",
        s.id,
        s.partner,
        s.city,
        s.date,
        state_label(&s.state)
    );
    let mut lines: Vec<(DateTime<Utc>, String)> = Vec::new();
    for e in service.store.events(Some(&s.id)).await? {
        if let Some(what) = event_line(prog, &e) {
            lines.push((e.at, what));
        }
    }
    let own = OutboxQuery {
        seminar: Some(s.id.clone()),
        ..OutboxQuery::default()
    };
    for n in service
        .store
        .find_outbox(&own)
        .await?
        .into_iter()
        .filter(|r| r.notification.kind == NotificationKind::DeadlineReminder)
    {
        lines.push((
            n.notification.at,
            format!(
                "напоминание о сроке — {}",
                // A deadline reminder always names its stage; an empty name shows if one did not.
                stage_name(prog, &n.notification.stage.unwrap_or_default())
            ),
        ));
    }
    lines.sort_by_key(|l| l.0);
    for (at, what) in lines {
        let _ = writeln!(
            out,
            "  {}  {what}",
            at.with_timezone(&prog.tz).format("%Y-%m-%d %H:%M")
        );
    }
    let _ = writeln!(
        out,
        "  Итог: баллы {}, компенсация {} руб., информационная поддержка: {}",
        s.points_awarded,
        s.compensation,
        if s.info_support { "да" } else { "нет" }
    );
    Ok(())
}

/// The timeline line of event `e`; none for events shown by another line.
fn event_line(prog: &Program, e: &Event) -> Option<String> {
    let Ok(kind) = e.kind.parse::<EventKind>() else {
        // Not an event of the domain: shown by its stored name.
        return Some(format!("{}{}", e.kind, stage_suffix(prog, e)));
    };
    Some(match kind {
        EventKind::PenaltyBooked => {
            let code = e.data.get("code").and_then(|v| v.as_str()).unwrap_or("");
            let points = e.data.get("points").and_then(|v| v.as_i64()).unwrap_or(0);
            let name = e.data.get("name").and_then(|v| v.as_str()).unwrap_or("");
            format!(
                "{} {code} ({}): {name}",
                timeline_label(kind)?,
                crate::text::plural(points, "балл", "балла", "баллов")
            )
        }
        EventKind::Excluded | EventKind::SeminarHeld => timeline_label(kind)?.into_owned(),
        _ => format!("{}{}", timeline_label(kind)?, stage_suffix(prog, e)),
    })
}

/// ` — <stage name>` for an event that names its stage, else nothing.
fn stage_suffix(prog: &Program, e: &Event) -> String {
    e.data
        .get("stage")
        .and_then(|v| v.as_str())
        .map(|s| format!(" — {}", stage_name(prog, s)))
        .unwrap_or_default()
}

/// How the timeline words event `kind` mid-line: the kind's own label, lower-cased, where the
/// timeline says the same; shorter words of its own otherwise. None for the coordinator's
/// decision commands: the decision itself is logged as application_approved /
/// application_rejected.
fn timeline_label(kind: EventKind) -> Option<Cow<'static, str>> {
    Some(match kind {
        EventKind::ApplicationRejected
        | EventKind::Violation
        | EventKind::AcceptReport
        | EventKind::Excluded => Cow::Owned(mid_line(kind.label())),
        EventKind::Apply => "заявка подана".into(),
        EventKind::ApplicationApproved => "заявка одобрена".into(),
        EventKind::Submit => "материалы поданы".into(),
        EventKind::Return => "возвращено на доработку".into(),
        EventKind::Approve => "согласовано".into(),
        EventKind::ChangeVenue => "смена места проведения".into(),
        EventKind::Withdraw => "семинар отозван".into(),
        EventKind::SeminarHeld => "день семинара прошёл".into(),
        EventKind::ConsequenceBooked => "последствие".into(),
        // Followed by the penalty's code, points and name.
        EventKind::PenaltyBooked => "штраф".into(),
        EventKind::ApproveApplication
        | EventKind::RejectApplication
        | EventKind::ReviewApplications => return None,
        // Audit events of accounts, partners and files belong to no seminar's timeline.
        EventKind::UserCreated
        | EventKind::UserDisabled
        | EventKind::UserEnabled
        | EventKind::PasswordChanged
        | EventKind::ApiTokenCreated
        | EventKind::ApiTokenRevoked
        | EventKind::PartnerSaved
        | EventKind::CoordinatorAssigned
        | EventKind::FileStored
        | EventKind::FileForgotten
        | EventKind::CalendarLinkRenewed
        | EventKind::SuspendSupport
        | EventKind::ResumeSupport
        | EventKind::PasswordReset
        | EventKind::DeliveryRetried => return None,
    })
}

/// A label as it reads after the time: its first letter lower-cased.
fn mid_line(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn partners_timeline(out: &mut String, partners: &[PartnerReport]) {
    use std::fmt::Write;
    let _ = writeln!(out, "\nПартнёры:");
    for p in partners {
        let flags = if p.flags.is_empty() {
            String::new()
        } else {
            format!(", отметки: {}", p.flags.join(", "))
        };
        let _ = writeln!(
            out,
            "  {}: активные баллы {}, бонусы {} руб.{flags}",
            p.id, p.points, p.bonus
        );
    }
}

fn refused_timeline(out: &mut String, refused: &[RefusedStep]) {
    use std::fmt::Write;
    if refused.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nОтклонённые команды:");
    for r in refused {
        let _ = writeln!(
            out,
            "  шаг {} ({}{}): {} — {}",
            r.step,
            r.action,
            r.seminar
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            r.code,
            r.message
        );
    }
}

fn stage_name(prog: &Program, id: &str) -> String {
    prog.wf
        .stage(id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn state_label(s: &str) -> &'static str {
    crate::domain::SeminarState::parse(s)
        .map(|s| s.label())
        .unwrap_or("?")
}
