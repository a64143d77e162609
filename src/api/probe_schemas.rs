//! Schemas of what the registry learns from its servers: probes, health and
//! catalogs. Catalog items are stored as the MCP protocol writes them
//! (camelCase); the API shows them in its own snake_case.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::contract_types::{Inline, rfc3339};
use crate::domain::{CatalogEntry, Health, McpEra, ProbeSnapshot, ProbeState, ServerInfo};

/// What the registry last learned by talking to an MCP server.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct HealthSummary {
    /// How the last check went; a network failure shows only after several in a row.
    pub state: Inline<ProbeState>,
    /// When the MCP server was last checked.
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: DateTime<Utc>,
    /// What went wrong, in a sentence safe to show; null when the check succeeded.
    #[oai(nullable)]
    pub error: Option<String>,
    /// Tools the MCP server offered at its last successful check.
    pub tool_count: u32,
}

impl From<Health> for HealthSummary {
    fn from(health: Health) -> Self {
        Self {
            state: Inline(health.state),
            checked_at: health.checked_at,
            error: health.error,
            tool_count: health.tool_count,
        }
    }
}

/// How an MCP server describes itself (from its server/discover or initialize result).
#[derive(Debug, Clone, Object, Serialize)]
pub struct McpServerInfo {
    /// The MCP server's name for itself.
    pub name: String,
    /// Its display name, if it gives one.
    #[oai(nullable)]
    pub title: Option<String>,
    /// Its version.
    pub version: String,
}

impl From<ServerInfo> for McpServerInfo {
    fn from(info: ServerInfo) -> Self {
        Self {
            name: info.name,
            title: info.title,
            version: info.version,
        }
    }
}

/// The outcome of the last probe of an MCP server, with what the last successful one found.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ProbeResult {
    /// How the probe ended.
    pub state: Inline<ProbeState>,
    /// When the probe started.
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: DateTime<Utc>,
    /// How long the probe took, in milliseconds.
    pub latency_ms: u64,
    /// What went wrong, in a sentence safe to show; null when the probe succeeded.
    #[oai(nullable)]
    pub error: Option<String>,
    /// How the MCP server describes itself; absent until a probe succeeds.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_info: Option<McpServerInfo>,
    /// The MCP protocol revision agreed on; null until a probe succeeds.
    #[oai(nullable)]
    pub protocol_version: Option<String>,
    /// How conversations with the MCP server begin, from the revision agreed on: `stateless` (2026-07-28 and later: `server/discover`, no sessions) or `handshake` (2025-11-25 and earlier: `initialize` opens a session). The probe offers 2026-07-28 first and falls back to `initialize`. Null until a probe succeeds.
    #[oai(nullable)]
    pub era: Option<Inline<McpEra>>,
    /// The MCP protocol revisions the server supports: the list it answered `server/discover` with (revisions of the handshake era it also speaks may go unlisted), or, for a server that begins with `initialize`, the one revision it agreed to. Null until a probe records them.
    #[oai(nullable)]
    pub supported_versions: Option<Vec<String>>,
    /// The capabilities the MCP server declared, as the protocol writes them; null until a probe succeeds.
    #[oai(nullable)]
    pub capabilities: Option<JsonObject>,
    /// Tools in the stored catalog.
    pub tool_count: u32,
    /// Resources in the stored catalog.
    pub resource_count: u32,
    /// Resource templates in the stored catalog.
    pub resource_template_count: u32,
    /// Prompts in the stored catalog.
    pub prompt_count: u32,
}

impl From<ProbeSnapshot> for ProbeResult {
    fn from(snapshot: ProbeSnapshot) -> Self {
        Self {
            state: Inline(snapshot.state),
            checked_at: snapshot.checked_at,
            latency_ms: snapshot.latency_ms,
            error: snapshot.error,
            server_info: snapshot.server_info.map(Into::into),
            era: snapshot
                .protocol_version
                .as_deref()
                .map(|version| Inline(McpEra::of(version))),
            protocol_version: snapshot.protocol_version,
            supported_versions: snapshot.supported_versions,
            capabilities: snapshot.capabilities.as_ref().and_then(json_object),
            tool_count: snapshot.tool_count,
            resource_count: snapshot.resource_count,
            resource_template_count: snapshot.resource_template_count,
            prompt_count: snapshot.prompt_count,
        }
    }
}

fn text(body: &Value, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// A JSON object as the protocol wrote it (schemas, annotations, capabilities).
pub type JsonObject = BTreeMap<String, Value>;

fn json_object(value: &Value) -> Option<JsonObject> {
    value
        .as_object()
        .map(|object| object.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn object(body: &Value, field: &str) -> Option<JsonObject> {
    body.get(field).and_then(json_object)
}

/// A tool an MCP server offers.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Tool {
    /// The tool's name, unique within its MCP server.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What it does.
    #[oai(nullable)]
    pub description: Option<String>,
    /// JSON Schema of its arguments.
    pub input_schema: JsonObject,
    /// JSON Schema of its structured result, if it declares one.
    #[oai(nullable)]
    pub output_schema: Option<JsonObject>,
    /// Hints about its behaviour (read-only, destructive, ...), as the protocol writes them.
    #[oai(nullable)]
    pub annotations: Option<JsonObject>,
    /// How it may be run, as the protocol writes it: the tasks extension's `taskSupport` (`forbidden`, `optional` or `required`). `/mcp` runs every tool at once and does not offer one whose `taskSupport` is `required`; its MCP server's own endpoint does.
    #[oai(nullable)]
    pub execution: Option<JsonObject>,
}

impl From<CatalogEntry> for Tool {
    fn from(entry: CatalogEntry) -> Self {
        let body = &entry.body;
        Self {
            title: text(body, "title"),
            input_schema: object(body, "inputSchema")
                .unwrap_or_else(|| JsonObject::from([("type".to_owned(), "object".into())])),
            output_schema: object(body, "outputSchema"),
            annotations: object(body, "annotations"),
            execution: object(body, "execution"),
            name: entry.name,
            description: entry.description,
        }
    }
}

/// A tool found by a search, with the MCP server that offers it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct FoundTool {
    /// The MCP server that offers the tool.
    pub server_id: String,
    /// That MCP server's name in the registry.
    pub server_name: String,
    /// The tool's name, unique within its MCP server.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What it does.
    #[oai(nullable)]
    pub description: Option<String>,
    /// JSON Schema of its arguments.
    pub input_schema: JsonObject,
    /// JSON Schema of its structured result, if it declares one.
    #[oai(nullable)]
    pub output_schema: Option<JsonObject>,
    /// Hints about its behaviour (read-only, destructive, ...), as the protocol writes them.
    #[oai(nullable)]
    pub annotations: Option<JsonObject>,
    /// How it may be run, as the protocol writes it: the tasks extension's `taskSupport` (`forbidden`, `optional` or `required`). `/mcp` runs every tool at once and does not offer one whose `taskSupport` is `required`; its MCP server's own endpoint does.
    #[oai(nullable)]
    pub execution: Option<JsonObject>,
}

impl FoundTool {
    pub fn new(server_id: String, server_name: String, entry: CatalogEntry) -> Self {
        let tool = Tool::from(entry);
        Self {
            server_id,
            server_name,
            name: tool.name,
            title: tool.title,
            description: tool.description,
            input_schema: tool.input_schema,
            output_schema: tool.output_schema,
            annotations: tool.annotations,
            execution: tool.execution,
        }
    }
}

/// A resource an MCP server offers.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Resource {
    /// The resource's URI.
    pub uri: String,
    /// Its name.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What it holds.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Its media type.
    #[oai(nullable)]
    pub mime_type: Option<String>,
    /// Its size in bytes, if known.
    #[oai(nullable)]
    pub size: Option<u64>,
}

impl From<CatalogEntry> for Resource {
    fn from(entry: CatalogEntry) -> Self {
        let body = &entry.body;
        Self {
            uri: text(body, "uri").unwrap_or_default(),
            title: text(body, "title"),
            mime_type: text(body, "mimeType"),
            size: body.get("size").and_then(Value::as_u64),
            name: entry.name,
            description: entry.description,
        }
    }
}

/// A template of resources an MCP server offers.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ResourceTemplate {
    /// The URI template (RFC 6570) of its resources.
    pub uri_template: String,
    /// Its name.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What its resources hold.
    #[oai(nullable)]
    pub description: Option<String>,
    /// The media type of its resources.
    #[oai(nullable)]
    pub mime_type: Option<String>,
}

impl From<CatalogEntry> for ResourceTemplate {
    fn from(entry: CatalogEntry) -> Self {
        let body = &entry.body;
        Self {
            uri_template: text(body, "uriTemplate").unwrap_or_default(),
            title: text(body, "title"),
            mime_type: text(body, "mimeType"),
            name: entry.name,
            description: entry.description,
        }
    }
}

/// An argument of a prompt.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PromptArgument {
    /// The argument's name.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What it is for.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Whether the prompt needs it.
    pub required: bool,
}

/// A prompt an MCP server offers.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Prompt {
    /// The prompt's name.
    pub name: String,
    /// Its display name.
    #[oai(nullable)]
    pub title: Option<String>,
    /// What it is for.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Its arguments.
    pub arguments: Vec<PromptArgument>,
}

impl From<CatalogEntry> for Prompt {
    fn from(entry: CatalogEntry) -> Self {
        let arguments = entry
            .body
            .get("arguments")
            .and_then(Value::as_array)
            .map(|arguments| {
                arguments
                    .iter()
                    .map(|argument| PromptArgument {
                        name: text(argument, "name").unwrap_or_default(),
                        title: text(argument, "title"),
                        description: text(argument, "description"),
                        required: argument
                            .get("required")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            title: text(&entry.body, "title"),
            name: entry.name,
            description: entry.description,
            arguments,
        }
    }
}

macro_rules! catalog_page {
    ($name:ident of $item:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ", in the MCP server's own order.")]
        #[derive(Debug, Clone, Object, Serialize)]
        pub struct $name {
            /// The items on this page.
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            #[oai(nullable)]
            pub next_cursor: Option<String>,
        }
    };
}

catalog_page!(ToolList of Tool, "an MCP server's tools");
catalog_page!(ResourceList of Resource, "an MCP server's resources");
catalog_page!(ResourceTemplateList of ResourceTemplate, "an MCP server's resource templates");
catalog_page!(PromptList of Prompt, "an MCP server's prompts");
catalog_page!(FoundToolList of FoundTool, "the tools of every active MCP server that match a search");
