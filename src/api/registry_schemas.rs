//! The schemas of the MCP Registry API (modelcontextprotocol/registry's
//! generic `openapi.yaml`, `server.json` of 2025-12-11), the part of them this
//! registry serves, and how a record is shown in them. No secret value is ever
//! part of them: an entry points at the registry's own endpoint for the server
//! (the default), or at the server with its credential headers named, marked
//! secret, and left empty.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::Serialize;

use super::contract_types::{ContractEnum, Inline, rfc3339};
use crate::domain::{McpServerRecord, RegistryNamespace, ServerStatus};

/// The `server.json` schema the answers follow.
pub const SERVER_SCHEMA: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
/// The schema's limit on `description` and `title`.
const MAX_TEXT_CHARS: usize = 100;

/// A page of servers.
#[derive(Debug, Object, Serialize)]
pub struct ServerList {
    pub servers: Vec<ServerResponse>,
    pub metadata: ServerListMetadata,
}

/// Where a page stands.
#[derive(Debug, Object, Serialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ServerListMetadata {
    /// Number of servers in this page.
    pub count: u32,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A server, and what the registry knows about its entry.
#[derive(Debug, Object, Serialize)]
pub struct ServerResponse {
    pub server: ServerDetail,
    /// Registry-managed metadata.
    #[oai(rename = "_meta")]
    #[serde(rename = "_meta")]
    pub meta: ResponseMeta,
}

/// Registry-managed metadata.
#[derive(Debug, Object, Serialize)]
pub struct ResponseMeta {
    #[oai(rename = "io.modelcontextprotocol.registry/official")]
    #[serde(rename = "io.modelcontextprotocol.registry/official")]
    pub official: OfficialMeta,
}

/// The entry's lifecycle, as the official registry describes its own.
#[derive(Debug, Object, Serialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct OfficialMeta {
    /// active; deleted for a server disabled in this registry (listed only
    /// with include_deleted or updated_since).
    pub status: Inline<EntryStatus>,
    /// Why the status is what it is, for a deleted entry.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When the server was registered.
    #[serde(serialize_with = "rfc3339")]
    pub published_at: DateTime<Utc>,
    /// When the record last changed.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Always true: the registry keeps one version of each server.
    pub is_latest: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    Active,
    Deleted,
}

impl ContractEnum for EntryStatus {
    const TEXTS: &'static [&'static str] = &["active", "deleted"];
}

/// A server in `server.json` form.
#[derive(Debug, Object, Serialize)]
pub struct ServerDetail {
    /// JSON Schema URI for this server.json format.
    #[oai(rename = "$schema")]
    #[serde(rename = "$schema")]
    pub schema: String,
    /// {namespace}/{name}: the registry's namespace (--registry-namespace) and
    /// the server's name, each byte other than a-z, A-Z, 0-9, '.' and '-'
    /// written as '_' and two hex digits. A name too long for the 200
    /// characters keeps what fits and ends in '__' and the server's id.
    #[oai(validator(
        min_length = 3,
        max_length = 200,
        pattern = r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"
    ))]
    pub name: String,
    /// The server's description, cut to 100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub description: String,
    /// The server's name as registered, cut to 100 characters.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub title: String,
    /// The server's version.
    #[oai(validator(max_length = 255))]
    pub version: String,
    pub remotes: Vec<StreamableHttpTransport>,
}

/// How to reach the server.
#[derive(Debug, Object, Serialize)]
pub struct StreamableHttpTransport {
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub transport: Inline<TransportKind>,
    /// The registry's endpoint for the server, /v1/mcp-servers/{id}/mcp
    /// (with --registry-api-remotes gateway, the default), or the server's
    /// own URL (upstream).
    pub url: String,
    /// HTTP headers to include. Through the registry: Authorization, for a
    /// token with the use scope, when tokens are configured. To the server
    /// itself: every registered header by name, and Authorization when an
    /// api_key is registered. Credentials are marked isSecret and carry no
    /// value.
    pub headers: Vec<KeyValueInput>,
}

/// Where an entry sends clients.
pub enum Remote {
    /// To the server itself, with its headers by name.
    Upstream,
    /// Through the registry's endpoint for the server, under `base`.
    Gateway { base: String, token_required: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
pub enum TransportKind {
    #[oai(rename = "streamable-http")]
    #[serde(rename = "streamable-http")]
    StreamableHttp,
}

impl ContractEnum for TransportKind {
    const TEXTS: &'static [&'static str] = &["streamable-http"];
}

/// A header the client sends.
#[derive(Debug, Object, Serialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct KeyValueInput {
    /// Name of the header.
    pub name: String,
    /// What to give, for a credential.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub is_required: bool,
    pub is_secret: bool,
    /// The value to send, for a header that is not a credential.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl ServerResponse {
    pub fn new(namespace: &RegistryNamespace, record: &McpServerRecord, remote: &Remote) -> Self {
        let active = record.status == ServerStatus::Active;
        Self {
            server: ServerDetail::new(namespace, record, remote),
            meta: ResponseMeta {
                official: OfficialMeta {
                    status: Inline(if active {
                        EntryStatus::Active
                    } else {
                        EntryStatus::Deleted
                    }),
                    status_message: (!active)
                        .then(|| "disabled in this registry: not to be used".to_owned()),
                    published_at: record.created_at,
                    updated_at: record.updated_at,
                    is_latest: true,
                },
            },
        }
    }
}

impl ServerDetail {
    fn new(namespace: &RegistryNamespace, record: &McpServerRecord, remote: &Remote) -> Self {
        let name = record.name.as_str();
        let description = record
            .description
            .as_ref()
            .map(|d| d.as_str().trim())
            .filter(|d| !d.is_empty())
            .map_or_else(|| format!("Remote MCP server {name}"), str::to_owned);
        Self {
            schema: SERVER_SCHEMA.to_owned(),
            name: namespace.registry_name(&record.id, &record.name),
            description: fit(&description),
            title: fit(name),
            version: record.release.as_str().to_owned(),
            remotes: vec![StreamableHttpTransport::new(record, remote)],
        }
    }
}

impl StreamableHttpTransport {
    fn new(record: &McpServerRecord, remote: &Remote) -> Self {
        let (url, headers) = match remote {
            Remote::Upstream => (record.url.as_str().to_owned(), upstream_headers(record)),
            Remote::Gateway {
                base,
                token_required,
            } => (
                format!("{base}/v1/mcp-servers/{}/mcp", record.id),
                token_required
                    .then(|| {
                        credential(
                            "Authorization",
                            "Bearer followed by a token of this registry with the use scope",
                        )
                    })
                    .into_iter()
                    .collect(),
            ),
        };
        Self {
            transport: Inline(TransportKind::StreamableHttp),
            url,
            headers,
        }
    }
}

/// A header a client must fill in with a secret of its own.
fn credential(name: &str, description: &str) -> KeyValueInput {
    KeyValueInput {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        is_required: true,
        is_secret: true,
        value: None,
    }
}

fn upstream_headers(record: &McpServerRecord) -> Vec<KeyValueInput> {
    let mut headers: Vec<KeyValueInput> = record
        .headers
        .expose()
        .iter()
        .map(|(name, value)| {
            if record.headers.is_secret(name) {
                credential(name, "A credential for this server")
            } else {
                KeyValueInput {
                    name: name.clone(),
                    description: None,
                    is_required: true,
                    is_secret: false,
                    value: Some(value.clone()),
                }
            }
        })
        .collect();
    let has_authorization = headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("authorization"));
    if record.api_key.is_some() && !has_authorization {
        headers.push(credential(
            "Authorization",
            "Bearer followed by an API key for this server",
        ));
    }
    headers
}

/// `text` within the schema's 100 characters, marked with "…" where cut.
fn fit(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_TEXT_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_to_the_schema_limit_on_a_character_boundary() {
        assert_eq!(fit("short"), "short");
        let long = "é".repeat(150);
        let cut = fit(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(
            fit(&format!("{}   tail", "a".repeat(96))).chars().count(),
            97
        );
    }

    #[test]
    fn serde_writes_what_the_schema_declares() {
        use poem_openapi::types::ToJSON;
        let official = OfficialMeta {
            status: Inline(EntryStatus::Deleted),
            status_message: Some("disabled".into()),
            published_at: Utc::now(),
            updated_at: Utc::now(),
            is_latest: true,
        };
        let header = KeyValueInput {
            name: "X-Tenant".into(),
            description: None,
            is_required: true,
            is_secret: false,
            value: Some("acme".into()),
        };
        let metadata = ServerListMetadata {
            count: 1,
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_value(&official).unwrap(),
            official.to_json().unwrap()
        );
        assert_eq!(
            serde_json::to_value(&header).unwrap(),
            header.to_json().unwrap()
        );
        assert_eq!(
            serde_json::to_value(&metadata).unwrap(),
            metadata.to_json().unwrap()
        );
        assert_eq!(
            serde_json::to_value(&official).unwrap()["statusMessage"],
            "disabled"
        );
    }
}
