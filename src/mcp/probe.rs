//! A probe: one conversation with a registered server over Streamable HTTP —
//! `initialize`, then every page of what it lists — within fixed limits of
//! time, count and bytes, through the checked outbound client.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{ClientInitializeError, RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ServiceExt};
use serde::Serialize;

use super::observed::{Observed, ObservedClient};
use crate::domain::{
    Catalog, CatalogEntry, Discovery, McpServerRecord, ProbeReport, ProbeState, ServerInfo, now,
};
use crate::outbound::{
    OutboundClient, OutboundError, OutboundSettings, credential_headers, resolve_checked,
};

/// Items of one kind a probe accepts; more is a protocol error.
pub const MAX_ITEMS: usize = 10_000;
/// Bytes of listing (all kinds together, and any one message) a probe accepts.
pub const MAX_LISTING_BYTES: usize = 16 * 1024 * 1024;
/// Pages of one list a probe follows: a server that hands out cursors forever
/// is not listing anything.
const MAX_PAGES: usize = 1_000;

#[derive(Debug, Clone)]
pub struct ProbeSettings {
    pub outbound: OutboundSettings,
    /// The whole conversation, from connect to the last page.
    pub timeout: Duration,
}

/// Talks to registered servers.
#[derive(Debug, Clone)]
pub struct Prober {
    settings: ProbeSettings,
}

/// Why a conversation ended early, in words safe to show.
#[derive(Debug)]
struct Failure {
    state: ProbeState,
    error: String,
}

impl Failure {
    fn new(state: ProbeState, error: impl Into<String>) -> Self {
        Self {
            state,
            error: error.into(),
        }
    }
}

/// Our side of the conversation: a client that asks, and answers nothing.
#[derive(Debug, Clone)]
struct Registry;

impl ClientHandler for Registry {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcp-registry", env!("CARGO_PKG_VERSION")),
        )
        // The newest revision that still begins with `initialize`; servers of
        // earlier revisions answer with theirs, and the client accepts it.
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            outbound: OutboundSettings::default(),
            timeout: Duration::from_secs(20),
        }
    }
}

impl Prober {
    pub fn new(settings: ProbeSettings) -> Self {
        Self { settings }
    }

    /// Probes `server` now. Never fails: every way a conversation can go
    /// wrong is a state of the report.
    pub async fn probe(&self, server: &McpServerRecord) -> ProbeReport {
        let checked_at = now();
        let started = Instant::now();
        let outcome = match tokio::time::timeout(self.settings.timeout, self.converse(server)).await
        {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure::new(
                ProbeState::Timeout,
                format!(
                    "no complete answer within {} s",
                    self.settings.timeout.as_secs_f32()
                ),
            )),
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(discovery) => ProbeReport {
                state: ProbeState::Ok,
                checked_at,
                latency_ms,
                error: None,
                discovery: Some(discovery),
            },
            Err(failure) => ProbeReport {
                state: failure.state,
                checked_at,
                latency_ms,
                error: Some(failure.error),
                discovery: None,
            },
        }
    }

    async fn converse(&self, server: &McpServerRecord) -> Result<Discovery, Failure> {
        // Literal addresses never reach the resolver: check them (and the
        // name, once) before anything is sent.
        resolve_checked(&server.url, &self.settings.outbound.policy)
            .await
            .map_err(|error| match error {
                OutboundError::Refused { why, .. } => Failure::new(ProbeState::RefusedAddress, why),
                other => Failure::new(ProbeState::Unreachable, other.to_string()),
            })?;
        let client = OutboundClient::new(&self.settings.outbound).map_err(|_| {
            Failure::new(
                ProbeState::Unreachable,
                "the HTTP client could not be built",
            )
        })?;
        let refusals = client.refusals.clone();
        let http = ObservedClient::new(client.http);
        let watch = http.watch();
        let config =
            transport_config(server).map_err(|why| Failure::new(ProbeState::ProtocolError, why))?;
        let transport = StreamableHttpClientTransport::with_client(http, config);
        let explain = |during: &str, service: Option<&ServiceError>| {
            explain(during, refusals.first(), watch.first(), service)
        };
        let running = Registry
            .serve(transport)
            .await
            .map_err(|error| match error {
                ClientInitializeError::JsonRpcError(data) => {
                    explain("initialize", Some(&ServiceError::McpError(data)))
                }
                _ => explain("initialize", None),
            })?;
        let discovery = discover(&running).await;
        // Ends the session (a DELETE) whatever the discovery found.
        let _ = running.cancel().await;
        discovery.map_err(|stopped| match stopped {
            Stopped::Limit(failure) => failure,
            Stopped::Request(during, error) => explain(during, Some(&error)),
        })
    }
}

/// The stored credentials, on every request.
fn transport_config(
    server: &McpServerRecord,
) -> Result<StreamableHttpClientTransportConfig, String> {
    let headers: HashMap<HeaderName, HeaderValue> = credential_headers(server)?
        .into_iter()
        .filter_map(|(name, value)| Some((name?, value)))
        .collect();
    Ok(
        StreamableHttpClientTransportConfig::with_uri(server.url.as_str())
            .custom_headers(headers)
            .max_json_response_size(MAX_LISTING_BYTES)
            .max_sse_event_size(MAX_LISTING_BYTES),
    )
}

/// Why a discovery stopped early.
enum Stopped {
    /// A limit (or the server's own shape) ended it; the failure says which.
    Limit(Failure),
    /// A request failed: the method, and the error the client got.
    Request(&'static str, ServiceError),
}

/// Everything the server lists, page by page, within the limits.
async fn discover(running: &RunningService<RoleClient, Registry>) -> Result<Discovery, Stopped> {
    let peer = running.peer();
    let info = peer.peer_info().ok_or_else(|| {
        Stopped::Limit(Failure::new(
            ProbeState::ProtocolError,
            "the server sent no initialize result",
        ))
    })?;
    let capabilities = &info.capabilities;
    let mut budget = ListingBudget::default();
    let mut catalog = Catalog::default();
    if capabilities.tools.is_some() {
        catalog.tools = list_pages(&mut budget, "tools/list", |params| async move {
            let page = peer.list_tools(params).await?;
            Ok((page.tools, page.next_cursor))
        })
        .await?;
    }
    if capabilities.resources.is_some() {
        catalog.resources = list_pages(&mut budget, "resources/list", |params| async move {
            let page = peer.list_resources(params).await?;
            Ok((page.resources, page.next_cursor))
        })
        .await?;
        catalog.resource_templates = list_pages(
            &mut budget,
            "resources/templates/list",
            |params| async move {
                let page = peer.list_resource_templates(params).await?;
                Ok((page.resource_templates, page.next_cursor))
            },
        )
        .await?;
    }
    if capabilities.prompts.is_some() {
        catalog.prompts = list_pages(&mut budget, "prompts/list", |params| async move {
            let page = peer.list_prompts(params).await?;
            Ok((page.prompts, page.next_cursor))
        })
        .await?;
    }
    let server_info = info.server_info.as_ref().map_or_else(
        || ServerInfo {
            name: String::new(),
            title: None,
            version: String::new(),
        },
        |implementation| ServerInfo {
            name: implementation.name.clone(),
            title: implementation.title.clone(),
            version: implementation.version.clone(),
        },
    );
    Ok(Discovery {
        server_info,
        protocol_version: info.protocol_version.as_str().to_owned(),
        capabilities: serde_json::to_value(capabilities).unwrap_or_default(),
        catalog,
    })
}

/// Bytes of listing kept so far, across every kind.
#[derive(Debug, Default)]
struct ListingBudget {
    bytes: usize,
}

/// Every page of one list. `fetch` asks for one page; each item is kept as the
/// protocol wrote it, counted against the limits as it arrives.
async fn list_pages<T, F, Fut>(
    budget: &mut ListingBudget,
    method: &'static str,
    fetch: F,
) -> Result<Vec<CatalogEntry>, Stopped>
where
    T: Serialize,
    F: Fn(Option<PaginatedRequestParams>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ServiceError>>,
{
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let params = cursor
            .take()
            .map(|cursor| PaginatedRequestParams::default().with_cursor(Some(cursor)));
        let (items, next) = fetch(params)
            .await
            .map_err(|error| Stopped::Request(method, error))?;
        if entries.len() + items.len() > MAX_ITEMS {
            return Err(Stopped::Limit(Failure::new(
                ProbeState::ProtocolError,
                format!("{method} lists more than {MAX_ITEMS} items"),
            )));
        }
        for item in items {
            let body = serde_json::to_value(&item).map_err(|_| {
                Stopped::Limit(Failure::new(
                    ProbeState::ProtocolError,
                    format!("{method} sent an item that cannot be kept"),
                ))
            })?;
            budget.bytes += serde_json::to_vec(&body).map_or(0, |bytes| bytes.len());
            if budget.bytes > MAX_LISTING_BYTES {
                return Err(Stopped::Limit(Failure::new(
                    ProbeState::ProtocolError,
                    format!(
                        "the listing is larger than {} MiB",
                        MAX_LISTING_BYTES / (1024 * 1024)
                    ),
                )));
            }
            entries.push(entry_of(body));
        }
        match next {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => return Ok(entries),
        }
    }
    Err(Stopped::Limit(Failure::new(
        ProbeState::ProtocolError,
        format!("{method} goes on for more than {MAX_PAGES} pages"),
    )))
}

fn entry_of(body: serde_json::Value) -> CatalogEntry {
    let text = |field: &str| body.get(field).and_then(|v| v.as_str()).map(str::to_owned);
    CatalogEntry {
        // Resource templates and resources are named too; the URI is the
        // fallback for a nameless one.
        name: text("name")
            .or_else(|| text("uri"))
            .or_else(|| text("uriTemplate"))
            .unwrap_or_default(),
        description: text("description"),
        body,
    }
}

/// A safe sentence for what went wrong during `during`, and its state: a
/// refused address first (nothing was sent there), then what the transport
/// saw, then what the client was told. The library's own messages are never
/// used: they may quote the server's answer, which may echo what it was sent.
fn explain(
    during: &str,
    refused: Option<String>,
    observed: Option<Observed>,
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
        Some(Observed::TooLarge) => {
            return Failure::new(
                ProbeState::ProtocolError,
                format!(
                    "the answer to {during} is larger than {} MiB",
                    MAX_LISTING_BYTES / (1024 * 1024)
                ),
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
