//! Every error a client sees: an HTTP status, a stable `code` to branch on, a message that
//! says what to do next and, for rejected imports, every problem found.
//!
//! Handlers return `Result<_, AppError>`; `?` on store and domain errors maps them here, so no
//! handler builds an error response by hand. Anything unexpected becomes a 500 whose details
//! go to the log, not to the client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crocevia_app::statistics::StatisticsError;
use crocevia_core::hsds::Problem;
use crocevia_store::StoreError;
use serde_json::json;

/// The stable codes of the errors this crate answers with; clients branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    AlreadyExists,
    BadUpload,
    BodyTooLarge,
    DatabaseError,
    ExpectedJson,
    ExportFailed,
    Forbidden,
    IdMismatch,
    Internal,
    InvalidAccount,
    InvalidData,
    InvalidParameter,
    MalformedJson,
    MetricsForbidden,
    MetricsUnauthorized,
    NoLocation,
    NotFound,
    QueryTooLong,
    RateLimited,
    SearchFailed,
    SearchUnavailable,
    Unauthorized,
    UnknownLanguage,
    UnknownPath,
    UnreadableBody,
    UnreadableForm,
    WrongShape,
    /// The code of an error from another crate's enum (the store's, the observatory's, the
    /// desk's), passed on as that crate names it.
    Domain(&'static str),
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::BadUpload => "bad_upload",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::DatabaseError => "database_error",
            ErrorCode::ExpectedJson => "expected_json",
            ErrorCode::ExportFailed => "export_failed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::IdMismatch => "id_mismatch",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidAccount => "invalid_account",
            ErrorCode::InvalidData => "invalid_data",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::MetricsForbidden => "metrics_forbidden",
            ErrorCode::MetricsUnauthorized => "metrics_unauthorized",
            ErrorCode::NoLocation => "no_location",
            ErrorCode::NotFound => "not_found",
            ErrorCode::QueryTooLong => "query_too_long",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::SearchFailed => "search_failed",
            ErrorCode::SearchUnavailable => "search_unavailable",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::UnknownLanguage => "unknown_language",
            ErrorCode::UnknownPath => "unknown_path",
            ErrorCode::UnreadableBody => "unreadable_body",
            ErrorCode::UnreadableForm => "unreadable_form",
            ErrorCode::WrongShape => "wrong_shape",
            ErrorCode::Domain(code) => code,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl AppError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no {what} with id {id}"),
        )
    }

    pub fn bad_parameter(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            format!("query parameter {name}: {reason}"),
        )
    }

    pub fn invalid_data(problems: Vec<Problem>) -> Self {
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::InvalidData,
            message: format!(
                "{} problem(s) found; nothing was saved. Fix them and send the data again.",
                problems.len()
            ),
            problems,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code.as_str(), message = %self.message, "request failed");
        }
        let mut body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        if !self.problems.is_empty() {
            body["error"]["problems"] = json!(self.problems);
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"crocevia\""),
            );
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(message) => {
                tracing::error!(%message, "database error");
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::DatabaseError,
                    "the database could not complete the request; try again, and tell the administrator if it persists",
                )
            }
            other => AppError::new(
                StatusCode::CONFLICT,
                ErrorCode::Domain(other.code()),
                other.to_string(),
            ),
        }
    }
}

/// A view's parameters refused name the parameter (400 `invalid_parameter`); a table an
/// indicator cannot build keeps the observatory's code (400).
impl From<StatisticsError> for AppError {
    fn from(e: StatisticsError) -> Self {
        match e {
            StatisticsError::InvalidParameter { parameter, reason } => {
                AppError::bad_parameter(parameter, reason)
            }
            StatisticsError::NotFound { what, id } => AppError::not_found(what, &id),
            StatisticsError::Query(q) => AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::Domain(q.code()),
                q.to_string(),
            ),
            StatisticsError::Store(s) => s.into(),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonSyntaxError(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson)
            }
            JsonRejection::JsonDataError(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::WrongShape)
            }
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::ExpectedJson)
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge)
            }
            _ => (StatusCode::BAD_REQUEST, ErrorCode::UnreadableBody),
        };
        AppError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            r.body_text(),
        )
    }
}
