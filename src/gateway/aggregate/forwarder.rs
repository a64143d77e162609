//! Our side of a session with a registered server: what the server sends
//! the registry while a call is under way goes on to the agent that made it.
//! The handshake era's server-to-client requests (sampling, roots) are
//! deprecated by SEP-2577 in favour of 2026-07-28's `input_required`, but
//! they are what agents and servers of that era speak, so they are relayed.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::{
    ClientCapabilities, ClientConfig, ClientResult, CreateMessageRequest,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequest, ElicitRequestParams,
    ElicitResult, GetExtensions, ListRootsRequest, ListRootsResult, LoggingLevel,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken, RequestId,
    ResourceUpdatedNotificationParam, ServerRequest,
};
use rmcp::service::{
    InboundStreamOrigin, NotificationContext, OriginatingRequestId, Peer, RequestContext,
    RoleClient, RoleServer,
};
use rmcp::{ClientHandler, ServiceError};

use crate::mcp::client_config;
use crate::redaction::Redactor;

/// The agent's request each call under way was made for, by the id of the
/// call sent upstream: what a server asks during a call is asked of the
/// agent on that request's own stream (SEP-2260), as the server asked it.
/// Held like the progress tokens: a server's question waits for its call.
pub(super) type AgentRequests = Arc<tokio::sync::Mutex<HashMap<RequestId, RequestId>>>;

/// The least severe log level an agent's handshake-era session asked for
/// (`logging/setLevel`); none: every line the servers send.
#[derive(Clone, Default)]
pub(super) struct LogLevel(Arc<std::sync::Mutex<Option<LoggingLevel>>>);

impl LogLevel {
    pub(super) fn set(&self, level: LoggingLevel) {
        if let Ok(mut current) = self.0.lock() {
            *current = Some(level);
        }
    }

    pub(super) fn get(&self) -> Option<LoggingLevel> {
        self.0.lock().ok().and_then(|current| *current)
    }

    /// Whether a line at `level` is one the agent asked for.
    fn wants(&self, level: LoggingLevel) -> bool {
        // Declared from the least severe to the most.
        self.get().is_none_or(|least| level as u8 >= least as u8)
    }
}

/// Progress tokens of calls under way: the upstream's (rmcp numbers them
/// itself) to the agent that called and its own token. A call holds the
/// lock from before its request is sent until its token is in, so a progress
/// notification the upstream sends at once waits for its token instead of
/// being dropped as unknown; a notification holds it while it is forwarded.
pub(super) type ProgressTokens =
    Arc<tokio::sync::Mutex<HashMap<ProgressToken, (Peer<RoleServer>, ProgressToken)>>>;

/// Our side of a session with an upstream: passes its progress notifications
/// on to the agent that made the call, under the agent's own token, and, in
/// an agent's handshake-era session, its requests for sampling, elicitation
/// and roots to that agent (the capabilities it declared are the ones told
/// to the server); all with the upstream's secrets redacted.
#[derive(Clone)]
pub(super) struct Forwarder {
    pub(super) progress: ProgressTokens,
    pub(super) redactor: Redactor,
    pub(super) agent: Option<BackChannel>,
    pub(super) agent_requests: AgentRequests,
    pub(super) log_level: LogLevel,
}

/// Of what an agent `declared`, what the registry relays when a server asks:
/// sampling, elicitation and roots; not extensions (tasks), which `/mcp`
/// cannot pass on yet.
pub(super) fn relayable(declared: &ClientCapabilities) -> ClientCapabilities {
    let mut relayed = ClientCapabilities::default();
    relayed.sampling = declared.sampling.clone();
    relayed.elicitation = declared.elicitation.clone();
    relayed.roots = declared.roots.clone();
    relayed
}

/// The agent a server's own requests are passed to, and what it can answer.
#[derive(Clone)]
pub(super) struct BackChannel {
    peer: Peer<RoleServer>,
    relayed: ClientCapabilities,
}

impl BackChannel {
    /// The agent of `peer`'s session, with what it declared a server may ask.
    pub(super) fn of(peer: &Peer<RoleServer>) -> Self {
        let relayed = peer
            .peer_info()
            .map(|info| relayable(&info.capabilities))
            .unwrap_or_default();
        Self {
            peer: peer.clone(),
            relayed,
        }
    }

    /// Whether a server may ask it anything.
    pub(super) fn answers_anything(&self) -> bool {
        let relayed = &self.relayed;
        relayed.sampling.is_some() || relayed.elicitation.is_some() || relayed.roots.is_some()
    }
}

impl Forwarder {
    /// Passes a server's request, asked during the call `context` came on,
    /// to the agent, when the agent declared it can answer it, and brings
    /// its answer back.
    async fn ask_agent(
        &self,
        request: ServerRequest,
        context: &RequestContext<RoleClient>,
        declared: impl Fn(&ClientCapabilities) -> bool,
    ) -> Result<ClientResult, rmcp::ErrorData> {
        let agent = self
            .agent
            .as_ref()
            .filter(|agent| declared(&agent.relayed))
            .ok_or_else(|| {
                rmcp::ErrorData::new(
                    rmcp::model::ErrorCode::METHOD_NOT_FOUND,
                    "the agent did not declare it can answer this",
                    None,
                )
            })?;
        let mut request = self
            .redactor
            .redact_json(request)
            .ok_or_else(|| rmcp::ErrorData::internal_error("unreadable request", None))?;
        if let Some(InboundStreamOrigin::OutboundRequest(call)) =
            context.extensions.get::<InboundStreamOrigin>()
            && let Some(agent_request) = self.agent_requests.lock().await.get(call).cloned()
        {
            request
                .extensions_mut()
                .insert(OriginatingRequestId(agent_request));
        }
        // A task of its own: rmcp would otherwise mark the request as asked
        // during the server's request being handled here, an id of the
        // upstream's numbering that means nothing to the agent.
        let peer = agent.peer.clone();
        tokio::spawn(async move { peer.send_request(request).await })
            .await
            .map_err(|_| rmcp::ErrorData::internal_error("the agent did not answer", None))?
            .map_err(|error| match error {
                ServiceError::McpError(error) => error,
                _ => rmcp::ErrorData::internal_error("the agent did not answer", None),
            })
    }
}

fn other_answer() -> rmcp::ErrorData {
    rmcp::ErrorData::internal_error("the agent answered with another kind of result", None)
}

impl ClientHandler for Forwarder {
    fn get_info(&self) -> ClientConfig {
        let mut config = client_config();
        if let Some(agent) = &self.agent {
            config.capabilities = agent.relayed.clone();
        }
        config
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, rmcp::ErrorData> {
        let request = ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params));
        match self
            .ask_agent(request, &context, |c| c.sampling.is_some())
            .await?
        {
            ClientResult::CreateMessageResult(result) => Ok(*result),
            _ => Err(other_answer()),
        }
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, rmcp::ErrorData> {
        let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
        match self
            .ask_agent(request, &context, |c| c.elicitation.is_some())
            .await?
        {
            ClientResult::ElicitResult(result) => Ok(result),
            _ => Err(other_answer()),
        }
    }

    async fn list_roots(
        &self,
        context: RequestContext<RoleClient>,
    ) -> Result<ListRootsResult, rmcp::ErrorData> {
        let request = ServerRequest::ListRootsRequest(ListRootsRequest::default());
        match self
            .ask_agent(request, &context, |c| c.roots.is_some())
            .await?
        {
            ClientResult::ListRootsResult(result) => Ok(result),
            _ => Err(other_answer()),
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        // rmcp marks only a server's requests with the call they came on,
        // not its notifications: lines go to the agent of this session, and
        // a shared session (which has none) never asks for them (forward.rs).
        if let Some(BackChannel { peer: agent, .. }) = &self.agent
            && self.log_level.wants(params.level)
            && let Some(params) = self.redactor.redact_json(params)
        {
            let _ = agent.notify_logging_message(params).await;
        }
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        // Only the sessions that hold an agent's subscriptions subscribe.
        if let Some(agent) = &self.agent
            && let Some(params) = self.redactor.redact_json(params)
        {
            let _ = agent.peer.notify_resource_updated(params).await;
        }
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        // The lock is held until the notice is on its way to the agent: the
        // call, answered meanwhile, waits for it before it answers in turn,
        // so a notice sent just before the result is not left behind it.
        let tokens = self.progress.lock().await;
        if let Some((agent, token)) = tokens.get(&params.progress_token).cloned()
            && let Some(mut params) = self.redactor.redact_json(params)
        {
            params.progress_token = token;
            let _ = agent.notify_progress(params).await;
        }
        drop(tokens);
    }
}
