//! Just enough JSON-RPC to relay MCP faithfully: what a request is (its id,
//! method and tool), whether a message answers it, and the gateway's own
//! error answers. Everything else is passed on as the peers wrote it.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

/// What the gateway reads of an agent's message.
#[derive(Debug, Default)]
pub struct Peek {
    /// The request's id; `None` for notifications, answers and batches.
    pub id: Option<Value>,
    pub method: Option<String>,
    /// The tool a `tools/call` names.
    pub tool: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: Option<Value>,
    method: Option<String>,
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    name: Option<IgnoredOrString>,
}

/// A `name` that is not a string is the upstream's to refuse, not ours.
#[derive(Deserialize)]
#[serde(untagged)]
enum IgnoredOrString {
    Text(String),
    Other(IgnoredAny),
}

/// The message is not JSON at all.
#[derive(Debug)]
pub struct NotJson;

impl Peek {
    /// Reads `body` (a JSON-RPC message or a batch of them) without keeping
    /// more than the id, method and tool name.
    pub fn of(body: &[u8]) -> Result<Self, NotJson> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            // A batch (or anything else): valid JSON goes on unread.
            serde_json::from_slice::<IgnoredAny>(body).map_err(|_| NotJson)?;
            return Ok(Self::default());
        }
        let message: Message = serde_json::from_slice(body).map_err(|_| NotJson)?;
        let is_request = message.method.is_some();
        Ok(Self {
            id: message.id.filter(|_| is_request),
            tool: message
                .params
                .and_then(|params| params.name)
                .and_then(|name| match name {
                    IgnoredOrString::Text(name) => Some(name),
                    IgnoredOrString::Other(_) => None,
                })
                .filter(|_| message.method.as_deref() == Some("tools/call")),
            method: message.method,
        })
    }
}

/// Whether `body` is one JSON-RPC error answer (what a server's refusal
/// carries).
pub fn is_error_message(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct ErrorMessage {
        jsonrpc: String,
        #[serde(rename = "error")]
        _error: ErrorObject,
    }
    /// Read to check their types only.
    #[derive(Deserialize)]
    struct ErrorObject {
        #[serde(rename = "code")]
        _code: i64,
        #[serde(rename = "message")]
        _message: String,
    }
    serde_json::from_slice::<ErrorMessage>(body).is_ok_and(|message| message.jsonrpc == "2.0")
}

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A result; for a tool, `isError: false` or absent.
    Ok,
    /// A tool's result with `isError: true`.
    ToolError,
    /// A JSON-RPC error.
    Error,
}

#[derive(Deserialize)]
struct Reply {
    id: Option<Value>,
    result: Option<ReplyResult>,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ReplyResult {
    #[serde(rename = "isError")]
    is_error: Option<bool>,
}

/// Whether `message` answers the request `id`, and how.
pub fn answer_to(message: &[u8], id: &Value) -> Option<Answer> {
    let reply: Reply = serde_json::from_slice(message).ok()?;
    if reply.id.as_ref() != Some(id) {
        return None;
    }
    match (reply.result, reply.error) {
        (_, Some(_)) => Some(Answer::Error),
        (Some(result), None) if result.is_error == Some(true) => Some(Answer::ToolError),
        (Some(_), None) => Some(Answer::Ok),
        (None, None) => None,
    }
}

/// A JSON-RPC error answer to `id` (null when the request had none).
pub fn error_message(id: Option<&Value>, code: i64, message: &str, reason: &str) -> Vec<u8> {
    let answer = json!({
        "jsonrpc": "2.0",
        "id": id.cloned().unwrap_or(Value::Null),
        "error": {"code": code, "message": message, "data": {"reason": reason}},
    });
    serde_json::to_vec(&answer).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_for_their_id_method_and_tool() {
        let peek = Peek::of(
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"k":[1,2]}}}"#,
        )
        .unwrap();
        assert_eq!(peek.id, Some(json!(7)));
        assert_eq!(peek.method.as_deref(), Some("tools/call"));
        assert_eq!(peek.tool.as_deref(), Some("echo"));

        let notification = Peek::of(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        assert_eq!(notification.unwrap().id, None);
        let answer = Peek::of(br#"{"jsonrpc":"2.0","id":"s1","result":{}}"#).unwrap();
        assert_eq!((answer.id, answer.method), (None, None));
        let odd_name = Peek::of(br#"{"id":1,"method":"tools/call","params":{"name":3}}"#);
        assert_eq!(odd_name.unwrap().tool, None);
        assert!(
            Peek::of(br#"[{"id":1,"method":"ping"}]"#)
                .unwrap()
                .id
                .is_none()
        );
        assert!(Peek::of(b"{not json").is_err());
        assert!(Peek::of(b"").is_err());
    }

    #[test]
    fn answers_are_matched_by_id() {
        let id = json!("a");
        let ok = br#"{"jsonrpc":"2.0","id":"a","result":{"content":[]}}"#;
        let tool_error = br#"{"jsonrpc":"2.0","id":"a","result":{"isError":true}}"#;
        let error = br#"{"jsonrpc":"2.0","id":"a","error":{"code":-1,"message":"x"}}"#;
        assert_eq!(answer_to(ok, &id), Some(Answer::Ok));
        assert_eq!(answer_to(tool_error, &id), Some(Answer::ToolError));
        assert_eq!(answer_to(error, &id), Some(Answer::Error));
        assert_eq!(answer_to(ok, &json!("b")), None);
        let progress = br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
        assert_eq!(answer_to(progress, &id), None);
    }
}
