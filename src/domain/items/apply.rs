//! Rolling applications of an item program (design §6 B1): `apply` checks the kind, topic and
//! city rule, the `[events]` window, the partner's support, the event date, rewards, audiences,
//! article requirements and lead times; `approve` fixes the agreed amounts; `reject` takes a
//! code of `[[rejections]]`. Every code a partner reads comes from the workflow file; Rust
//! knows only the generic engine codes (`invalid_input`, `invalid_state` …).

use super::details::{Agreed, Consequence, ItemDetails};
use crate::domain::deadline::local_date;
use crate::domain::money::Kopecks;
use crate::domain::program::{
    refuse, refuse_by_rule, refuse_if_barred, DomainError, Program, RefusalCode,
};
use crate::domain::rules::ru_date;
use crate::domain::seminar::{
    Event, EventKind, Notification, NotificationKind, Outcome, Partner, Recipient, ReportFigures,
    Seminar, SeminarState, StageProgress, StageStatus, Version,
};
use crate::domain::workflow::{
    CityRule, Effect, InfoSupport, Kind, KindRequirements, LeadRequirement, ShortLead, Workflow,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a partner gives when announcing an item of a rolling program.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemApplication {
    pub kind: String,
    /// Absent: the kind's first topic.
    pub topic: Option<String>,
    pub city: String,
    pub date: NaiveDate,
    /// Last day of a multi-day item (kinds with `end_date = true`).
    pub end_date: Option<NaiveDate>,
    /// Absent: the kind's default (`default_on` asks for it).
    pub info_support: Option<bool>,
    /// `none` (default), `send` or `print`.
    pub materials: Option<String>,
    /// Absent: `[audiences] default`.
    pub audience: Option<String>,
    pub repeat_of: Option<String>,
    /// Other partners organizing the item too (partner ids), as announced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub co_organizers: Vec<String>,
    /// The published article, for kinds with `requirements`.
    pub article: Option<ArticleFacts>,
    /// The estimate applied for (RUB; the area plus fee for exhibitions): agreed as it is
    /// unless the approval names another.
    pub estimate: Option<Kopecks>,
    /// The leaflet cost applied for (`materials = "print"`).
    pub materials_cost: Option<Kopecks>,
}

/// An article's facts checked against `[kinds.requirements]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArticleFacts {
    pub chars: u32,
    pub vendor_share_pct: u32,
    pub circulation: u32,
    pub daily_views: u32,
    pub reprint: bool,
}

/// The applying partner and whether its marketing support is suspended.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    pub partner: &'a Partner,
    pub support_suspended: bool,
}

/// The materials value that asks the vendor to send leaflets.
pub const MATERIALS_SEND: &str = "send";

/// Decides the application `app` for item `id` arriving at `now`.
///
/// # Errors
/// `invalid_input` for an unknown kind or topic or a broken city rule, `date_outside_program`,
/// and the file's codes: suspended support, on/after the event, rewards, audiences, article
/// requirements, a lead time with `on_short = "refuse"`.
pub fn apply(
    prog: &Program,
    id: &str,
    who: Applicant,
    app: &ItemApplication,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let wf = &prog.wf;
    let (kind, topic) = kind_and_topic(wf, app)?;
    check_shape(kind, app)?;
    check_partner(wf, who)?;
    let arrival = local_date(prog.tz, now);
    check_timing(wf, kind, app, arrival)?;
    if let Some(code) = kind.reward.get(&topic) {
        return refuse_by_rule(
            code,
            format!("«{}» по этой теме не вознаграждается", kind.name),
        );
    }
    let audience = audience(wf, app)?;
    if let (Some(req), false) = (&kind.requirements, kind.preapproval) {
        check_article(req, app.article.unwrap_or_default())?;
    }
    let mut item = ItemDetails {
        kind: kind.id.clone(),
        topic,
        end_date: app.end_date,
        audience,
        materials: app.materials.clone().unwrap_or_else(|| "none".into()),
        info_support_requested: wants_info_support(kind, app.info_support),
        repeat_of: app.repeat_of.clone(),
        agreed: Agreed {
            estimate: app.estimate,
            materials_cost: app.materials_cost,
            compensation: None,
        },
        co_organizers: app.co_organizers.clone(),
        ..ItemDetails::default()
    };
    item.consequences = lead_consequences(wf, &item, app.date - arrival, now)?;
    let s = new_item(wf, kind, id, who.partner, app, item, now);
    let mut out = Outcome::default();
    consequence_events(&s, &s.item.consequences, "system", &mut out);
    out.seminars.push(s);
    Ok(out)
}

/// The kind and topic named, or the kind's first topic.
fn kind_and_topic<'w>(
    wf: &'w Workflow,
    app: &ItemApplication,
) -> Result<(&'w Kind, String), DomainError> {
    let Some(kind) = wf.kinds.iter().find(|k| k.id == app.kind) else {
        return refuse(
            RefusalCode::InvalidInput,
            format!("неизвестный вид мероприятия «{}»", app.kind),
        );
    };
    let topic = match &app.topic {
        Some(t) if kind.topics.contains(t) => t.clone(),
        Some(t) => {
            return refuse(
                RefusalCode::InvalidInput,
                format!("тема «{t}» не предусмотрена для вида «{}»", kind.name),
            )
        }
        None => kind.topics.first().cloned().unwrap_or_default(),
    };
    Ok((kind, topic))
}

/// The city rule and the end date of the kind.
fn check_shape(kind: &Kind, app: &ItemApplication) -> Result<(), DomainError> {
    let city = app.city.trim();
    match kind.city {
        CityRule::Required if city.is_empty() => {
            return refuse(RefusalCode::InvalidInput, "не указан город");
        }
        CityRule::None if !city.is_empty() => {
            return refuse(
                RefusalCode::InvalidInput,
                format!("у вида «{}» нет города: оставьте поле пустым", kind.name),
            );
        }
        _ => {}
    }
    if let Some(end) = app.end_date {
        if !kind.end_date {
            return refuse(
                RefusalCode::InvalidInput,
                format!(
                    "«{}» проходит в один день: дата окончания не нужна",
                    kind.name
                ),
            );
        }
        if end < app.date {
            return refuse(
                RefusalCode::InvalidInput,
                "дата окончания раньше даты начала",
            );
        }
    }
    if let Some(m) = &app.materials {
        if !["none", MATERIALS_SEND, "print"].contains(&m.as_str()) {
            return refuse(
                RefusalCode::InvalidInput,
                format!("неизвестный способ получения материалов «{m}»"),
            );
        }
    }
    Ok(())
}

/// A partner whose support is suspended (or barred, where the file says so) cannot apply.
fn check_partner(wf: &Workflow, who: Applicant) -> Result<(), DomainError> {
    if who.support_suspended {
        if let Some(code) = &wf.applications.refuse_suspended {
            return refuse_by_rule(
                code,
                "маркетинговая поддержка партнёра приостановлена: заявки не принимаются",
            );
        }
    }
    refuse_if_barred(wf, who.partner.barred)
}

/// The `[events]` window, and the event date against the date the application arrived: an
/// item needing pre-approval must be announced before its day; a claim after the fact (an
/// article) cannot be about the future.
fn check_timing(
    wf: &Workflow,
    kind: &Kind,
    app: &ItemApplication,
    arrival: NaiveDate,
) -> Result<(), DomainError> {
    if let Some(w) = &wf.events {
        let last = app.end_date.unwrap_or(app.date);
        if app.date < w.from || last > w.to {
            return refuse(
                RefusalCode::DateOutsideProgram,
                format!(
                    "мероприятия программы проходят с {} по {}",
                    ru_date(w.from),
                    ru_date(w.to)
                ),
            );
        }
    }
    if kind.preapproval && arrival >= app.date {
        if let Some(code) = &wf.applications.refuse_on_or_after_event {
            return refuse_by_rule(
                code,
                format!(
                    "заявку нужно подать до дня мероприятия ({}): согласовать его заранее уже нельзя",
                    ru_date(app.date)
                ),
            );
        }
    }
    if !kind.preapproval && app.date > arrival {
        return refuse(
            RefusalCode::InvalidInput,
            format!(
                "«{}» заявляется после публикации: дата не может быть в будущем",
                kind.name
            ),
        );
    }
    Ok(())
}

/// The audience given (or the default); a refused audience refuses the application.
fn audience(wf: &Workflow, app: &ItemApplication) -> Result<String, DomainError> {
    let Some(a) = &wf.audiences else {
        return Ok(app.audience.clone().unwrap_or_default());
    };
    let audience = app
        .audience
        .clone()
        .or_else(|| a.default.clone())
        .unwrap_or_default();
    if let Some(code) = a.refuse.get(&audience) {
        let name = |id: &str| a.names.get(id).cloned().unwrap_or_else(|| id.to_string());
        let mut msg = format!(
            "программа не принимает мероприятия для аудитории «{}»",
            name(&audience)
        );
        if let Some(d) = &a.default {
            msg.push_str(&format!(
                ": мероприятие должно быть рассчитано на аудиторию «{}»",
                name(d)
            ));
        }
        return refuse_by_rule(code, msg);
    }
    Ok(audience)
}

/// Every condition of `req` the article meets, or the file's refusal naming the first unmet.
fn check_article(req: &KindRequirements, a: ArticleFacts) -> Result<(), DomainError> {
    let mut unmet = Vec::new();
    if req.chars_more_than.is_some_and(|n| a.chars <= n) {
        unmet.push(format!(
            "объём более {} знаков",
            req.chars_more_than.unwrap_or(0)
        ));
    }
    if req
        .vendor_share_more_than_pct
        .is_some_and(|n| a.vendor_share_pct <= n)
    {
        unmet.push(format!(
            "более {} % текста о продуктах вендора",
            req.vendor_share_more_than_pct.unwrap_or(0)
        ));
    }
    let reach = match (req.min_circulation, req.min_daily_views) {
        (None, None) => true,
        (c, v) => c.is_some_and(|c| a.circulation >= c) || v.is_some_and(|v| a.daily_views >= v),
    };
    if !reach {
        unmet.push("тираж или посещаемость издания не ниже требуемых".into());
    }
    if req.reprint == Some(false) && a.reprint {
        unmet.push("не перепечатка".into());
    }
    if unmet.is_empty() {
        return Ok(());
    }
    refuse_by_rule(
        &req.refuse,
        format!("статья не отвечает требованиям: {}", unmet.join("; ")),
    )
}

/// Whether the partner asks for information support (a kind with `never` cannot have it).
pub fn wants_info_support(kind: &Kind, asked: Option<bool>) -> bool {
    match kind.info_support {
        InfoSupport::Never => false,
        InfoSupport::DefaultOn => asked.unwrap_or(true),
        InfoSupport::DefaultOff => asked.unwrap_or(false),
    }
}

/// The lead-time consequences of an application `lead` days before its event, or the refusal
/// of a lead time with `on_short = "refuse"`. A lead time applies only to the support asked for.
pub fn lead_consequences(
    wf: &Workflow,
    item: &ItemDetails,
    lead: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Consequence>, DomainError> {
    let mut v = Vec::new();
    for lt in &wf.lead_times {
        let asked = match lt.requires {
            LeadRequirement::InfoSupport => item.info_support_requested,
            LeadRequirement::MaterialsSend => item.materials == MATERIALS_SEND,
        };
        if !asked || lead.num_days() >= i64::from(lt.min_days) {
            continue;
        }
        if lt.on_short == ShortLead::Refuse {
            return refuse_by_rule(
                &lt.code,
                format!(
                    "заявка подана за {} дн. до мероприятия, а нужно не менее чем за {}",
                    lead.num_days(),
                    lt.min_days
                ),
            );
        }
        v.push(Consequence::new(&lt.code, lt.effects.clone(), now));
    }
    Ok(v)
}

/// The applied item: pending, or held at once for a kind claimed after the fact.
fn new_item(
    wf: &Workflow,
    kind: &Kind,
    id: &str,
    partner: &Partner,
    app: &ItemApplication,
    item: ItemDetails,
    now: DateTime<Utc>,
) -> Seminar {
    let stages = wf
        .stages
        .iter()
        .filter(|st| kind.stages.as_ref().is_none_or(|ks| ks.contains(&st.id)))
        .map(|st| {
            let claimed = st.report && kind.claim_is_report;
            let progress = if claimed {
                claim_as_report(app.date, now)
            } else {
                StageProgress::new()
            };
            (st.id.clone(), progress)
        })
        .collect();
    let report = kind.claim_is_report.then(ReportFigures::default);
    let (state, decided_at) = if kind.preapproval {
        (SeminarState::Applied, None)
    } else {
        (SeminarState::Held, Some(now))
    };
    Seminar {
        id: id.into(),
        program: wf.id.clone(),
        partner: partner.id.clone(),
        city: app.city.trim().into(),
        date: app.date,
        week: String::new(),
        state,
        applied_at: now,
        decided_at,
        info_support: item.info_support(),
        coordinator: None,
        venue: None,
        stages,
        penalties: vec![],
        voided: Kopecks::ZERO,
        report,
        estimate: None,
        result: None,
        item,
        version: 0,
    }
}

/// The report stage of a kind whose claim is its report (articles, E§4.12): submitted with
/// the claim, on time, waiting for the coordinator's acceptance.
fn claim_as_report(date: NaiveDate, now: DateTime<Utc>) -> StageProgress {
    let mut p = StageProgress::new();
    p.versions.push(Version {
        number: 1,
        round: 0,
        submitted_at: now,
        deadline: date,
        days_late: 0,
        files: vec![],
        comment: None,
        estimate: vec![],
        decision: None,
    });
    p.status = StageStatus::Submitted;
    p
}

/// What the coordinator fixes when approving an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalTerms {
    pub agreed: Agreed,
    /// Overrides the partner's request for information support.
    pub info_support: Option<bool>,
    /// The reason the coordinator gives for refusing support (`info_support = false`), e.g.
    /// `technical_audience` (events-000 §4.5 item 3): booked as a consequence of the item.
    pub code: Option<String>,
}

/// A reason for refusing information support must be one of the file's `[[support_refusals]]`
/// and comes with `info_support = false`.
fn check_refusal_code(wf: &Workflow, terms: &ApprovalTerms) -> Result<(), DomainError> {
    let Some(code) = &terms.code else {
        return Ok(());
    };
    if !wf.support_refusals.iter().any(|r| &r.code == code) {
        let known: Vec<String> = wf
            .support_refusals
            .iter()
            .map(|r| format!("{} ({})", r.code, r.name))
            .collect();
        let known = if known.is_empty() {
            "в программе их нет".to_string()
        } else {
            format!("есть: {}", known.join("; "))
        };
        return refuse(
            RefusalCode::InvalidInput,
            format!("code: причина отказа в информационной поддержке «{code}» не предусмотрена программой; {known}"),
        );
    }
    if terms.info_support != Some(false) {
        return refuse(
            RefusalCode::InvalidInput,
            "code: причина отказа указывается вместе с отказом в информационной поддержке (info_support = false)",
        );
    }
    Ok(())
}

/// Approves pending item `s` with the agreed amounts. The repeat gap is checked here against
/// the referenced item (`earlier`): design C13.
///
/// # Errors
/// `invalid_state` unless the item is pending.
pub fn approve(
    prog: &Program,
    mut s: Seminar,
    terms: &ApprovalTerms,
    earlier: Option<&Seminar>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    if s.state != SeminarState::Applied {
        return refuse(RefusalCode::InvalidState, "заявка уже рассмотрена");
    }
    check_refusal_code(&prog.wf, terms)?;
    let mut out = Outcome::default();
    s.state = SeminarState::Preparing;
    s.decided_at = Some(now);
    // What the approval leaves out stays as applied for (E Part 2 `approve_application`).
    let asked = std::mem::take(&mut s.item.agreed);
    s.item.agreed = Agreed {
        estimate: terms.agreed.estimate.or(asked.estimate),
        materials_cost: terms.agreed.materials_cost.or(asked.materials_cost),
        compensation: terms.agreed.compensation.or(asked.compensation),
    };
    let had_support = s.item.info_support_requested;
    if let Some(on) = terms.info_support {
        let kind = prog.wf.kinds.iter().find(|k| k.id == s.item.kind);
        s.item.info_support_requested = kind.is_some_and(|k| wants_info_support(k, Some(on)));
    }
    let before = s.item.consequences.len();
    if let (Some(code), true, Some(false)) = (&terms.code, had_support, terms.info_support) {
        s.item
            .consequences
            .push(Consequence::new(code, vec![Effect::NoInfoSupport], now));
    }
    // First cause only (design C9): a later cause is not booked once support is lost.
    if let Some(c) = super::promotion::repeat_consequence(&prog.wf, &s, earlier, now) {
        s.item.consequences.push(c);
    }
    if s.item.info_support() {
        if let Some(c) = super::promotion::blackout_consequence(&prog.wf, &s, now) {
            s.item.consequences.push(c);
        }
    }
    s.info_support = s.item.info_support();
    let new: Vec<Consequence> = s.item.consequences[before..].to_vec();
    consequence_events(&s, &new, actor, &mut out);
    out.notifications.push(Notification {
        key: format!("{}:application_approved", s.id),
        kind: NotificationKind::ApplicationApproved,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: None,
        at: now,
        data: json!({ "city": s.city, "date": s.date, "kind": s.item.kind,
                      "codes": s.item.consequences.iter().map(|c| &c.code).collect::<Vec<_>>() }),
    });
    out.events.push(Event {
        at: now,
        actor: actor.into(),
        kind: EventKind::ApplicationApproved.to_string(),
        seminar: Some(s.id.clone()),
        data: json!({ "agreed": s.item.agreed }),
    });
    out.seminars.push(s);
    Ok(out)
}

/// Rejects pending item `s` with `code`: a `[[rejections]]` code, or the lapse code of
/// `[applications]` (the scheduler's rejection at 00:00 of the event date).
///
/// # Errors
/// `invalid_input` for a code the file does not name, `invalid_state` unless pending.
pub fn reject(
    prog: &Program,
    mut s: Seminar,
    code: &str,
    comment: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    let wf = &prog.wf;
    let named = wf.rejections.iter().find(|r| r.code == code);
    let lapse = wf.applications.lapse_at_event_date.as_deref() == Some(code);
    if named.is_none() && !lapse {
        return refuse(
            RefusalCode::InvalidInput,
            format!("неизвестная причина отклонения «{code}»"),
        );
    }
    if s.state != SeminarState::Applied {
        return refuse(RefusalCode::InvalidState, "заявка уже рассмотрена");
    }
    let reason = named
        .map(|r| r.name.clone())
        .unwrap_or_else(|| "заявка не была согласована до дня мероприятия".to_string());
    s.state = SeminarState::Rejected;
    s.decided_at = Some(now);
    s.item.rejection = Some(code.to_string());
    // A rejected (or lapsed) event is never promoted (events-000 Part 2: `info_support` is
    // false for an event never shown).
    s.info_support = false;
    let mut out = Outcome::default();
    out.events.push(Event {
        at: now,
        actor: actor.into(),
        kind: EventKind::ApplicationRejected.to_string(),
        seminar: Some(s.id.clone()),
        data: json!({ "reason": code, "comment": comment }),
    });
    out.notifications.push(Notification {
        key: format!("{}:application_rejected", s.id),
        kind: NotificationKind::ApplicationRejected,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: None,
        at: now,
        data: json!({ "reason": code, "message": reason, "comment": comment, "codes": [code] }),
    });
    out.seminars.push(s);
    Ok(out)
}

/// One audit event per consequence booked on `s`.
pub fn consequence_events(s: &Seminar, new: &[Consequence], actor: &str, out: &mut Outcome) {
    for c in new {
        out.events.push(Event {
            at: c.at,
            actor: actor.into(),
            kind: EventKind::ConsequenceBooked.to_string(),
            seminar: Some(s.id.clone()),
            data: json!({ "code": c.code, "effects": c.effects, "from": c.from }),
        });
    }
}
