//! Passing an upstream answer on as it arrives: an event stream event by
//! event (never the whole stream in memory), within a size cap per message,
//! a deadline, and with every stored secret value redacted. The exchange it
//! carries notes how the request was answered; dropped unanswered (the agent
//! went away, the deadline passed) it tells the upstream to stop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use http::HeaderMap;
use serde_json::{Value, json};

use super::GatewayError;
use super::rpc::{self, Answer};
use crate::mcp::budget::Held;
use crate::mcp::sse::{EventSplitter, event_data, has_id};
use crate::redaction::Redactor;

/// How long a cancellation notice may take: it is a courtesy to the upstream.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a request went, to tell the upstream when it is abandoned.
pub struct Upstream {
    pub http: reqwest::Client,
    pub url: String,
    /// Credentials, session and protocol version: what the request carried.
    pub headers: HeaderMap,
}

/// Who called which tool, for the audit event.
pub struct CallAudit {
    pub actor: String,
    pub source: String,
    /// The server's id, as the agent gave it.
    pub server: String,
    pub tool: String,
}

/// Writes the audit event of one `tools/call`: who, which, how long, how it
/// ended — never its arguments or result (they may carry secrets).
pub fn audit_call(audit: &CallAudit, duration: Duration, outcome: &str) {
    tracing::info!(
        target: "audit",
        action = "tools/call",
        actor = %audit.actor,
        source = %audit.source,
        id = %audit.server,
        tool = %audit.tool,
        duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        outcome,
        "audit"
    );
}

/// One request of an agent, from its arrival until it is answered or
/// abandoned. Dropping it writes the audit event of a `tools/call` (never its
/// arguments or result) and cancels an unanswered request upstream.
pub struct Exchange {
    id: Option<Value>,
    started: Instant,
    audit: Option<CallAudit>,
    outcome: Option<&'static str>,
    upstream: Option<Arc<Upstream>>,
    /// The answer's events carry ids: an agent that went away may resume it
    /// with Last-Event-ID, so going away does not cancel it.
    resumable: bool,
}

impl Exchange {
    pub fn new(id: Option<Value>, audit: Option<CallAudit>) -> Self {
        Self {
            id,
            started: Instant::now(),
            audit,
            outcome: None,
            upstream: None,
            resumable: false,
        }
    }

    pub fn id(&self) -> Option<&Value> {
        self.id.as_ref()
    }

    /// The request went upstream: abandoning it from now on is said there.
    /// `initialize` may not be cancelled (the protocol says so).
    pub fn sent(&mut self, upstream: Arc<Upstream>, method: Option<&str>) {
        if method != Some("initialize") {
            self.upstream = Some(upstream);
        }
    }

    /// Ends the exchange with `outcome` unless it already has one.
    pub fn conclude(&mut self, outcome: &'static str) {
        self.outcome.get_or_insert(outcome);
    }

    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// The upstream numbers its events: the agent may come back for them.
    fn resumable(&mut self) {
        self.resumable = true;
    }

    /// Notes `message` if it answers the request.
    pub fn watch(&mut self, message: &[u8]) {
        if let (None, Some(id)) = (self.outcome, &self.id)
            && let Some(answer) = rpc::answer_to(message, id)
        {
            self.outcome = Some(match answer {
                Answer::Ok => "ok",
                Answer::ToolError => "tool_error",
                Answer::Error => "error",
            });
        }
    }

    /// An SSE event with the JSON-RPC error ending this request, if it has
    /// an id and no answer yet.
    fn closing_event(&mut self, code: i64, message: &str, reason: &'static str) -> Option<Bytes> {
        let id = self.id.clone().filter(|_| self.is_open())?;
        self.conclude(reason);
        let data = rpc::error_message(Some(&id), code, message, reason);
        let mut event = b"event: message\ndata: ".to_vec();
        event.extend_from_slice(&data);
        event.extend_from_slice(b"\n\n");
        Some(Bytes::from(event))
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        let answered = self
            .outcome
            .is_some_and(|o| matches!(o, "ok" | "tool_error" | "error"));
        let outcome = *self.outcome.get_or_insert("cancelled");
        if let Some(audit) = &self.audit {
            audit_call(audit, self.started.elapsed(), outcome);
        }
        if answered || self.resumable {
            return;
        }
        if let (Some(upstream), Some(id), Ok(runtime)) = (
            self.upstream.take(),
            self.id.take(),
            tokio::runtime::Handle::try_current(),
        ) {
            runtime.spawn(cancel_upstream(upstream, id));
        }
    }
}

/// Tells the upstream the agent no longer waits for request `id`.
async fn cancel_upstream(upstream: Arc<Upstream>, id: Value) {
    let notice = json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": id, "reason": "the client went away"},
    });
    // The request's own headers, but for those that name its method and
    // arguments (2026-07-28): a notice carrying them would be refused.
    let mut headers = upstream.headers.clone();
    if headers.remove(super::MCP_METHOD).is_some() {
        headers.insert(
            super::MCP_METHOD,
            http::HeaderValue::from_static("notifications/cancelled"),
        );
    }
    headers.remove(super::MCP_NAME);
    let arguments: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with(super::MCP_PARAM_PREFIX))
        .cloned()
        .collect();
    for name in arguments {
        headers.remove(name);
    }
    let sent = upstream
        .http
        .post(&upstream.url)
        .headers(headers)
        .json(&notice)
        .timeout(CANCEL_TIMEOUT)
        .send()
        .await;
    if let Err(error) = sent {
        tracing::debug!(failure = ?crate::outbound::send_failure(&error), "cancelling upstream failed");
    }
}

/// A comment line that every SSE reader skips. Sent when the upstream is
/// quiet, it keeps idle connections open and is how a relay learns that the
/// agent has gone (only a write fails when a peer disappears).
const HEARTBEAT: &[u8] = b": keep-alive\n\n";

/// Everything an event-stream relay holds until it ends.
pub struct EventRelay {
    pub upstream: BoxStream<'static, reqwest::Result<Bytes>>,
    pub exchange: Option<Exchange>,
    pub deadline: Option<tokio::time::Instant>,
    /// The call timeout, for the error that says it passed.
    pub timeout_secs: u64,
    pub redactor: Redactor,
    pub max_event_bytes: usize,
    /// Quiet time after which a heartbeat goes to the agent.
    pub heartbeat: Duration,
    /// Held while the answer streams: a call slot, or a stream's place.
    pub permit: Option<super::Place>,
    /// Room in the answers' budget for the event being read, and for the
    /// last one until it has been written to the agent.
    pub held: Held,
}

struct RelayState {
    relay: EventRelay,
    splitter: EventSplitter,
    /// The upstream has ended its stream.
    ended: bool,
    /// Nothing more goes to the agent.
    done: bool,
}

impl RelayState {
    async fn next_event(&mut self) -> Option<Bytes> {
        // Asked for the next: the last event has been written to the agent,
        // and its room (kept while it waited to be) is no longer needed.
        self.relay.held.shrink_to(self.splitter.held_bytes());
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.splitter.next_event() {
                if let Some(exchange) = &mut self.relay.exchange {
                    if has_id(&event) {
                        exchange.resumable();
                    }
                    exchange.watch(&event_data(&event));
                }
                return Some(self.relay.redactor.redact(event));
            }
            let closing = if self.ended {
                if self.relay.exchange.as_ref().is_some_and(|e| e.resumable) {
                    // The server numbered its events and closed the stream
                    // (SEP-1699): the agent comes back for the answer with
                    // Last-Event-ID, as the protocol has it.
                    None
                } else {
                    self.relay.close(GatewayError::Unreachable(
                        "the MCP server ended the stream without an answer".to_owned(),
                    ))
                }
            } else {
                match self.relay.next_step().await {
                    Step::Quiet if self.splitter.is_between_events() => {
                        return Some(Bytes::from_static(HEARTBEAT));
                    }
                    Step::Quiet => continue,
                    Step::Chunk(chunk) => {
                        self.splitter.push(&chunk);
                        if self.splitter.is_over() {
                            self.relay.close(GatewayError::TooLarge)
                        } else if self
                            .relay
                            .held
                            .grow_to(self.splitter.held_bytes(), self.relay.deadline)
                            .await
                            .is_err()
                        {
                            // Its part of the room goes back at once (it
                            // may be what others wait for), and the memory
                            // it stood for with it.
                            self.splitter = EventSplitter::new(0);
                            self.relay.held.shrink_to(0);
                            self.relay.close(GatewayError::Saturated)
                        } else {
                            continue;
                        }
                    }
                    Step::End => {
                        // An event cut short of its blank line still goes on.
                        self.ended = true;
                        self.splitter.finish();
                        continue;
                    }
                    Step::Broken => self.relay.close(GatewayError::Unreachable(
                        "the connection to the MCP server broke off".to_owned(),
                    )),
                    Step::TimedOut => self
                        .relay
                        .close(GatewayError::Timeout(self.relay.timeout_secs)),
                }
            };
            // The answer is over: the server's call slot is free again.
            self.done = true;
            drop(self.relay.permit.take());
            if closing.is_some() {
                return closing;
            }
        }
    }
}

enum Step {
    Chunk(Bytes),
    /// Nothing came for a heartbeat's time.
    Quiet,
    End,
    Broken,
    TimedOut,
}

impl EventRelay {
    /// The agent's side of the stream: the upstream's events as they come.
    pub fn into_stream(self) -> BoxStream<'static, std::io::Result<Bytes>> {
        let splitter = EventSplitter::new(self.max_event_bytes);
        let state = RelayState {
            relay: self,
            splitter,
            ended: false,
            done: false,
        };
        futures::stream::unfold(state, |mut state| async move {
            let event = state.next_event().await?;
            Some((Ok(event), state))
        })
        .boxed()
    }

    async fn next_step(&mut self) -> Step {
        let quiet_until = tokio::time::Instant::now() + self.heartbeat;
        let wake = self.deadline.map_or(quiet_until, |d| d.min(quiet_until));
        let next = match tokio::time::timeout_at(wake, self.upstream.next()).await {
            Ok(next) => next,
            Err(_) if self.deadline.is_some_and(|d| d <= wake) => return Step::TimedOut,
            Err(_) => return Step::Quiet,
        };
        match next {
            Some(Ok(chunk)) => Step::Chunk(chunk),
            Some(Err(_)) => Step::Broken,
            None => Step::End,
        }
    }

    /// The error event that ends an unanswered request, if any.
    fn close(&mut self, error: GatewayError) -> Option<Bytes> {
        self.exchange.as_mut().and_then(|exchange| {
            exchange.closing_event(error.code(), &error.to_string(), error.reason())
        })
    }
}
