//! Submitting a version of a stage: files (stored by the adapter while the request streams in),
//! links, a comment, for the estimate stage its lines, and for the report stage the figures.

use super::estimate::{estimate_lines, EstimateLineInput};
use super::input::{optional_text, parse_link, parse_money, parse_number};
use super::{run_command, visible_seminar, CommandError, CommandResult, Field, Invalid, Mistakes};
use crate::domain::items::brackets::Input;
use crate::domain::items::details::ItemReport;
use crate::domain::{CoOrganizer, Command, Kopecks, ReportFigures, Seminar};
use crate::http::api::files::{discard_if_unreferenced, UploadedFile};
use crate::http::auth::Auth;
use crate::http::error::ApiResult;
use crate::http::AppState;
use crate::sheets::attendees::{self, AttendeeList, Skipped};

/// Report figures as typed (all text: a form's fields, or a JSON number or string).
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub attendees: Option<String>,
    pub registrations: Option<String>,
    pub costs: Option<String>,
    pub third_party_companies: Option<String>,
    /// No longer taken: the estimate the coordinator approved sets the cap (a value is a
    /// mistake to correct, not silently dropped).
    pub estimate: Option<String>,
    pub co_organizers: Vec<CoOrganizerInput>,
    pub vendor_talks_by: Option<String>,
    /// Item programs: the evidence given and the fields the reductions read.
    pub item: ItemReportInput,
}

/// What an item program's report brings beyond the flagship's figures (decision 51).
#[derive(Debug, Clone, Default)]
pub struct ItemReportInput {
    /// Evidence given (`photos`, `announcement_link` …), as the kind's `report_requires` names it.
    pub evidence: Vec<String>,
    /// Report fields the reductions read (`paid`, `other_vendors` …): counts and flags.
    pub inputs: std::collections::BTreeMap<String, Input>,
    /// Documented cost of template leaflets, RUB.
    pub materials_costs: Option<String>,
    /// The product ledger of a mixed-topic item (`site`, `b24`).
    pub ledger: Option<String>,
    /// Co-organized items: the partners who gave the vendor-product talks.
    pub speakers: Vec<String>,
}

impl ItemReportInput {
    fn is_empty(&self) -> bool {
        self.evidence.is_empty()
            && self.inputs.is_empty()
            && self.materials_costs.is_none()
            && self.ledger.is_none()
            && self.speakers.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct CoOrganizerInput {
    pub partner: String,
    pub costs: Option<String>,
}

impl ReportInput {
    /// Whether any figure was given at all.
    fn given(&self) -> bool {
        [
            &self.attendees,
            &self.registrations,
            &self.costs,
            &self.third_party_companies,
            &self.estimate,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|t| !t.trim().is_empty()))
            || !self.co_organizers.is_empty()
            || !self.item.is_empty()
    }
}

/// A new version as sent.
#[derive(Debug, Clone, Default)]
pub struct SubmitRequest {
    pub comment: Option<String>,
    pub links: Vec<String>,
    /// Files already stored; a refused submission discards those no other version has.
    pub files: Vec<UploadedFile>,
    pub report: ReportInput,
    /// The estimate stage's lines.
    pub estimate: Vec<EstimateLineInput>,
    /// Why a file could not be stored, when the adapter read on to report every mistake.
    pub upload_error: Option<String>,
    /// The report's attendee list (XLSX, ODS or CSV), already stored: it is counted, fills in
    /// an empty attendee figure, and is kept with the version (partner and staff only).
    pub attendee_list: Option<UploadedFile>,
}

/// Who may submit: every user of the seminar's partner (limited rights too: they upload) and
/// staff. Checked before the adapter reads (and stores) anything of the body.
///
/// # Errors
/// 404 for a seminar the caller may not see.
pub async fn authorize_submit(state: &AppState, auth: &Auth, id: &str) -> ApiResult<Seminar> {
    visible_seminar(state, auth, id).await
}

/// Submits a version of `stage` of the seminar [`authorize_submit`] returned.
pub async fn submit_version(
    state: &AppState,
    auth: &Auth,
    seminar: &Seminar,
    stage: &str,
    req: SubmitRequest,
) -> CommandResult {
    let mut files = req.files.clone();
    files.extend(req.attendee_list.clone());
    let result = submit(state, auth, seminar, stage, req).await;
    if result.is_err() {
        // A refused submission keeps none of its uploads (unless another version has the
        // same bytes).
        for f in &files {
            discard_if_unreferenced(state, &f.sha256, &auth.actor()).await;
        }
    }
    result
}

async fn submit(
    state: &AppState,
    auth: &Auth,
    s: &Seminar,
    stage: &str,
    req: SubmitRequest,
) -> CommandResult {
    let prog = state.service.program(&s.program);
    let is_report = prog
        .and_then(|p| p.wf.stage(stage))
        .is_some_and(|st| st.report);
    let mut m = Mistakes::default();
    let estimate_form = prog.and_then(|p| p.wf.estimate_form(stage));
    let estimate = estimate_lines(estimate_form, &req.estimate, &mut m);
    if let Some(e) = &req.upload_error {
        m.add(Field::File, e.clone());
    }
    let links: Vec<String> = req
        .links
        .iter()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| m.take(parse_link(l)))
        .collect();
    let mut comment = optional_text(req.comment);
    let mut input = req.report.clone();
    if let Some(list) = &req.attendee_list {
        if let Some(counted) = m.take(count_attendees(state, list).await) {
            if optional_text(input.attendees.clone()).is_none() {
                input.attendees = Some(counted.count().to_string());
            }
            let summary = attendee_summary(&list.name, &counted);
            comment = Some(match comment {
                Some(c) => format!("{c}\n\n{summary}"),
                None => summary,
            });
        }
    }
    let mut report = if is_report || input.given() || req.attendee_list.is_some() {
        report_figures(state, &input, &mut m).await?
    } else {
        None
    };
    if let Some(r) = report.as_mut().filter(|_| !s.item.is_flagship()) {
        organizers_part(s, &input, r, &mut m);
    }
    let nothing = req.files.is_empty()
        && req.attendee_list.is_none()
        && links.is_empty()
        && comment.is_none()
        && estimate_form.is_none();
    if !is_report && nothing && m.is_empty() {
        m.add(
            Field::File,
            "Приложите файл, дайте ссылку или напишите текст в комментарии.",
        );
    }
    m.check()?;
    let mut refs: Vec<String> = req
        .files
        .iter()
        .chain(req.attendee_list.iter())
        .map(|f| format!("{}:{}", f.sha256, f.name))
        .collect();
    refs.extend(links);
    let cmd = Command::Submit {
        seminar: s.id.clone(),
        stage: stage.into(),
        report,
        estimate,
        files: refs,
        comment,
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

/// Reads and counts a stored attendee list.
async fn count_attendees(state: &AppState, f: &UploadedFile) -> Result<AttendeeList, Invalid> {
    let invalid = |message: String| Invalid {
        field: Field::AttendeeList,
        message,
    };
    let path = state.config.files_dir().join(&f.sha256);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| invalid(format!("Файл «{}» не прочитан: {e}", f.name)))?;
    let name = f.name.clone();
    tokio::task::spawn_blocking(move || attendees::read(&name, &bytes))
        .await
        .map_err(|e| invalid(format!("Файл «{}» не прочитан: {e}", f.name)))?
        .map_err(|e| invalid(super::input::capitalize(&e.to_string())))
}

/// What the list holds, for the version's comment (counts and row numbers, no personal data).
fn attendee_summary(file: &str, list: &AttendeeList) -> String {
    let mut s = format!(
        "Список участников «{file}»: {} с именем и телефоном или e-mail.",
        crate::text::plural(
            i64::try_from(list.count()).unwrap_or(i64::MAX),
            "участник",
            "участника",
            "участников"
        )
    );
    if !list.skipped.is_empty() {
        let rows: Vec<String> = list
            .skipped
            .iter()
            .take(20)
            .map(Skipped::describe)
            .collect();
        s.push_str(&format!(" Не засчитаны: {}", rows.join("; ")));
        if list.skipped.len() > 20 {
            s.push_str(&format!(" и ещё {}", list.skipped.len() - 20));
        }
        s.push('.');
    }
    s
}

fn required(field: Field, v: &Option<String>) -> Result<String, Invalid> {
    optional_text(v.clone()).ok_or_else(|| Invalid {
        field,
        message: format!("{}: обязательное поле отчёта.", field.label()),
    })
}

/// The report's figures, each mistake noted; `None` when one is missing or wrong.
async fn report_figures(
    state: &AppState,
    r: &ReportInput,
    m: &mut Mistakes,
) -> Result<Option<ReportFigures>, CommandError> {
    let mut number = |field: Field, v: &Option<String>, needed: bool| -> Option<u32> {
        match optional_text(v.clone()) {
            None if needed => {
                m.take(required(field, v));
                None
            }
            None => Some(0),
            Some(t) => m.take(parse_number(field, &t)),
        }
    };
    let attendees = number(Field::Attendees, &r.attendees, true);
    let registrations = number(Field::Registrations, &r.registrations, true);
    let third = number(Field::ThirdPartyCompanies, &r.third_party_companies, false);
    let costs = m
        .take(required(Field::Costs, &r.costs))
        .and_then(|t| m.take(parse_money(Field::Costs, &t)));
    if optional_text(r.estimate.clone()).is_some() {
        m.add(
            Field::Estimate,
            "Сумму сметы указывать не нужно: компенсация ограничена сметой, которую координатор согласовал на этапе сметы.",
        );
    }
    let mut co_organizers = Vec::with_capacity(r.co_organizers.len());
    for c in &r.co_organizers {
        if state.service.store.partner(&c.partner).await?.is_none() {
            m.add(
                Field::CoOrganizers,
                format!("Соорганизатор «{}» не найден среди партнёров.", c.partner),
            );
        }
        let share = match optional_text(c.costs.clone()) {
            Some(t) => m.take(parse_money(Field::CoOrganizers, &t)),
            None => {
                m.add(
                    Field::CoOrganizers,
                    format!("Соорганизатор «{}»: укажите его расходы.", c.partner),
                );
                None
            }
        };
        if let Some(costs) = share {
            co_organizers.push(CoOrganizer {
                partner: c.partner.clone(),
                costs,
            });
        }
    }
    let item = item_report(&r.item, m);
    let (Some(attendees), Some(registrations), Some(third), Some(costs)) =
        (attendees, registrations, third, costs)
    else {
        return Ok(None);
    };
    Ok(Some(ReportFigures {
        attendees,
        registrations,
        costs,
        third_party_companies: third,
        estimate: None,
        co_organizers,
        vendor_talks_by: optional_text(r.vendor_talks_by.clone()),
        item,
    }))
}

/// A co-organized item (E§4.14): each organizer's documented costs (the lead partner's are what
/// the others' leave of `costs`) and the speakers, checked against the organizers announced.
fn organizers_part(s: &Seminar, input: &ReportInput, r: &mut ReportFigures, m: &mut Mistakes) {
    let announced = |p: &str| p == s.partner || s.item.co_organizers.iter().any(|c| c == p);
    let mut others = Kopecks::ZERO;
    for c in &r.co_organizers {
        if !announced(&c.partner) {
            m.add(
                Field::CoOrganizers,
                format!("«{}» не указан соорганизатором в заявке.", c.partner),
            );
        }
        others = Kopecks(others.0.saturating_add(c.costs.0));
        r.item.costs_by_partner.insert(c.partner.clone(), c.costs);
    }
    if !r.co_organizers.is_empty() {
        match (r.costs.0 >= others.0).then(|| r.costs.saturating_sub(others)) {
            Some(own) => {
                r.item.costs_by_partner.insert(s.partner.clone(), own);
            }
            None => m.add(
                Field::CoOrganizers,
                format!(
                    "Расходы соорганизаторов ({} руб.) больше расходов в отчёте ({} руб.).",
                    others, r.costs
                ),
            ),
        }
    }
    for sp in input.item.speakers.iter().map(|x| x.trim()) {
        if sp.is_empty() {
            continue;
        }
        if announced(sp) {
            r.item.speakers.push(sp.to_string());
        } else {
            m.add(
                Field::CoOrganizers,
                format!("Докладчик «{sp}» не организатор мероприятия."),
            );
        }
    }
}

/// The item part of the report: evidence names and input names trimmed, the leaflet cost parsed.
fn item_report(r: &ItemReportInput, m: &mut Mistakes) -> ItemReport {
    let mut evidence: Vec<String> = r
        .evidence
        .iter()
        .filter_map(|e| optional_text(Some(e.clone())))
        .collect();
    evidence.dedup();
    ItemReport {
        inputs: r
            .inputs
            .iter()
            .filter_map(|(k, v)| optional_text(Some(k.clone())).map(|k| (k, *v)))
            .collect(),
        materials_costs: optional_text(r.materials_costs.clone())
            .and_then(|t| m.take(parse_money(Field::MaterialsCosts, &t))),
        ledger: optional_text(r.ledger.clone()),
        evidence,
        // Co-organizers' costs and the speakers are set by `organizers_part`.
        ..ItemReport::default()
    }
}
