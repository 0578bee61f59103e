//! What the API shows of a seminar, a program or a partner: plain data built from the aggregate
//! and the workflow, with each deadline in Moscow and in the city's local time, days left or
//! late, and what lateness costs — so pages and scripts can explain every number.

use crate::accounts::User;
use crate::domain::deadline::{end_of, local_date};
use crate::domain::workflow::{Effect, Round, Trigger};
use crate::domain::{Penalty, Program, Seminar, StageStatus, Version};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SeminarView {
    pub id: String,
    pub program: String,
    pub title: String,
    pub partner: String,
    pub city: String,
    pub date: NaiveDate,
    pub week: String,
    pub state: String,
    pub state_label: String,
    pub info_support: bool,
    pub venue: Option<String>,
    pub applied_at: DateTime<Utc>,
    pub stages: Vec<StageView>,
    pub penalties: Vec<PenaltyView>,
    pub points_awarded: i64,
    /// RUB with two decimals; absent for users who may not see money.
    pub compensation: Option<String>,
    pub result_reasons: Vec<String>,
    pub report: Option<ReportView>,
    /// The estimate the coordinator approved and the compensation cap it sets; absent before
    /// the approval and for users who may not see money.
    pub estimate: Option<ApprovedEstimateView>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub attendees: u32,
    pub registrations: u32,
    pub third_party_companies: u32,
    pub costs: Option<String>,
    /// The estimate that limits the compensation: the approved estimate's compensable total
    /// (without an approved estimate: a total given with the figures, else the costs).
    pub estimate: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApprovedEstimateView {
    /// The approved version of the estimate stage.
    pub version: u32,
    pub lines: Vec<EstimateLineView>,
    /// All lines, RUB.
    pub total: String,
    /// The compensable lines, RUB: the seminar's compensation cap (the program's limit per
    /// seminar applies on top).
    pub cap: String,
}

/// A line of an estimate; the amount is absent for users who may not see money.
#[derive(Serialize, ToSchema)]
pub struct EstimateLineView {
    pub category: String,
    pub category_name: String,
    /// Counts towards the cap (in a submitted version: as the workflow says now).
    pub compensable: bool,
    pub description: String,
    pub amount: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StageView {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_label: String,
    /// 0: first submission; n: n-th re-submission after a return.
    pub round: u32,
    pub submittable: bool,
    /// The designated deadline date (inclusive).
    pub deadline: NaiveDate,
    /// The instant the deadline ends, in the program's deadline zone.
    pub deadline_zoned: String,
    /// The same instant in the city's local time.
    pub deadline_local: String,
    pub partner_holds: bool,
    /// Days until the deadline while the partner holds the stage (0 = today).
    pub days_left: Option<i64>,
    /// Days past the deadline while the partner holds the stage.
    pub days_late: Option<i64>,
    pub lateness_costs: Vec<CostView>,
    pub requirements: Vec<String>,
    pub versions: Vec<VersionView>,
}

#[derive(Serialize, ToSchema)]
pub struct CostView {
    pub code: String,
    pub name: String,
    pub late_days_from: Option<i64>,
    pub late_days_to: Option<i64>,
    pub points: i64,
    pub exclusion: bool,
    /// Russian sentence: «опоздание на 1–2 дня: −10 баллов».
    pub text: String,
    /// Already booked on this seminar: it cannot happen again (automatic penalties are booked
    /// once per seminar and code). Always false in a program's rule table.
    pub booked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub number: u32,
    pub round: u32,
    pub submitted_at: DateTime<Utc>,
    pub deadline: NaiveDate,
    pub days_late: i64,
    pub files: Vec<String>,
    pub comment: Option<String>,
    /// The estimate stage's lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub estimate: Vec<EstimateLineView>,
    pub decision: Option<DecisionView>,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionView {
    pub approved: bool,
    pub at: DateTime<Utc>,
    pub by: String,
    pub comment: Option<String>,
    pub due: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct PenaltyView {
    pub seminar: String,
    pub code: String,
    pub name: String,
    pub points: i64,
    pub exclusion: bool,
    pub info_support_withdrawn: bool,
    pub at: DateTime<Utc>,
    /// `at` in the program's deadline zone.
    pub at_zoned: String,
    pub manual: bool,
    pub stage: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub days_late: Option<i64>,
    pub count: u32,
    pub note: Option<String>,
    /// Why, in Russian.
    pub reason: String,
}

pub use crate::text::zoned;

pub use crate::text::plural;

fn status_label(s: StageStatus, submittable: bool) -> &'static str {
    match (s, submittable) {
        (_, false) => "напоминание",
        (StageStatus::Open, _) => "ожидает материалы",
        (StageStatus::Submitted, _) => "на проверке у координатора",
        (StageStatus::Returned, _) => "возвращено на доработку",
        (StageStatus::Approved, _) => "согласовано",
    }
}

fn status_code(s: StageStatus) -> &'static str {
    match s {
        StageStatus::Open => "open",
        StageStatus::Submitted => "submitted",
        StageStatus::Returned => "returned",
        StageStatus::Approved => "approved",
    }
}

pub fn penalty_view(prog: &Program, seminar: &str, p: &Penalty) -> PenaltyView {
    let mut reason = p.name.clone();
    if let (Some(d), Some(n)) = (p.deadline, p.days_late) {
        reason = format!(
            "{reason}: срок {}, опоздание {}",
            d.format("%d.%m.%Y"),
            plural(n, "день", "дня", "дней")
        );
    }
    if let Some(note) = &p.note {
        reason = format!("{reason} ({note})");
    }
    PenaltyView {
        seminar: seminar.into(),
        code: p.code.clone(),
        name: p.name.clone(),
        points: p.points,
        exclusion: p.exclusion,
        info_support_withdrawn: p.effects.contains(&Effect::InfoSupportWithdrawn),
        at: p.at,
        at_zoned: zoned(prog.tz, p.at),
        manual: p.manual,
        stage: p.stage.clone(),
        deadline: p.deadline,
        days_late: p.days_late,
        count: p.count,
        note: p.note.clone(),
        reason,
    }
}

/// Lateness costs of a stage in a round, from the penalty table.
pub fn costs(prog: &Program, stage: &str, round: Round) -> Vec<CostView> {
    let mut v = Vec::new();
    for trig in [Trigger::LateSubmission, Trigger::StillHeld] {
        for r in prog.wf.rules_for(stage, round, trig) {
            let band = r.late_days;
            let days = match band {
                Some(b) => match b.to {
                    Some(t) if t == b.from => {
                        format!("опоздание на {}", plural(b.from, "день", "дня", "дней"))
                    }
                    Some(t) => format!(
                        "опоздание на {}–{}",
                        b.from,
                        plural(t, "день", "дня", "дней")
                    ),
                    None => format!(
                        "опоздание на {} и больше",
                        plural(b.from, "день", "дня", "дней")
                    ),
                },
                None => "опоздание".into(),
            };
            let mut effects = vec![];
            if r.points != 0 {
                effects.push(plural(r.points, "балл", "балла", "баллов").replace('-', "−"));
            }
            if r.effects.contains(&Effect::InfoSupportWithdrawn) {
                effects.push("снятие информационной поддержки".into());
            }
            if r.effects.contains(&Effect::Exclusion) {
                effects.push("исключение из программы".into());
            }
            v.push(CostView {
                code: r.code.clone(),
                name: r.name.clone(),
                late_days_from: band.map(|b| b.from),
                late_days_to: band.and_then(|b| b.to),
                points: r.points,
                exclusion: r.effects.contains(&Effect::Exclusion),
                text: format!("{days}: {}", effects.join(", ")),
                booked: false,
            });
        }
    }
    v.sort_by_key(|c| c.late_days_from);
    v
}

/// What returning a waiting submission today would cost its partner when the coordinator sets
/// no new due date: the re-submission must meet the stage's deadline, so once that has passed
/// the re-submission is late from the first day and its lateness bands apply.
pub fn return_cost(p: &Program, stage: &str, deadline: NaiveDate, today: NaiveDate) -> String {
    let bands = costs(p, stage, Round::Resubmit);
    let Some(first) = bands.first() else {
        return "без штрафов: за опоздание с доработкой этого этапа штрафов нет".into();
    };
    let late = (today - deadline).num_days();
    if late <= 0 {
        return format!(
            "без штрафа, если доработка придёт до {} включительно; позже — {}",
            deadline.format("%d.%m.%Y"),
            first.text
        );
    }
    let now: Vec<&str> = bands
        .iter()
        .filter(|c| {
            c.late_days_from.is_some_and(|f| f <= late) && c.late_days_to.is_none_or(|t| late <= t)
        })
        .map(|c| c.text.as_str())
        .collect();
    let days = plural(late, "день", "дня", "дней");
    if now.is_empty() {
        format!("срок этапа прошёл {days} назад; без нового срока доработка уже опаздывает")
    } else {
        format!(
            "без нового срока доработка уже опаздывает на {days}: {}",
            now.join("; ")
        )
    }
}

fn version_view(prog: &Program, v: &Version, money: bool) -> VersionView {
    let form = prog.wf.estimate.as_ref();
    VersionView {
        estimate: v
            .estimate
            .iter()
            .map(|l| {
                let cat = form.and_then(|f| f.category(&l.category));
                EstimateLineView {
                    category: l.category.clone(),
                    category_name: cat.map_or_else(|| l.category.clone(), |c| c.name.clone()),
                    compensable: cat.is_some_and(|c| c.compensable),
                    description: l.description.clone(),
                    amount: money.then(|| l.amount.to_string()),
                }
            })
            .collect(),
        number: v.number,
        round: v.round,
        submitted_at: v.submitted_at,
        deadline: v.deadline,
        days_late: v.days_late,
        files: v.files.clone(),
        comment: v.comment.clone(),
        decision: v.decision.as_ref().map(|d| DecisionView {
            approved: d.approved,
            at: d.at,
            by: d.by.clone(),
            comment: d.comment.clone(),
            due: d.due,
        }),
    }
}

pub fn seminar_view(prog: &Program, s: &Seminar, viewer: &User, now: DateTime<Utc>) -> SeminarView {
    let money = viewer.sees_money();
    let today = local_date(prog.tz, now);
    let city_tz = prog.city_zone(&s.city);
    let mut stages = Vec::new();
    for st in &prog.wf.stages {
        let p = s.stages.get(&st.id).cloned().unwrap_or_default();
        let Ok(deadline) = prog.designated(s, &st.id) else {
            continue;
        };
        let end = end_of(prog.tz, deadline);
        let holds = s.state.is_active() && p.partner_holds() && st.submittable;
        let delta = (deadline - today).num_days();
        stages.push(StageView {
            id: st.id.clone(),
            name: st.name.clone(),
            status: status_code(p.status).into(),
            status_label: status_label(p.status, st.submittable).into(),
            round: p.round,
            submittable: st.submittable,
            deadline,
            deadline_zoned: zoned(prog.tz, end),
            deadline_local: zoned(city_tz, end),
            partner_holds: holds,
            days_left: (holds && delta >= 0).then_some(delta),
            days_late: (holds && delta < 0).then_some(-delta),
            lateness_costs: costs(prog, &st.id, p.round_kind())
                .into_iter()
                .map(|c| CostView {
                    booked: s.has_penalty(&c.code),
                    ..c
                })
                .collect(),
            requirements: st.requirements.clone(),
            versions: p
                .versions
                .iter()
                .map(|v| version_view(prog, v, money))
                .collect(),
        });
    }
    SeminarView {
        id: s.id.clone(),
        program: s.program.clone(),
        title: prog.wf.seminar_title.clone(),
        partner: s.partner.clone(),
        city: s.city.clone(),
        date: s.date,
        week: s.week.clone(),
        state: s.state.as_str().into(),
        state_label: s.state.label().into(),
        info_support: s.info_support,
        venue: s.venue.clone(),
        applied_at: s.applied_at,
        stages,
        penalties: s
            .penalties
            .iter()
            .map(|p| penalty_view(prog, &s.id, p))
            .collect(),
        points_awarded: s.points_awarded(),
        compensation: money.then(|| s.compensation().to_string()),
        // Reasons name sums; users who may not see money get only the others.
        result_reasons: s
            .result
            .as_ref()
            .map(|r| r.reasons_for(money))
            .unwrap_or_default(),
        report: s.report.as_ref().map(|r| ReportView {
            attendees: r.attendees,
            registrations: r.registrations,
            third_party_companies: r.third_party_companies,
            costs: money.then(|| r.costs.to_string()),
            estimate: money.then(|| crate::domain::results::estimate_cap(s, r).to_string()),
        }),
        estimate: s
            .estimate
            .as_ref()
            .filter(|_| money)
            .map(approved_estimate_view),
    }
}

fn approved_estimate_view(e: &crate::domain::estimate::ApprovedEstimate) -> ApprovedEstimateView {
    ApprovedEstimateView {
        version: e.version,
        lines: e
            .lines
            .iter()
            .map(|l| EstimateLineView {
                category: l.category.clone(),
                category_name: l.category_name.clone(),
                compensable: l.compensable,
                description: l.description.clone(),
                amount: Some(l.amount.to_string()),
            })
            .collect(),
        total: e.total.to_string(),
        cap: e.cap.to_string(),
    }
}
