//! The MCP endpoints (Streamable HTTP, outside the OpenAPI document): the
//! HTTP side of the gateway.

use std::sync::Arc;

use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::error::ApiError;
use super::payload::MalformedBody;
use crate::access::Caller;
use crate::gateway::{Gateway, Inbound};

/// `/v1/mcp-servers/{id}/mcp` (POST, GET, DELETE): the registered server,
/// passed through with its stored credentials.
#[handler]
pub async fn server_mcp(
    request: &Request,
    Path(id): Path<String>,
    body: Body,
    gateway: Data<&Arc<Gateway>>,
) -> poem::Result<Response> {
    // The guard authenticated the caller before the route ran.
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    let body = body
        .into_bytes()
        .await
        .map_err(|_| MalformedBody("the request body could not be read".into()))?;
    let source = request
        .remote_addr()
        .as_socket_addr()
        .map_or_else(|| request.remote_addr().to_string(), ToString::to_string);
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
