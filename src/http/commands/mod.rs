//! The seminar commands people run, decided once for the JSON API (`api::seminars`) and the
//! pages (`ui::actions`): who may run each one, how its input is read and checked (report
//! figures, links, due dates, violation notes and counts), and the Russian message for each
//! mistake. The handlers are adapters: JSON or a form in, a typed request here, and the answer
//! out — a status with `{"error": {…, "field"}}` for the API, the page again with the message
//! next to the field for a form.
//!
//! Rules chosen where the two paths used to differ are numbered in `docs/decisions.md`
//! ("One command layer").

mod apply;
mod estimate;
mod event;
mod input;
mod submit;

pub use apply::{apply, ApplyRequest};
pub use estimate::{
    estimate_lines_from_fields, EstimateLineInput, MAX_LINES as MAX_ESTIMATE_LINES,
};
pub use event::{announce, decide_event, EventDecision, EventRequest};
pub use input::{capitalize, loose};
pub use submit::{
    authorize_submit, submit_version, CoOrganizerInput, ItemReportInput, ReportInput, SubmitRequest,
};

use crate::accounts::Rights;
use crate::domain::{Command, Outcome, Seminar};
use crate::http::auth::Auth;
use crate::http::error::{ApiError, ApiResult};
use crate::http::AppState;
use chrono::NaiveDate;
use input::{parse_count, parse_date, parse_money, required_text};

/// An input field of a command, named once for both adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Decision,
    Comment,
    Links,
    File,
    Attendees,
    AttendeeList,
    Registrations,
    Costs,
    ThirdPartyCompanies,
    /// The report's estimate total, no longer taken (the approved estimate sets the cap).
    Estimate,
    /// The estimate stage's lines as a whole.
    EstimateLines,
    /// A part of the estimate line at this 0-based index.
    EstimateLine(u16, LinePart),
    CoOrganizers,
    VendorTalksBy,
    Due,
    Code,
    Count,
    Cost,
    Note,
    Venue,
    /// The page's "I understand the consequences" box of a withdrawal.
    Confirm,
    Partner,
    Seminar,
    City,
    Date,
    /// An event's kind (item programs).
    Kind,
    /// An event's topic.
    Topic,
    /// The last day of a multi-day event.
    EndDate,
    /// How leaflets reach the event (`none`, `send`, `print`).
    Materials,
    /// Other partners organizing the event.
    Partners,
    /// The `[[rejections]]` code of a refused event application.
    Rejection,
    /// An amount agreed at approval (estimate, leaflets, compensation).
    Agreed,
    /// The documented cost of template leaflets in an item's report.
    MaterialsCosts,
}

impl Field {
    /// The field's path in the JSON API's body (what the API's error names).
    pub fn api(self) -> &'static str {
        match self {
            Field::Decision => "decision",
            Field::Comment => "comment",
            Field::Links => "links",
            Field::File => "file",
            Field::Attendees => "report.attendees",
            Field::AttendeeList => "report.attendee_list",
            Field::Registrations => "report.registrations",
            Field::Costs => "report.costs",
            Field::ThirdPartyCompanies => "report.third_party_companies",
            Field::Estimate => "report.estimate",
            Field::EstimateLines | Field::EstimateLine(..) => "estimate",
            Field::CoOrganizers => "report.co_organizers",
            Field::VendorTalksBy => "report.vendor_talks_by",
            Field::Due => "due",
            Field::Code => "code",
            Field::Count => "count",
            Field::Cost => "cost",
            Field::Note => "note",
            Field::Venue => "venue",
            Field::Confirm => "confirm",
            Field::Partner => "partner",
            Field::Seminar => "seminar",
            Field::City => "city",
            Field::Date => "date",
            Field::Kind => "kind",
            Field::Topic => "topic",
            Field::EndDate => "end_date",
            Field::Materials => "materials",
            Field::Partners => "co_organizers",
            Field::Rejection => "code",
            Field::Agreed => "estimate",
            Field::MaterialsCosts => "report.materials_costs",
        }
    }

    /// The name of the page form's input (the message is shown next to it).
    pub fn form(self) -> &'static str {
        match self {
            Field::Links => "link",
            other => other.api().trim_start_matches("report."),
        }
    }

    /// The field's full path in the JSON API's body: [`Field::api`], with the line of an
    /// estimate (`estimate[1].amount`).
    pub fn path(self) -> String {
        match self {
            Field::EstimateLine(i, part) => format!("estimate[{i}].{}", part.name()),
            other => other.api().to_string(),
        }
    }

    /// The page form's input name: [`Field::form`], with the row of an estimate
    /// (`estimate_2_amount`, rows numbered from 1 as the page shows them).
    pub fn input(self) -> String {
        match self {
            Field::EstimateLine(i, part) => format!("estimate_{}_{}", i + 1, part.name()),
            other => other.form().to_string(),
        }
    }

    /// The field as the person filling in the form calls it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Decision => "Решение",
            Field::Comment => "Комментарий",
            Field::Links => "Ссылка",
            Field::File => "Файл",
            Field::Attendees => "Участники",
            Field::AttendeeList => "Список участников",
            Field::Registrations => "Регистрации",
            Field::Costs => "Расходы",
            Field::ThirdPartyCompanies => "Сторонние компании",
            Field::Estimate => "Сумма сметы",
            Field::EstimateLines | Field::EstimateLine(..) => "Смета",
            Field::CoOrganizers => "Соорганизаторы",
            Field::VendorTalksBy => "Доклады о продуктах",
            Field::Due => "Срок",
            Field::Code => "Нарушение",
            Field::Count => "Количество",
            Field::Cost => "Стоимость",
            Field::Note => "Описание нарушения",
            Field::Venue => "Место проведения",
            Field::Confirm => "Подтверждение",
            Field::Partner => "Партнёр",
            Field::Seminar => "Номер семинара",
            Field::City => "Город",
            Field::Date => "Дата семинара",
            Field::Kind => "Вид мероприятия",
            Field::Topic => "Тема",
            Field::EndDate => "Дата окончания",
            Field::Materials => "Материалы",
            Field::Partners => "Соорганизаторы",
            Field::Rejection => "Причина отказа",
            Field::Agreed => "Согласованная сумма",
            Field::MaterialsCosts => "Расходы на листовки",
        }
    }
}

/// A part of an estimate line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinePart {
    Category,
    Description,
    Amount,
}

impl LinePart {
    pub fn name(self) -> &'static str {
        match self {
            LinePart::Category => "category",
            LinePart::Description => "description",
            LinePart::Amount => "amount",
        }
    }
}

/// A value a person can correct: the field and what is wrong, in Russian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: Field,
    pub message: String,
}

/// Why a command did not run.
#[derive(Debug)]
pub enum CommandError {
    /// Input to correct, every mistake found (a form shows them all; the API names the first).
    Invalid(Vec<Invalid>),
    /// Anything else: not allowed, not found, refused by the engine, a server error.
    Api(ApiError),
}

impl From<ApiError> for CommandError {
    fn from(e: ApiError) -> Self {
        CommandError::Api(e)
    }
}

impl From<crate::storage::StoreError> for CommandError {
    fn from(e: crate::storage::StoreError) -> Self {
        CommandError::Api(e.into())
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Api(e) => e,
            CommandError::Invalid(list) => match list.into_iter().next() {
                Some(i) => ApiError::field(&i.field.path(), i.message),
                None => ApiError::Unprocessable("запрос не выполнен: проверьте данные".into()),
            },
        }
    }
}

pub type CommandResult<T = ()> = Result<T, CommandError>;

/// The mistakes found while reading one command's input.
#[derive(Debug, Default)]
pub struct Mistakes(Vec<Invalid>);

impl Mistakes {
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.push(Invalid {
            field,
            message: message.into(),
        });
    }

    /// The value, or `None` with the mistake noted.
    pub fn take<T>(&mut self, r: Result<T, Invalid>) -> Option<T> {
        r.map_err(|i| self.0.push(i)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err` with every mistake when there is one.
    pub fn check(self) -> CommandResult {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CommandError::Invalid(self.0))
        }
    }
}

/// Runs a command at the clock's now, on behalf of the signed-in user, and wakes the scheduler.
pub async fn run_command(
    state: &AppState,
    auth: &Auth,
    program: &str,
    cmd: Command,
) -> ApiResult<Outcome> {
    let out = state
        .service
        .execute(program, &cmd, &auth.actor(), state.clock.now())
        .await?;
    state.wake.notify_one();
    Ok(out)
}

/// Loads a seminar the caller may see (another partner's seminar is 404).
pub async fn visible_seminar(state: &AppState, auth: &Auth, id: &str) -> ApiResult<Seminar> {
    let s = state
        .service
        .store
        .seminar(id)
        .await?
        .ok_or_else(|| ApiError::not_found("семинар не найден"))?;
    auth.require_partner_access(&s.partner, "семинар")?;
    Ok(s)
}

/// A coordinator's (or an admin's) command on a seminar: anyone else is refused before the
/// seminar is even looked up, so a partner learns nothing about other partners' ids.
async fn staff_seminar(state: &AppState, auth: &Auth, id: &str) -> ApiResult<Seminar> {
    auth.require_staff()?;
    visible_seminar(state, auth, id).await
}

/// A command of the seminar's own partner with full rights (limited-rights users read and
/// upload only); staff too when `staff_may`.
async fn partner_seminar(
    state: &AppState,
    auth: &Auth,
    id: &str,
    staff_may: bool,
    refusal: &str,
) -> ApiResult<Seminar> {
    let s = visible_seminar(state, auth, id).await?;
    let allowed = if auth.user.is_staff() {
        staff_may
    } else {
        auth.user.rights != Some(Rights::Limited)
    };
    if allowed {
        Ok(s)
    } else {
        Err(ApiError::forbidden(refusal))
    }
}

/// A coordinator's decision on an application.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject { comment: Option<String> },
}

/// Coordinator: approve or reject an application (`decision` absent when a form did not say).
pub async fn decide_application(
    state: &AppState,
    auth: &Auth,
    id: &str,
    decision: Option<Decision>,
) -> CommandResult {
    let s = staff_seminar(state, auth, id).await?;
    let Some(decision) = decision else {
        let mut m = Mistakes::default();
        m.add(Field::Decision, "Выберите: утвердить или отклонить заявку.");
        return m.check();
    };
    if !s.item.is_flagship() {
        // An event of an item program: approved with no agreed amounts, rejected only with a
        // code of the file (which the item decision asks for).
        let d = match decision {
            Decision::Approve => EventDecision::Approve {
                estimate: None,
                materials_cost: None,
                compensation: None,
                info_support: None,
                support_refusal: None,
            },
            Decision::Reject { comment } => EventDecision::Reject {
                code: None,
                comment,
            },
        };
        return decide_event(state, auth, id, d).await;
    }
    let seminar = id.to_string();
    let cmd = match decision {
        Decision::Approve => Command::ApproveApplication { seminar },
        Decision::Reject { comment } => {
            // The partner is told why (mail and seminar page): a coordinator's rejection
            // must say it.
            let Some(comment) = input::optional_text(comment) else {
                let mut m = Mistakes::default();
                m.add(
                    Field::Comment,
                    "Укажите причину отказа: партнёр увидит её в письме и на странице семинара.",
                );
                return m.check();
            };
            Command::RejectApplication {
                seminar,
                comment: Some(comment),
            }
        }
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approved {
    Stage,
    /// The report stage's approval: the report is accepted, points and money booked.
    Report,
}

/// Coordinator: approve a stage's waiting version (the report stage: accept the report).
pub async fn approve_stage(
    state: &AppState,
    auth: &Auth,
    id: &str,
    stage: &str,
    comment: Option<String>,
) -> CommandResult<Approved> {
    let s = staff_seminar(state, auth, id).await?;
    let is_report = state
        .service
        .program(&s.program)
        .and_then(|p| p.wf.stage(stage))
        .is_some_and(|st| st.report);
    let cmd = Command::Approve {
        seminar: id.into(),
        stage: stage.into(),
        comment: input::optional_text(comment),
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(if is_report {
        Approved::Report
    } else {
        Approved::Stage
    })
}

/// Coordinator: accept the submitted report, with an optional comment for the partner.
pub async fn accept_report(
    state: &AppState,
    auth: &Auth,
    id: &str,
    comment: Option<String>,
) -> CommandResult {
    let s = staff_seminar(state, auth, id).await?;
    let cmd = Command::AcceptReport {
        seminar: id.into(),
        comment: input::optional_text(comment),
        settings: Default::default(),
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

/// A return for rework as typed: the comment is required, the due date optional.
#[derive(Debug, Clone, Default)]
pub struct ReturnRequest {
    pub comment: Option<String>,
    /// `2017-02-17` or `17.02.2017`; empty means the stage's own deadline.
    pub due: Option<String>,
}

/// Coordinator: return a stage's waiting version with a comment and an optional due date
/// (today or later in the program's zone: the engine takes any date, people get a guard
/// against typos).
pub async fn return_stage(
    state: &AppState,
    auth: &Auth,
    id: &str,
    stage: &str,
    req: ReturnRequest,
) -> CommandResult {
    let s = staff_seminar(state, auth, id).await?;
    let prog = crate::http::api::programs::program(state, &s.program)?;
    let mut m = Mistakes::default();
    let comment = m.take(required_text(
        Field::Comment,
        req.comment,
        "Напишите, что нужно доработать: партнёр увидит это в письме и на странице семинара.",
    ));
    let today = crate::domain::deadline::local_date(prog.tz, state.clock.now());
    let due = match input::optional_text(req.due) {
        None => None,
        Some(d) => m.take(parse_date(Field::Due, &d).and_then(|date| due_from(date, today))),
    };
    m.check()?;
    let cmd = Command::Return {
        seminar: id.into(),
        stage: stage.into(),
        due,
        comment,
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

fn due_from(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    if date < today {
        Err(Invalid {
            field: Field::Due,
            message: format!(
                "Срок {} уже прошёл: укажите сегодняшнюю или более позднюю дату.",
                crate::text::date(date)
            ),
        })
    } else {
        Ok(date)
    }
}

/// A manual violation as typed.
#[derive(Debug, Clone, Default)]
pub struct ViolationRequest {
    pub code: Option<String>,
    /// How many times (publications, banners…); empty means 1.
    pub count: Option<String>,
    /// For violations that void an item's cost: RUB per item.
    pub cost: Option<String>,
    pub note: Option<String>,
}

/// The most items one violation record may count.
pub const MAX_VIOLATION_COUNT: u32 = 100;

/// Coordinator: record a manual violation from the program's catalogue, with a note the
/// partner sees as the penalty's reason.
pub async fn record_violation(
    state: &AppState,
    auth: &Auth,
    id: &str,
    req: ViolationRequest,
) -> CommandResult {
    let s = staff_seminar(state, auth, id).await?;
    let prog = crate::http::api::programs::program(state, &s.program)?;
    let mut m = Mistakes::default();
    let code = input::optional_text(req.code).unwrap_or_default();
    let rule = prog.wf.manual(&code);
    if rule.is_none() {
        m.add(Field::Code, "Выберите нарушение из каталога программы.");
    }
    let count = match input::optional_text(req.count) {
        None => Some(1),
        Some(c) => m.take(parse_count(Field::Count, &c, 1..=MAX_VIOLATION_COUNT)),
    };
    if count.is_some_and(|n| n > 1) && rule.is_some_and(|r| !r.repeatable) {
        m.add(
            Field::Count,
            "Это нарушение фиксируется один раз: укажите количество 1.",
        );
    }
    let cost = match input::optional_text(req.cost) {
        None => None,
        Some(c) => m.take(parse_money(Field::Cost, &c)),
    };
    let note = m.take(required_text(
        Field::Note,
        req.note,
        "Опишите, что и где нарушено: партнёр увидит это как причину штрафа.",
    ));
    m.check()?;
    let cmd = Command::Violation {
        seminar: id.into(),
        code,
        count: count.unwrap_or(1),
        cost,
        note,
        params: Default::default(),
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

/// Partner: withdraw the seminar. Only the seminar's own partner (a user with full rights)
/// decides it: after the free date it flags the partner `late_withdrawal`, a consequence a
/// coordinator must not book on the partner's behalf (a coordinator ends a seminar by
/// exclusion, through a violation).
///
/// `confirmed`: the partner said it understands the consequences (a page asks; an API call is
/// the decision itself).
pub async fn withdraw(state: &AppState, auth: &Auth, id: &str, confirmed: bool) -> CommandResult {
    let s = partner_seminar(
        state,
        auth,
        id,
        false,
        "отозвать семинар может только пользователь партнёра с полными правами",
    )
    .await?;
    if !confirmed {
        let mut m = Mistakes::default();
        m.add(
            Field::Confirm,
            "Отметьте, что понимаете последствия отзыва.",
        );
        return m.check();
    }
    let cmd = Command::Withdraw { seminar: id.into() };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}

/// Partner (full rights) or staff: change the venue (too close to the seminar excludes it,
/// per the program's rule).
pub async fn change_venue(
    state: &AppState,
    auth: &Auth,
    id: &str,
    venue: Option<String>,
) -> CommandResult {
    let s = partner_seminar(
        state,
        auth,
        id,
        true,
        "действие доступно пользователю партнёра с полными правами",
    )
    .await?;
    let mut m = Mistakes::default();
    let venue = m.take(required_text(
        Field::Venue,
        venue,
        "Укажите новое место проведения.",
    ));
    m.check()?;
    let cmd = Command::ChangeVenue {
        seminar: id.into(),
        venue,
    };
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}
