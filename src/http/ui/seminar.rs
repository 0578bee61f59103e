//! The seminar page: the stage timeline (deadlines in Moscow and local time, state, countdown or
//! days late, lateness costs), versions with files and comments, the coordinator's and the
//! partner's forms, penalties, results and the audit history.

use super::cards::{name_of, opened, partner_names, penalty_ui, state_tone, week_name, PenaltyUi};
use super::format;
use super::history::{history_ui, HistoryUi};
use super::mail::{no_recipient_warning, undelivered, MailRowUi};
use super::page::{
    render_status, FormState, Page, PageQuery, SummaryItem, UiError, UiResult, Viewer,
};
use super::seminar_ended::{ended_panel, ended_state, EndedUi};
use super::seminar_estimate::{
    estimate_form_ui, estimate_review, version_estimate_ui, EstimateFormUi, EstimateReviewUi,
    VersionEstimateUi,
};
use crate::domain::deadline::local_date;
use crate::domain::review::{conflict_message, slot_conflict};
use crate::domain::{Program, Seminar, SeminarState};
use crate::http::api::programs::program;
use crate::http::api::seminars::visible_seminar;
use crate::http::views::{seminar_view, SeminarView, StageView, VersionView};
use crate::http::AppState;
use crate::storage::SeminarQuery;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Form states by form key: `submit:<stage>`, `approve:<stage>`, `return:<stage>`,
/// `violation`, `decide`, `withdraw`, `accept`.
pub type Forms = BTreeMap<String, FormState>;

#[derive(Serialize)]
struct Header {
    id: String,
    title: String,
    program: String,
    partner_name: String,
    city: String,
    date_long: String,
    week: String,
    state_label: String,
    state_tone: &'static str,
    venue: Option<String>,
    info_support: bool,
    /// Rejected, withdrawn or excluded: the seminar will not take place.
    ended: bool,
    applied_at: String,
    coordinator: Option<String>,
}

#[derive(Serialize)]
struct FileUi {
    name: String,
    href: String,
}

#[derive(Serialize)]
struct DecisionUi {
    approved: bool,
    at: String,
    by: String,
    comment: Option<String>,
    due: Option<String>,
}

#[derive(Serialize)]
struct VersionUi {
    number: u32,
    round: String,
    submitted_at: String,
    late: Option<String>,
    files: Vec<FileUi>,
    links: Vec<String>,
    notes: Vec<String>,
    comment: Option<String>,
    estimate: Option<VersionEstimateUi>,
    decision: Option<DecisionUi>,
}

#[derive(Serialize)]
struct StageUi {
    id: String,
    name: String,
    status_label: String,
    tone: &'static str,
    submittable: bool,
    is_report: bool,
    publishes_link: bool,
    deadline: String,
    deadline_local: Option<String>,
    countdown: Option<String>,
    countdown_tone: &'static str,
    /// What a submission today would cost, while late.
    late_now: Option<String>,
    costs: Vec<String>,
    requirements: Vec<String>,
    versions: Vec<VersionUi>,
    can_submit: bool,
    /// The first stage the partner holds: its form and requirements are shown unfolded.
    current: bool,
    /// Approved: folded on the page, so what is still open comes first.
    done: bool,
    /// Where the page opens: the partner's current stage, or the first one waiting for the
    /// coordinator's review.
    focus: bool,
    upload_open: bool,
    opens_later: Option<String>,
    can_review: bool,
    resubmission: bool,
    /// The estimate stage's rows (the stage carries the estimate and the partner may submit).
    estimate_form: Option<EstimateFormUi>,
    submit_form: FormState,
    approve_form: FormState,
    return_form: FormState,
}

#[derive(Serialize)]
struct DecideBox {
    suggestion: String,
    free: bool,
    form: FormState,
}

#[derive(Serialize)]
struct ViolationOption {
    code: String,
    label: String,
}

#[derive(Serialize)]
struct ViolationBox {
    options: Vec<ViolationOption>,
    form: FormState,
}

#[derive(Serialize)]
struct WithdrawBox {
    warning: Option<String>,
    form: FormState,
}

/// The partner's venue form, with what a change this close to the seminar would cost.
#[derive(Serialize)]
struct VenueBox {
    warning: Option<String>,
    form: FormState,
}

#[derive(Serialize)]
struct ResultsUi {
    points: String,
    compensation: Option<String>,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct ReportUi {
    attendees: u32,
    registrations: u32,
    third_party_companies: u32,
    costs: Option<String>,
}

#[derive(Serialize)]
struct SeminarPage {
    s: Header,
    ended: Option<EndedUi>,
    is_staff: bool,
    sees_money: bool,
    path: String,
    today: String,
    decide: Option<DecideBox>,
    stages: Vec<StageUi>,
    penalties: Vec<PenaltyUi>,
    report: Option<ReportUi>,
    estimate_review: Option<EstimateReviewUi>,
    results: Option<ResultsUi>,
    violation: Option<ViolationBox>,
    withdraw: Option<WithdrawBox>,
    venue_box: Option<VenueBox>,
    history: Option<HistoryUi>,
    /// Staff: mail about this seminar that reached nobody, and the warning when the partner has
    /// no active user.
    mail: Option<SeminarMail>,
}

#[derive(Serialize)]
struct SeminarMail {
    warning: Option<String>,
    /// The partner's users, where one is added.
    users_href: String,
    undelivered: Vec<MailRowUi>,
    total: i64,
}

/// What the staff sees of this seminar's mail; `None` for partner users.
async fn seminar_mail(
    state: &AppState,
    staff: bool,
    s: &Seminar,
    names: &BTreeMap<String, String>,
) -> UiResult<Option<SeminarMail>> {
    if !staff {
        return Ok(None);
    }
    let warning = no_recipient_warning(state, &s.partner, &name_of(names, &s.partner)).await?;
    let q = crate::storage::OutboxQuery {
        seminar: Some(s.id.clone()),
        ..Default::default()
    };
    let (undelivered, total) = undelivered(state, q, 20).await?;
    Ok(Some(SeminarMail {
        warning,
        users_href: format!("/admin/users?partner={}", super::page::encode(&s.partner)),
        undelivered,
        total,
    }))
}

/// The message after a decision: it must not promise an e-mail nobody gets.
fn mail_flash<'a>(page: Page<'a>, mail: Option<&SeminarMail>, done: Option<&str>) -> Page<'a> {
    let page = page.flash(done);
    let unreachable = mail.is_some_and(|m| m.warning.is_some());
    match done {
        Some("accepted" | "declined" | "returned" | "violation") if unreachable => Page {
            flash: Some("Решение сохранено, но письмо партнёру не отправлено: у партнёра нет ни одного активного пользователя. Сообщите партнёру о решении сами или добавьте ему пользователя."),
            ..page
        },
        _ => page,
    }
}

fn stage_tone(st: &StageView) -> &'static str {
    match st.status.as_str() {
        _ if !st.submittable => "muted",
        _ if st.days_late.is_some() => "bad",
        "approved" => "ok",
        "submitted" => "info",
        "returned" => "warn",
        _ => "neutral",
    }
}

fn version_ui(prog: &Program, seminar: &str, v: &VersionView) -> VersionUi {
    let mut files = vec![];
    let mut links = vec![];
    let mut notes = vec![];
    for f in &v.files {
        if f.starts_with("https://") || f.starts_with("http://") {
            links.push(f.clone());
        } else if let Some((sha, name)) = f
            .split_once(':')
            .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            files.push(FileUi {
                name: name.to_string(),
                href: format!("/api/seminars/{seminar}/files/{sha}"),
            });
        } else {
            notes.push(f.clone());
        }
    }
    VersionUi {
        number: v.number,
        round: if v.round == 0 {
            "первая подача".into()
        } else {
            format!("доработка № {}", v.round)
        },
        submitted_at: format::instant(prog, v.submitted_at),
        late: (v.days_late > 0).then(|| format!("с опозданием на {}", format::days(v.days_late))),
        files,
        links,
        notes,
        comment: v.comment.clone(),
        estimate: version_estimate_ui(&v.estimate),
        decision: v.decision.as_ref().map(|d| DecisionUi {
            approved: d.approved,
            at: format::instant(prog, d.at),
            by: super::history::actor(&d.by),
            comment: d.comment.clone(),
            due: d.due.map(format::date),
        }),
    }
}

/// Who looks at the seminar page and when: what each stage box offers depends on it.
struct Looker {
    staff: bool,
    active: bool,
    now: DateTime<Utc>,
}

/// What a submission today would still cost, while the partner is late with a stage it may
/// submit: a band already booked is not threatened again.
fn late_now(st: &StageView, can_submit: bool) -> Option<String> {
    let n = st.days_late.filter(|_| can_submit)?;
    let band = st.lateness_costs.iter().find(|c| {
        c.late_days_from.is_some_and(|f| f <= n) && c.late_days_to.is_none_or(|t| n <= t)
    })?;
    Some(if band.booked {
        "Штраф за это опоздание уже начислен; если отправить сегодня, нового штрафа не будет."
            .into()
    } else {
        format!("Если отправить сегодня — {}", band.text)
    })
}

/// The stage boxes, with the forms to put back; the first stage the partner may submit is
/// the current one.
fn stage_uis(
    prog: &Program,
    s: &Seminar,
    view: &SeminarView,
    who: &Looker,
    forms: &mut Forms,
) -> Vec<StageUi> {
    let mut take = |k: String| forms.remove(&k).unwrap_or_default();
    let mut current_found = false;
    let mut stages = vec![];
    for st in &view.stages {
        let def = prog.wf.stage(&st.id);
        let is_open = opened(prog, s, &st.id, who.now);
        let holds = st.partner_holds;
        let (countdown, countdown_tone) = match format::countdown(st.days_left, st.days_late) {
            Some((t, tone)) if is_open => (Some(t), tone),
            _ => (None, "ok"),
        };
        let can_submit = !who.staff && holds && is_open && who.active;
        let current = can_submit && !current_found;
        current_found |= can_submit;
        let submit_form = take(format!("submit:{}", st.id));
        let estimate_form = can_submit
            .then(|| estimate_form_ui(prog, s, &st.id, &submit_form))
            .flatten();
        stages.push(StageUi {
            id: st.id.clone(),
            name: st.name.clone(),
            status_label: if ended_state(s.state) && st.status != "approved" && st.submittable {
                "не действует".into()
            } else if holds && !is_open {
                "откроется в день семинара".into()
            } else {
                st.status_label.clone()
            },
            tone: stage_tone(st),
            submittable: st.submittable,
            is_report: def.is_some_and(|d| d.report),
            publishes_link: def.is_some_and(|d| d.publishes_link),
            deadline: format::deadline(prog, st.deadline),
            deadline_local: format::deadline_local(prog, &s.city, st.deadline)
                .map(|t| format!("{t}, {}", s.city)),
            countdown,
            countdown_tone,
            late_now: late_now(st, can_submit),
            // Lateness no longer matters once the stage is approved; a booked band is past.
            costs: if st.status == "approved" || !st.submittable || !who.active {
                vec![]
            } else {
                st.lateness_costs
                    .iter()
                    .filter(|c| !c.booked)
                    .map(|c| c.text.clone())
                    .collect()
            },
            requirements: st.requirements.clone(),
            versions: st
                .versions
                .iter()
                .rev()
                .map(|x| version_ui(prog, &s.id, x))
                .collect(),
            can_submit,
            current,
            done: st.status == "approved",
            focus: false,
            upload_open: current || submit_form.has_errors(),
            opens_later: (!who.staff && holds && !is_open && who.active)
                .then(|| format!("Этап откроется в день семинара, {}.", format::date(s.date))),
            can_review: who.staff && who.active && st.status == "submitted",
            resubmission: st.round > 0,
            estimate_form,
            submit_form,
            approve_form: take(format!("approve:{}", st.id)),
            return_form: take(format!("return:{}", st.id)),
        });
    }
    if let Some(f) = stages.iter_mut().find(|x| x.current || x.can_review) {
        f.focus = true;
    }
    stages
}

/// The coordinator's decision box for an application: the engine's view of the slot, as the
/// review queue shows it.
async fn decide_box(
    state: &AppState,
    prog: &Program,
    s: &Seminar,
    form: FormState,
) -> Result<DecideBox, UiError> {
    // The seminars holding slots in its city are all the rule looks at.
    let q = SeminarQuery {
        program: Some(s.program.clone()),
        cities: Some(vec![s.city.clone()]),
        states: SeminarState::HOLDING_SLOT.to_vec(),
        ..SeminarQuery::default()
    };
    let all: Vec<Seminar> = state
        .service
        .store
        .find_seminars(&q)
        .await?
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let conflict = slot_conflict(prog, &all, s);
    let suggestion = match conflict {
        None => format!(
            "Неделя свободна: {} в городе {} ещё никто не занял.",
            week_name(prog, &s.week),
            s.city
        ),
        Some(code) => format!(
            "Утвердить нельзя: {}. Отклоните заявку с комментарием.",
            conflict_message(code, s)
        ),
    };
    Ok(DecideBox {
        suggestion,
        free: conflict.is_none(),
        form,
    })
}

fn violation_box(prog: &Program, s: &Seminar, form: FormState) -> ViolationBox {
    ViolationBox {
        options: prog
            .wf
            .penalties
            .manual
            .iter()
            .filter(|m| m.repeatable || !s.has_penalty(&m.code))
            .map(|m| ViolationOption {
                code: m.code.clone(),
                label: format!("{} ({})", m.name, violation_cost(m)),
            })
            .collect(),
        form,
    }
}

/// A venue change fewer than the program's days before the seminar books its venue rule: say so
/// while it would still happen.
fn venue_box(prog: &Program, s: &Seminar, today: NaiveDate, form: FormState) -> VenueBox {
    let warning = crate::domain::rules::venue_change_rule(prog, s, today).map(|(rule, limit)| {
        format!(
            "До семинара меньше {}: если изменить место сейчас — «{}».",
            format::days(limit),
            rule.name
        )
    });
    VenueBox { warning, form }
}

fn withdraw_box(prog: &Program, s: &Seminar, today: NaiveDate, form: FormState) -> WithdrawBox {
    WithdrawBox {
        warning: prog
            .wf
            .withdrawal
            .free_until
            .filter(|d| today > *d && s.state == SeminarState::Preparing)
            .map(|d| {
                format!(
                    "Срок отзыва без последствий прошёл {}: отзыв будет отмечен как поздний и учтётся при следующих программах.",
                    format::date(d)
                )
            }),
        form,
    }
}

/// The report figures and the results, money only for those who may see it.
fn report_and_results(s: &Seminar, money: bool) -> (Option<ReportUi>, Option<ResultsUi>) {
    let report = s.report.as_ref().map(|r| ReportUi {
        attendees: r.attendees,
        registrations: r.registrations,
        third_party_companies: r.third_party_companies,
        costs: money.then(|| format::money(r.costs)),
    });
    let results = s.result.as_ref().map(|r| ResultsUi {
        points: format::points(r.points),
        compensation: money.then(|| format::money(r.compensation)),
        // Reasons about compensation name sums: not for users who may not see money.
        reasons: r.reasons_for(money),
    });
    (report, results)
}

/// Renders the seminar page for `v`, with the given form states (errors after a failed post).
pub async fn seminar_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    mut forms: Forms,
    status: StatusCode,
    q: &DoneQuery,
) -> UiResult {
    let s = visible_seminar(state, &v.auth(), id).await?;
    let prog = program(state, &s.program)?;
    let now = state.clock.now();
    let today = local_date(prog.tz, now);
    let view = seminar_view(prog, &s, &v.user, now);
    let names = partner_names(state, [s.partner.as_str()]).await?;
    let staff = v.is_staff();
    let who = Looker {
        staff,
        active: s.state.is_active(),
        now,
    };
    let ended = ended_panel(state, prog, &s, staff).await?;
    let summary: Vec<SummaryItem> = forms
        .iter()
        .flat_map(|(key, f)| f.summary(|name| field_anchor(key, name)))
        .collect();
    let stages = stage_uis(prog, &s, &view, &who, &mut forms);
    let mut take = |k: &str| forms.remove(k).unwrap_or_default();
    let decide = if staff && s.state == SeminarState::Applied {
        Some(decide_box(state, prog, &s, take("decide")).await?)
    } else {
        None
    };
    let violation = (staff && who.active).then(|| violation_box(prog, &s, take("violation")));
    let can_withdraw = !staff
        && !v.is_limited()
        && matches!(s.state, SeminarState::Applied | SeminarState::Preparing);
    let withdraw = can_withdraw.then(|| withdraw_box(prog, &s, today, take("withdraw")));
    let can_venue = !staff && !v.is_limited() && s.state == SeminarState::Preparing;
    let venue_box = can_venue.then(|| venue_box(prog, &s, today, take("venue")));
    let history = if staff || !v.is_limited() {
        Some(history_ui(state, prog, &s.id, q.hq.as_deref(), q.hpage).await?)
    } else {
        None
    };
    let money = v.user.sees_money();
    let (report, results) = report_and_results(&s, money);
    let page = SeminarPage {
        s: header(state, prog, &s, &names).await?,
        ended,
        is_staff: staff,
        sees_money: money,
        path: format!("/seminars/{}", s.id),
        today: today.format("%Y-%m-%d").to_string(),
        decide,
        stages,
        penalties: s
            .penalties
            .iter()
            .rev()
            .map(|p| penalty_ui(prog, &s, p, &names))
            .collect(),
        report,
        estimate_review: estimate_review(prog, &s, staff, money),
        results,
        violation,
        withdraw,
        venue_box,
        history,
        mail: seminar_mail(state, staff, &s, &names).await?,
    };
    let title = format!("Семинар: {}, {}", s.city, format::date(s.date));
    let nav = if staff { "/dashboard" } else { "/my" };
    let mut meta = mail_flash(
        Page::new(title, nav, Some(v)),
        page.mail.as_ref(),
        q.done.as_deref(),
    );
    meta.summary = summary;
    Ok(render_status(state, status, meta, "seminar", page))
}

/// The `id` of input `name` of the form `key` in `seminar.hbs` (what the error summary links
/// to).
fn field_anchor(key: &str, name: &str) -> String {
    match (key.split_once(':'), name) {
        (Some(("submit", stage)), "third_party_companies") => format!("{stage}-third"),
        (Some(("approve", stage)), n) => format!("{stage}-approve-{n}"),
        (Some(("return", stage)), "comment") => format!("{stage}-return-comment"),
        (Some((_, stage)), n) => format!("{stage}-{n}"),
        (None, _) => match key {
            "decide" => "reject-comment".into(),
            "violation" => format!("v-{name}"),
            "venue" => "venue-input".into(),
            "withdraw" => "wd-confirm".into(),
            other => format!("{other}-{name}"),
        },
    }
}

fn violation_cost(m: &crate::domain::workflow::ManualViolation) -> String {
    let mut parts = vec![];
    if m.points != 0 {
        let each = if m.repeatable {
            " за каждое"
        } else {
            ""
        };
        parts.push(format!("{}{each}", format::points(m.points)));
    }
    parts.extend(m.effects.iter().map(|e| e.label().to_string()));
    parts.join(", ")
}

async fn header(
    state: &AppState,
    prog: &Program,
    s: &Seminar,
    names: &BTreeMap<String, String>,
) -> UiResult<Header> {
    let store = &state.service.store;
    let coordinator = match store.partner_coordinator(&s.partner).await? {
        Some(id) => store.user(&id).await?.map(|u| u.name),
        None => None,
    };
    Ok(Header {
        id: s.id.clone(),
        title: prog.wf.seminar_title.clone(),
        program: prog.wf.name.clone(),
        partner_name: name_of(names, &s.partner),
        city: s.city.clone(),
        date_long: format::date_long(s.date),
        week: week_name(prog, &s.week),
        state_label: s.state.label().to_string(),
        state_tone: state_tone(s.state),
        venue: s.venue.clone(),
        info_support: s.info_support,
        ended: ended_state(s.state),
        applied_at: format::instant(prog, s.applied_at),
        coordinator,
    })
}

/// The seminar page's address: the message of a command just done, and the history's search
/// and page.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
    pub hq: Option<String>,
    pub hpage: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<DoneQuery>,
) -> UiResult {
    seminar_page(&state, &v, &id, Forms::new(), StatusCode::OK, &q).await
}
