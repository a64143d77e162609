//! `JsonPayload<T>`: an `application/json` body whose schema is `T`'s.
//!
//! poem-openapi's own `Json` reports a wrong field without naming it; this one
//! parses with serde and names the path (`headers.X-Key: invalid type ...`), which
//! is what a caller needs to fix the request.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const JSON: &str = "application/json";

pub struct JsonPayload<T>(pub T);

/// A body that is not the JSON object the operation takes; the message says
/// where and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MalformedBody(pub String);

impl poem::error::ResponseError for MalformedBody {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl<T: Type> Payload for JsonPayload<T> {
    const CONTENT_TYPE: &'static str = JSON;

    fn check_content_type(content_type: &str) -> bool {
        content_type.parse::<mime::Mime>().is_ok_and(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        })
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: DeserializeOwned + Send> ParsePayload for JsonPayload<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = <Vec<u8> as poem::FromRequest>::from_request(request, body).await?;
        parse_json(&bytes).map(Self).map_err(poem::Error::from)
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonPayload<T>, T: DeserializeOwned + Type + Send);

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, MalformedBody> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(MalformedBody(
                "the request body is empty; expected a JSON object".into(),
            ));
        }
        // serde would also read a struct from an array, by position.
        Some(b'{') => {}
        Some(_) => {
            return Err(MalformedBody(
                "invalid JSON body: expected a JSON object".into(),
            ));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let reason = err.into_inner();
        // "." is the whole body and "?" a place serde could not name (bad syntax):
        // only a real path leads the message, as validation errors do.
        MalformedBody(if path == "." || path == "?" {
            format!("invalid JSON body: {reason}")
        } else {
            format!("{path}: {reason}")
        })
    })?;
    deserializer
        .end()
        .map_err(|err| MalformedBody(format!("invalid JSON body: {err}")))?;
    Ok(value)
}

impl<T: Serialize + Send> IntoResponse for JsonPayload<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, JSON)
                .body(body),
            // Only a map with non-string keys fails, and no response has one.
            Err(err) => {
                tracing::error!(error = %err, "a response could not be written as JSON");
                Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .header(header::CONTENT_TYPE, JSON)
                    .body(r#"{"error":"internal server error"}"#)
            }
        }
    }
}
