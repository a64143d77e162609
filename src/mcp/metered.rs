//! A request whose answer the SDK's client parses, posted within the room
//! its ticket holds: the answer's bytes are counted as they arrive, and what
//! parsing them will cost before the SDK gets them. What the SDK's own
//! reqwest client does for a POST, in the cases an answer to a request can
//! take (a JSON body, an event stream, an error status).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::{BoxStream, StreamExt};
use http::{HeaderName, HeaderValue, StatusCode};
use rmcp::model::{
    ClientJsonRpcMessage, ClientRequest, ErrorCode, ErrorData, JsonRpcError, JsonRpcMessage,
    RequestId, ServerJsonRpcMessage,
};
use rmcp::transport::streamable_http_client::{
    HttpStatusError, SseError, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::budget::{AnswerTicket, Refusal, Unread, WeakTicket};
use super::sse::{EventSplitter, sse_of};
use super::tool_fields;
use crate::memory::json_values;
use crate::outbound::answer_encoding;

type HttpError = StreamableHttpError<reqwest::Error>;

/// The SDK parses a message through untagged enums, each of which buffers
/// what it reads before choosing a variant: at its deepest, three copies of
/// the parsed message are held at once.
const PARSE_COPIES: usize = 3;

/// A value in those copies: 32 bytes, and the spare room of the lists that
/// hold it, which grow by doubling. (Before it was counted, one answer of
/// 15 MB of tiny values through `/mcp` took 972 MiB; this counts 1,087.)
const PARSED_VALUE_BYTES: usize = 48;

/// What a JSON-RPC message of `text` costs while the SDK parses it: the text
/// and the copies of its parse.
pub fn parse_cost(text: &[u8]) -> usize {
    least_cost(text.len()) + PARSE_COPIES * PARSED_VALUE_BYTES * json_values(text)
}

/// The least a message of `bytes` costs while parsed (all of it one string).
/// Taken while it is read, so that calls reading at once do not each hold
/// the room for their bytes and wait for others' to parse theirs.
fn least_cost(bytes: usize) -> usize {
    bytes * (1 + PARSE_COPIES)
}

/// The answers whose event streams may be resumed: the SDK asks for the rest
/// of a broken stream with the last event's id, and what comes is read
/// within the same ticket's room.
#[derive(Clone, Default)]
pub struct Resumable(Arc<Mutex<HashMap<String, Waiting>>>);

/// An answer whose sender waits for it: its ticket, its request, and
/// whether that lists tools.
struct Waiting(WeakTicket, RequestId, bool);

impl Resumable {
    fn remember(&self, event: &Sse, answer: &Answer) {
        let (Some(event_id), Ok(mut answers)) = (&event.id, self.0.lock()) else {
            return;
        };
        answers.retain(|_, Waiting(ticket, _, _)| ticket.upgrade().is_some());
        answers.insert(
            event_id.clone(),
            Waiting(
                answer.ticket.downgrade(),
                answer.request.clone(),
                answer.lists_tools,
            ),
        );
    }

    /// The ticket and request of the answer an event was part of, while
    /// its sender still waits for it, and whether it lists tools.
    pub fn answer_of(&self, event_id: &str) -> Option<(AnswerTicket, RequestId, bool)> {
        let answers = self.0.lock().ok()?;
        let Waiting(ticket, request, lists_tools) = answers.get(event_id)?;
        Some((ticket.upgrade()?, request.clone(), *lists_tools))
    }
}

/// One request to post: the SDK's transport hands over all of these.
pub struct Post {
    pub uri: Arc<str>,
    pub message: ClientJsonRpcMessage,
    pub id: RequestId,
    pub session_id: Option<Arc<str>>,
    pub auth_header: Option<String>,
    pub custom_headers: HashMap<HeaderName, HeaderValue>,
    pub limits: StreamableHttpResponseLimits,
}

pub async fn post(
    http: &reqwest::Client,
    ticket: AnswerTicket,
    post: Post,
    resumable: &Resumable,
) -> Result<StreamableHttpPostResponse, HttpError> {
    let body = serde_json::to_vec(&post.message)?;
    let lists_tools = matches!(
        &post.message,
        JsonRpcMessage::Request(request) if matches!(request.request, ClientRequest::ListToolsRequest(_))
    );
    let mut request = http
        .post(post.uri.as_ref())
        .header(http::header::ACCEPT, "application/json, text/event-stream")
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(token) = post.auth_header {
        request = request.bearer_auth(token);
    }
    for (name, value) in post.custom_headers {
        request = request.header(name, value);
    }
    let session_attached = post.session_id.is_some();
    if let Some(session) = &post.session_id {
        request = request.header("mcp-session-id", session.as_ref());
    }
    let response = request.body(body).send().await?;
    let status = response.status();
    if matches!(status, StatusCode::ACCEPTED | StatusCode::NO_CONTENT) {
        return Ok(StreamableHttpPostResponse::Accepted);
    }
    if status == StatusCode::NOT_FOUND && session_attached {
        return Err(StreamableHttpError::SessionExpired);
    }
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        // Read as a refusal of the credentials (`observed::observe`).
        return Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(
            format!("HTTP {}", status.as_u16()),
        )));
    }
    if answer_encoding(response.headers()).is_some() {
        // Asked for none: what is encoded cannot be read to be redacted.
        return Err(StreamableHttpError::UnexpectedServerResponse(
            Cow::Borrowed("the answer is encoded"),
        ));
    }
    let media_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let status_error = || -> HttpError {
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            // Its Retry-After is not kept: the gateway tells agents its own.
            HttpStatusError::new(status.as_u16(), None).into()
        } else {
            StreamableHttpError::UnexpectedServerResponse(Cow::Owned(format!(
                "HTTP {}",
                status.as_u16()
            )))
        }
    };
    match media_type.as_deref() {
        Some("text/event-stream") if status.is_success() => {
            let events = metered_events(
                response.bytes_stream().boxed(),
                Answer {
                    ticket,
                    request: post.id,
                    resumable: resumable.clone(),
                    lists_tools,
                },
                post.limits.max_sse_event_size,
            );
            Ok(StreamableHttpPostResponse::Sse(events, session))
        }
        Some("application/json") => {
            let text =
                match whole_body(response, &ticket, post.limits.max_json_response_size).await? {
                    Ok(text) => text,
                    Err(refusal) => {
                        return Ok(StreamableHttpPostResponse::Json(
                            refused(post.id, refusal),
                            session,
                        ));
                    }
                };
            let text = match lists_tools.then(|| tool_fields::carry(&text)).flatten() {
                Some(carried) => carried,
                None => text,
            };
            match serde_json::from_slice::<ServerJsonRpcMessage>(&text) {
                Ok(message)
                    if status.is_success() || matches!(message, JsonRpcMessage::Error(_)) =>
                {
                    Ok(StreamableHttpPostResponse::Json(message, session))
                }
                Ok(_) => Err(status_error()),
                Err(_) if status.is_success() => {
                    Err(StreamableHttpError::UnexpectedServerResponse(
                        Cow::Borrowed("the answer is not a JSON-RPC message"),
                    ))
                }
                Err(_) => Err(status_error()),
            }
        }
        _ if status.is_success() => Err(StreamableHttpError::UnexpectedContentType(media_type)),
        _ => Err(status_error()),
    }
}

/// A JSON body, whole, within `max_bytes` and the ticket's room: the room
/// for its bytes and the least their parse costs is taken as they arrive (at
/// once when the length is declared), then for the whole parse before the
/// body is handed over.
async fn whole_body(
    response: reqwest::Response,
    ticket: &AnswerTicket,
    max_bytes: usize,
) -> Result<Result<Vec<u8>, Refusal>, HttpError> {
    let declared = response.content_length();
    let read = ticket
        .read_whole(declared, response.bytes_stream(), max_bytes, least_cost)
        .await;
    let body = match read {
        Ok(body) => body,
        Err(Unread::NoRoom(no_room)) => return Ok(Err(no_room.into())),
        // As an event of a stream would be: the gateway says it is too
        // large, and the session goes on.
        Err(Unread::TooLarge) => {
            ticket.refuse(Refusal::TooLarge).await;
            return Ok(Err(Refusal::TooLarge));
        }
        Err(Unread::Broken(error)) => return Err(error.into()),
        Err(Unread::TimedOut) => return Err(StreamableHttpError::UnexpectedEndOfStream),
    };
    Ok(ticket.grow_to(parse_cost(&body)).await.map(|()| body))
}

/// The answer to one request, read within its ticket's room.
struct Answer {
    ticket: AnswerTicket,
    request: RequestId,
    resumable: Resumable,
    /// It answers `tools/list`, whose tools' fields the SDK would drop
    /// are carried through its parse (tool_fields.rs).
    lists_tools: bool,
}

impl Answer {
    /// Holds room for an event and its parse (`cost`), and remembers it
    /// for resuming; or says why not.
    async fn admit(&self, mut event: Sse, cost: usize) -> Result<Sse, Refusal> {
        self.ticket.grow_to(cost).await?;
        self.resumable.remember(&event, self);
        if self.lists_tools
            && let Some(carried) = event
                .data
                .as_deref()
                .and_then(|data| tool_fields::carry(data.as_bytes()))
        {
            event.data = String::from_utf8(carried).ok();
        }
        Ok(event)
    }

    /// The event that answers the request with `refusal`: nothing more of
    /// the answer is read.
    fn refusal(&self, refusal: Refusal) -> Sse {
        let message = refused(self.request.clone(), refusal);
        Sse::default().data(serde_json::to_string(&message).unwrap_or_default())
    }
}

/// The events of an answer's stream, each handed over once whole and once
/// the ticket holds room for it and its parse. A refusal ends the stream
/// with an error answering the request, as the upstream would have.
fn metered_events(
    bytes: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    answer: Answer,
    max_event_bytes: usize,
) -> BoxStream<'static, Result<Sse, SseError>> {
    struct State {
        bytes: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
        splitter: EventSplitter,
        answer: Answer,
        /// The upstream has ended the stream.
        at_end: bool,
        /// Nothing more goes to the SDK.
        ended: bool,
    }
    let state = State {
        bytes,
        splitter: EventSplitter::new(max_event_bytes),
        answer,
        at_end: false,
        ended: false,
    };
    futures::stream::unfold(state, move |mut state| async move {
        loop {
            if state.ended {
                return None;
            }
            let refusal = if let Some(event) = state.splitter.next_event() {
                match state.answer.admit(sse_of(&event), parse_cost(&event)).await {
                    Ok(sse) => return Some((Ok(sse), state)),
                    Err(refusal) => refusal,
                }
            } else if state.at_end {
                return None;
            } else {
                match state.bytes.next().await {
                    None => {
                        state.at_end = true;
                        state.splitter.finish();
                        continue;
                    }
                    Some(Err(error)) => {
                        state.ended = true;
                        return Some((Err(SseError::Body(Box::new(error))), state));
                    }
                    Some(Ok(chunk)) => {
                        state.splitter.push(&chunk);
                        if state.splitter.is_over() {
                            state.answer.ticket.refuse(Refusal::TooLarge).await;
                            Refusal::TooLarge
                        } else {
                            // (Its buffer's capacity, past the cap only
                            // by doubling, and never filled past it.)
                            let held = state.splitter.held_bytes().min(max_event_bytes);
                            match state.answer.ticket.grow_to(least_cost(held)).await {
                                Ok(()) => continue,
                                Err(refusal) => refusal,
                            }
                        }
                    }
                }
            };
            // Nothing more is read, and what was is let go of.
            state.ended = true;
            state.splitter = EventSplitter::new(0);
            return Some((Ok(state.answer.refusal(refusal)), state));
        }
    })
    .boxed()
}

/// The rest of an answer's stream, resumed by the SDK after it broke: the
/// SDK's client splits the events (each within the cap); each is handed
/// over once the answer's ticket holds room for its parse.
pub fn resumed(
    events: BoxStream<'static, Result<Sse, SseError>>,
    (ticket, request, lists_tools): (AnswerTicket, RequestId, bool),
    resumable: Resumable,
) -> BoxStream<'static, Result<Sse, SseError>> {
    let answer = Answer {
        ticket,
        request,
        resumable,
        lists_tools,
    };
    futures::stream::unfold(
        (events, answer, false),
        |(mut events, answer, ended)| async move {
            if ended {
                return None;
            }
            let sse = match events.next().await? {
                Ok(sse) => sse,
                Err(error) => return Some((Err(error), (events, answer, true))),
            };
            let cost = parse_cost(sse.data.as_deref().unwrap_or_default().as_bytes());
            match answer.admit(sse, cost).await {
                Ok(sse) => Some((Ok(sse), (events, answer, false))),
                Err(refusal) => {
                    let event = answer.refusal(refusal);
                    Some((Ok(event), (events, answer, true)))
                }
            }
        },
    )
    .boxed()
}

/// The error that answers a request whose answer was not read. The
/// gateway tells the agent why in its own words (the ticket knows).
fn refused(id: RequestId, refusal: Refusal) -> ServerJsonRpcMessage {
    let message = match refusal {
        Refusal::Busy => "no room to hold the answer",
        Refusal::TooCostly(_) => "the answer would take more memory than may be held",
        Refusal::TooLarge => "an event of the answer is larger than the cap",
    };
    JsonRpcMessage::Error(JsonRpcError::new(
        Some(id),
        ErrorData::new(ErrorCode::INTERNAL_ERROR, message, None),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::budget::AnswerBudget;
    use serde_json::Value;

    fn events(
        stream: &'static [u8],
        ticket: &AnswerTicket,
    ) -> BoxStream<'static, Result<Sse, SseError>> {
        let chunks = stream
            .chunks(5)
            .map(|chunk| Ok(bytes::Bytes::from_static(chunk)));
        let bytes = futures::stream::iter(chunks).boxed();
        let answer = Answer {
            ticket: ticket.clone(),
            request: RequestId::Number(7),
            resumable: Resumable::default(),
            lists_tools: false,
        };
        metered_events(bytes, answer, 1024 * 1024)
    }

    #[tokio::test]
    async fn events_pass_within_the_room_and_one_too_costly_ends_the_answer() {
        let budget = AnswerBudget::new(64 * 1024);
        let ticket = AnswerTicket::new(&budget);
        let answer: Vec<Sse> = events(b"data: {\"a\":1}\n\n: hi\n\ndata: {}\n\n", &ticket)
            .map(Result::unwrap)
            .collect()
            .await;
        let data: Vec<_> = answer.iter().map(|sse| sse.data.as_deref()).collect();
        assert_eq!(data, [Some("{\"a\":1}"), None, Some("{}")]);
        assert_eq!(ticket.refused().await, None);
        drop(ticket);

        // 2,000 tiny values: 4 KB of text, over 64 KiB parsed three times.
        let dense: &'static [u8] = Box::leak(
            format!("data: [{}0]\n\ndata: {{}}\n\n", "0,".repeat(2000))
                .into_bytes()
                .into(),
        );
        let ticket = AnswerTicket::new(&budget);
        let answer: Vec<Sse> = events(dense, &ticket).map(Result::unwrap).collect().await;
        assert_eq!(answer.len(), 1, "the answer ends with the refusal");
        let refusal: Value = serde_json::from_str(answer[0].data.as_deref().unwrap()).unwrap();
        assert_eq!(refusal["id"], 7);
        assert!(refusal["error"]["message"].is_string());
        assert!(matches!(
            ticket.refused().await,
            Some(Refusal::TooCostly(_))
        ));
        // The room a ticket held is given back when it is dropped.
        drop((ticket, answer));
        budget.hold().grow_to(64 * 1024, None).await.unwrap();
    }

    #[test]
    fn tiny_values_cost_their_parse_three_times_over() {
        assert_eq!(least_cost(10), 40);
        assert_eq!(parse_cost(b"\"text\""), least_cost(6));
        assert_eq!(parse_cost(b"[0,0,0]"), least_cost(7) + 3 * 3 * 48);
    }
}
