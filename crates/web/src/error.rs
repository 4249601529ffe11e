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

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
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
            "not_found",
            format!("no {what} with id {id}"),
        )
    }

    pub fn bad_parameter(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("query parameter {name}: {reason}"),
        )
    }

    pub fn invalid_data(problems: Vec<Problem>) -> Self {
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_data",
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
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
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
                    "database_error",
                    "the database could not complete the request; try again, and tell the administrator if it persists",
                )
            }
            other => AppError::new(StatusCode::CONFLICT, other.code(), other.to_string()),
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
            StatisticsError::Query(q) => {
                AppError::new(StatusCode::BAD_REQUEST, q.code(), q.to_string())
            }
            StatisticsError::Store(s) => s.into(),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_shape"),
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected_json")
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
            }
            _ => (StatusCode::BAD_REQUEST, "unreadable_body"),
        };
        AppError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "invalid_parameter", r.body_text())
    }
}
