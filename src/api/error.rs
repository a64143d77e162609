//! The one place that turns errors into HTTP statuses and `{"error": ...}` bodies.

use poem::error::ResponseError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};

use super::payload::{JsonPayload, MalformedBody};
use super::schemas::ErrorResponse;
use crate::domain::{McpServerId, ServerName, ValidationError};
use crate::idempotency::IdempotencyError;
use crate::storage::{DatabaseFault, StorageError};
use crate::telemetry::RequestId;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("name: an MCP server named {:?} already exists", .0.as_str())]
    DuplicateName(ServerName),
    #[error("{0}")]
    MalformedBody(#[from] MalformedBody),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotFound(String),
    #[error("no MCP server with id {0}")]
    NoSuchServer(McpServerId),
    #[error(
        "the MCP Registry API is off on this server; start it with --registry-api public or token"
    )]
    RegistryApiOff,
    #[error("{message}")]
    MethodNotAllowed {
        message: String,
        /// The methods the path does allow, for the `Allow` header.
        allow: Option<String>,
    },
    #[error("the MCP server has changed since the version given in If-Match")]
    VersionChanged,
    #[error("the MCP server {0} is disabled: it is not contacted until its status is active")]
    ServerDisabled(McpServerId),
    #[error(
        "Idempotency-Key: this key was used with a different request body; use a new key for a new request"
    )]
    IdempotencyKeyReused,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the request headers are larger than the limit of {0} bytes")]
    HeadersTooLarge(usize),
    #[error("the server is at its limit of requests in flight; retry shortly")]
    Overloaded,
    #[error("the request took longer than the limit of {} s", .0.as_secs())]
    TimedOut(std::time::Duration),
    #[error("the request body did not arrive within {} s", .0.as_secs())]
    BodyTimedOut(std::time::Duration),
    #[error(
        "the database is unavailable for now; retry after {DATABASE_RETRY_AFTER_SECS} s (a create \
         retried with the same Idempotency-Key is made at most once)"
    )]
    DatabaseUnavailable,
    #[error(
        "the database has no space left to store this change; reads still work, and writes \
         resume once space is freed"
    )]
    OutOfSpace,
    #[error("not ready: the database does not answer")]
    NotReady,
    /// Details stay in the log; the caller gets the request id to quote.
    #[error("internal server error (request id {0})")]
    Internal(RequestId),
    /// Any other error poem reports (its own status and message).
    #[error("{message}")]
    Other { status: StatusCode, message: String },
}

/// A storage failure as the caller sees it; what the caller must not see is
/// logged (with the request's id, which the answer quotes).
impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::DuplicateName(name) => Self::DuplicateName(name),
            StorageError::NotFound(id) => Self::NoSuchServer(id),
            StorageError::VersionMismatch => Self::VersionChanged,
            StorageError::Invalid(invalid) => Self::Invalid(invalid),
            StorageError::Database(_) if err.database_fault().is_some() => {
                // The operator's concern, not a bug: a warning, with the cause.
                tracing::warn!(error = %err, "the database failed");
                match err.database_fault() {
                    Some(DatabaseFault::OutOfSpace) => Self::OutOfSpace,
                    _ => Self::DatabaseUnavailable,
                }
            }
            StorageError::CorruptRow { .. }
            | StorageError::Contended { .. }
            | StorageError::Database(_)
            | StorageError::Secret(_) => {
                tracing::error!(error = %err, "storage failed");
                Self::internal()
            }
        }
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(err: IdempotencyError) -> Self {
        match err {
            IdempotencyError::KeyReused => Self::IdempotencyKeyReused,
            IdempotencyError::Storage(err) => err.into(),
            IdempotencyError::Json(_) | IdempotencyError::AnswerMissing => {
                tracing::error!(error = %err, "an idempotent create failed");
                Self::internal()
            }
        }
    }
}

/// How long a client is asked to wait while the database is away: a restart
/// or a failover takes seconds.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 2;

impl ApiError {
    /// The `Retry-After` this answer carries, in seconds.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded | Self::TimedOut(_) => Some(1),
            Self::DatabaseUnavailable | Self::NotReady => Some(DATABASE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// A failure of ours: the details belong in the log, not the answer.
    pub fn internal() -> Self {
        Self::Internal(RequestId::current())
    }

    pub fn body(&self) -> ErrorResponse {
        ErrorResponse {
            error: self.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::DuplicateName(_) | Self::MalformedBody(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) | Self::NoSuchServer(_) | Self::RegistryApiOff => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::VersionChanged => StatusCode::PRECONDITION_FAILED,
            Self::ServerDisabled(_) => StatusCode::CONFLICT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Overloaded | Self::TimedOut(_) | Self::DatabaseUnavailable | Self::NotReady => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::OutOfSpace => StatusCode::INSUFFICIENT_STORAGE,
            Self::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Other { status, .. } => *status,
        }
    }

    fn as_response(&self) -> Response {
        let mut response = JsonPayload(self.body()).into_response();
        response.set_status(self.status());
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        match self {
            // The rest of the body may still come: this connection is done.
            Self::BodyTimedOut(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::MethodNotAllowed {
                allow: Some(allow), ..
            } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}
