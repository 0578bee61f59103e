//! Events of an item program (`[events]`): a partner announces one (kind, topic, date, city or
//! online, leaflets, co-organizers); a coordinator approves it with the agreed amounts or
//! rejects it with a code of the file's `[[rejections]]`. The engine decides the rest (window,
//! lead times, audiences, rewards); its refusals keep the file's codes.

use super::apply::{applying_partner, new_seminar_id};
use super::input::{optional_text, parse_date, parse_money};
use super::{run_command, staff_seminar, CommandResult, Field, Mistakes};
use crate::domain::items::apply::{ApprovalTerms, ItemApplication};
use crate::domain::items::details::Agreed;
use crate::domain::{Command, Kopecks, Program};
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::AppState;

/// An announcement as sent (JSON or the «Новое мероприятие» form).
#[derive(Debug, Clone, Default)]
pub struct EventRequest {
    pub partner: Option<String>,
    pub kind: Option<String>,
    pub topic: Option<String>,
    /// `2017-06-20` or `20.06.2017`.
    pub date: Option<String>,
    pub end_date: Option<String>,
    /// Empty for an online event (kinds without a city).
    pub city: Option<String>,
    pub online: bool,
    /// `none`, `send` or `print`.
    pub materials: Option<String>,
    pub info_support: Option<bool>,
    pub audience: Option<String>,
    /// Partner ids, comma- or space-separated on a form.
    pub co_organizers: Vec<String>,
}

/// The longest city name.
const MAX_CITY: usize = 100;

/// The kind named, checked against the program's `[[kinds]]` (the form's list comes from there).
fn kind_of(prog: &Program, kind: Option<String>, m: &mut Mistakes) -> String {
    match optional_text(kind) {
        None => {
            m.add(Field::Kind, "Выберите вид мероприятия.");
            String::new()
        }
        Some(k) if prog.wf.kinds.iter().any(|x| x.id == k) => k,
        Some(k) => {
            m.add(
                Field::Kind,
                format!("Вид мероприятия «{k}» в программе не предусмотрен."),
            );
            String::new()
        }
    }
}

/// The city, or none for an online event.
fn city_of(req: &EventRequest, m: &mut Mistakes) -> String {
    if req.online {
        return String::new();
    }
    match optional_text(req.city.clone()) {
        None => String::new(),
        Some(c) => m
            .take(
                crate::text::single_line(&c, MAX_CITY).map_err(|e| super::Invalid {
                    field: Field::City,
                    message: format!("{}: {e}.", Field::City.label()),
                }),
            )
            .unwrap_or_default(),
    }
}

/// Announces an event in `program`; returns its id. Input mistakes are all reported at once;
/// the engine's refusals (window, lead time, audience …) keep the file's codes.
pub async fn announce(
    state: &AppState,
    auth: &Auth,
    program: &str,
    req: EventRequest,
) -> CommandResult<String> {
    let prog = crate::http::api::programs::program(state, program)?;
    if prog.wf.events.is_none() {
        return Err(ApiError::not_found(
            "в этой программе мероприятия не анонсируют: подайте заявку на семинар",
        )
        .into());
    }
    let mut m = Mistakes::default();
    let partner = applying_partner(auth, req.partner.clone(), &mut m)?;
    let kind = kind_of(prog, req.kind.clone(), &mut m);
    let city = city_of(&req, &mut m);
    let date = match optional_text(req.date.clone()) {
        None => {
            m.add(Field::Date, "Укажите дату мероприятия.");
            None
        }
        Some(d) => m.take(parse_date(Field::Date, &d)),
    };
    let end_date =
        optional_text(req.end_date.clone()).and_then(|d| m.take(parse_date(Field::EndDate, &d)));
    let co_organizers: Vec<String> = req
        .co_organizers
        .iter()
        .flat_map(|s| s.split([',', ' ', ';']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if co_organizers.contains(&partner) {
        m.add(
            Field::Partners,
            "Соорганизаторы — другие партнёры: свою компанию указывать не нужно.",
        );
    }
    m.check()?;
    let Some(date) = date else {
        return Err(ApiError::Internal("announce: no date without a mistake".into()).into());
    };
    let seminar = new_seminar_id();
    let item = ItemApplication {
        kind,
        topic: optional_text(req.topic),
        city,
        date,
        end_date,
        info_support: req.info_support,
        materials: optional_text(req.materials),
        audience: optional_text(req.audience),
        co_organizers,
        ..ItemApplication::default()
    };
    let cmd = Command::ApplyItem {
        seminar: seminar.clone(),
        partner,
        item,
    };
    run_command(state, auth, program, cmd).await?;
    Ok(seminar)
}

/// A coordinator's decision on an event application.
#[derive(Debug, Clone)]
pub enum EventDecision {
    /// Amounts typed as text (`15000`, `15 000,50`); empty: not agreed.
    Approve {
        estimate: Option<String>,
        materials_cost: Option<String>,
        compensation: Option<String>,
        info_support: Option<bool>,
        /// A `[[support_refusals]]` code: information support is refused for this reason.
        support_refusal: Option<String>,
    },
    Reject {
        code: Option<String>,
        comment: Option<String>,
    },
}

fn amount(text: Option<String>, m: &mut Mistakes) -> Option<Kopecks> {
    optional_text(text).and_then(|t| m.take(parse_money(Field::Agreed, &t)))
}

/// Coordinator: approve an event with the agreed amounts, or reject it with a file's code.
pub async fn decide_event(
    state: &AppState,
    auth: &Auth,
    id: &str,
    decision: EventDecision,
) -> CommandResult {
    let s = staff_seminar(state, auth, id).await?;
    let prog = crate::http::api::programs::program(state, &s.program)?;
    let seminar = id.to_string();
    let mut m = Mistakes::default();
    let cmd = match decision {
        EventDecision::Approve {
            estimate,
            materials_cost,
            compensation,
            info_support,
            support_refusal,
        } => {
            let agreed = Agreed {
                estimate: amount(estimate, &mut m),
                materials_cost: amount(materials_cost, &mut m),
                compensation: amount(compensation, &mut m),
            };
            let code = optional_text(support_refusal);
            // A reason given means support is refused, unless the caller said otherwise (then
            // the domain refuses the contradiction, naming the field).
            let info_support = info_support.or(code.as_ref().map(|_| false));
            let terms = ApprovalTerms {
                agreed,
                info_support,
                code,
            };
            Command::ApproveItem { seminar, terms }
        }
        EventDecision::Reject { code, comment } => {
            let code = match optional_text(code) {
                Some(c) if prog.wf.rejections.iter().any(|r| r.code == c) => c,
                other => {
                    let known: Vec<String> = prog
                        .wf
                        .rejections
                        .iter()
                        .map(|r| format!("{} ({})", r.code, r.name))
                        .collect();
                    let what = match other {
                        Some(c) => format!("причина «{c}» в программе не предусмотрена"),
                        None => "выберите причину отказа".to_string(),
                    };
                    m.add(
                        Field::Rejection,
                        format!("{}: {}.", super::capitalize(&what), known.join("; ")),
                    );
                    String::new()
                }
            };
            Command::RejectItem {
                seminar,
                code,
                comment: optional_text(comment),
            }
        }
    };
    m.check()?;
    run_command(state, auth, &s.program, cmd).await?;
    Ok(())
}
