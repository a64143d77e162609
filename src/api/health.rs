//! Probes for orchestrators: open (no token), outside the API contract.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::error::ApiError;
use super::payload::JsonPayload;
use crate::storage::McpServerRepository;

/// Alive: the process answers.
#[handler]
pub fn healthz() -> Response {
    JsonPayload(serde_json::json!({"status": "ok"})).into_response()
}

/// Ready: the database answers too.
#[handler]
pub async fn readyz(repository: Data<&Arc<McpServerRepository>>) -> Response {
    match repository.ping().await {
        Ok(()) => JsonPayload(serde_json::json!({"status": "ready"})).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: the database does not answer");
            ApiError::Other {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "not ready: the database does not answer".into(),
            }
            .into_response()
        }
    }
}
