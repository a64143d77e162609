//! Sessions with the registered servers: opened at the first call to each,
//! with the stored credentials, as current clients open them (2026-07-28's
//! `server/discover` first, `initialize` for a server of an earlier
//! revision), and reopened when the record changes (a new key, a new URL)
//! or after a while unused (servers forget idle sessions).
//! An agent's `/mcp` session holds its own, opened with `initialize` and
//! the agent's sampling, elicitation and roots capabilities when it declared
//! any (the server may then ask it, forwarder.rs); requests of the stateless
//! revision, which have no session, share one set.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::ServiceError;
use rmcp::model::{
    CancelledNotificationParam, ClientRequest, RequestMetaObject, ServerResult,
    SubscribeRequestParams,
};
use rmcp::service::{Peer, PeerRequestOptions, RequestContext, RoleServer};

use super::super::{GatewaySettings, MAX_MESSAGE_BYTES};
use super::forwarder::{
    AgentRequests, BackChannel, Forwarder, LogLevel, ProgressTokens, relayable,
};

use crate::domain::{McpServerId, McpServerRecord, ProbeState};
use crate::mcp::{Connection, Failure, Opening, Reads, connect};
use crate::outbound::OutboundSettings;

/// A call's answer is as large as the gateway passes on, read within the
/// answers' budget; the session's own (`initialize`, a few KB in practice)
/// is read outside it, so it is kept small: parsing one costs up to some
/// ninety times its bytes.
const UPSTREAM_READS: Reads = Reads {
    ticketed: MAX_MESSAGE_BYTES,
    other: 256 * 1024,
};

/// An upstream session unused this long is opened anew rather than reused:
/// servers drop idle sessions (minutes, typically), and a call on a dropped
/// one would fail.
const IDLE: Duration = Duration::from_secs(60);

/// Why a request to an upstream got no answer, in words safe to show.
#[derive(Debug)]
pub enum CallFailure {
    /// The upstream answered with a JSON-RPC error: passed on as it is.
    Rpc(rmcp::ErrorData),
    /// The connection failed: what the probe would report.
    Upstream(Failure),
    Timeout,
    /// The agent cancelled the request, or went away.
    Cancelled,
}

struct Open {
    /// The record's version the session was opened with.
    version: i64,
    connection: Connection<Forwarder>,
    last_used: Mutex<Instant>,
}

impl Open {
    /// How long since it last served a call.
    fn idle_for(&self) -> Duration {
        self.last_used
            .lock()
            .map_or(Duration::MAX, |last_used| last_used.elapsed())
    }

    /// Whether it may serve a call of `server` now (one left idle too, when
    /// `kept`); if so it is in use.
    fn reusable_for(&self, server: &McpServerRecord, kept: bool) -> bool {
        let Ok(mut last_used) = self.last_used.lock() else {
            return false;
        };
        let fresh = self.version == server.version && (kept || last_used.elapsed() < IDLE);
        if fresh {
            *last_used = Instant::now();
        }
        fresh
    }
}

/// Upstream sessions, by server.
#[derive(Default)]
pub struct Upstreams {
    open: tokio::sync::Mutex<HashMap<McpServerId, Arc<Open>>>,
    progress: ProgressTokens,
    agent_requests: AgentRequests,
    /// What the agent of a handshake-era session asked to hear of the logs.
    log_level: LogLevel,
    /// Whether they hold an agent's resource subscriptions: opened with
    /// `initialize` (the handshake era's `resources/subscribe`) and kept
    /// open however long unused, for the updates to come.
    holds_subscriptions: bool,
    /// The resources subscribed to on them, by server: subscribed to again
    /// on a session opened anew when the record changes.
    subscribed: Mutex<HashMap<McpServerId, BTreeSet<String>>>,
    /// Whether they belong to one agent's session (of the handshake era, or
    /// one 2026-07-28 request that asked for log lines), whose agent hears
    /// what its servers send outside any call and can be asked what they ask.
    one_agent: bool,
}

impl Upstreams {
    /// The sessions of one agent's session.
    pub fn of_one_agent() -> Self {
        Self {
            one_agent: true,
            ..Self::default()
        }
    }

    /// The sessions that hold one agent's resource subscriptions.
    pub fn for_subscriptions() -> Self {
        Self {
            one_agent: true,
            holds_subscriptions: true,
            ..Self::default()
        }
    }

    async fn session(
        &self,
        server: &McpServerRecord,
        outbound: &OutboundSettings,
        agent: &Peer<RoleServer>,
    ) -> Result<Arc<Open>, CallFailure> {
        if let Some(open) = self.open.lock().await.get(&server.id)
            && open.reusable_for(server, self.holds_subscriptions)
        {
            return Ok(Arc::clone(open));
        }
        let agent = self.one_agent.then(|| BackChannel::of(agent));
        // A server can ask the agent something only in a session of the
        // handshake era (2026-07-28 asks by `input_required`, passed back).
        let opening = if self.holds_subscriptions {
            Opening::Listening
        } else if agent.as_ref().is_some_and(BackChannel::answers_anything) {
            Opening::Initialize
        } else {
            Opening::DiscoverFirst
        };
        let forwarder = Forwarder {
            progress: Arc::clone(&self.progress),
            redactor: server.redactor(),
            agent,
            agent_requests: Arc::clone(&self.agent_requests),
            log_level: self.log_level.clone(),
        };
        let connection = connect(forwarder, server, outbound, UPSTREAM_READS, opening)
            .await
            .map_err(CallFailure::Upstream)?;
        let open = Arc::new(Open {
            version: server.version,
            connection,
            last_used: Mutex::new(Instant::now()),
        });
        // A session opened with an older record, or left idle, closes when
        // dropped here (and its calls under way are done); so do the others
        // left idle (servers deleted or disabled, or no longer called), so
        // the shared set holds only servers called of late.
        let mut sessions = self.open.lock().await;
        sessions.retain(|_, other| self.holds_subscriptions || other.idle_for() < IDLE);
        sessions.insert(server.id, Arc::clone(&open));
        drop(sessions);
        if self.holds_subscriptions {
            self.subscribe_again(server, &open).await;
        }
        Ok(open)
    }

    /// Subscribes `open`, a session opened anew with `server`, to what the
    /// agent had subscribed to there: the session it replaces has closed.
    #[allow(deprecated)] // the handshake era's subscriptions, still spoken
    async fn subscribe_again(&self, server: &McpServerRecord, open: &Open) {
        let uris: Vec<String> = self
            .subscribed
            .lock()
            .ok()
            .and_then(|subscribed| subscribed.get(&server.id).cloned())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let peer = open.connection.running.peer();
        for uri in uris {
            let request = rmcp::model::SubscribeRequest::new(SubscribeRequestParams::new(uri));
            if peer
                .send_request(ClientRequest::SubscribeRequest(request))
                .await
                .is_err()
            {
                // (The server's words may echo its credentials: not logged.)
                tracing::warn!(server = %server.id, "a resource subscription could not be renewed");
            }
        }
    }

    /// Notes that the agent subscribed to `uri` of `server`, or no longer.
    pub fn note_subscription(&self, server: McpServerId, uri: &str, subscribed: bool) {
        let Ok(mut all) = self.subscribed.lock() else {
            return;
        };
        let uris = all.entry(server).or_default();
        if subscribed {
            uris.insert(uri.to_owned());
        } else {
            uris.remove(uri);
            if uris.is_empty() {
                all.remove(&server);
            }
        }
    }

    /// The servers the agent holds subscriptions with.
    pub fn subscribed_servers(&self) -> Vec<McpServerId> {
        self.subscribed
            .lock()
            .map(|all| all.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Brings the session with `server` up to its record: one opened with
    /// an older record (a new key, a new URL) is opened anew, subscribed to
    /// the same resources. `None`, a server deleted or disabled, ends it.
    pub async fn renew(
        &self,
        id: McpServerId,
        server: Option<&McpServerRecord>,
        outbound: &OutboundSettings,
        agent: &Peer<RoleServer>,
    ) {
        match server {
            Some(server) => {
                if self.session(server, outbound, agent).await.is_err() {
                    tracing::warn!(server = %id, "a subscription's session could not be opened again");
                }
            }
            None => {
                self.open.lock().await.remove(&id);
            }
        }
    }

    /// Sends `request`, made for the agent's request `context`, to `server`
    /// and waits for its answer, within the call timeout and until the agent
    /// cancels; an unanswered request is cancelled upstream.
    pub async fn call(
        &self,
        server: &McpServerRecord,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
        settings: &GatewaySettings,
    ) -> Result<ServerResult, CallFailure> {
        let (cancelled, timeout) = (&context.ct, settings.call_timeout);
        let progress = context.meta.get_progress_token();
        let open = self
            .session(server, &settings.outbound, &context.peer)
            .await?;
        let peer = open.connection.running.peer().clone();
        let during = request.method().to_owned();
        let mut tokens = self.progress.lock().await;
        // Only an agent's own sessions relay what servers ask.
        let mut agent_requests = match self.one_agent {
            true => Some(self.agent_requests.lock().await),
            false => None,
        };
        let handle = match peer
            .send_request_with_option(request, self.relayed_meta(context))
            .await
        {
            Ok(handle) => handle,
            Err(error) => {
                drop((tokens, agent_requests));
                return Err(self.failed(server, &open, &during, error).await);
            }
        };
        let (id, upstream_token) = (handle.id.clone(), handle.progress_token.clone());
        if let Some(agent_requests) = agent_requests.as_mut() {
            agent_requests.insert(id.clone(), context.id.clone());
        }
        drop(agent_requests);
        if let Some(token) = progress {
            tokens.insert(upstream_token.clone(), (context.peer.clone(), token));
        }
        drop(tokens);
        let outcome = tokio::select! {
            answer = handle.await_response() => Some(answer),
            () = cancelled.cancelled() => None,
            () = tokio::time::sleep(timeout) => None,
        };
        // rmcp hands notifications to tasks of their own, and the answer to
        // the caller at once: a notice that came just before the answer is
        // let through first (its task runs, and takes the lock, before this
        // one is resumed) and forwarded before the answer goes out.
        tokio::task::yield_now().await;
        self.progress.lock().await.remove(&upstream_token);
        if self.one_agent {
            self.agent_requests.lock().await.remove(&id);
        }
        match outcome {
            Some(Ok(result)) => Ok(result),
            Some(Err(ServiceError::McpError(error))) => Err(CallFailure::Rpc(error)),
            Some(Err(error)) => Err(self.failed(server, &open, &during, error).await),
            None => {
                // A courtesy to the upstream: it may stop working for nobody.
                let reason = if cancelled.is_cancelled() {
                    "the agent cancelled the request"
                } else {
                    "the registry's call timeout passed"
                };
                let notice = CancelledNotificationParam::new(Some(id), Some(reason.to_owned()));
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), peer.notify_cancelled(notice))
                            .await;
                });
                Err(if cancelled.is_cancelled() {
                    CallFailure::Cancelled
                } else {
                    CallFailure::Timeout
                })
            }
        }
    }

    /// Explains a failed connection and forgets it: the next call opens anew.
    async fn failed(
        &self,
        server: &McpServerRecord,
        open: &Arc<Open>,
        during: &str,
        error: ServiceError,
    ) -> CallFailure {
        let mut sessions = self.open.lock().await;
        if sessions
            .get(&server.id)
            .is_some_and(|current| Arc::ptr_eq(current, open))
        {
            sessions.remove(&server.id);
        }
        let failure = open.connection.explain(during, Some(&error));
        match failure.state {
            ProbeState::Timeout => CallFailure::Timeout,
            _ => CallFailure::Upstream(failure),
        }
    }
}

impl Upstreams {
    /// An agent's `logging/setLevel`: its calls from now on ask servers for
    /// lines at `level` and above, and hear no others.
    #[allow(deprecated)]
    pub fn set_log_level(&self, level: rmcp::model::LoggingLevel) {
        self.log_level.set(level);
    }

    /// What the agent told the registry that the server should know with
    /// each request: what a 2026-07-28 agent declared it can answer (the
    /// server may then ask it for input, an `input_required` result that
    /// goes back to the agent, and only then), and the log level it asked
    /// for, of the request (2026-07-28) or of its session (`logging/setLevel`).
    #[allow(deprecated)]
    fn relayed_meta(&self, context: &RequestContext<RoleServer>) -> PeerRequestOptions {
        let mut meta = RequestMetaObject::new();
        if let Some(declared) = context.meta.client_capabilities() {
            meta.set_client_capabilities(relayable(&declared));
        }
        if let Some(level) = context.meta.log_level().or_else(|| self.log_level.get()) {
            meta.set_log_level(level);
        }
        if meta.0.is_empty() {
            PeerRequestOptions::no_options()
        } else {
            PeerRequestOptions::no_options().with_meta(meta)
        }
    }
}
