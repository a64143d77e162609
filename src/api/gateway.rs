//! The MCP endpoints (Streamable HTTP, outside the OpenAPI document): the
//! HTTP side of the gateway.

use std::sync::Arc;

use bytes::Bytes;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::error::ApiError;
use super::payload::MalformedBody;
use crate::access::Caller;
use crate::gateway::aggregate::{AgentAddress, AggregateEndpoint};
use crate::gateway::{Gateway, Inbound};

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
/// server.
#[handler]
pub async fn aggregate_mcp(
    request: &Request,
    body: Body,
    endpoint: Data<&Arc<AggregateEndpoint>>,
) -> poem::Result<Response> {
    let caller = caller_of(request)?;
    let body = read_body(body).await?;
    let mut inner = http::Request::new(body);
    *inner.method_mut() = request.method().clone();
    *inner.uri_mut() = request.uri().clone();
    *inner.headers_mut() = request.headers().clone();
    inner.extensions_mut().insert(caller);
    inner
        .extensions_mut()
        .insert(AgentAddress(source_of(request)));
    Ok(endpoint.handle(inner).await)
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
