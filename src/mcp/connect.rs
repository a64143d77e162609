//! A connection to a registered server: Streamable HTTP through the checked
//! outbound client, with the stored credentials on every request, and what
//! went wrong explained in words safe to show (the probe's report, the
//! gateway's errors).

use std::collections::HashMap;

use http::{HeaderName, HeaderValue};
use rmcp::ClientHandler;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::{
    ClientInitializeError, ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService,
    ServiceError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

use super::observed::{Observed, ObservedClient, Watch};
use crate::domain::{McpServerRecord, ProbeState};
use crate::outbound::{
    OutboundClient, OutboundError, OutboundSettings, Refusals, credential_headers, resolve_checked,
};

/// Why a conversation ended early, in words safe to show.
#[derive(Debug)]
pub struct Failure {
    pub state: ProbeState,
    pub error: String,
}

impl Failure {
    pub fn new(state: ProbeState, error: impl Into<String>) -> Self {
        Self {
            state,
            error: error.into(),
        }
    }
}

/// How the registry introduces itself to the servers it talks to.
pub fn client_config() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("mcp-registry", env!("CARGO_PKG_VERSION")),
    )
    // The newest revision that still begins with `initialize`; servers of
    // earlier revisions answer with theirs, and the client accepts it.
    .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
}

/// How a conversation begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// `initialize` at the newest revision that has it: a session the
    /// gateway keeps open and hears notifications on.
    Initialize,
    /// `server/discover` at 2026-07-28 first, as current clients do, and
    /// `initialize` if the server answers that with an MCP error (it is of
    /// an earlier revision).
    DiscoverFirst,
    /// `initialize`, and the stream of messages the server starts on its
    /// own opened too: a session that holds an agent's resource
    /// subscriptions, whose updates come there.
    Listening,
}

impl Opening {
    fn lifecycle(self) -> ClientLifecycleMode {
        match self {
            Self::Initialize | Self::Listening => ClientLifecycleMode::Initialize,
            Self::DiscoverFirst => ClientLifecycleMode::Auto {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                legacy_version: Some(ProtocolVersion::LATEST_WITH_INITIALIZE),
            },
        }
    }
}

/// An open conversation with a registered server.
pub struct Connection<H: ClientHandler> {
    pub running: RunningService<RoleClient, H>,
    refusals: Refusals,
    watch: Watch,
}

impl<H: ClientHandler> Connection<H> {
    /// What went wrong with `during`, from what the transport saw since the
    /// last explanation and the error the client got.
    pub fn explain(&self, during: &str, error: Option<&ServiceError>) -> Failure {
        let seen = (self.refusals.take(), self.watch.take());
        explain(during, seen, error)
    }
}

/// How much of a server's answers (a JSON body, or one event of a stream)
/// a connection takes.
#[derive(Debug, Clone, Copy)]
pub struct Reads {
    /// An answer to a request sent with an `AnswerTicket` (a call the
    /// gateway passes on): read within the ticket's room.
    pub ticketed: usize,
    /// An answer to any other request (`initialize`, a probe's lists).
    pub other: usize,
}

/// Opens a conversation with `server` as `handler`, begun as `opening`
/// says, taking answers as large as `reads` says.
pub async fn connect<H: ClientHandler + Clone>(
    handler: H,
    server: &McpServerRecord,
    outbound: &OutboundSettings,
    reads: Reads,
    opening: Opening,
) -> Result<Connection<H>, Failure> {
    match open(handler.clone(), server, outbound, reads, opening).await {
        // Servers of earlier revisions do not all refuse `server/discover`
        // as an error: some answer any method they do not know with an
        // empty result (the conformance suite's own test server does). When
        // nothing went wrong on the way, `initialize` is tried on its own.
        Err(Opened::Misunderstood(_)) if opening == Opening::DiscoverFirst => {
            open(handler, server, outbound, reads, Opening::Initialize)
                .await
                .map_err(Opened::into_failure)
        }
        // A server of 2026-07-28 alone refuses `initialize` (404, -32601):
        // a session that wanted the handshake era's back channel gets the
        // stateless one rather than none.
        Err(refused) if opening == Opening::Initialize && refused.answered_mcp() => {
            open(handler, server, outbound, reads, Opening::DiscoverFirst)
                .await
                .map_err(|_| refused.into_failure())
        }
        other => other.map_err(Opened::into_failure),
    }
}

/// Why a conversation did not begin.
enum Opened {
    /// The server answered, but not as the opening expects.
    Misunderstood(Failure),
    /// The connection, the address or the credentials failed.
    Failed(Failure),
}

impl Opened {
    /// Whether the server answered as an MCP server would, refusing.
    fn answered_mcp(&self) -> bool {
        match self {
            Self::Misunderstood(_) => true,
            Self::Failed(failure) => failure.state == ProbeState::ProtocolError,
        }
    }

    fn into_failure(self) -> Failure {
        match self {
            Self::Misunderstood(failure) | Self::Failed(failure) => failure,
        }
    }
}

async fn open<H: ClientHandler>(
    handler: H,
    server: &McpServerRecord,
    outbound: &OutboundSettings,
    reads: Reads,
    opening: Opening,
) -> Result<Connection<H>, Opened> {
    // Literal addresses never reach the resolver: check them (and the
    // name, once) before anything is sent.
    resolve_checked(&server.url, &outbound.policy)
        .await
        .map_err(|error| {
            Opened::Failed(match error {
                OutboundError::Refused { why, .. } => Failure::new(ProbeState::RefusedAddress, why),
                other => Failure::new(ProbeState::Unreachable, other.to_string()),
            })
        })?;
    let client = OutboundClient::new(outbound).map_err(|_| {
        Opened::Failed(Failure::new(
            ProbeState::Unreachable,
            "the HTTP client could not be built",
        ))
    })?;
    let refusals = client.refusals.clone();
    let http = ObservedClient::new(client.http, reads.other, opening == Opening::Listening);
    let watch = http.watch();
    let config = transport_config(server, reads.ticketed.max(reads.other))
        .map_err(|why| Opened::Failed(Failure::new(ProbeState::ProtocolError, why)))?;
    let transport = StreamableHttpClientTransport::with_client(http, config);
    let during = match opening {
        Opening::Initialize | Opening::Listening => "initialize",
        Opening::DiscoverFirst => "server/discover and initialize",
    };
    match handler
        .serve_with_lifecycle(transport, opening.lifecycle())
        .await
    {
        Ok(running) => Ok(Connection {
            running,
            refusals,
            watch,
        }),
        Err(error) => {
            let seen = (refusals.take(), watch.take());
            let answered = matches!(seen, (None, None | Some(Observed::NotMcp)));
            let failure = opening_failure(during, &error, seen);
            Err(if answered {
                Opened::Misunderstood(failure)
            } else {
                Opened::Failed(failure)
            })
        }
    }
}

/// Why a conversation could not begin: for a server of an earlier revision,
/// what went wrong with `initialize`, the step it fell back to.
fn opening_failure(
    during: &str,
    error: &ClientInitializeError,
    seen: (Option<String>, Option<Observed>),
) -> Failure {
    match error {
        ClientInitializeError::LegacyFallbackFailed { fallback, .. } => {
            opening_failure("initialize", fallback, seen)
        }
        ClientInitializeError::JsonRpcError(data) => {
            explain(during, seen, Some(&ServiceError::McpError(data.clone())))
        }
        ClientInitializeError::NoCompatibleProtocolVersion { .. } if seen == (None, None) => {
            Failure::new(
                ProbeState::ProtocolError,
                "the server supports none of the MCP revisions the registry speaks",
            )
        }
        _ => explain(during, seen, None),
    }
}

/// The stored credentials, on every request.
pub fn transport_config(
    server: &McpServerRecord,
    max_message_bytes: usize,
) -> Result<StreamableHttpClientTransportConfig, String> {
    let headers: HashMap<HeaderName, HeaderValue> = credential_headers(server)?
        .into_iter()
        .filter_map(|(name, value)| Some((name?, value)))
        .collect();
    Ok(
        StreamableHttpClientTransportConfig::with_uri(server.url.as_str())
            .custom_headers(headers)
            .max_json_response_size(max_message_bytes)
            .max_sse_event_size(max_message_bytes),
    )
}

/// A safe sentence for what went wrong during `during`, and its state: a
/// refused address first (nothing was sent there), then what the transport
/// saw, then what the client was told. The library's own messages are never
/// used: they may quote the server's answer, which may echo what it was sent.
fn explain(
    during: &str,
    (refused, observed): (Option<String>, Option<Observed>),
    error: Option<&ServiceError>,
) -> Failure {
    if let Some(why) = refused {
        return Failure::new(ProbeState::RefusedAddress, why);
    }
    match observed {
        Some(Observed::Refused) => {
            return Failure::new(
                ProbeState::Unauthorized,
                format!("the server refused the stored credentials for {during}"),
            );
        }
        Some(Observed::NoConnection) => {
            return Failure::new(
                ProbeState::Unreachable,
                format!("cannot connect to the server for {during}"),
            );
        }
        Some(Observed::TimedOut) => {
            return Failure::new(
                ProbeState::Timeout,
                format!("no connection for {during} in time"),
            );
        }
        Some(Observed::Status(status)) if status == 429 || status >= 500 => {
            return Failure::new(
                ProbeState::Unreachable,
                format!("the server answered {during} with HTTP {status}"),
            );
        }
        Some(Observed::Status(status)) => {
            return Failure::new(
                ProbeState::ProtocolError,
                format!("the server answered {during} with HTTP {status}"),
            );
        }
        Some(Observed::TooLarge(max_bytes)) => {
            let size = if max_bytes % (1024 * 1024) == 0 {
                format!("{} MiB", max_bytes / (1024 * 1024))
            } else {
                format!("{} KiB", max_bytes / 1024)
            };
            return Failure::new(
                ProbeState::ProtocolError,
                format!("the answer to {during} is larger than {size}"),
            );
        }
        Some(Observed::Tls(why)) => {
            return Failure::new(
                ProbeState::Unreachable,
                format!("the TLS handshake for {during} failed: {why}"),
            );
        }
        Some(Observed::NotMcp) | None => {}
    }
    match error {
        Some(ServiceError::McpError(error)) => Failure::new(
            ProbeState::ProtocolError,
            format!(
                "the server answered {during} with JSON-RPC error {}",
                error.code.0
            ),
        ),
        Some(ServiceError::Timeout { .. }) => Failure::new(
            ProbeState::Timeout,
            format!("no answer to {during} in time"),
        ),
        _ => Failure::new(
            ProbeState::ProtocolError,
            format!("the server's answer to {during} is not valid MCP over Streamable HTTP"),
        ),
    }
}
