//! Applying for a seminar: who applies for which partner, the seminar's id, the city and date.

use super::input::{optional_text, parse_date};
use super::{run_command, CommandResult, Field, Mistakes};
use crate::accounts::Rights;
use crate::domain::Command;
use crate::http::auth::Auth;
use crate::http::error::ApiError;
use crate::http::AppState;

/// An application as sent.
#[derive(Debug, Clone, Default)]
pub struct ApplyRequest {
    /// The applying partner: staff name it; a partner user applies for its own company.
    pub partner: Option<String>,
    /// The seminar's id when the caller chose one; generated otherwise.
    pub seminar: Option<String>,
    pub city: Option<String>,
    /// `2017-03-29` or `29.03.2017`.
    pub date: Option<String>,
}

/// The longest city name.
const MAX_CITY: usize = 100;

/// A new seminar id: `s-` and ten characters of a random id.
pub(super) fn new_seminar_id() -> String {
    format!("s-{}", &crate::accounts::new_id()[..10])
}

/// Whose application this is: a partner user's own company only (full rights); staff for any
/// partner they name.
pub(super) fn applying_partner(
    auth: &Auth,
    asked: Option<String>,
    m: &mut Mistakes,
) -> Result<String, ApiError> {
    let asked = optional_text(asked);
    let partner = match (&auth.user.partner, asked) {
        (Some(own), None) => own.clone(),
        (Some(own), Some(p)) if *own == p => p,
        (Some(_), Some(_)) => {
            return Err(ApiError::forbidden(
                "можно подать заявку только от своей компании",
            ))
        }
        (None, Some(p)) if auth.user.is_staff() => p,
        (None, _) => {
            m.add(Field::Partner, "Укажите партнёра, который подаёт заявку.");
            String::new()
        }
    };
    if auth.user.partner.is_some() && auth.user.rights == Some(Rights::Limited) {
        return Err(ApiError::forbidden(
            "подать заявку может пользователь партнёра с полными правами",
        ));
    }
    Ok(partner)
}

/// Applies for a seminar in `program`; returns the new seminar's id. The engine's refusals
/// (window closed, week taken, a second seminar in the city…) keep their codes.
pub async fn apply(
    state: &AppState,
    auth: &Auth,
    program: &str,
    req: ApplyRequest,
) -> CommandResult<String> {
    crate::http::api::programs::program(state, program)?;
    let mut m = Mistakes::default();
    let partner = applying_partner(auth, req.partner, &mut m)?;
    let seminar = match optional_text(req.seminar) {
        None => Some(new_seminar_id()),
        Some(s)
            if s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Some(s)
        }
        Some(_) => {
            m.add(
                Field::Seminar,
                "Номер семинара: латинские буквы, цифры, «-» и «_», не длиннее 64 символов.",
            );
            None
        }
    };
    let city = match optional_text(req.city) {
        None => {
            m.add(Field::City, "Укажите город, в котором пройдёт семинар.");
            None
        }
        Some(c) => m.take(
            crate::text::single_line(&c, MAX_CITY).map_err(|e| super::Invalid {
                field: Field::City,
                message: format!("{}: {e}.", Field::City.label()),
            }),
        ),
    };
    let date = match optional_text(req.date) {
        None => {
            m.add(Field::Date, "Укажите дату семинара.");
            None
        }
        Some(d) => m.take(parse_date(Field::Date, &d)),
    };
    m.check()?;
    let (Some(seminar), Some(city), Some(date)) = (seminar, city, date) else {
        let why = "apply: a value is missing without a mistake noted";
        return Err(ApiError::Internal(why.into()).into());
    };
    // A partner's chosen id that another partner's seminar already has gets a fresh one, so
    // the answer is the same as for a free id and reveals nothing about the other partner.
    let seminar = match state.service.store.seminar(&seminar).await {
        Ok(Some(s)) if !auth.user.is_staff() && s.partner != partner => new_seminar_id(),
        _ => seminar,
    };
    let cmd = Command::Apply {
        seminar: seminar.clone(),
        partner,
        city,
        date,
    };
    run_command(state, auth, program, cmd).await?;
    Ok(seminar)
}
