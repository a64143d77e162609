//! The request, response and error schemas of the HTTP API, as the contract in
//! `openapi/` states them. Conversions to and from domain types live here too.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use poem_openapi::types::{Example, MaybeUndefined};
use poem_openapi::{NewType, Object};
use serde::{Deserialize, Serialize};

use crate::domain::{
    self, HeaderUpdate, McpServerPatch, McpServerRecord, NetworkPolicy, ServerStatus,
    TransportType, ValidationError,
};

use super::contract_types::{Inline, rfc3339};
use super::probe_schemas::HealthSummary;

/// What responses show in place of a credential's value.
pub const MASK: &str = "********";

/// A string property with an example in the contract (poem-openapi takes a
/// property's example from its type, not from the field).
macro_rules! example_string {
    ($name:ident = $example:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, NewType, Deserialize, Serialize)]
        #[oai(
            example,
            from_parameter = false,
            from_multipart = false,
            to_header = false
        )]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl Example for $name {
            fn example() -> Self {
                Self($example.to_owned())
            }
        }
    };
}

example_string!(ServerIdText = "mcp_01933b5a000070008000000000000001");
example_string!(ServerNameText = "atlassian-mcp-server");
example_string!(DescriptionText = "Atlassian MCP Server for Jira and Confluence");
example_string!(UrlText = "https://mcp.atlassian.com/v1/mcp");
example_string!(VersionText = "1.4.2");

impl Default for VersionText {
    /// What answers saved before records had versions replay with.
    fn default() -> Self {
        Self(domain::Release::DEFAULT.to_owned())
    }
}

// No `Debug`: it holds the plaintext API key.
/// Request to create a new MCP server
#[derive(Object, Deserialize, Serialize)]
pub struct CreateMcpServerRequest {
    /// The name of the MCP server. Must be unique.
    pub name: ServerNameText,
    /// The URL of the MCP server endpoint.
    pub url: UrlText,
    /// A human-readable description of what the MCP server provides.
    #[oai(nullable)]
    pub description: Option<DescriptionText>,
    /// Transport type. Currently only “http” is supported.
    pub transport_type: Option<Inline<TransportType>>,
    /// API key for authentication (optional).
    #[oai(nullable)]
    pub api_key: Option<String>,
    /// Additional HTTP headers for authentication.
    #[oai(nullable)]
    pub headers: Option<BTreeMap<String, String>>,
    /// The version of the MCP server, in Semantic Versioning 2.0.0 (at most 255 characters); 1.0.0 when not given. Published by the MCP Registry API.
    pub version: Option<VersionText>,
    /// Names of headers (each one of `headers`, regardless of case) whose values are secret: write-only, answered as ******** and never logged, like api_key. Headers whose names say they are credentials are secret without it (Authorization, Proxy-Authorization, Cookie, and names containing key, token, secret, auth, pass, pwd, session, credential, jwt, bearer, signature, private, csrf or xsrf).
    #[oai(nullable, validator(max_items = 100))]
    pub secret_headers: Option<Vec<String>>,
}

impl CreateMcpServerRequest {
    pub fn parse(self, policy: &NetworkPolicy) -> Result<domain::NewMcpServer, ValidationError> {
        let request = self;
        Ok(domain::NewMcpServer {
            name: domain::ServerName::parse(request.name.0)?,
            url: domain::ServerUrl::parse(&request.url.0, policy)?,
            description: request
                .description
                .map(|d| domain::Description::parse(d.0))
                .transpose()?,
            release: request
                .version
                .map(|v| domain::Release::parse(v.0))
                .transpose()?,
            transport_type: request.transport_type.map(|t| t.0).unwrap_or_default(),
            api_key: request.api_key.map(domain::ApiKey::parse).transpose()?,
            headers: domain::HttpHeaders::parse(
                request.headers.unwrap_or_default(),
                request.secret_headers.unwrap_or_default(),
            )?,
        })
    }
}

// No `Debug`: it holds the plaintext API key.
/// Request to update an MCP server. Absent fields keep their value.
#[derive(Object, Deserialize)]
pub struct UpdateMcpServerRequest {
    /// The name of the MCP server. Must be unique.
    #[serde(default)]
    pub name: MaybeUndefined<ServerNameText>,
    /// The URL of the MCP server endpoint. Moving it to another origin (scheme, host or port) requires the same request to supply or clear the stored api_key and credential headers.
    #[serde(default)]
    pub url: MaybeUndefined<UrlText>,
    /// A human-readable description of what the MCP server provides. null clears it.
    #[oai(nullable)]
    #[serde(default)]
    pub description: MaybeUndefined<DescriptionText>,
    /// Transport type. Currently only “http” is supported.
    #[serde(default)]
    pub transport_type: MaybeUndefined<Inline<TransportType>>,
    /// Lifecycle status of the MCP server.
    #[serde(default)]
    pub status: MaybeUndefined<Inline<ServerStatus>>,
    /// API key for authentication. A string sets it; null clears it.
    #[oai(nullable)]
    #[serde(default)]
    pub api_key: MaybeUndefined<String>,
    /// Additional HTTP headers for authentication; replaces the whole map, null clears it. Send a credential header's masked value (********) back to keep its stored value.
    #[oai(nullable)]
    #[serde(default)]
    pub headers: MaybeUndefined<BTreeMap<String, String>>,
    /// The version of the MCP server, in Semantic Versioning 2.0.0 (at most 255 characters).
    #[serde(default)]
    pub version: MaybeUndefined<VersionText>,
    /// Names of headers whose values are secret; replaces the list, null clears it. Absent, the marks stay on the headers that remain. A header whose mark is removed must be given its value again in the same request (its stored value would otherwise be shown).
    #[oai(nullable, validator(max_items = 100))]
    #[serde(default)]
    pub secret_headers: MaybeUndefined<Vec<String>>,
}

/// A field that may be absent (keep it) but not null.
fn required_if_present<T, U>(
    value: MaybeUndefined<T>,
    field: &str,
    parse: impl FnOnce(T) -> Result<U, ValidationError>,
) -> Result<Option<U>, ValidationError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(ValidationError::new(
            field,
            "must not be null; leave it out to keep the current value",
        )),
        MaybeUndefined::Value(value) => parse(value).map(Some),
    }
}

/// A field that may be absent (keep it), null (clear it) or set.
fn clearable<T, U>(
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> Result<U, ValidationError>,
) -> Result<Option<Option<U>>, ValidationError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(value) => parse(value).map(|v| Some(Some(v))),
    }
}

impl UpdateMcpServerRequest {
    pub fn parse(self, policy: &NetworkPolicy) -> Result<McpServerPatch, ValidationError> {
        let request = self;
        let headers = clearable(request.headers, |headers| {
            Ok(headers
                .into_iter()
                .map(|(name, value)| (name, HeaderUpdate::from_request(value, MASK)))
                .collect())
        })?;
        Ok(McpServerPatch {
            name: required_if_present(request.name, "name", |n| domain::ServerName::parse(n.0))?,
            url: required_if_present(request.url, "url", |u| {
                domain::ServerUrl::parse(&u.0, policy)
            })?,
            description: clearable(request.description, |d| domain::Description::parse(d.0))?,
            release: required_if_present(request.version, "version", |v| {
                domain::Release::parse(v.0)
            })?,
            transport_type: required_if_present(request.transport_type, "transport_type", |t| {
                Ok(t.0)
            })?,
            status: required_if_present(request.status, "status", |s| Ok(s.0))?,
            api_key: clearable(request.api_key, domain::ApiKey::parse)?,
            headers: headers.map(Option::unwrap_or_default),
            secret_headers: clearable(request.secret_headers, Ok)?.map(Option::unwrap_or_default),
        })
    }
}

/// A page of MCP servers, newest first.
// Responses are written with serde rather than through poem-openapi's
// `ToJSON`, which builds a `serde_json::Value` tree first; a test keeps the two
// identical.
#[derive(Debug, Object, Serialize)]
pub struct McpServerList {
    /// The MCP servers on this page.
    pub data: Vec<McpServer>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// MCP Server configuration. Represents a remote MCP server that can provide tools and resources.
// Deserialize: idempotent creates replay an answer saved as JSON.
#[derive(Debug, Object, Serialize, Deserialize)]
pub struct McpServer {
    /// Unique identifier for the MCP server.
    pub id: ServerIdText,
    /// Display name of the MCP server.
    pub name: ServerNameText,
    /// Human-readable description of the MCP server.
    #[oai(nullable)]
    pub description: Option<DescriptionText>,
    /// URL of the MCP server endpoint.
    pub url: UrlText,
    /// Transport type (currently only HTTP supported).
    pub transport_type: Inline<TransportType>,
    /// Current lifecycle status of the MCP server.
    pub status: Inline<ServerStatus>,
    /// Whether an API key has been configured.
    pub api_key_set: bool,
    /// Additional HTTP headers for authentication. Keys are header names, values are header values.
    pub headers: Option<BTreeMap<String, String>>,
    /// Names of headers marked secret (their values are answered as ********, as are those of headers whose names say they are credentials).
    #[oai(default)]
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// Timestamp when the MCP server was created.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Timestamp when the MCP server was last updated.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// The version of the MCP server (Semantic Versioning 2.0.0); every answer carries it.
    #[oai(default)]
    #[serde(default)]
    pub version: VersionText,
    /// What the registry last learned by talking to the MCP server; absent until the first probe. Read-only.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Box<HealthSummary>>,
}

impl From<McpServerRecord> for McpServer {
    fn from(record: McpServerRecord) -> Self {
        Self {
            id: ServerIdText(record.id.to_string()),
            name: ServerNameText(record.name.as_str().to_owned()),
            description: record
                .description
                .map(|d| DescriptionText(d.as_str().to_owned())),
            url: UrlText(record.url.as_str().to_owned()),
            transport_type: Inline(record.transport_type),
            status: Inline(record.status),
            api_key_set: record.api_key.is_some(),
            headers: Some(record.headers.masked(MASK)),
            secret_headers: record.headers.marked().to_vec(),
            created_at: record.created_at,
            updated_at: record.updated_at,
            version: VersionText(record.release.as_str().to_owned()),
            health: None,
        }
    }
}

impl McpServer {
    pub fn with_health(self, health: Option<domain::Health>) -> Self {
        Self {
            health: health.map(|health| Box::new(HealthSummary::from(health))),
            ..self
        }
    }
}

/// Standard error response for API endpoints.
#[derive(Debug, Object, Serialize)]
pub struct ErrorResponse {
    /// Error message describing what went wrong.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::types::ToJSON;

    fn server(description: Option<&str>, headers: &[(&str, &str)]) -> McpServer {
        let at = DateTime::parse_from_rfc3339("2026-11-24T19:48:24.623989+00:00")
            .unwrap()
            .with_timezone(&Utc);
        McpServer {
            id: ServerIdText("mcp_01933b5a000070008000000000000001".into()),
            name: ServerNameText("atlassian \"mcp\" ✓".into()),
            description: description.map(|d| DescriptionText(d.into())),
            url: UrlText("https://mcp.example.com/mcp".into()),
            transport_type: Inline(TransportType::Http),
            status: Inline(ServerStatus::Disabled),
            api_key_set: true,
            headers: Some(
                headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            secret_headers: Vec::new(),
            created_at: at,
            updated_at: at + chrono::Duration::seconds(1),
            version: VersionText("2.0.0-rc.1+build.5".into()),
            health: None,
        }
    }

    #[test]
    fn responses_written_with_serde_match_the_documented_schema_serializer() {
        for server in [
            server(None, &[]),
            server(
                Some("line\nbreak"),
                &[("X-Team", "core"), ("Authorization", MASK)],
            ),
        ] {
            assert_eq!(
                serde_json::to_value(&server).unwrap(),
                server.to_json().unwrap()
            );
            let list = McpServerList {
                data: vec![server],
                next_cursor: Some("djE6bWNw".into()),
            };
            assert_eq!(
                serde_json::to_value(&list).unwrap(),
                list.to_json().unwrap()
            );
        }
        let error = ErrorResponse {
            error: "name is required".into(),
        };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            error.to_json().unwrap()
        );
    }
}
