//! Cross-cutting HTTP concerns: request ids and logs, the body limit, and JSON
//! bodies for every error, including those raised outside the handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{
    ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use tokio::io::AsyncReadExt;
use tracing::Instrument;

use super::error::ApiError;
use super::payload::MalformedBody;
use super::routes::RouteTable;
use crate::metrics::Metrics;
use crate::telemetry::RequestId;

pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Gives each request an id (or keeps a sane one the caller sent), runs it in a
/// span carrying that id, and logs one line when it completes.
pub async fn request_telemetry<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    routes: &RouteTable,
    metrics: &Metrics,
) -> poem::Result<Response> {
    let request_id = RequestId::from_header_or_new(req.headers().get(RequestId::HEADER));
    let method = req.method().clone();
    // The path only: a query string may carry anything.
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    let started = Instant::now();
    let answered = request_id
        .clone()
        .scope(next.call(req).instrument(span.clone()))
        .await;
    let mut response = match answered {
        Ok(response) => response.into_response(),
        Err(err) => err.into_response(),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    metrics.observe(
        method.as_str(),
        &routes.template_for(&path),
        response.status().as_u16(),
        elapsed,
    );
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            latency_ms = format_args!("{latency_ms:.2}"),
            "request completed"
        )
    });
    if let Ok(value) = request_id.as_str().parse() {
        response.headers_mut().insert(RequestId::HEADER, value);
    }
    Ok(response)
}

/// Turns every error into `{"error": ...}` with its status, so callers never see
/// a plain-text error, whichever layer raised it.
pub async fn json_errors<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    routes: &RouteTable,
) -> poem::Result<Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let err = match next.call(req).await {
        Ok(response) => return Ok(response.into_response()),
        Err(err) => err,
    };
    let api_error = if err.is::<MalformedBody>() {
        err.downcast::<MalformedBody>()
            .map_or_else(|_| ApiError::internal(), ApiError::from)
    } else if err.is::<ApiError>() {
        err.downcast::<ApiError>()
            .unwrap_or_else(|err| ApiError::Other {
                status: err.status(),
                message: err.to_string(),
            })
    } else if err.is::<NotFoundError>() {
        ApiError::NotFound(format!("no route for {method} {path}"))
    } else if err.is::<MethodNotAllowedError>() {
        ApiError::MethodNotAllowed {
            message: format!("method {method} is not allowed on {path}"),
            allow: routes.methods_for(&path).map(str::to_owned),
        }
    } else if let Some(content_type) = err.downcast_ref::<ContentTypeError>() {
        let got = match content_type {
            ContentTypeError::NotSupported { content_type } => format!("got {content_type:?}"),
            _ => "none was given".to_owned(),
        };
        ApiError::UnsupportedMediaType(format!("Content-Type must be application/json ({got})"))
    } else if let Some(param) = err.downcast_ref::<ParseParamError>() {
        ApiError::Other {
            status: StatusCode::BAD_REQUEST,
            message: format!("{}: {}", param.name, param.reason),
        }
    } else if let Some(path) = err.downcast_ref::<ParsePathError>() {
        ApiError::Other {
            status: StatusCode::BAD_REQUEST,
            message: format!("{}: {}", path.name, path.reason),
        }
    } else if let Some(parse) = err.downcast_ref::<ParseRequestPayloadError>() {
        MalformedBody(format!("invalid request body: {parse}")).into()
    } else if err.status().is_server_error() {
        tracing::error!(error = %err, "request failed");
        ApiError::internal()
    } else {
        ApiError::Other {
            status: err.status(),
            message: err.to_string(),
        }
    };
    Ok(api_error.into_response())
}

/// A refused body up to this size is still read to its end (and dropped), so
/// that a client that is still sending gets the 413 instead of a connection
/// reset by unread data; a bigger one is cut off.
const DRAIN_UP_TO: u64 = 8 * 1024 * 1024;

/// Reads what is left of a refused body, up to `DRAIN_UP_TO`.
async fn drain(reader: impl tokio::io::AsyncRead + Unpin) {
    let _ = tokio::io::copy(&mut reader.take(DRAIN_UP_TO), &mut tokio::io::sink()).await;
}

/// Reads the body whole before the request goes on: refuses one over
/// `MAX_BODY_BYTES` with 413, whether or not it declares a length (chunked
/// bodies are counted as they arrive), and one that has not arrived within
/// `timeout` with 408 (a client trickling its body is cut off).
pub async fn limit_body<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    timeout: Duration,
) -> poem::Result<Response> {
    let too_large = || ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let reader = req.take_body().into_async_read();
    tokio::pin!(reader);
    let read = async {
        if let Some(declared) = declared.filter(|len| *len > MAX_BODY_BYTES as u64) {
            if declared <= DRAIN_UP_TO {
                drain(&mut reader).await;
            }
            return Err(too_large());
        }
        let mut body = Vec::new();
        (&mut reader)
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .await
            .map_err(|err| {
                ApiError::from(MalformedBody(format!(
                    "the request body could not be read: {err}"
                )))
            })?;
        if body.len() > MAX_BODY_BYTES {
            drain(&mut reader).await;
            return Err(too_large());
        }
        Ok(body)
    };
    let body = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::BodyTimedOut(timeout))??;
    req.set_body(body);
    next.call(req).await.map(IntoResponse::into_response)
}
