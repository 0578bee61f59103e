//! The API's one error type. Every error answers JSON `{"error": {"code", "message", "field"?}}`
//! with the right status; a user's mistake is a 4xx with a Russian message (and the field it is
//! about, when there is one), and 5xx details stay in the log, never in the response.
//!
//! Errors are logged once, by [`log_errors`] (installed in `http::router` inside the trace span):
//! a response built from an [`ApiError`] carries an [`ErrorReport`] extension, and the middleware
//! writes it with the request's method and path — server errors at `error`, a user's mistake at
//! `debug`. Handlers never log the errors they return.

use crate::domain::{Refusal, RefusalCode};
use crate::service::ServiceError;
use crate::storage::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    BadRequest(&'static str, String),
    #[error("нужно войти в систему")]
    Unauthorized,
    #[error("неверный e-mail или пароль")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{1}")]
    Conflict(&'static str, String),
    #[error("{0}")]
    TooLarge(String),
    #[error("слишком много попыток входа; попробуйте через несколько минут")]
    TooManyRequests,
    #[error("этот метод не поддерживается по этому адресу")]
    MethodNotAllowed,
    /// A well-formed request with an unusable value; the message names the field.
    #[error("{0}")]
    Unprocessable(String),
    /// A well-formed request with an unusable value in `field` (the API's name, e.g.
    /// `report.costs`); `message` says what is wrong in the user's terms.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Refused(Refusal),
    #[error("внутренняя ошибка сервера")]
    Internal(String),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `city_week_taken`, `not_found`, `forbidden`.
    pub code: String,
    /// What went wrong and what to do, in Russian.
    pub message: String,
    /// The request field the message is about (e.g. `report.attendees`, `due`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) | ApiError::Invalid { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(..) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Refused(r) => match r.code {
                RefusalCode::UnknownSeminar => StatusCode::NOT_FOUND,
                RefusalCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
                RefusalCode::InvalidState
                | RefusalCode::CityWeekTaken
                | RefusalCode::CityFull
                | RefusalCode::PartnerCityDuplicate => StatusCode::CONFLICT,
                // A program's own refusal codes (lead time, audience, suspended support …) are
                // about the request's values: 422 with the file's code (decisions.md).
                RefusalCode::Rule
                | RefusalCode::ApplicationWindowClosed
                | RefusalCode::DateOutsideProgram
                | RefusalCode::PartnerBarred => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> String {
        match self {
            ApiError::BadRequest(c, _) | ApiError::Conflict(c, _) => (*c).into(),
            ApiError::Unauthorized => "unauthorized".into(),
            ApiError::InvalidCredentials => "invalid_credentials".into(),
            ApiError::Forbidden(_) => "forbidden".into(),
            ApiError::NotFound(_) => "not_found".into(),
            ApiError::TooLarge(_) => "too_large".into(),
            ApiError::TooManyRequests => "too_many_requests".into(),
            ApiError::MethodNotAllowed => "method_not_allowed".into(),
            ApiError::Refused(r) => r.code_str().into(),
            ApiError::Unprocessable(_) | ApiError::Invalid { .. } => "invalid_input".into(),
            ApiError::Internal(_) => "internal".into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest("invalid_input", msg.into())
    }

    /// 422 `invalid_input` for `field`: «`field`: what is wrong», with `field` in the body.
    pub fn field(field: &str, msg: impl std::fmt::Display) -> ApiError {
        ApiError::Invalid {
            field: field.into(),
            message: msg.to_string(),
        }
    }

    /// The field a 422 is about.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// What the log gets about this error (see [`log_errors`]).
    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            status: self.status(),
            code: self.code(),
            detail: match self {
                ApiError::Internal(detail) => detail.clone(),
                other => other.to_string(),
            },
        }
    }

    pub fn forbidden(msg: impl Into<String>) -> ApiError {
        ApiError::Forbidden(msg.into())
    }
}

/// What went wrong behind an error response, for the one log line [`log_errors`] writes. Any
/// handler that answers an error without an [`ApiError`] (a page shown again with its form's
/// errors) attaches one with [`ErrorReport::attach`].
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub code: String,
    /// The error's text; for a server error the internal detail the client never sees.
    pub detail: String,
}

impl ErrorReport {
    pub fn attach(self, mut resp: Response) -> Response {
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Logs every error response once, with the request's method and path: server errors at
/// `error`, a caller's mistake (4xx) at `debug`. A 5xx without an [`ErrorReport`] (a panic
/// turned into a response, a template that failed to render) is logged too.
pub async fn log_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let report = resp.extensions().get::<ErrorReport>();
    let code = report.map_or("", |r| r.code.as_str());
    let detail = report.map_or("", |r| r.detail.as_str());
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), code, detail, "request failed");
    } else {
        tracing::debug!(%method, %path, status = status.as_u16(), code, detail, "request refused");
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let report = self.report();
        let message = match &self {
            ApiError::Internal(_) => {
                "внутренняя ошибка сервера; попробуйте ещё раз или обратитесь к администратору"
                    .to_string()
            }
            other => other.to_string(),
        };
        let resp = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code(),
                    message,
                    field: self.field_name().map(String::from),
                },
            }),
        )
            .into_response();
        report.attach(resp)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict(
                "conflict",
                format!("данные изменились одновременно с вашим запросом, повторите его ({m})"),
            ),
            StoreError::Unreadable(m) => {
                ApiError::Unprocessable(format!("значение нельзя сохранить: {m}"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(r) => ApiError::Refused(r),
            ServiceError::UnknownProgram(p) => {
                ApiError::NotFound(format!("программа «{p}» не найдена"))
            }
            ServiceError::Program(m) => ApiError::Internal(m),
            ServiceError::Store(s) => s.into(),
            ServiceError::BadRequest(code, m) => ApiError::BadRequest(code, m),
            ServiceError::Field(field, m) => ApiError::field(field, m),
            ServiceError::Forbidden(m) => ApiError::Forbidden(m),
            ServiceError::NotFound(m) => ApiError::NotFound(m),
            ServiceError::Conflict(code, m) => ApiError::Conflict(code, m),
            ServiceError::Internal(m) => ApiError::Internal(m),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
