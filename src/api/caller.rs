//! The caller of an operation, as the guard authenticated it. As an extractor it
//! also declares the bearer scheme in the OpenAPI document, so Swagger UI shows
//! Authorize and generated SDKs take a token.

use poem::web::RemoteAddr;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::error::ApiError;
use crate::access::Caller;
use crate::domain::McpServerId;

const SCHEME: &str = "bearerAuth";

pub struct Authenticated(pub Caller);

impl<'a> ApiExtractor<'a> for Authenticated {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "An API token: MCP_REGISTRY_API_TOKEN, or one from the tokens file. \
                     Scopes: read may GET records and catalogs; use may GET catalogs and talk \
                     MCP at /mcp and /v1/mcp-servers/{id}/mcp, not read records; write may do \
                     everything.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SCHEME]
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        // The guard has checked the token (or found none configured) before the
        // route runs; here is only who it was.
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .map(Self)
            .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()).into())
    }
}

/// A reader of the MCP Registry API, whom the guard let through: anonymous
/// with --registry-api public, a read or write token with token. As an
/// extractor it declares the bearer scheme with an anonymous alternative, so
/// SDKs may send a token and need not.
pub struct MaybeAuthenticated;

impl<'a> ApiExtractor<'a> for MaybeAuthenticated {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        Authenticated::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SCHEME]
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        _request: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}

/// Who did something, for the audit log: the token's name and the address.
pub struct Actor {
    name: String,
    source: String,
}

impl Actor {
    pub fn new(caller: Authenticated, source: &RemoteAddr) -> Self {
        Self {
            name: caller.0.name,
            source: source
                .as_socket_addr()
                .map_or_else(|| source.to_string(), ToString::to_string),
        }
    }

    /// The token's name (anonymous callers share one).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One structured event per change: names of fields, never their values.
    pub fn audit(&self, action: &str, id: &McpServerId, fields: &[&str]) {
        tracing::info!(
            target: "audit",
            action,
            actor = %self.name,
            source = %self.source,
            id = %id,
            fields = %fields.join(","),
            "audit"
        );
    }
}
