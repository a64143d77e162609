//! Why the gateway answered an agent itself, and how that answer looks: a
//! JSON-RPC error with the HTTP status and `Retry-After` that fit it.

use http::StatusCode;
use poem::Response;
use serde_json::Value;

use super::{MAX_MESSAGE_BYTES, rpc};
use crate::domain::McpServerId;

/// Sessions end when agents end them or after idle minutes: a while.
const SESSIONS_RETRY_AFTER_SECS: u64 = 30;
/// Streams end when their agents close them, whenever that is.
const STREAMS_RETRY_AFTER_SECS: u64 = 5;

/// Why the gateway answered itself, in words safe to show an agent.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the message is not JSON")]
    NotJson,
    #[error("no MCP server with this id")]
    UnknownServer,
    #[error("the MCP server is disabled")]
    Disabled,
    #[error("unknown or expired session; initialize a new one")]
    UnknownSession,
    #[error("too many calls to this MCP server at once; retry shortly")]
    Busy,
    #[error(
        "this token holds {0} sessions of /mcp, as many as it may: end one (DELETE) or let one expire (5 idle minutes)"
    )]
    TooManySessions(usize),
    #[error("the registry holds as many /mcp sessions as it may; retry shortly")]
    SessionsFull,
    #[error("this token holds {0} streams open, as many as it may; close one first")]
    TooManyStreams(usize),
    #[error("{0} streams are open to this MCP server, as many as it may have; retry shortly")]
    ServerStreamsFull(usize),
    #[error("the gateway holds as many answers as it may at once; retry shortly")]
    Saturated,
    #[error("the registry may not connect to this MCP server: {0}")]
    RefusedAddress(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("the MCP server did not answer within {0} s")]
    Timeout(u64),
    #[error("the MCP server refused the registry's credentials (HTTP {0})")]
    Unauthorized(u16),
    #[error("the MCP server does not offer this (HTTP 405)")]
    NotOffered,
    #[error("the MCP server answered HTTP {0}")]
    Status(u16),
    /// A 4xx of the upstream without a JSON-RPC error to pass on.
    #[error("the MCP server refused the request (HTTP {0})")]
    Refused(u16),
    /// An answer the registry cannot read to redact is not passed on.
    #[error(
        "the MCP server sent its answer encoded (Content-Encoding: {0}), which the registry does not pass on unread"
    )]
    Encoded(String),
    #[error("the MCP server's answer is larger than {} MiB", MAX_MESSAGE_BYTES / (1024 * 1024))]
    TooLarge,
    /// Through `/mcp`, where answers are parsed: its own endpoint passes
    /// them on as bytes.
    #[error(
        "the MCP server's answer would take about {mib} MiB of memory to pass on here, more than the gateway holds at once; /v1/mcp-servers/{server}/mcp passes it on as it comes"
    )]
    TooCostly { mib: usize, server: McpServerId },
    #[error("the stored credentials cannot be sent: {0}")]
    Credentials(String),
    /// The server refused the credentials: in the words of `mcp::explain`.
    #[error("{0}")]
    CredentialsRefused(String),
    #[error("the registry cannot read its records right now")]
    Storage,
}

impl GatewayError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotJson => StatusCode::BAD_REQUEST,
            Self::UnknownServer | Self::UnknownSession => StatusCode::NOT_FOUND,
            Self::Disabled => StatusCode::CONFLICT,
            Self::NotOffered => StatusCode::METHOD_NOT_ALLOWED,
            Self::Busy
            | Self::Saturated
            | Self::SessionsFull
            | Self::ServerStreamsFull(_)
            | Self::Storage => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManySessions(_) | Self::TooManyStreams(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Refused(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::RefusedAddress(_)
            | Self::Unreachable(_)
            | Self::Unauthorized(_)
            | Self::Status(_)
            | Self::Encoded(_)
            | Self::TooLarge
            | Self::TooCostly { .. }
            | Self::Credentials(_)
            | Self::CredentialsRefused(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The JSON-RPC error code (README, "Errors through the gateway").
    pub(super) fn code(&self) -> i64 {
        match self {
            Self::NotJson => -32700,
            Self::UnknownServer | Self::Disabled | Self::UnknownSession => -32001,
            Self::Unauthorized(_) | Self::Credentials(_) | Self::CredentialsRefused(_) => -32002,
            Self::Timeout(_) => -32003,
            Self::RefusedAddress(_) | Self::Unreachable(_) | Self::Status(_) | Self::Encoded(_) => {
                -32004
            }
            Self::TooLarge | Self::TooCostly { .. } => -32005,
            Self::Busy
            | Self::Saturated
            | Self::TooManySessions(_)
            | Self::SessionsFull
            | Self::TooManyStreams(_)
            | Self::ServerStreamsFull(_) => -32006,
            Self::NotOffered => -32601,
            Self::Refused(_) => -32600,
            Self::Storage => -32603,
        }
    }

    /// One word for what happened: the error's `data.reason` and the
    /// outcome in the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotJson => "parse_error",
            Self::UnknownServer => "unknown_server",
            Self::Disabled => "disabled",
            Self::UnknownSession => "unknown_session",
            Self::Busy | Self::Saturated | Self::SessionsFull | Self::ServerStreamsFull(_) => {
                "busy"
            }
            Self::TooManySessions(_) => "too_many_sessions",
            Self::TooManyStreams(_) => "too_many_streams",
            Self::RefusedAddress(_) => "refused_address",
            Self::Unreachable(_) | Self::Status(_) | Self::NotOffered => "unreachable",
            Self::Encoded(_) => "protocol_error",
            Self::Refused(_) => "refused",
            Self::Timeout(_) => "timeout",
            Self::Unauthorized(_) | Self::Credentials(_) | Self::CredentialsRefused(_) => {
                "unauthorized"
            }
            Self::TooLarge | Self::TooCostly { .. } => "too_large",
            Self::Storage => "unavailable",
        }
    }

    /// How long to wait before trying again, when waiting helps.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Busy | Self::Saturated | Self::Storage => Some(1),
            Self::TooManySessions(_) | Self::SessionsFull => Some(SESSIONS_RETRY_AFTER_SECS),
            Self::TooManyStreams(_) | Self::ServerStreamsFull(_) => Some(STREAMS_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    pub(super) fn into_response(self, id: Option<&Value>) -> Response {
        let body = rpc::error_message(id, self.code(), &self.to_string(), self.reason());
        let mut answer = Response::builder()
            .status(self.status())
            .content_type("application/json");
        if let Some(secs) = self.retry_after_secs() {
            answer = answer.header(http::header::RETRY_AFTER, secs);
        }
        answer.body(body)
    }
}
