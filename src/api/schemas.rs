//! The request, response and error schemas of the HTTP API, as the contract in
//! `openapi/` states them. Conversions to and from domain types live here too.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::types::Example;
use poem_openapi::{Enum, NewType, Object};
use serde::Deserialize;

use crate::domain::{self, McpServerRecord, ValidationError};

/// What responses show in place of a credential's value.
pub const MASK: &str = "********";

/// A string property with an example in the contract (poem-openapi takes a
/// property's example from its type, not from the field).
macro_rules! example_string {
    ($name:ident = $example:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, NewType, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TransportType {
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename = "McpServerStatus", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum ServerStatus {
    Active,
    Disabled,
}

// No `Debug`: it holds the plaintext API key.
/// Request to create a new MCP server
#[derive(Object, Deserialize)]
pub struct CreateMcpServerRequest {
    /// The name of the MCP server. Must be unique.
    pub name: ServerNameText,
    /// The URL of the MCP server endpoint.
    pub url: UrlText,
    /// A human-readable description of what the MCP server provides.
    #[oai(nullable)]
    pub description: Option<DescriptionText>,
    /// Transport type. Currently only “http” is supported.
    pub transport_type: Option<TransportType>,
    /// API key for authentication (optional).
    #[oai(nullable)]
    pub api_key: Option<String>,
    /// Additional HTTP headers for authentication.
    #[oai(nullable)]
    pub headers: Option<BTreeMap<String, String>>,
}

impl TryFrom<CreateMcpServerRequest> for domain::NewMcpServer {
    type Error = ValidationError;

    fn try_from(request: CreateMcpServerRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            name: domain::ServerName::parse(request.name.0)?,
            url: domain::ServerUrl::parse(&request.url.0)?,
            description: request
                .description
                .map(|d| domain::Description::parse(d.0))
                .transpose()?,
            transport_type: request.transport_type.map(Into::into).unwrap_or_default(),
            api_key: request.api_key.map(domain::ApiKey::parse).transpose()?,
            headers: domain::HttpHeaders::parse(request.headers.unwrap_or_default())?,
        })
    }
}

/// MCP Server configuration. Represents a remote MCP server that can provide tools and resources.
#[derive(Debug, Object)]
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
    pub transport_type: TransportType,
    /// Current lifecycle status of the MCP server.
    pub status: ServerStatus,
    /// Whether an API key has been configured.
    pub api_key_set: bool,
    /// Additional HTTP headers for authentication. Keys are header names, values are header values.
    pub headers: Option<BTreeMap<String, String>>,
    /// Timestamp when the MCP server was created.
    pub created_at: DateTime<Utc>,
    /// Timestamp when the MCP server was last updated.
    pub updated_at: DateTime<Utc>,
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
            transport_type: record.transport_type.into(),
            status: record.status.into(),
            api_key_set: record.api_key.is_some(),
            headers: Some(record.headers.masked(MASK)),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// Standard error response for API endpoints.
#[derive(Debug, Object)]
pub struct ErrorResponse {
    /// Error message describing what went wrong.
    pub error: String,
}

impl From<TransportType> for domain::TransportType {
    fn from(value: TransportType) -> Self {
        match value {
            TransportType::Http => Self::Http,
        }
    }
}

impl From<domain::TransportType> for TransportType {
    fn from(value: domain::TransportType) -> Self {
        match value {
            domain::TransportType::Http => Self::Http,
        }
    }
}

impl From<domain::ServerStatus> for ServerStatus {
    fn from(value: domain::ServerStatus) -> Self {
        match value {
            domain::ServerStatus::Active => Self::Active,
            domain::ServerStatus::Disabled => Self::Disabled,
        }
    }
}
