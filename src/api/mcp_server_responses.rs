//! What each operation on `/v1/mcp-servers` may answer, as the contract
//! documents it: the success, and every error status with its JSON body.

use poem_openapi::ApiResponse;

use super::payload::JsonPayload;
use super::schemas::{ErrorResponse, McpServer, McpServerList};

// Made once per request and moved once into the response: boxing the record
// would add an allocation and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
pub enum CreateMcpServerResponse {
    /// MCP server created successfully
    #[oai(status = 201)]
    Created(
        JsonPayload<McpServer>,
        /// Path of the new MCP server, /v1/mcp-servers/{id}.
        #[oai(header = "Location")]
        String,
        /// Version of the MCP server, for If-Match and If-None-Match.
        #[oai(header = "ETag")]
        String,
    ),
    /// Invalid input or duplicate name
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow this operation, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    // 413 and 415 are answered before the handler runs (body limit, payload
    // extractor); they are listed so the contract shows them.
    /// The request body did not arrive within the client timeout
    #[oai(status = 408)]
    RequestTimeout(JsonPayload<ErrorResponse>),
    /// Request body larger than 1 MiB
    #[oai(status = 413)]
    PayloadTooLarge(JsonPayload<ErrorResponse>),
    /// Request body is not application/json
    #[oai(status = 415)]
    UnsupportedMediaType(JsonPayload<ErrorResponse>),
    /// Idempotency-Key already used with a different request body
    #[oai(status = 422)]
    UnprocessableEntity(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// The database has no space left to store the change; reads still work
    #[oai(status = 507)]
    InsufficientStorage(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(CreateMcpServerResponse {
    REQUEST_TIMEOUT => RequestTimeout,
    INSUFFICIENT_STORAGE => InsufficientStorage,
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    TOO_MANY_REQUESTS => TooManyRequests,
    PAYLOAD_TOO_LARGE => PayloadTooLarge,
    UNSUPPORTED_MEDIA_TYPE => UnsupportedMediaType,
    UNPROCESSABLE_ENTITY => UnprocessableEntity,
});

// As for creates: made once and moved once, a box would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
pub enum GetMcpServerResponse {
    /// The MCP server
    #[oai(status = 200)]
    Ok(
        JsonPayload<McpServer>,
        /// Version of the MCP server, for If-Match and If-None-Match.
        #[oai(header = "ETag")]
        String,
    ),
    /// Not modified since the version named in If-None-Match
    #[oai(status = 304)]
    NotModified(
        /// Version of the MCP server, for If-Match and If-None-Match.
        #[oai(header = "ETag")]
        String,
    ),
    /// Malformed id
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow this operation, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No MCP server with this id
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(GetMcpServerResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    NOT_FOUND => NotFound,
    TOO_MANY_REQUESTS => TooManyRequests,
});

#[derive(ApiResponse)]
pub enum ListMcpServersResponse {
    /// A page of MCP servers, newest first
    #[oai(status = 200)]
    Ok(JsonPayload<McpServerList>),
    /// Invalid limit, cursor or filter
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow this operation, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(ListMcpServersResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    TOO_MANY_REQUESTS => TooManyRequests,
});

// As for creates: made once and moved once, a box would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(ApiResponse)]
pub enum UpdateMcpServerResponse {
    /// The updated MCP server
    #[oai(status = 200)]
    Ok(
        JsonPayload<McpServer>,
        /// Version of the MCP server, for If-Match and If-None-Match.
        #[oai(header = "ETag")]
        String,
    ),
    /// Invalid input, duplicate name, or credentials that would follow the URL to another origin
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow this operation, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No MCP server with this id
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// The MCP server has changed since the version named in If-Match
    #[oai(status = 412)]
    PreconditionFailed(JsonPayload<ErrorResponse>),
    /// The request body did not arrive within the client timeout
    #[oai(status = 408)]
    RequestTimeout(JsonPayload<ErrorResponse>),
    /// Request body larger than 1 MiB
    #[oai(status = 413)]
    PayloadTooLarge(JsonPayload<ErrorResponse>),
    /// Request body is not application/json
    #[oai(status = 415)]
    UnsupportedMediaType(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// The database has no space left to store the change; reads still work
    #[oai(status = 507)]
    InsufficientStorage(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(UpdateMcpServerResponse {
    REQUEST_TIMEOUT => RequestTimeout,
    INSUFFICIENT_STORAGE => InsufficientStorage,
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    TOO_MANY_REQUESTS => TooManyRequests,
    NOT_FOUND => NotFound,
    PRECONDITION_FAILED => PreconditionFailed,
    PAYLOAD_TOO_LARGE => PayloadTooLarge,
    UNSUPPORTED_MEDIA_TYPE => UnsupportedMediaType,
});

#[derive(ApiResponse)]
pub enum DeleteMcpServerResponse {
    /// MCP server deleted
    #[oai(status = 204)]
    NoContent,
    /// Malformed id
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow this operation, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No MCP server with this id
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// The MCP server has changed since the version named in If-Match
    #[oai(status = 412)]
    PreconditionFailed(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// The database has no space left to store the change; reads still work
    #[oai(status = 507)]
    InsufficientStorage(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(DeleteMcpServerResponse {
    INSUFFICIENT_STORAGE => InsufficientStorage,
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    TOO_MANY_REQUESTS => TooManyRequests,
    NOT_FOUND => NotFound,
    PRECONDITION_FAILED => PreconditionFailed,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::ApiError;

    #[test]
    fn an_error_answers_with_the_status_its_operation_documents() {
        let answer = DeleteMcpServerResponse::from(ApiError::VersionChanged);
        assert!(matches!(
            answer,
            DeleteMcpServerResponse::PreconditionFailed(_)
        ));
    }

    #[test]
    fn a_status_the_operation_does_not_document_is_a_500_that_reveals_nothing() {
        // GET never answers 412: if it tried, the caller learns only the request id.
        let answer = GetMcpServerResponse::from(ApiError::VersionChanged);
        let GetMcpServerResponse::InternalServerError(JsonPayload(body)) = answer else {
            panic!("expected a 500");
        };
        assert!(
            body.error.starts_with("internal server error (request id "),
            "{}",
            body.error
        );
    }
}
