//! The workflow file as written: every spelling the format allows, all new sections optional so
//! the flagship file reads unchanged. [`WorkflowFile::normalise`] turns it into the [`Workflow`]
//! the engine reads and reports the combinations the format forbids (a window section missing or
//! doubled, season-only fields in a rolling program, flat result fields in a by-kind program).

use super::*;
use crate::domain::validate::Problem;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowFile {
    #[serde(default)]
    pub subject: Subject,
    pub name: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default, alias = "item_title")]
    pub seminar_title: String,
    #[serde(default)]
    pub countries: Vec<String>,
    pub deadline_zone: String,
    #[serde(default)]
    pub deadline_zone_names: ZoneNames,
    #[serde(default)]
    pub item_noun: ItemNoun,
    pub calendar: String,
    #[serde(default)]
    pub seminars: Option<SeminarWindow>,
    #[serde(default)]
    pub events: Option<EventWindow>,
    #[serde(default)]
    pub applications: Option<ApplicationsFile>,
    #[serde(default)]
    pub slots: Option<Slots>,
    #[serde(default)]
    pub withdrawal: Withdrawal,
    #[serde(default)]
    pub reminders: Reminders,
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub penalties: Penalties,
    #[serde(default)]
    pub alerts: Vec<AlertFile>,
    #[serde(default)]
    pub exclusion: Exclusion,
    pub results: ResultsFile,
    #[serde(default)]
    pub ledgers: Ledgers,
    #[serde(default)]
    pub city_zones: BTreeMap<String, String>,
    #[serde(default)]
    pub duties: Vec<Duty>,
    #[serde(default)]
    pub kinds: Vec<Kind>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub lead_times: Vec<LeadTime>,
    #[serde(default)]
    pub audiences: Option<Audiences>,
    #[serde(default)]
    pub promotion: Option<Promotion>,
    #[serde(default)]
    pub rejections: Vec<Rejection>,
    #[serde(default)]
    pub support_refusals: Vec<Rejection>,
    #[serde(default)]
    pub evidence: BTreeMap<String, String>,
    #[serde(default)]
    pub partner_rules: PartnerRules,
    #[serde(default)]
    pub estimate: Option<EstimateForm>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationsFile {
    #[serde(default)]
    pub mode: Option<ApplicationMode>,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub group_working_days: Option<u32>,
    #[serde(default)]
    pub review_after_working_days: Option<u32>,
    #[serde(default)]
    pub priority: Option<Vec<Priority>>,
    #[serde(default)]
    pub refuse_barred: Option<bool>,
    #[serde(default)]
    pub refuse_on_or_after_event: Option<String>,
    #[serde(default)]
    pub lapse_at_event_date: Option<String>,
    #[serde(default)]
    pub refuse_suspended: Option<String>,
}

/// One `[[alerts]]` entry: a stage alert (`stage`, `kind`, `days_after_deadline`; `on = "stage"`
/// implied) or a waiting alert (`on`, `code`, `working_days`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertFile {
    #[serde(default)]
    pub on: Option<AlertOn>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub kind: Option<NotificationKind>,
    #[serde(default)]
    pub days_after_deadline: Option<u32>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub working_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AlertOn {
    Stage,
    Application,
    Report,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsFile {
    #[serde(default)]
    pub model: Option<ResultModel>,
    #[serde(default)]
    pub organizer_points: Option<i64>,
    #[serde(default)]
    pub compensation_cap: Option<Kopecks>,
    #[serde(default)]
    pub attendance_minimum: Option<u32>,
    #[serde(default)]
    pub attendance_minimum_by_city: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    pub below_minimum_factor: Option<Factor>,
    #[serde(default)]
    pub nothing_below: Option<u32>,
    #[serde(default)]
    pub third_party_free_companies: Option<u32>,
    #[serde(default)]
    pub third_party_reduction_per_company: Option<Factor>,
    #[serde(default)]
    pub co_organizers: CoOrganizers,
    #[serde(default)]
    pub credit_within_working_days: u32,
    #[serde(default)]
    pub points_floor: Option<i64>,
    #[serde(default)]
    pub estimate_missing: Option<String>,
    #[serde(default)]
    pub report_incomplete: Option<String>,
    #[serde(default)]
    pub points_out_of_range: Option<String>,
    #[serde(default)]
    pub overrides: Option<BTreeMap<String, Vec<OverrideField>>>,
    #[serde(default)]
    pub reductions: Option<Vec<Reduction>>,
    #[serde(default)]
    pub brackets: Option<Vec<BracketTable>>,
    #[serde(default)]
    pub range: Option<BTreeMap<String, RangeRule>>,
    #[serde(default)]
    pub fixed: Option<BTreeMap<String, BTreeMap<String, i64>>>,
    #[serde(default)]
    pub compensation: Option<BTreeMap<String, CompensationRule>>,
    #[serde(default)]
    pub materials: Option<Materials>,
}

/// Parses workflow text and normalises it; `id` is the file stem. Format errors come back as
/// serde's error (the caller knows the text and turns it into a problem with a line).
pub fn parse_normalised(
    text: &str,
    id: &str,
) -> Result<Result<Workflow, Vec<Problem>>, serde_path_to_error::Error<toml::de::Error>> {
    let peek: Peek = serde_path_to_error::deserialize(toml::Deserializer::new(text))?;
    let de = toml::Deserializer::new(text);
    if peek.subject != Subject::Partner {
        let file: WorkflowFile = serde_path_to_error::deserialize(de)?;
        return Ok(file.normalise(id));
    }
    if peek.seminars.is_some() || peek.events.is_some() || peek.stages.is_some() {
        return Ok(Err(vec![Problem::new(
            "subject",
            "для subject = \"partner\" разделы [seminars], [events] и [[stages]] не используются: \
             программа уровня партнёра описывается разделом [standing]",
        )]));
    }
    let file: PartnerFile = serde_path_to_error::deserialize(de)?;
    Ok(Ok(file.normalise(id)))
}

/// What decides how the rest of the file is read (other keys are ignored here).
#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    subject: Subject,
    #[serde(default)]
    seminars: Option<toml::Value>,
    #[serde(default)]
    events: Option<toml::Value>,
    #[serde(default)]
    stages: Option<toml::Value>,
}

/// Problems found while normalising.
#[derive(Default)]
pub(super) struct Found(Vec<Problem>);

impl Found {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(path, message));
    }
}

impl WorkflowFile {
    /// The workflow the engine reads, or every combination of sections the format forbids.
    ///
    /// # Errors
    /// The problems, each with its field path.
    pub fn normalise(self, id: &str) -> Result<Workflow, Vec<Problem>> {
        let mut found = Found::default();
        let seminars = window(&self.seminars, &self.events, &mut found);
        let rolling = self.events.is_some() && self.seminars.is_none();
        if rolling && self.slots.is_some() {
            found.add(
                "slots",
                "раздел [slots] только для программ с неделями ([seminars]), не для [events]",
            );
        }
        let applications = applications(self.applications, &seminars, rolling, &mut found);
        let (alerts, waiting_alerts) = alerts(self.alerts, &mut found);
        let results = results(self.results, &mut found);
        if !found.0.is_empty() {
            return Err(found.0);
        }
        Ok(Workflow {
            id: id.to_string(),
            subject: self.subject,
            name: self.name,
            vendor: self.vendor,
            seminar_title: self.seminar_title,
            countries: self.countries,
            deadline_zone: self.deadline_zone,
            deadline_zone_names: self.deadline_zone_names,
            item_noun: self.item_noun,
            calendar: self.calendar,
            seminars,
            events: if rolling { self.events } else { None },
            applications,
            slots: self.slots.unwrap_or_default(),
            withdrawal: self.withdrawal,
            reminders: self.reminders,
            stages: self.stages,
            penalties: self.penalties,
            alerts,
            waiting_alerts,
            exclusion: self.exclusion,
            results,
            ledgers: self.ledgers,
            city_zones: self.city_zones,
            duties: self.duties,
            kinds: self.kinds,
            topics: self.topics,
            lead_times: self.lead_times,
            audiences: self.audiences,
            promotion: self.promotion,
            rejections: self.rejections,
            support_refusals: self.support_refusals,
            evidence: self.evidence,
            partner_rules: self.partner_rules,
            estimate: self.estimate,
            standing: None,
        })
    }
}

/// Exactly one window section: the season (`[seminars]`) or the rolling `[events]`.
fn window(
    seminars: &Option<SeminarWindow>,
    events: &Option<EventWindow>,
    found: &mut Found,
) -> SeminarWindow {
    match (seminars, events) {
        (Some(s), None) => s.clone(),
        (None, Some(e)) => SeminarWindow {
            from: e.from,
            to: e.to,
            weeks: vec![],
        },
        (Some(s), Some(_)) => {
            found.add(
                "events",
                "у программы может быть только один период: [seminars] (недели) или [events]",
            );
            s.clone()
        }
        (None, None) => {
            found.add(
                "seminars",
                "не указан период программы: раздел [seminars] (недели) или [events]",
            );
            SeminarWindow {
                from: NaiveDate::MIN,
                to: NaiveDate::MIN,
                weeks: vec![],
            }
        }
    }
}

/// `[applications]`: the mode follows the window unless given; each mode's own fields only.
pub(super) fn applications(
    file: Option<ApplicationsFile>,
    window: &SeminarWindow,
    rolling: bool,
    found: &mut Found,
) -> Applications {
    let a = file.unwrap_or_default();
    let implied = if rolling {
        ApplicationMode::Rolling
    } else {
        ApplicationMode::SeasonGroups
    };
    let mode = a.mode.unwrap_or(implied);
    if mode != implied {
        found.add(
            "applications.mode",
            if rolling {
                "для периода [events] заявки принимаются по одной: mode = \"rolling\""
            } else {
                "для периода [seminars] заявки рассматриваются группами: mode = \"season_groups\""
            },
        );
    }
    match mode {
        ApplicationMode::SeasonGroups => season_only_fields(&a, found),
        ApplicationMode::Rolling => rolling_only_fields(&a, found),
    }
    Applications {
        from: a.from.unwrap_or(window.from),
        to: a.to.unwrap_or(window.to),
        group_working_days: a.group_working_days.unwrap_or(4),
        review_after_working_days: a.review_after_working_days.unwrap_or(1),
        priority: a
            .priority
            .unwrap_or_else(|| vec![Priority::Experienced, Priority::Earliest]),
        refuse_barred: a.refuse_barred.unwrap_or(true),
        mode,
        refuse_on_or_after_event: a.refuse_on_or_after_event,
        lapse_at_event_date: a.lapse_at_event_date,
        refuse_suspended: a.refuse_suspended,
    }
}

fn season_only_fields(a: &ApplicationsFile, found: &mut Found) {
    for (field, given) in [("from", a.from.is_some()), ("to", a.to.is_some())] {
        if !given {
            found.add(
                format!("applications.{field}"),
                "для mode = \"season_groups\" нужны даты приёма заявок from и to",
            );
        }
    }
    for (field, given) in [
        (
            "refuse_on_or_after_event",
            a.refuse_on_or_after_event.is_some(),
        ),
        ("lapse_at_event_date", a.lapse_at_event_date.is_some()),
    ] {
        if given {
            found.add(
                format!("applications.{field}"),
                "поле только для mode = \"rolling\"",
            );
        }
    }
}

fn rolling_only_fields(a: &ApplicationsFile, found: &mut Found) {
    for (field, given) in [
        ("group_working_days", a.group_working_days.is_some()),
        (
            "review_after_working_days",
            a.review_after_working_days.is_some(),
        ),
        ("priority", a.priority.is_some()),
    ] {
        if given {
            found.add(
                format!("applications.{field}"),
                "при mode = \"rolling\" заявки не собираются в группы: поле не используется",
            );
        }
    }
}

/// `[[alerts]]`: each entry is a stage alert or a waiting alert, with that form's fields only.
fn alerts(entries: Vec<AlertFile>, found: &mut Found) -> (Vec<Alert>, Vec<WaitingAlert>) {
    let (mut stage, mut waiting) = (vec![], vec![]);
    for (i, a) in entries.into_iter().enumerate() {
        let at = format!("alerts[{i}]");
        let on = a.on.unwrap_or(AlertOn::Stage);
        if on == AlertOn::Stage {
            for (f, given) in [
                ("code", a.code.is_some()),
                ("working_days", a.working_days.is_some()),
            ] {
                if given {
                    found.add(
                        format!("{at}.{f}"),
                        "поле только для on = \"application\" или \"report\"",
                    );
                }
            }
            match (a.stage, a.kind, a.days_after_deadline) {
                (Some(stage_id), Some(kind), Some(days)) => stage.push(Alert {
                    stage: stage_id,
                    kind,
                    days_after_deadline: days,
                }),
                _ => found.add(
                    at,
                    "оповещению по этапу нужны stage, kind и days_after_deadline",
                ),
            }
            continue;
        }
        for (f, given) in [
            ("stage", a.stage.is_some()),
            ("kind", a.kind.is_some()),
            ("days_after_deadline", a.days_after_deadline.is_some()),
        ] {
            if given {
                found.add(
                    format!("{at}.{f}"),
                    "поле только для оповещений по этапу (on = \"stage\")",
                );
            }
        }
        match (a.code, a.working_days) {
            (Some(code), Some(working_days)) => waiting.push(WaitingAlert {
                on: if on == AlertOn::Application {
                    Waiting::Application
                } else {
                    Waiting::Report
                },
                code,
                working_days,
                file_index: i,
            }),
            _ => found.add(at, "оповещению об ожидании нужны code и working_days"),
        }
    }
    (stage, waiting)
}

/// `[results]`: the model is given, or flat when `organizer_points` is (the flagship); each model
/// takes only its own fields.
pub(super) fn results(r: ResultsFile, found: &mut Found) -> Results {
    let model = r.model.unwrap_or(if r.organizer_points.is_some() {
        ResultModel::Flat
    } else {
        ResultModel::ByKind
    });
    model_fields(&r, model, found);
    Results {
        model,
        organizer_points: r.organizer_points.unwrap_or(0),
        compensation_cap: r.compensation_cap.unwrap_or_default(),
        attendance_minimum: r.attendance_minimum.unwrap_or(0),
        attendance_minimum_by_city: r.attendance_minimum_by_city.unwrap_or_default(),
        below_minimum_factor: r.below_minimum_factor.unwrap_or(Factor::ONE),
        nothing_below: r.nothing_below.unwrap_or(0),
        third_party_free_companies: r.third_party_free_companies.unwrap_or(0),
        third_party_reduction_per_company: r
            .third_party_reduction_per_company
            .unwrap_or(Factor::ZERO),
        co_organizers: r.co_organizers,
        credit_within_working_days: r.credit_within_working_days,
        by_kind: ByKind {
            points_floor: r.points_floor.unwrap_or(0),
            estimate_missing: r.estimate_missing,
            report_incomplete: r.report_incomplete,
            points_out_of_range: r.points_out_of_range,
            overrides: r.overrides.unwrap_or_default(),
            reductions: r.reductions.unwrap_or_default(),
            brackets: r.brackets.unwrap_or_default(),
            range: r.range.unwrap_or_default(),
            fixed: r.fixed.unwrap_or_default(),
            compensation: r.compensation.unwrap_or_default(),
            materials: r.materials,
        },
    }
}

/// The fields of the other model are refused; flat needs all of its own.
fn model_fields(r: &ResultsFile, model: ResultModel, found: &mut Found) {
    let flat_fields = [
        ("organizer_points", r.organizer_points.is_some()),
        ("compensation_cap", r.compensation_cap.is_some()),
        ("attendance_minimum", r.attendance_minimum.is_some()),
        ("below_minimum_factor", r.below_minimum_factor.is_some()),
        ("nothing_below", r.nothing_below.is_some()),
    ];
    let by_kind_fields = [
        ("points_floor", r.points_floor.is_some()),
        ("estimate_missing", r.estimate_missing.is_some()),
        ("report_incomplete", r.report_incomplete.is_some()),
        ("points_out_of_range", r.points_out_of_range.is_some()),
        ("overrides", r.overrides.is_some()),
        ("reductions", r.reductions.is_some()),
        ("brackets", r.brackets.is_some()),
        ("range", r.range.is_some()),
        ("fixed", r.fixed.is_some()),
        ("compensation", r.compensation.is_some()),
        ("materials", r.materials.is_some()),
    ];
    match model {
        ResultModel::Flat => {
            for (f, _) in flat_fields.iter().filter(|(_, g)| !g) {
                found.add(
                    format!("results.{f}"),
                    "не указано (нужно для model = \"flat\")",
                );
            }
            for (f, _) in by_kind_fields.iter().filter(|(_, g)| *g) {
                found.add(
                    format!("results.{f}"),
                    "поле только для model = \"by_kind\"",
                );
            }
        }
        ResultModel::ByKind => {
            let more_flat = [
                (
                    "attendance_minimum_by_city",
                    r.attendance_minimum_by_city.is_some(),
                ),
                (
                    "third_party_free_companies",
                    r.third_party_free_companies.is_some(),
                ),
                (
                    "third_party_reduction_per_company",
                    r.third_party_reduction_per_company.is_some(),
                ),
            ];
            for (f, _) in flat_fields.iter().chain(&more_flat).filter(|(_, g)| *g) {
                found.add(
                    format!("results.{f}"),
                    "поле модели flat: при model = \"by_kind\" не используется (скидки — в reductions)",
                );
            }
        }
    }
}
