//! The API's one error type. Every error answers JSON `{"error": {"code", "message"}}` with the
//! right status; a user's mistake is a 4xx with a Russian message, and 5xx details stay in the
//! log, never in the response.

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
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(..) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
                RefusalCode::ApplicationWindowClosed
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
            ApiError::Refused(r) => r.code.as_str().into(),
            ApiError::Unprocessable(_) => "invalid_input".into(),
            ApiError::Internal(_) => "internal".into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest("invalid_input", msg.into())
    }

    /// 422 `invalid_input` for `field`: «`field`: what is wrong».
    pub fn field(field: &str, msg: impl std::fmt::Display) -> ApiError {
        ApiError::Unprocessable(format!("{field}: {msg}"))
    }

    pub fn forbidden(msg: impl Into<String>) -> ApiError {
        ApiError::Forbidden(msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "внутренняя ошибка сервера; попробуйте ещё раз или обратитесь к администратору"
                    .to_string()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code(),
                    message,
                },
            }),
        )
            .into_response()
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
