//! The MCP endpoints (Streamable HTTP, outside the OpenAPI document): the
//! HTTP side of the gateway.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Full};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::error::ApiError;
use super::payload::MalformedBody;
use crate::access::Caller;
use crate::gateway::aggregate::{AgentAddress, AggregateService, AnswersInFlight};
use crate::gateway::{Gateway, Inbound, rpc_error_body};

/// The caller the guard authenticated before the route ran.
fn caller_of(request: &Request) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))
}

async fn read_body(body: Body) -> Result<Bytes, MalformedBody> {
    body.into_bytes()
        .await
        .map_err(|_| MalformedBody("the request body could not be read".into()))
}

/// The agent's address, for the audit log.
fn source_of(request: &Request) -> String {
    request
        .remote_addr()
        .as_socket_addr()
        .map_or_else(|| request.remote_addr().to_string(), ToString::to_string)
}

/// `/mcp` (POST, GET, DELETE): every usable registered server as one MCP
/// server, served by rmcp; its plain-text refusals become JSON-RPC errors.
#[handler]
pub async fn aggregate_mcp(
    request: &Request,
    body: Body,
    service: Data<&AggregateService>,
) -> poem::Result<Response> {
    let caller = caller_of(request)?;
    let body = read_body(body).await?;
    if request.method() == http::Method::POST
        && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
    {
        return Ok(Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .content_type("application/json")
            .body(rpc_error_body(
                -32700,
                "the message is not JSON",
                "parse_error",
            )));
    }
    let mut inner = http::Request::new(Full::new(body));
    *inner.method_mut() = request.method().clone();
    *inner.uri_mut() = request.uri().clone();
    *inner.headers_mut() = request.headers().clone();
    inner.extensions_mut().insert(caller);
    inner
        .extensions_mut()
        .insert(AgentAddress(source_of(request)));
    let in_flight = AnswersInFlight::default();
    inner.extensions_mut().insert(in_flight.clone());
    let (mut parts, body) = service.handle(inner).await.into_parts();
    // rmcp answers an ended session with 202; MCP clients take 200 or 204 as
    // success (the Python SDK warns "Session termination failed" otherwise).
    if request.method() == http::Method::DELETE && parts.status == StatusCode::ACCEPTED {
        parts.status = StatusCode::NO_CONTENT;
    }
    // rmcp words its refusals as plain text, without a Content-Type.
    let is_message = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/event-stream")
        });
    if parts.status.is_success() || is_message {
        // The answers' room goes with the body, given back once it is sent.
        let body = body
            .map_frame(move |frame| {
                let _room = &in_flight;
                frame
            })
            .map_err(|never| match never {});
        let body: http_body_util::combinators::BoxBody<Bytes, std::io::Error> = body.boxed();
        return Ok(Response::from(http::Response::from_parts(parts, body)));
    }
    let text = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let (code, reason) = match parts.status {
        StatusCode::NOT_FOUND => (-32001, "unknown_session"),
        StatusCode::PAYLOAD_TOO_LARGE => (-32005, "too_large"),
        StatusCode::METHOD_NOT_ALLOWED => (-32601, "not_offered"),
        _ => (-32600, "invalid_request"),
    };
    let message = String::from_utf8_lossy(&text);
    let mut answer = Response::builder()
        .status(parts.status)
        .content_type("application/json");
    if let Some(allow) = parts.headers.get(http::header::ALLOW) {
        answer = answer.header(http::header::ALLOW, allow.clone());
    }
    Ok(answer.body(rpc_error_body(code, message.trim(), reason)))
}

/// `/v1/mcp-servers/{id}/mcp` (POST, GET, DELETE): the registered server,
/// passed through with its stored credentials.
#[handler]
pub async fn server_mcp(
    request: &Request,
    Path(id): Path<String>,
    body: Body,
    gateway: Data<&Arc<Gateway>>,
) -> poem::Result<Response> {
    let caller = caller_of(request)?;
    let body = read_body(body).await?;
    let source = source_of(request);
    Ok(gateway
        .pass_through(Inbound {
            method: request.method().clone(),
            server: id,
            headers: request.headers().clone(),
            body,
            caller,
            source,
        })
        .await)
}
