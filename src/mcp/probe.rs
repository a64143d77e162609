//! A probe: one conversation with a registered server over Streamable HTTP —
//! `server/discover` (or, for a server of an earlier revision, `initialize`),
//! then every page of what it lists — within fixed limits of time, count and
//! bytes, through the checked outbound client.

use std::time::{Duration, Instant};

use rmcp::ClientHandler;
use rmcp::model::{
    ClientConfig, ClientRequest, ElicitationCapability, FormElicitationCapability, GetExtensions,
    ListToolsRequest, PaginatedRequestParams, RequestMetaObject, RootsCapabilities,
    SamplingCapability, ServerResult, Tool, UrlElicitationCapability,
};
use rmcp::service::{Peer, RoleClient, RunningService, ServiceError};
use serde::Serialize;

use super::budget::{AnswerBudget, AnswerTicket, Refusal};
use super::connect::{Failure, Opening, Reads, client_config, connect};
use super::tool_fields;
use crate::domain::{
    Catalog, CatalogEntry, Discovery, McpEra, McpServerRecord, ProbeReport, ProbeState, ServerInfo,
    now, supported_versions,
};
use crate::outbound::OutboundSettings;

/// Items of one kind a probe accepts; more is a protocol error.
pub const MAX_ITEMS: usize = 10_000;
/// Bytes of listing (all kinds together, and any one message) a probe accepts.
/// Real listings are tens to a few hundred KB, and 1 MiB of tool definitions
/// is some 250,000 tokens, more than an agent's context holds. Parsing a
/// message costs many times its bytes (up to ~90 times for one of tiny JSON
/// values, measured, most of it in the SDK's parsing), so this is what bounds
/// a probe's memory.
pub const MAX_LISTING_BYTES: usize = 1024 * 1024;
const PROBE_READS: Reads = Reads {
    ticketed: MAX_LISTING_BYTES,
    other: MAX_LISTING_BYTES,
};
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

/// Our side of the conversation: a client that asks, and answers nothing.
#[derive(Debug, Clone)]
struct Registry;

impl ClientHandler for Registry {
    fn get_info(&self) -> ClientConfig {
        probe_config()
    }
}

/// The probe declares what the gateway relays to an agent that can answer
/// it (sampling, elicitation of both kinds, roots): servers list some tools
/// only to clients that declare those, and the catalog holds what such an
/// agent sees. Asked anything itself, the probe declines.
fn probe_config() -> ClientConfig {
    let mut config = client_config();
    config.capabilities.sampling = Some(SamplingCapability::default());
    config.capabilities.elicitation = Some(
        ElicitationCapability::new()
            .with_form(FormElicitationCapability::default())
            .with_url(UrlElicitationCapability::default()),
    );
    config.capabilities.roots = Some(RootsCapabilities::default());
    config
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
                // Sentences of ours; the server's names in them redacted.
                error: Some(server.redactor().redact_str(&failure.error).into_owned()),
                discovery: None,
            },
        }
    }

    async fn converse(&self, server: &McpServerRecord) -> Result<Discovery, Failure> {
        let connection = connect(
            Registry,
            server,
            &self.settings.outbound,
            PROBE_READS,
            Opening::DiscoverFirst,
        )
        .await?;
        let discovery = discover(&connection.running)
            .await
            .map_err(|stopped| match stopped {
                Stopped::Limit(failure) => failure,
                Stopped::Request(during, error) => connection.explain(during, Some(&error)),
            });
        // Ends the session (a DELETE) whatever the discovery found.
        let _ = connection.running.cancel().await;
        // What the server says may echo the credentials it was sent.
        discovery.map(|discovery| discovery.redacted(&server.redactor()))
    }
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
            "the server sent no server/discover or initialize result",
        ))
    })?;
    let capabilities = &info.capabilities;
    let mut budget = ListingBudget::default();
    let mut catalog = Catalog::default();
    if capabilities.tools.is_some() {
        catalog.tools = list_pages(&mut budget, "tools/list", |params| async move {
            tools_page(peer, params).await
        })
        .await?;
        for tool in &mut catalog.tools {
            tool_fields::restore(&mut tool.body);
        }
    }
    if capabilities.resources.is_some() {
        catalog.resources = list_pages(&mut budget, "resources/list", |params| async move {
            let page = peer
                .list_resources(params)
                .await
                .map_err(failed("resources/list"))?;
            Ok((page.resources, page.next_cursor))
        })
        .await?;
        catalog.resource_templates = list_pages(
            &mut budget,
            "resources/templates/list",
            |params| async move {
                let page = peer
                    .list_resource_templates(params)
                    .await
                    .map_err(failed("resources/templates/list"))?;
                Ok((page.resource_templates, page.next_cursor))
            },
        )
        .await?;
    }
    if capabilities.prompts.is_some() {
        catalog.prompts = list_pages(&mut budget, "prompts/list", |params| async move {
            let page = peer
                .list_prompts(params)
                .await
                .map_err(failed("prompts/list"))?;
            Ok((page.prompts, page.next_cursor))
        })
        .await?;
    }
    let protocol_version = info.protocol_version.as_str().to_owned();
    let supported_versions = match McpEra::of(&protocol_version) {
        // The opening's own answer is not kept by the client: ask again.
        McpEra::Stateless => {
            let config = probe_config();
            let meta = RequestMetaObject::with_client_context(
                info.protocol_version.clone(),
                config.client_info,
                config.capabilities,
            );
            match peer.discover(meta).await {
                Ok(result) => {
                    supported_versions(result.supported_versions.iter().map(|v| v.as_str()))
                }
                Err(_) => supported_versions([protocol_version.as_str()]),
            }
        }
        McpEra::Handshake => supported_versions([protocol_version.as_str()]),
    };
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
        protocol_version,
        supported_versions,
        capabilities: serde_json::to_value(capabilities).unwrap_or_default(),
        catalog,
    })
}

/// A request of `method` that failed with `error`.
fn failed(method: &'static str) -> impl Fn(ServiceError) -> Stopped {
    move |error| Stopped::Request(method, error)
}

/// A page of tools, read as a call's answer is (metered.rs): there the
/// fields of each tool that rmcp's `Tool` has no place for ride through
/// its parse (tool_fields.rs). Its ticket shares no room with the
/// gateway's calls: a probe's memory is bounded by the listing's bytes.
async fn tools_page(
    peer: &Peer<RoleClient>,
    params: Option<PaginatedRequestParams>,
) -> Result<(Vec<Tool>, Option<String>), Stopped> {
    let ticket = AnswerTicket::new(&AnswerBudget::new(usize::MAX / 2));
    let mut request = ClientRequest::ListToolsRequest(ListToolsRequest {
        method: Default::default(),
        params,
        extensions: Default::default(),
    });
    request.extensions_mut().insert(ticket.clone());
    let answer = peer.send_request(request).await;
    if ticket.refused().await == Some(Refusal::TooLarge) {
        return Err(Stopped::Limit(Failure::new(
            ProbeState::ProtocolError,
            format!(
                "the answer to tools/list is larger than {} MiB",
                MAX_LISTING_BYTES / (1024 * 1024)
            ),
        )));
    }
    match answer.map_err(failed("tools/list"))? {
        ServerResult::ListToolsResult(page) => Ok((page.tools, page.next_cursor)),
        _ => Err(Stopped::Request(
            "tools/list",
            ServiceError::UnexpectedResponse,
        )),
    }
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
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Stopped>>,
{
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let params = cursor
            .take()
            .map(|cursor| PaginatedRequestParams::default().with_cursor(Some(cursor)));
        let (items, next) = fetch(params).await?;
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
