//! `/mcp` over HTTP: rmcp's Streamable HTTP service, behind what the gateway
//! adds. Its sessions (of the handshake revisions) are kept in the database
//! and live in the memory of the process that serves them, taken up by any
//! replica an agent's request reaches; each costs memory while held (until a
//! DELETE, or 5 idle minutes):
//! each token, and all tokens together, may hold only so many; a 2026-07-28
//! `subscriptions/listen` stream counts as one while it is open. The session id an agent gets is rmcp's
//! sealed to the agent's token, so no other token can use the session, with
//! any method. rmcp's refusals (plain text) become JSON-RPC errors.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use poem::Response;

use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::store::SessionStore;

use super::super::quota::{Quota, QuotaSlot};
use super::super::rpc::{self, Peek};
use super::super::session::{Binding, SessionIds};
use super::super::{GatewayError, MCP_SESSION_ID};
use super::stored_sessions::StoredSessions;
use super::{AggregateService, AnswersInFlight};
use crate::access::Caller;

tokio::task_local! {
    /// The slot of the session a request is opening, for the service's
    /// factory (which rmcp calls within the request) to keep.
    static OPENING: Mutex<Option<SessionSlot>>;
}

/// A session's place among those its token, and every token, may hold.
pub struct SessionSlot {
    _token: QuotaSlot<String>,
    _total: QuotaSlot<()>,
}

/// The slot of the session being opened by this task's request, if any.
pub(super) fn opening_slot() -> Option<SessionSlot> {
    OPENING
        .try_with(|slot| slot.lock().ok().and_then(|mut slot| slot.take()))
        .ok()
        .flatten()
}

/// How many `/mcp` sessions may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub per_token: usize,
    pub total: usize,
}

pub struct AggregateEndpoint {
    service: AggregateService,
    /// The sessions this process holds (rmcp's).
    sessions: Arc<LocalSessionManager>,
    /// Every session, for every replica.
    store: Arc<StoredSessions>,
    ids: SessionIds,
    per_token: Arc<Quota<String>>,
    total: Arc<Quota<()>>,
}

impl AggregateEndpoint {
    pub fn new(
        service: AggregateService,
        sessions: Arc<LocalSessionManager>,
        store: Arc<StoredSessions>,
        ids: SessionIds,
        limits: SessionLimits,
    ) -> Self {
        Self {
            service,
            sessions,
            store,
            ids,
            per_token: Quota::new(limits.per_token.max(1)),
            total: Quota::new(limits.total.max(1)),
        }
    }

    /// One HTTP request of an agent; its `Caller` (and address) are in its
    /// extensions. Never fails: a refusal is a JSON-RPC error.
    pub async fn handle(&self, request: http::Request<Bytes>) -> Response {
        let peek = match *request.method() {
            Method::POST => match Peek::of(request.body()) {
                Ok(peek) => peek,
                Err(_) => return GatewayError::NotJson.into_response(None),
            },
            _ => Peek::default(),
        };
        // A 2026-07-28 listen stream holds the agent's attention as long as a
        // session does, so it takes a session's place; other requests of
        // that revision end with their answer.
        let opens_session = matches!(
            peek.method.as_deref(),
            Some("initialize" | "subscriptions/listen")
        );
        match self.pass(request, opens_session).await {
            Ok(response) => response,
            Err(error) => error.into_response(peek.id.as_ref()),
        }
    }

    async fn pass(
        &self,
        request: http::Request<Bytes>,
        opens_session: bool,
    ) -> Result<Response, GatewayError> {
        let (mut parts, body) = request.into_parts();
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(GatewayError::UnknownSession)?;
        let binding = Binding::Aggregate {
            caller: &caller.name,
        };
        let opening = match parts.headers.get(MCP_SESSION_ID) {
            Some(presented) => {
                let id = self
                    .ids
                    .open(binding, presented)
                    .ok_or(GatewayError::UnknownSession)?;
                let session = id.to_str().map_err(|_| GatewayError::UnknownSession)?;
                let held = self
                    .sessions
                    .has_session(&session.into())
                    .await
                    .unwrap_or(false);
                let taken_up = match held {
                    true => None,
                    // Held by another replica, or by this process before it
                    // restarted: ended for every replica.
                    false if parts.method == Method::DELETE => {
                        if let Err(err) = self.store.delete(session).await {
                            tracing::warn!(error = %err, "could not end a stored /mcp session");
                            return Err(GatewayError::Storage);
                        }
                        return Ok(Response::builder().status(StatusCode::NO_CONTENT).finish());
                    }
                    // rmcp takes it up again from the store (if it is
                    // there), and then it holds a place here.
                    false => Some(self.slot(&caller)?),
                };
                parts.headers.insert(MCP_SESSION_ID, id);
                taken_up
            }
            None if opens_session => Some(self.slot(&caller)?),
            None => None,
        };
        let in_flight = AnswersInFlight::default();
        parts.extensions.insert(in_flight.clone());
        let is_delete = parts.method == Method::DELETE;
        let request = http::Request::from_parts(parts, Full::new(body));
        let response = OPENING
            .scope(Mutex::new(opening), self.service.handle(request))
            .await;
        let (mut parts, body) = response.into_parts();
        if let Some(id) = parts.headers.get(MCP_SESSION_ID) {
            let sealed = self
                .ids
                .seal(binding, id.as_bytes())
                .ok_or(GatewayError::Storage)?;
            parts.headers.insert(MCP_SESSION_ID, sealed);
        }
        // rmcp answers an ended session with 202; MCP clients take 200 or
        // 204 as success (the Python SDK warns "Session termination failed"
        // otherwise).
        if is_delete && parts.status == StatusCode::ACCEPTED {
            parts.status = StatusCode::NO_CONTENT;
        }
        // rmcp words its refusals as plain text, without a Content-Type.
        let is_message = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value.starts_with("application/json") || value.starts_with("text/event-stream")
            });
        if parts.status.is_success() || is_message {
            // The answers' room goes with the body, given back once it is sent.
            let body = body
                .map_frame(move |frame| {
                    let _room = &in_flight;
                    frame
                })
                .map_err(|never| match never {});
            let body: http_body_util::combinators::BoxBody<Bytes, std::io::Error> = body.boxed();
            return Ok(Response::from(http::Response::from_parts(parts, body)));
        }
        let text = body
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        let (code, reason) = match parts.status {
            StatusCode::NOT_FOUND => (-32001, "unknown_session"),
            StatusCode::PAYLOAD_TOO_LARGE => (-32005, "too_large"),
            StatusCode::METHOD_NOT_ALLOWED => (-32601, "not_offered"),
            _ => (-32600, "invalid_request"),
        };
        let message = String::from_utf8_lossy(&text);
        let mut answer = Response::builder()
            .status(parts.status)
            .content_type("application/json");
        if let Some(allow) = parts.headers.get(http::header::ALLOW) {
            answer = answer.header(http::header::ALLOW, allow.clone());
        }
        Ok(answer.body(rpc::error_message(None, code, message.trim(), reason)))
    }

    /// A place for one more session of `caller`, or why not.
    fn slot(&self, caller: &Caller) -> Result<SessionSlot, GatewayError> {
        let token = self
            .per_token
            .try_take(caller.name.clone())
            .ok_or(GatewayError::TooManySessions(self.per_token.limit()))?;
        let total = self.total.try_take(()).ok_or(GatewayError::SessionsFull)?;
        Ok(SessionSlot {
            _token: token,
            _total: total,
        })
    }
}
