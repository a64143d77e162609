//! `/mcp`: one MCP server (rmcp's server side, Streamable HTTP) whose tools
//! and prompts are those of every active registered server whose health is
//! ok, named `{server}__{item}` (see `names`), and whose resources are theirs
//! under their own URIs. `?servers=a,b` narrows the set. It speaks the
//! stateless revision (2026-07-28: `server/discover`, `subscriptions/listen`)
//! and the handshake ones (sessions, the GET stream). A call goes to its
//! server with the stored credentials, through a session this agent session
//! opened there (or, for a stateless request, one shared by all such);
//! progress comes back as it is sent; a cancelled call is cancelled
//! upstream; every `tools/call` is audited.

mod catalog;
mod completion;
mod endpoint;
mod forward;
mod forwarder;
mod names;
mod notices;
mod stored_sessions;
mod upstreams;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, ClientRequest, CompleteRequestParams,
    CompleteResult, ErrorCode, GetPromptRequest, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeRequestParams, InitializeResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequest, ReadResourceRequestParams, ReadResourceResponse,
    ResultType, ServerCapabilities, ServerConfig, ServerResult, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, ServerHandler};
use serde_json::json;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::relay::{CallAudit, audit_call};
use super::session::SessionIds;
use super::{Gateway, GatewayError, MAX_MESSAGE_BYTES};
use crate::access::Caller;
use crate::domain::{CatalogKind, McpServerId, McpServerRecord, ServerStatus};
use crate::mcp::budget::AnswerTicket;
use catalog::{ListPages, runs_only_as_task, task_required};
use endpoint::SessionSlot;
use upstreams::Upstreams;

pub use endpoint::{AggregateEndpoint, SessionLimits};
pub use names::MAX_NAME;
pub use stored_sessions::forget_old_sessions;

/// The agent's address, for the audit log; the HTTP layer puts it in the
/// request's extensions beside the `Caller`.
#[derive(Debug, Clone)]
pub struct AgentAddress(pub String);

/// The room in the answers' budget of the answers one HTTP request carries
/// to the agent: the endpoint puts it in the request's extensions and keeps
/// it until the response's body has gone out (or the agent has gone).
#[derive(Clone, Default)]
struct AnswersInFlight(Arc<std::sync::Mutex<Vec<AnswerTicket>>>);

impl AnswersInFlight {
    fn keep(&self, ticket: AnswerTicket) {
        if let Ok(mut tickets) = self.0.lock() {
            tickets.push(ticket);
        }
    }
}

type AggregateService = StreamableHttpService<AggregateSession, LocalSessionManager>;

/// `/mcp`, with at most `limits` sessions. Its `Host` and `Origin` are
/// checked before it runs, as on every route (`api::rebinding`).
pub fn endpoint(gateway: Arc<Gateway>, limits: SessionLimits) -> AggregateEndpoint {
    let mut config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(MAX_MESSAGE_BYTES)
        .with_sse_keep_alive(Some(Duration::from_secs(15)))
        .disable_allowed_hosts();
    let store = Arc::new(stored_sessions::StoredSessions::new(Arc::clone(
        &gateway.repository,
    )));
    config.session_store = Some(store.clone());
    let ids = SessionIds::new(gateway.repository.secret_boxer());
    let stateless = Arc::new(Upstreams::default());
    let pages = Arc::new(ListPages::default());
    let sessions = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(
        move || {
            Ok(AggregateSession::new(
                Arc::clone(&gateway),
                Arc::clone(&stateless),
                Arc::clone(&pages),
                endpoint::opening_slot(),
            ))
        },
        Arc::clone(&sessions),
        config,
    );
    AggregateEndpoint::new(service, sessions, store, ids, limits)
}

/// One agent's session with `/mcp`.
pub struct AggregateSession {
    gateway: Arc<Gateway>,
    /// Its place among the sessions its token may hold, until it ends.
    _slot: Option<SessionSlot>,
    upstreams: Upstreams,
    /// Its sessions that hold its resource subscriptions.
    subscriptions: Arc<Upstreams>,
    /// The upstream sessions requests without a session share.
    stateless: Arc<Upstreams>,
    /// Pages of the lists every session shares.
    pages: Arc<ListPages>,
    /// Ends the task that tells the agent about catalog changes.
    stop_notices: CancellationToken,
    _stop_notices_on_drop: DropGuard,
}

/// Who asks, and what they may see, from the HTTP request under a message.
struct Asker {
    caller: Caller,
    source: String,
    /// Uniqueness keys of the servers named by `?servers=`, if given.
    only: Option<Vec<String>>,
}

impl AggregateSession {
    fn new(
        gateway: Arc<Gateway>,
        stateless: Arc<Upstreams>,
        pages: Arc<ListPages>,
        slot: Option<SessionSlot>,
    ) -> Self {
        let stop_notices = CancellationToken::new();
        Self {
            gateway,
            _slot: slot,
            upstreams: Upstreams::of_one_agent(),
            subscriptions: Arc::new(Upstreams::for_subscriptions()),
            stateless,
            pages,
            _stop_notices_on_drop: stop_notices.clone().drop_guard(),
            stop_notices,
        }
    }

    /// The record of the server that serves the resource `uri`.
    async fn resource_owner(
        &self,
        uri: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Arc<McpServerRecord>, McpError> {
        let asker = self.asker(context)?;
        let server = self.resource_server(uri, &asker).await?;
        self.record(server).await
    }

    fn asker(&self, context: &RequestContext<RoleServer>) -> Result<Asker, McpError> {
        let parts = context
            .extensions
            .get::<http::request::Parts>()
            .ok_or_else(|| McpError::internal_error("the HTTP request is missing", None))?;
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| McpError::internal_error("the caller is unknown", None))?;
        let source = parts
            .extensions
            .get::<AgentAddress>()
            .map_or_else(String::new, |address| address.0.clone());
        let only = parts.uri.query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "servers")
                .map(|(_, names)| {
                    names
                        .split(',')
                        .map(|name| name.trim().to_lowercase())
                        .filter(|name| !name.is_empty())
                        .collect()
                })
        });
        Ok(Asker {
            caller,
            source,
            only,
        })
    }

    /// The record to call, if it may be called.
    async fn record(&self, id: McpServerId) -> Result<Arc<McpServerRecord>, McpError> {
        let record = self
            .gateway
            .repository
            .find_recent(id)
            .await
            .map_err(|_| rpc_error(&GatewayError::Storage))?
            .ok_or_else(|| rpc_error(&GatewayError::UnknownServer))?;
        if record.status != ServerStatus::Active {
            return Err(rpc_error(&GatewayError::Disabled));
        }
        Ok(record)
    }

    /// The server that owns the prompt an agent names, and its name there.
    async fn prompt_owner(
        &self,
        name: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<(Arc<McpServerRecord>, String), McpError> {
        let asker = self.asker(context)?;
        let hit = self.resolve(CatalogKind::Prompt, name, &asker).await?;
        let record = self.record(hit.server_id).await?;
        Ok((record, hit.stored.entry.name))
    }
}

impl ServerHandler for AggregateSession {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .build();
        // A prompt's arguments are completed by its own server.
        capabilities.completions = Some(Default::default());
        // The servers' log lines, at the level the agent sets.
        capabilities.logging = Some(Default::default());
        InitializeResult::new(capabilities)
            .with_server_info(Implementation::new(
                "mcp-registry",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "The tools and prompts of every active MCP server registered here whose \
                 health is ok, named {server}__{name}; resources keep their URIs.",
            )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::KNOWN_VERSIONS)
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(notices::offered())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), McpError> {
        self.tell_subscription(subscription).await;
        Ok(())
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, McpError> {
        context.peer.set_peer_info(request.clone());
        let mut result = self.negotiate_initialize(&request)?;
        // The handshake era's resources/subscribe, passed to the resource's
        // server (2026-07-28 has no such method).
        if let Some(resources) = result.capabilities.resources.as_mut() {
            resources.subscribe = Some(true);
        }
        Ok(result)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.watch_catalogs(context.peer);
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        self.list(CatalogKind::Tool, "tools", request, &context, true)
            .await
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let asker = self.asker(&context)?;
        let started = Instant::now();
        let audit = |server: String, tool: &str, outcome: &str| {
            audit_call(
                &CallAudit {
                    actor: asker.caller.name.clone(),
                    source: asker.source.clone(),
                    server,
                    tool: tool.to_owned(),
                },
                started.elapsed(),
                outcome,
            );
        };
        let hit = match self.resolve(CatalogKind::Tool, &request.name, &asker).await {
            Ok(hit) => hit,
            Err(error) => {
                audit(String::new(), &request.name, "unknown_tool");
                return Err(error);
            }
        };
        let tool = hit.stored.entry.name.clone();
        let server = hit.server_id.to_string();
        if runs_only_as_task(&hit.stored.entry.body) {
            audit(server, &tool, "task_required");
            return Err(task_required(&request.name, hit.server_id));
        }
        let record = match self.record(hit.server_id).await {
            Ok(record) => record,
            Err(error) => {
                audit(server, &tool, "disabled");
                return Err(error);
            }
        };
        request.name = Cow::Owned(tool.clone());
        let call = ClientRequest::CallToolRequest(CallToolRequest::new(request));
        match self.forward(&record, call, &context).await {
            Ok(ServerResult::CallToolResult(mut result)) => {
                complete(&mut result.result_type);
                let outcome = if result.is_error == Some(true) {
                    "tool_error"
                } else {
                    "ok"
                };
                audit(server, &tool, outcome);
                Ok(CallToolResponse::Complete(result))
            }
            // The server asks the agent for input first (SEP-2322): the agent
            // answers, and its retry comes back here, to the same server.
            Ok(ServerResult::InputRequiredResult(result)) => {
                audit(server, &tool, "input_required");
                Ok(CallToolResponse::InputRequired(result))
            }
            Ok(other) => {
                audit(server, &tool, "error");
                Err(unexpected(other))
            }
            Err((error, outcome)) => {
                audit(server, &tool, outcome);
                Err(error)
            }
        }
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        self.list(CatalogKind::Prompt, "prompts", request, &context, true)
            .await
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let (record, name) = self.prompt_owner(&request.name, &context).await?;
        request.name = name;
        let get = ClientRequest::GetPromptRequest(GetPromptRequest::new(request));
        match self.forward(&record, get, &context).await {
            Ok(ServerResult::GetPromptResult(mut result)) => {
                complete(&mut result.result_type);
                Ok(GetPromptResponse::Complete(result))
            }
            Ok(ServerResult::InputRequiredResult(result)) => {
                Ok(GetPromptResponse::InputRequired(result))
            }
            Ok(other) => Err(unexpected(other)),
            Err((error, _)) => Err(error),
        }
    }

    #[allow(deprecated)] // the handshake era's subscriptions, still spoken
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let uri = request.uri.clone();
        let subscribe =
            ClientRequest::SubscribeRequest(rmcp::model::SubscribeRequest::new(request));
        self.subscription(&uri, subscribe, &context).await
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let uri = request.uri.clone();
        let end = ClientRequest::UnsubscribeRequest(rmcp::model::UnsubscribeRequest::new(request));
        self.subscription(&uri, end, &context).await
    }

    #[allow(deprecated)] // the handshake era's logging, still spoken
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.upstreams.set_log_level(request.level);
        Ok(())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        self.complete_argument(request, context).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.list(CatalogKind::Resource, "resources", request, &context, false)
            .await
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        // As each server wrote them: a URI made from one is read from the
        // server whose template it fits (catalog.rs).
        self.list(
            CatalogKind::ResourceTemplate,
            "resourceTemplates",
            request,
            &context,
            false,
        )
        .await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let record = self.resource_owner(&request.uri, &context).await?;
        let read = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(request));
        match self.forward(&record, read, &context).await {
            Ok(ServerResult::ReadResourceResult(mut result)) => {
                complete(&mut result.result_type);
                Ok(ReadResourceResponse::Complete(result))
            }
            Ok(ServerResult::InputRequiredResult(result)) => {
                Ok(ReadResourceResponse::InputRequired(result))
            }
            Ok(other) => Err(unexpected(other)),
            Err((error, _)) => Err(error),
        }
    }
}

/// A result from a server of the handshake era says nothing of its kind;
/// 2026-07-28 requires it (`resultType`), and older agents ignore it.
fn complete(result_type: &mut Option<ResultType>) {
    result_type.get_or_insert(ResultType::COMPLETE);
}

fn rpc_error(error: &GatewayError) -> McpError {
    McpError::new(
        ErrorCode(i32::try_from(error.code()).unwrap_or(-32603)),
        error.to_string(),
        Some(json!({"reason": error.reason()})),
    )
}

/// An answer of another kind than asked for.
fn unexpected(_: ServerResult) -> McpError {
    McpError::internal_error(
        "the MCP server answered with another kind of result",
        Some(json!({"reason": "unreachable"})),
    )
}
