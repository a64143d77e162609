//! The HTTP client rmcp's transport drives, watched: the transport runs in a
//! background worker and hands its caller only "channel closed" when a request
//! fails, so the failure is noted here, as it happens, for the probe to report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, GetExtensions};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::budget::AnswerTicket;
use super::metered::{self, Post, Resumable};
use crate::outbound::{SendFailure, send_failure};

type HttpError = StreamableHttpError<reqwest::Error>;

/// What the transport saw go wrong, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// A TLS handshake that failed: the reason, as rustls words it (it
    /// names certificate problems, never data).
    Tls(String),
    /// 401 or 403.
    Refused,
    /// A connection that could not be made.
    NoConnection,
    /// A connection or answer that did not come in time.
    TimedOut,
    /// An HTTP status other than success (429, 5xx, 404...).
    Status(u16),
    /// An answer larger than the limit (bytes).
    TooLarge(usize),
    /// Anything else the answer got wrong.
    NotMcp,
}

#[derive(Clone)]
pub struct ObservedClient {
    inner: reqwest::Client,
    first: Arc<Mutex<Option<Observed>>>,
    /// Answers read within a ticket's room, by their events' ids.
    resumable: Resumable,
    /// The most of an answer to a request without a ticket (`initialize`,
    /// a probe's lists), outside any room.
    max_unticketed_bytes: usize,
    /// Whether the stream of messages the server starts on its own is opened.
    listens: bool,
}

impl ObservedClient {
    pub fn new(inner: reqwest::Client, max_unticketed_bytes: usize, listens: bool) -> Self {
        Self {
            inner,
            first: Arc::default(),
            resumable: Resumable::default(),
            max_unticketed_bytes,
            listens,
        }
    }

    /// A handle on the first failure, readable after the client has moved
    /// into the transport.
    pub fn watch(&self) -> Watch {
        Watch(Arc::clone(&self.first))
    }

    fn note<T>(&self, result: Result<T, HttpError>) -> Result<T, HttpError> {
        if let Err(error) = &result
            && let Ok(mut first) = self.first.lock()
        {
            first.get_or_insert(observe(error));
        }
        result
    }
}

#[derive(Clone)]
pub struct Watch(Arc<Mutex<Option<Observed>>>);

impl Watch {
    /// The first failure since the last `take`: a long-lived connection is
    /// explained by what went wrong lately.
    pub fn take(&self) -> Option<Observed> {
        self.0.lock().ok().and_then(|mut first| first.take())
    }
}

fn observe(error: &HttpError) -> Observed {
    match error {
        StreamableHttpError::AuthRequired(_) | StreamableHttpError::InsufficientScope(_) => {
            Observed::Refused
        }
        StreamableHttpError::HttpStatus(status) => Observed::Status(status.status),
        StreamableHttpError::ResponseBodyTooLarge { max_size } => Observed::TooLarge(*max_size),
        StreamableHttpError::Client(error) => match send_failure(error) {
            SendFailure::Tls(why) => Observed::Tls(why),
            SendFailure::TimedOut => Observed::TimedOut,
            // A refused address is reported by the client's own side channel.
            SendFailure::NoConnection | SendFailure::Refused(_) => Observed::NoConnection,
            SendFailure::Broken => error
                .status()
                .map_or(Observed::NotMcp, |status| Observed::Status(status.as_u16())),
        },
        // An unchallenged 401 or 403 reaches us only as this message,
        // "HTTP 401 Unauthorized: ..."; only its status is read.
        StreamableHttpError::UnexpectedServerResponse(text) => {
            match text.strip_prefix("HTTP ").and_then(|rest| rest.get(..3)) {
                Some("401" | "403") => Observed::Refused,
                Some(code) => code.parse().map_or(Observed::NotMcp, Observed::Status),
                None => Observed::NotMcp,
            }
        }
        _ => Observed::NotMcp,
    }
}

impl StreamableHttpClient for ObservedClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            StreamableHttpResponseLimits::default(),
        )
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let result = self
            .inner
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        self.note(result)
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        // A request that carries a ticket has its answer read within it.
        if let ClientJsonRpcMessage::Request(request) = &message
            && let Some(ticket) = request.request.extensions().get::<AnswerTicket>().cloned()
        {
            let post = Post {
                uri,
                id: request.id.clone(),
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            };
            let result = metered::post(&self.inner, ticket, post, &self.resumable).await;
            return self.note(result);
        }
        let mut capped = limits;
        capped.max_json_response_size =
            limits.max_json_response_size.min(self.max_unticketed_bytes);
        capped.max_sse_event_size = limits.max_sse_event_size.min(self.max_unticketed_bytes);
        let result = self
            .inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                capped,
            )
            .await;
        self.note(result)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        // Ending the session is a courtesy: its failure says nothing of the
        // probe, so it is not noted.
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            super::MAX_LISTING_BYTES,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        // A probe asks and listens to the answers; it has no use for the
        // stream of messages the server starts on its own (opening it costs
        // the server a request and a held connection), nor has a call, but
        // a session that holds subscriptions has. Resuming an answer's
        // stream (with Last-Event-ID) still goes through.
        if last_event_id.is_none() && !self.listens {
            return Err(StreamableHttpError::ServerDoesNotSupportSse);
        }
        let answer = last_event_id
            .as_deref()
            .and_then(|event_id| self.resumable.answer_of(event_id));
        // The rest of any other answer is capped as its beginning was.
        let max_sse_event_size = match answer {
            Some(_) => max_sse_event_size,
            None => max_sse_event_size.min(self.max_unticketed_bytes),
        };
        let result = self
            .inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        // The rest of an answer read within a ticket is read within it too.
        let result = match answer {
            Some(answer) => {
                result.map(|events| metered::resumed(events, answer, self.resumable.clone()))
            }
            None => result,
        };
        self.note(result)
    }
}
