//! Data for the benchmarks, written through the public `Store` trait in batched commits:
//! approved seminars waiting for a deadline, and a whole season for the HTTP reads.

use super::{BenchError, BenchResult};
use crate::accounts::{Role, User};
use crate::catalog::Catalog;
use crate::domain::schedule::plan;
use crate::domain::workflow::Effect;
use crate::domain::{
    BonusEntry, Command, Event, EventKind, Kopecks, Notification, NotificationKind, Partner,
    PartnerFlag, Penalty, PointsEntry, Program, Recipient, ReportFigures, Seminar, SeminarResult,
    SeminarState, StageProgress, StageStatus,
};
use crate::service::{Audit, Service, ServiceError};
use crate::simulate::scenario::Scenario;
use crate::storage::{Commit, DynStore};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// Seminars per seeding commit.
const BATCH: usize = 1000;
/// Seminars per bulk insert.
const BULK: usize = 10_000;

/// How the HTTP season gets into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeding {
    /// The season's applications (partner, city, date) written directly in end-of-season states
    /// with penalties, ledgers, notifications and audit events: fast on any build.
    Synthetic,
    /// Every step of the season played through `Service::execute` and the scheduler, as
    /// `simulate` does (as slow as `simulate` on the build measured).
    Play,
}

/// A UTC instant from a Moscow wall-clock time (the flagship program's zone).
pub fn msk(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(3 * 3600)
        .and_then(|z| z.with_ymd_and_hms(y, m, d, h, min, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

pub fn partner(id: &str) -> Partner {
    Partner {
        id: id.into(),
        name: format!("Партнёр {id}"),
        experienced: false,
        barred: false,
        late_withdrawal: false,
    }
}

/// An approved seminar (week 1, 2017-03-29) as the service stores it. With `only_program_open`
/// every stage but the program (and the report stages) is approved, so the program deadline
/// is the next thing that happens to it; otherwise every stage is open.
pub fn preparing_seminar(
    prog: &Program,
    id: &str,
    partner: &str,
    city: &str,
    approved_at: DateTime<Utc>,
    only_program_open: bool,
) -> Seminar {
    let mut stages: BTreeMap<String, StageProgress> = prog
        .wf
        .stages
        .iter()
        .map(|s| (s.id.clone(), StageProgress::new()))
        .collect();
    if only_program_open {
        // Everything before the seminar is done but the first stage with materials; the
        // report and the reminder-only stages wait as they would.
        let first = prog.wf.stages.iter().find(|s| s.submittable).map(|s| &s.id);
        for st in &prog.wf.stages {
            if Some(&st.id) != first && !st.report && st.submittable {
                if let Some(v) = stages.get_mut(&st.id) {
                    v.status = StageStatus::Approved;
                }
            }
        }
    }
    Seminar {
        id: id.into(),
        program: prog.wf.id.clone(),
        partner: partner.into(),
        city: city.into(),
        date: NaiveDate::from_ymd_opt(2017, 3, 29).unwrap_or_default(),
        week: "week1".into(),
        state: SeminarState::Preparing,
        applied_at: approved_at,
        decided_at: Some(approved_at),
        info_support: true,
        coordinator: None,
        venue: None,
        stages,
        penalties: vec![],
        voided: Kopecks::ZERO,
        report: None,
        estimate: None,
        result: None,
        item: Default::default(),
        version: 0,
    }
}

/// Writes `n` approved seminars `{prefix}{i}` (partner `{prefix}p{i}`, a city each) with their
/// due plans from `approved_at` (only the items due by `plan_until` when given) into the
/// database at `url` (see [`bulk`](crate::storage::bulk)).
///
/// # Errors
/// Database or calendar failures.
pub async fn seed_preparing(
    url: &str,
    prog: &Program,
    prefix: &str,
    n: usize,
    approved_at: DateTime<Utc>,
    only_program_open: bool,
    plan_until: Option<DateTime<Utc>>,
) -> BenchResult<()> {
    for start in (0..n).step_by(BULK) {
        let mut partners = Vec::new();
        let mut seminars = Vec::new();
        let mut due = Vec::new();
        for i in start..(start + BULK).min(n) {
            let pid = format!("{prefix}p{i:06}");
            let s = preparing_seminar(
                prog,
                &format!("{prefix}{i:06}"),
                &pid,
                &format!("Город {i}"),
                approved_at,
                only_program_open,
            );
            due.extend(
                plan(prog, &s, approved_at)?
                    .into_iter()
                    .filter(|d| plan_until.is_none_or(|u| d.at <= u)),
            );
            partners.push(partner(&pid));
            seminars.push(s);
        }
        crate::storage::bulk::insert(url, &partners, &seminars, &due).await?;
    }
    Ok(())
}

/// An admin account with a browser session; returns the session cookie's value.
///
/// # Errors
/// Store failures.
pub async fn admin_session(store: &DynStore) -> BenchResult<String> {
    let now = Utc::now();
    let user = User {
        id: "bench-admin".into(),
        email: "bench-admin@seminarflow.local".into(),
        name: "Администратор нагрузочного теста".into(),
        role: Role::Admin,
        partner: None,
        rights: None,
        password_hash: String::new(),
        must_change_password: false,
        digest: false,
        ics_token: None,
        phone: None,
        disabled: false,
    };
    // Accounts need no program: a service of the store alone writes them.
    let service = Service::new(store.clone(), vec![]);
    let by = Audit {
        actor: "system",
        at: now,
    };
    service.add_user(by, &user).await?;
    Ok(service.start_session(&user, 2, now).await?.token)
}

/// What a seeded season holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeasonSize {
    pub seminars: usize,
    pub partners: usize,
    pub penalties: i64,
}

/// Puts a scenario file's season into `store`. The outbox is marked delivered afterwards so a
/// server started on the store does not spend the measurement writing mail.
///
/// # Errors
/// Unreadable scenario, store failures.
pub async fn seed_season(
    store: &DynStore,
    url: &str,
    cat: &Catalog,
    scenario: &std::path::Path,
    how: Seeding,
) -> BenchResult<SeasonSize> {
    let text = std::fs::read_to_string(scenario)?;
    let (sc, prog) =
        crate::simulate::load(cat, &text).map_err(|e| BenchError::failed(format!("{e}")))?;
    let service = Service::new(store.clone(), vec![prog.clone()]);
    save_partners(&service, &sc).await?;
    match how {
        Seeding::Play => play_season(&service, &sc, &prog).await?,
        Seeding::Synthetic => synthetic_season(&service, url, &sc, &prog).await?,
    }
    mark_outbox_delivered(&service).await?;
    Ok(SeasonSize {
        seminars: store.seminars(None).await?.len(),
        partners: sc.partners.len(),
        penalties: store.penalty_count().await?,
    })
}

/// The scenario's partners, saved as the scenario's first step would.
async fn save_partners(service: &Service, sc: &Scenario) -> BenchResult<()> {
    let by = Audit {
        actor: "scenario",
        at: sc.steps.first().map_or(sc.until, |s| s.at),
    };
    for p in &sc.partners {
        let partner = Partner {
            id: p.id.clone(),
            name: p.name.clone(),
            experienced: p.experienced,
            barred: p.barred,
            late_withdrawal: false,
        };
        service.save_partner(by, &partner).await?;
    }
    Ok(())
}

/// [`Seeding::Play`]: every step through the engine, then the clock run to the end.
async fn play_season(service: &Service, sc: &Scenario, prog: &Program) -> BenchResult<()> {
    for step in &sc.steps {
        service.scheduler.tick(step.at).await?;
        match service
            .execute(prog.id(), &step.command, "coordinator", step.at)
            .await
        {
            Ok(_) | Err(ServiceError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Everything the clock still has to do (late reminders) is done before serving.
    service.scheduler.tick(msk(2030, 1, 1, 0, 0)).await?;
    Ok(())
}

/// [`Seeding::Synthetic`]: each first application of a seminar in its end-of-season state,
/// the rows bulk-inserted first (fast), then each seminar's history through the store's own
/// update path.
async fn synthetic_season(
    service: &Service,
    url: &str,
    sc: &Scenario,
    prog: &Program,
) -> BenchResult<()> {
    let mut commits = season_commits(sc, prog);
    let mut seminars = Vec::new();
    for c in &mut commits {
        for s in &mut c.outcome.seminars {
            s.version = 1;
            seminars.push(s.clone());
        }
    }
    crate::storage::bulk::insert(url, &[], &seminars, &[]).await?;
    drop(seminars);
    for c in &commits {
        service.seed(c).await?;
    }
    Ok(())
}

/// The season's end states in commits of at most [`BATCH`] seminars, one per seminar the
/// scenario applies for (its first application).
fn season_commits(sc: &Scenario, prog: &Program) -> Vec<Commit> {
    let mut seen = BTreeSet::new();
    let mut commits = vec![Commit::default()];
    let mut i = 0usize;
    for step in &sc.steps {
        let Command::Apply {
            seminar,
            partner,
            city,
            date,
        } = &step.command
        else {
            continue;
        };
        if !seen.insert(seminar.clone()) {
            continue;
        }
        if commits
            .last()
            .is_some_and(|c| c.outcome.seminars.len() >= BATCH)
        {
            commits.push(Commit::default());
        }
        if let Some(c) = commits.last_mut() {
            season_end(prog, c, i, seminar, partner, city, *date, step.at);
        }
        i += 1;
    }
    commits
}

async fn mark_outbox_delivered(service: &Service) -> BenchResult<()> {
    loop {
        let wall = Utc::now();
        let rows = service
            .claim_deliveries(wall, 1000, "bench-seed", wall + Duration::minutes(10))
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for r in rows {
            service
                .mark_sent(r.id, wall, "seeded by the benchmark")
                .await?;
        }
    }
}

/// One seminar as the season leaves it, with the rows its history booked: most closed with
/// results, some excluded by a late program, some withdrawn or rejected; a third penalised.
#[allow(clippy::too_many_arguments)]
fn season_end(
    prog: &Program,
    commit: &mut Commit,
    i: usize,
    id: &str,
    partner: &str,
    city: &str,
    date: NaiveDate,
    applied: DateTime<Utc>,
) {
    let state = end_state(i);
    let decided = applied + Duration::days(3);
    let worked = !matches!(state, SeminarState::Rejected);
    let mut s = Seminar {
        id: id.into(),
        program: prog.wf.id.clone(),
        partner: partner.into(),
        city: city.into(),
        date,
        week: if date <= NaiveDate::from_ymd_opt(2017, 4, 2).unwrap_or_default() {
            "week1".into()
        } else {
            "week2".into()
        },
        state,
        applied_at: applied,
        decided_at: Some(decided),
        info_support: state != SeminarState::Excluded,
        coordinator: Some("coordinator".into()),
        venue: Some(format!("{city}, ул. Ленина, д. {}", i % 100 + 1)),
        stages: end_stages(prog, state, worked, decided, date),
        penalties: vec![],
        voided: Kopecks::ZERO,
        report: None,
        estimate: None,
        result: None,
        item: Default::default(),
        version: 0,
    };
    book_automatic_penalty(prog, commit, &mut s, i, worked);
    if state == SeminarState::Closed {
        book_results(commit, &mut s, i);
    }
    book_application(commit, &s, applied, decided);
    commit.outcome.seminars.push(s);
}

/// The state seminar `i` of the season ends in: 70 % closed, 10 % excluded, 8 % withdrawn,
/// 5 % rejected, the rest held without a report yet.
fn end_state(i: usize) -> SeminarState {
    match i % 100 {
        0..=69 => SeminarState::Closed,
        70..=79 => SeminarState::Excluded,
        80..=87 => SeminarState::Withdrawn,
        88..=92 => SeminarState::Rejected,
        _ => SeminarState::Held,
    }
}

/// Every stage of the workflow; a worked, not excluded seminar has each submittable stage
/// approved at its first, on-time version.
fn end_stages(
    prog: &Program,
    state: SeminarState,
    worked: bool,
    decided: DateTime<Utc>,
    date: NaiveDate,
) -> BTreeMap<String, StageProgress> {
    let mut stages = BTreeMap::new();
    for st in &prog.wf.stages {
        let mut p = StageProgress::new();
        if worked && st.submittable && state != SeminarState::Excluded {
            p.status = StageStatus::Approved;
            p.versions.push(crate::domain::seminar::Version {
                number: 1,
                round: 0,
                submitted_at: decided + Duration::days(5),
                deadline: date,
                days_late: 0,
                files: vec![],
                comment: Some("Материалы во вложении".into()),
                estimate: vec![],
                decision: Some(crate::domain::seminar::Decision {
                    approved: true,
                    at: decided + Duration::days(6),
                    by: "coordinator".into(),
                    comment: None,
                    due: None,
                }),
            });
        }
        stages.insert(st.id.clone(), p);
    }
    stages
}

/// The automatic penalty seminar `s` was booked, if any: the excluding rule for an excluded
/// seminar, a plain rule with points for every third worked one; with its points, flag,
/// notification and event.
fn book_automatic_penalty(
    prog: &Program,
    commit: &mut Commit,
    s: &mut Seminar,
    i: usize,
    worked: bool,
) {
    let rules = &prog.wf.penalties.automatic;
    let rule = if s.state == SeminarState::Excluded {
        rules
            .iter()
            .find(|r| r.effects.contains(&Effect::Exclusion))
    } else if worked && i % 3 == 0 {
        rules
            .iter()
            .find(|r| !r.effects.contains(&Effect::Exclusion) && r.points != 0)
    } else {
        None
    };
    let Some(r) = rule else {
        return;
    };
    let (id, partner) = (s.id.as_str(), s.partner.as_str());
    let at = msk(2017, 2, 23, 0, 0);
    let pen = Penalty {
        code: r.code.clone(),
        name: r.name.clone(),
        points: r.points,
        exclusion: r.effects.contains(&Effect::Exclusion),
        effects: r.effects.clone(),
        at,
        manual: false,
        stage: r.stage.clone(),
        deadline: Some(NaiveDate::from_ymd_opt(2017, 2, 22).unwrap_or_default()),
        days_late: Some(1),
        count: 1,
        note: None,
        key: format!("{id}:{}", r.code),
        amount: None,
    };
    commit.outcome.points.push(PointsEntry {
        key: format!("{id}:{}:points", r.code),
        partner: partner.into(),
        seminar: id.into(),
        points: r.points,
        reason: r.code.clone(),
        booked_at: at,
        expires_at: at + Duration::days(365),
        ..PointsEntry::default()
    });
    if pen.exclusion {
        commit
            .outcome
            .flags
            .push((partner.to_string(), PartnerFlag::Barred));
    }
    commit.outcome.notifications.push(note(
        id,
        partner,
        NotificationKind::PenaltyApplied,
        at,
        json!({"code": r.code, "points": r.points}),
    ));
    commit.outcome.events.push(event(
        at,
        "scheduler",
        EventKind::PenaltyBooked,
        id,
        json!({"code": r.code, "points": r.points, "name": r.name}),
    ));
    commit.outcome.penalties.push((id.to_string(), pen.clone()));
    s.penalties.push(pen);
}

/// A closed seminar's report and result, with the organizer's points, the bonus and the
/// report's acceptance notice.
fn book_results(commit: &mut Commit, s: &mut Seminar, i: usize) {
    let (id, partner) = (s.id.as_str(), s.partner.as_str());
    let seminar_day_end = msk(2017, 4, 20, 12, 0);
    let costs = Kopecks::from_rub(20_000 + (i as i64 % 7) * 5_000);
    commit.outcome.points.push(PointsEntry {
        key: format!("{id}:organizer"),
        partner: partner.into(),
        seminar: id.into(),
        points: 10,
        reason: "organizer".into(),
        booked_at: seminar_day_end,
        expires_at: seminar_day_end + Duration::days(365),
        ..PointsEntry::default()
    });
    commit.outcome.bonus.push(BonusEntry {
        key: format!("{id}:bonus"),
        partner: partner.into(),
        seminar: id.into(),
        amount: costs,
        booked_at: seminar_day_end,
        expires_at: seminar_day_end + Duration::days(365),
    });
    commit.outcome.notifications.push(note(
        id,
        partner,
        NotificationKind::ReportAccepted,
        seminar_day_end,
        json!({}),
    ));
    s.report = Some(ReportFigures {
        attendees: 15 + (i as u32 % 20),
        registrations: 80,
        costs,
        third_party_companies: i as u32 % 4,
        estimate: Some(costs),
        co_organizers: vec![],
        vendor_talks_by: None,
        item: Default::default(),
    });
    s.result = Some(SeminarResult {
        points: 10,
        compensation: costs,
        reasons: vec![
            "Семинар проведён: 10 баллов организатору".into(),
            "Компенсация по утверждённой смете".into(),
        ],
        money_reasons: vec!["Компенсация по утверждённой смете".into()],
    });
}

/// The application and the coordinator's decision on it: the decision's notice and the
/// `apply`, decision and outcome events.
fn book_application(
    commit: &mut Commit,
    s: &Seminar,
    applied: DateTime<Utc>,
    decided: DateTime<Utc>,
) {
    let (id, partner) = (s.id.as_str(), s.partner.as_str());
    let (notice, decision, outcome) = if s.state == SeminarState::Rejected {
        (
            NotificationKind::ApplicationRejected,
            EventKind::RejectApplication,
            EventKind::ApplicationRejected,
        )
    } else {
        (
            NotificationKind::ApplicationApproved,
            EventKind::ApproveApplication,
            EventKind::ApplicationApproved,
        )
    };
    commit
        .outcome
        .notifications
        .push(note(id, partner, notice, decided, json!({})));
    commit.outcome.events.push(event(
        applied,
        partner,
        EventKind::Apply,
        id,
        json!({"city": s.city, "date": s.date}),
    ));
    for kind in [decision, outcome] {
        commit
            .outcome
            .events
            .push(event(decided, "coordinator", kind, id, json!({})));
    }
}

fn note(
    seminar: &str,
    partner: &str,
    kind: NotificationKind,
    at: DateTime<Utc>,
    data: serde_json::Value,
) -> Notification {
    Notification {
        key: format!("{seminar}:{kind}"),
        kind,
        to: Recipient::Partner(partner.into()),
        seminar: seminar.into(),
        stage: None,
        at,
        data,
    }
}

fn event(
    at: DateTime<Utc>,
    actor: &str,
    kind: EventKind,
    seminar: &str,
    data: serde_json::Value,
) -> Event {
    Event {
        at,
        actor: actor.into(),
        kind: kind.as_str().into(),
        seminar: Some(seminar.into()),
        data,
    }
}

/// The id of the program's first stage that takes materials.
///
/// # Errors
/// A program without one cannot be benchmarked.
pub fn first_submittable(prog: &Program) -> BenchResult<String> {
    prog.wf
        .stages
        .iter()
        .find(|s| s.submittable)
        .map(|s| s.id.clone())
        .ok_or_else(|| BenchError::Failed(format!("{}: no stage takes materials", prog.id())))
}

/// The id of the program's report stage.
///
/// # Errors
/// A program without one cannot be benchmarked.
pub fn report_stage(prog: &Program) -> BenchResult<String> {
    prog.wf
        .stages
        .iter()
        .find(|s| s.report)
        .map(|s| s.id.clone())
        .ok_or_else(|| BenchError::Failed(format!("{}: no report stage", prog.id())))
}
