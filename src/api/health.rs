//! Probes and metrics for operators: open (no token), outside the API contract.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::error::ApiError;
use super::payload::JsonPayload;
use crate::metrics::Metrics;
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

/// Prometheus metrics (OpenMetrics text).
#[handler]
pub fn metrics(
    repository: Data<&Arc<McpServerRepository>>,
    metrics: Data<&Arc<Metrics>>,
) -> Response {
    Response::builder()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render(repository.pool_figures()))
}
