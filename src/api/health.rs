//! Probes and metrics for operators, outside the API contract: the probes are open, /metrics
//! needs a read token once tokens are configured (the guard sees to it).

use std::sync::Arc;
use std::time::Duration;

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

/// How long `/readyz` waits for the database. A pool reconnecting to a
/// database that is away would wait its whole acquire timeout; a load
/// balancer needs the answer at once.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// Ready: the database answers too, within `READY_WITHIN`.
#[handler]
pub async fn readyz(repository: Data<&Arc<McpServerRepository>>) -> Response {
    let answered = tokio::time::timeout(READY_WITHIN, repository.ping()).await;
    match answered {
        Ok(Ok(())) => JsonPayload(serde_json::json!({"status": "ready"})).into_response(),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "not ready: the database does not answer");
            ApiError::NotReady.into_response()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_WITHIN:?}");
            ApiError::NotReady.into_response()
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
