//! One request of an agent sent on to the server that owns what it names,
//! within the gateway's limits (a slot per server, the answers' budget),
//! with the server's secrets redacted from the answer; and a failure there
//! put in the words the agent reads.

use std::borrow::Cow;

use rmcp::ErrorData as McpError;
use rmcp::model::{ClientRequest, GetExtensions, ServerResult};
use rmcp::service::{RequestContext, RoleServer};

use super::upstreams::{CallFailure, Upstreams};
use super::{AggregateSession, AnswersInFlight, rpc_error};
use crate::domain::{McpServerRecord, ProbeState};
use crate::gateway::GatewayError;
use crate::mcp::budget::{AnswerTicket, Refusal};
use crate::redaction::Redactor;

impl AggregateSession {
    /// Sends `request` to the server of `record` within the gateway's limits;
    /// the answer has the server's secrets redacted. The memory it takes is
    /// held in the answers' budget until it is handed back.
    pub(super) async fn forward(
        &self,
        record: &McpServerRecord,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, (McpError, &'static str)> {
        // A request of the stateless revision has a session of its own
        // only while it lasts: it uses the shared upstream sessions, unless
        // it asked for log lines, which a shared session cannot tell apart
        // (rmcp marks only a server's requests with the call they came on).
        let stateless = context
            .meta
            .protocol_version()
            .is_some_and(|version| !version.has_initialize());
        let upstreams = match context.meta.log_level() {
            None if stateless => &self.stateless,
            // Lines below the level are dropped here too, whatever the
            // server does with the level it is told.
            Some(level) if stateless => {
                self.upstreams.set_log_level(level);
                &self.upstreams
            }
            _ => &self.upstreams,
        };
        self.forward_on(upstreams, record, request, context).await
    }

    /// A `resources/subscribe` or `unsubscribe` of the resource `uri`, on
    /// the sessions that hold the agent's subscriptions, whose updates go
    /// to the agent (forwarder.rs).
    pub(super) async fn subscription(
        &self,
        uri: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let record = self.resource_owner(uri, context).await?;
        let subscribing = matches!(request, ClientRequest::SubscribeRequest(_));
        self.forward_on(&self.subscriptions, &record, request, context)
            .await
            .map_err(|(error, _)| error)?;
        self.subscriptions
            .note_subscription(record.id, uri, subscribing);
        Ok(())
    }

    /// `forward`, on the sessions of `upstreams`.
    pub(super) async fn forward_on(
        &self,
        upstreams: &Upstreams,
        record: &McpServerRecord,
        mut request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, (McpError, &'static str)> {
        let settings = &self.gateway.settings;
        let _slot = self
            .gateway
            .slot(record.id)
            .await
            .map_err(|error| (rpc_error(&error), error.reason()))?;
        let redactor = record.redactor();
        let ticket = AnswerTicket::new(&self.gateway.answers);
        request.extensions_mut().insert(ticket.clone());
        let result = upstreams.call(record, request, context, settings).await;
        if let Some(refusal) = ticket.refused().await {
            let error = match refusal {
                Refusal::Busy => GatewayError::Saturated,
                Refusal::TooLarge => GatewayError::TooLarge,
                Refusal::TooCostly(bytes) => GatewayError::TooCostly {
                    mib: bytes.div_ceil(1024 * 1024),
                    server: record.id,
                },
            };
            return Err((rpc_error(&error), error.reason()));
        }
        // The answer keeps its room until it has gone out to the agent.
        if let Some(in_flight) = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AnswersInFlight>())
        {
            in_flight.keep(ticket);
        }
        match result {
            Ok(result) => redactor.redact_json(result).ok_or((
                McpError::internal_error("the answer could not be passed on", None),
                "error",
            )),
            Err(failure) => Err(self.explain(failure, &redactor)),
        }
    }

    pub(super) fn explain(
        &self,
        failure: CallFailure,
        redactor: &Redactor,
    ) -> (McpError, &'static str) {
        let error = match failure {
            CallFailure::Rpc(mut error) => {
                error.message = Cow::Owned(redactor.redact_str(&error.message).into_owned());
                error.data = error.data.and_then(|data| redactor.redact_json(data));
                return (error, "error");
            }
            CallFailure::Timeout => {
                GatewayError::Timeout(self.gateway.settings.call_timeout.as_secs())
            }
            CallFailure::Cancelled => {
                return (McpError::internal_error("cancelled", None), "cancelled");
            }
            CallFailure::Upstream(failure) => match failure.state {
                ProbeState::Unauthorized => GatewayError::CredentialsRefused(failure.error),
                ProbeState::RefusedAddress => GatewayError::RefusedAddress(failure.error),
                ProbeState::Timeout => {
                    GatewayError::Timeout(self.gateway.settings.call_timeout.as_secs())
                }
                _ => GatewayError::Unreachable(failure.error),
            },
        };
        (rpc_error(&error), error.reason())
    }
}
