//! The gateway: agents talk MCP (Streamable HTTP) to the registry, and the
//! registry talks to the registered server with the stored credentials, which
//! the agent never holds. `/v1/mcp-servers/{id}/mcp` passes one registered
//! server through: requests go on with the credentials added (the agent's own
//! `Authorization` never does), session ids are mapped both ways, answers
//! stream back as they arrive.

pub mod aggregate;
mod error;
mod quota;
mod relay;
mod rpc;
mod session;

pub use error::GatewayError;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, Method};
use poem::{Body, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::access::Caller;
use crate::domain::{McpServerId, McpServerRecord, NetworkPolicy, ServerStatus};
use crate::mcp::budget::{AnswerBudget, Held, Unread, read_whole};
use crate::outbound::{
    OutboundClient, OutboundSettings, SendFailure, answer_encoding, credential_headers,
    send_failure,
};
use crate::redaction::Redactor;
use crate::storage::McpServerRepository;
use quota::{Quota, QuotaSlot};
use relay::{CallAudit, EventRelay, Exchange, Upstream};
use rpc::Peek;
use session::{Binding, SessionIds};

/// The largest answer passed on: a JSON body, or one event of a stream.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// How long a call waits for one of its server's call slots.
const SLOT_WAIT: Duration = Duration::from_secs(5);
/// Quiet time before a heartbeat on an answer's stream: a call notices an
/// agent that went away within about two of these, and cancels upstream.
const CALL_HEARTBEAT: Duration = Duration::from_secs(2);
/// The same on a stream the agent opened with GET, which may idle for long.
const STREAM_HEARTBEAT: Duration = Duration::from_secs(15);

const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
/// The agent's headers that belong to the protocol and go upstream; no other
/// header of the agent does (its Authorization least of all).
const FORWARDED: [HeaderName; 6] = [
    CONTENT_TYPE,
    ACCEPT,
    MCP_PROTOCOL_VERSION,
    LAST_EVENT_ID,
    MCP_METHOD,
    MCP_NAME,
];
/// 2026-07-28's headers naming a request's method and its tool, prompt or
/// resource.
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
/// 2026-07-28's request whose answer is a stream of notices that stays open
/// (it replaces the GET stream): held like one, without the call timeout.
const LISTEN: &str = "subscriptions/listen";
/// The headers a request of 2026-07-28 mirrors from its body's arguments
/// (those a tool declares with `x-mcp-header`): the agent's too.
const MCP_PARAM_PREFIX: &str = "mcp-param-";
/// The most of an upstream's refusal (a 4xx) read to pass it on.
const MAX_REFUSAL_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub outbound: OutboundSettings,
    /// One call, from the request to the last byte of its answer.
    pub call_timeout: Duration,
    /// Calls to one server at once, across every agent.
    pub max_concurrent_calls_per_server: usize,
    /// Bytes of upstream answers held at once, across every call.
    pub max_buffered_bytes: usize,
    /// Streams (GET) open at once to one server, across every agent.
    pub max_streams_per_server: usize,
    /// Streams (GET) one token holds open at once, across every server.
    pub max_streams_per_token: usize,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            outbound: OutboundSettings::default(),
            call_timeout: Duration::from_secs(120),
            max_concurrent_calls_per_server: 32,
            max_buffered_bytes: 64 * 1024 * 1024,
            max_streams_per_server: 64,
            max_streams_per_token: 32,
        }
    }
}

/// One request of an agent, as the HTTP layer hands it over.
pub struct Inbound {
    pub method: Method,
    /// The `{id}` of the path, as given.
    pub server: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub caller: Caller,
    /// The agent's address, for the audit log.
    pub source: String,
}

/// What a request holds while its answer streams: one of its server's call
/// slots (a POST), or a place among the streams its server and its token
/// may hold open (a GET).
pub enum Place {
    Call(OwnedSemaphorePermit),
    Stream {
        _server: QuotaSlot<McpServerId>,
        _token: QuotaSlot<String>,
    },
}

/// Answers up to this size go out with their length and let go of their
/// room at once; larger ones are streamed to keep it until they are sent.
const HELD_WHILE_SENT_ABOVE: usize = 64 * 1024;

/// A body of `bytes` that keeps its room in the answers' budget until it has
/// gone out (the connection asks for what follows once it has written it).
fn holding_until_sent(bytes: Bytes, held: Held) -> Body {
    if bytes.len() <= HELD_WHILE_SENT_ABOVE {
        return Body::from_bytes(bytes);
    }
    // The first poll hands over the answer; the next, once it is written,
    // ends the body and lets go of the room.
    let parts = futures::stream::unfold((Some(bytes), held), |(bytes, held)| async move {
        Some((Ok::<_, std::io::Error>(bytes?), (None, held)))
    });
    Body::from_bytes_stream(parts)
}

pub struct Gateway {
    repository: Arc<McpServerRepository>,
    http: reqwest::Client,
    policy: NetworkPolicy,
    sessions: SessionIds,
    settings: GatewaySettings,
    /// Each server's call slots, made when first called.
    slots: Mutex<HashMap<McpServerId, Arc<Semaphore>>>,
    /// Streams agents hold open (GET), by server and by token.
    streams_per_server: Arc<Quota<McpServerId>>,
    streams_per_token: Arc<Quota<String>>,
    answers: AnswerBudget,
}

impl Gateway {
    pub fn new(
        repository: Arc<McpServerRepository>,
        settings: GatewaySettings,
    ) -> Result<Self, reqwest::Error> {
        // One client for every call, so connections to a server are reused.
        let client = OutboundClient::new(&settings.outbound)?;
        Ok(Self {
            sessions: SessionIds::new(repository.secret_boxer()),
            repository,
            http: client.http,
            policy: settings.outbound.policy.clone(),
            answers: AnswerBudget::new(settings.max_buffered_bytes),
            streams_per_server: Quota::new(settings.max_streams_per_server.max(1)),
            streams_per_token: Quota::new(settings.max_streams_per_token.max(1)),
            settings,
            slots: Mutex::default(),
        })
    }

    /// Passes one request of an agent to a registered server and its answer
    /// back. Never fails: what goes wrong is a JSON-RPC error answer.
    pub async fn pass_through(&self, inbound: Inbound) -> Response {
        let peek = if inbound.method == Method::POST {
            match Peek::of(&inbound.body) {
                Ok(peek) => peek,
                Err(_) => return GatewayError::NotJson.into_response(None),
            }
        } else {
            Peek::default()
        };
        let audit = peek.tool.clone().map(|tool| CallAudit {
            actor: inbound.caller.name.clone(),
            source: inbound.source.clone(),
            server: inbound.server.clone(),
            tool,
        });
        let mut exchange = Exchange::new(peek.id.clone(), audit);
        match self.forward(inbound, &peek, &mut exchange).await {
            Ok(response) => response,
            Err(error) => {
                exchange.conclude(error.reason());
                error.into_response(exchange.id())
            }
        }
    }

    async fn forward(
        &self,
        inbound: Inbound,
        peek: &Peek,
        exchange: &mut Exchange,
    ) -> Result<Response, GatewayError> {
        let id: McpServerId = inbound
            .server
            .parse()
            .map_err(|_| GatewayError::UnknownServer)?;
        let server = self
            .repository
            .find_recent(id)
            .await
            .map_err(|_| GatewayError::Storage)?
            .ok_or(GatewayError::UnknownServer)?;
        if server.status == ServerStatus::Disabled {
            return Err(GatewayError::Disabled);
        }
        // A literal address never reaches the resolver that checks the rest.
        if let Some(why) = server.url.refused_by(&self.policy) {
            return Err(GatewayError::RefusedAddress(why));
        }
        let caller = inbound.caller.name.as_str();
        let mut headers = credential_headers(&server).map_err(GatewayError::Credentials)?;
        let redactor = server.redactor();
        for name in FORWARDED {
            if let Some(value) = inbound.headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        for (name, value) in &inbound.headers {
            if name.as_str().starts_with(MCP_PARAM_PREFIX) && !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        let origin = server.url.origin();
        let binding = Binding::Upstream {
            server: &id,
            caller,
            origin: &origin,
        };
        if let Some(presented) = inbound.headers.get(MCP_SESSION_ID) {
            let upstream = self
                .sessions
                .open(binding, presented)
                .ok_or(GatewayError::UnknownSession)?;
            headers.insert(MCP_SESSION_ID, upstream);
        }
        let streaming = inbound.method == Method::GET || peek.method.as_deref() == Some(LISTEN);
        let deadline =
            (!streaming).then(|| tokio::time::Instant::now() + self.settings.call_timeout);
        let permit = match inbound.method {
            _ if streaming => Some(self.stream_place(id, caller)?),
            Method::POST => Some(Place::Call(self.slot(id).await?)),
            _ => None,
        };
        let upstream = Arc::new(Upstream {
            http: self.http.clone(),
            url: server.url.as_str().to_owned(),
            headers,
        });
        let sending = self
            .http
            .request(inbound.method.clone(), &upstream.url)
            .headers(upstream.headers.clone())
            .body(inbound.body)
            .send();
        let response = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, sending)
                .await
                .map_err(|_| self.timed_out())?,
            None => sending.await,
        }
        .map_err(|error| self.failed(&server, &error))?;
        exchange.sent(Arc::clone(&upstream), peek.method.as_deref());

        let status = response.status();
        match status.as_u16() {
            401 | 403 => return Err(GatewayError::Unauthorized(status.as_u16())),
            404 if inbound.headers.contains_key(MCP_SESSION_ID) => {
                return Err(GatewayError::UnknownSession);
            }
            405 => return Err(GatewayError::NotOffered),
            // The server's own refusal (a malformed request, a version or
            // method it does not take): the agent's to read, as the protocol
            // has it, and what lets a client fall back to an older era.
            _ if status.is_client_error() => {
                return self.refusal(response, deadline, &redactor, exchange).await;
            }
            _ if !status.is_success() => return Err(GatewayError::Status(status.as_u16())),
            _ => {}
        }
        if let Some(encoding) = answer_encoding(response.headers()) {
            return Err(GatewayError::Encoded(encoding));
        }
        let mut answer = Response::builder().status(status);
        if let Some(upstream_session) = response.headers().get(MCP_SESSION_ID) {
            // The agent keeps the id it has (sealing again would give another).
            let ours = match inbound.headers.get(MCP_SESSION_ID) {
                Some(presented) => Some(presented.clone()),
                None => self.sessions.seal(binding, upstream_session.as_bytes()),
            };
            if let Some(ours) = ours {
                answer = answer.header(MCP_SESSION_ID, ours);
            }
        }
        let content_type = response.headers().get(CONTENT_TYPE).cloned();
        if let Some(content_type) = &content_type {
            answer = answer.header(CONTENT_TYPE, content_type.clone());
        }
        let is_event_stream = content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
        if is_event_stream {
            let relay = EventRelay {
                upstream: response.bytes_stream().boxed(),
                exchange: Some(std::mem::replace(exchange, Exchange::new(None, None))),
                deadline,
                timeout_secs: self.settings.call_timeout.as_secs(),
                redactor,
                max_event_bytes: MAX_MESSAGE_BYTES,
                held: self.answers.hold(),
                heartbeat: if streaming {
                    STREAM_HEARTBEAT
                } else {
                    CALL_HEARTBEAT
                },
                permit,
            };
            return Ok(answer
                .header(CACHE_CONTROL, "no-cache")
                .body(Body::from_bytes_stream(relay.into_stream())));
        }
        let (body, held) = self
            .whole_body(response, deadline, MAX_MESSAGE_BYTES)
            .await?;
        drop(permit);
        exchange.watch(&body);
        if body.is_empty() {
            // A notification or an answer the agent sent: nothing to wait for.
            exchange.conclude("ok");
        }
        Ok(answer.body(holding_until_sent(redactor.redact(body), held)))
    }

    /// A place for one more stream the agent opens (GET) on the server: its
    /// token and the server each hold only so many, refused at once.
    fn stream_place(&self, id: McpServerId, caller: &str) -> Result<Place, GatewayError> {
        let token = self
            .streams_per_token
            .try_take(caller.to_owned())
            .ok_or(GatewayError::TooManyStreams(self.streams_per_token.limit()))?;
        let server =
            self.streams_per_server
                .try_take(id)
                .ok_or(GatewayError::ServerStreamsFull(
                    self.streams_per_server.limit(),
                ))?;
        Ok(Place::Stream {
            _server: server,
            _token: token,
        })
    }

    /// One of the server's call slots, waiting a little for one to free up.
    async fn slot(&self, id: McpServerId) -> Result<OwnedSemaphorePermit, GatewayError> {
        let slots = {
            let mut all = self.slots.lock().map_err(|_| GatewayError::Busy)?;
            Arc::clone(all.entry(id).or_insert_with(|| {
                Arc::new(Semaphore::new(
                    self.settings.max_concurrent_calls_per_server.max(1),
                ))
            }))
        };
        tokio::time::timeout(SLOT_WAIT, slots.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(GatewayError::Busy)
    }

    /// An upstream's 4xx: passed on with its status when it is a JSON-RPC
    /// error (redacted); otherwise the gateway's own error, with the status.
    async fn refusal(
        &self,
        response: reqwest::Response,
        deadline: Option<tokio::time::Instant>,
        redactor: &Redactor,
        exchange: &mut Exchange,
    ) -> Result<Response, GatewayError> {
        let status = response.status();
        let refused = GatewayError::Refused(status.as_u16());
        if answer_encoding(response.headers()).is_some() {
            return Err(refused);
        }
        let Ok((body, _held)) = self.whole_body(response, deadline, MAX_REFUSAL_BYTES).await else {
            return Err(refused);
        };
        if !rpc::is_error_message(&body) {
            return Err(refused);
        }
        exchange.watch(&body);
        Ok(Response::builder()
            .status(status)
            .content_type("application/json")
            .body(redactor.redact(body)))
    }

    /// A JSON answer, whole, within `max_bytes`, the answers' budget (the
    /// room it holds comes with it) and the deadline.
    async fn whole_body(
        &self,
        response: reqwest::Response,
        deadline: Option<tokio::time::Instant>,
        max_bytes: usize,
    ) -> Result<(Bytes, Held), GatewayError> {
        let mut held = self.answers.hold();
        let declared = response.content_length();
        let chunks = response.bytes_stream();
        match read_whole(declared, chunks, max_bytes, &mut held, deadline, |n| n).await {
            Ok(body) => Ok((Bytes::from(body), held)),
            Err(Unread::TooLarge) => Err(GatewayError::TooLarge),
            Err(Unread::NoRoom(_)) => Err(GatewayError::Saturated),
            Err(Unread::TimedOut) => Err(self.timed_out()),
            Err(Unread::Broken(_)) => Err(GatewayError::Unreachable(
                "the connection to the MCP server broke off".to_owned(),
            )),
        }
    }

    fn timed_out(&self) -> GatewayError {
        GatewayError::Timeout(self.settings.call_timeout.as_secs())
    }

    fn failed(&self, server: &McpServerRecord, error: &reqwest::Error) -> GatewayError {
        match send_failure(error) {
            SendFailure::Refused(why) => GatewayError::RefusedAddress(why),
            SendFailure::Tls(why) => GatewayError::Unreachable(format!(
                "the TLS handshake with the MCP server failed: {why}"
            )),
            SendFailure::TimedOut => self.timed_out(),
            SendFailure::NoConnection => GatewayError::Unreachable(format!(
                "cannot connect to the MCP server at {}",
                server.url.host_and_port().0
            )),
            SendFailure::Broken => {
                GatewayError::Unreachable("the connection to the MCP server broke off".to_owned())
            }
        }
    }
}
