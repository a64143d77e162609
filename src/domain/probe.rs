//! What a probe of a registered server found: how the conversation went and,
//! when it went well, what the server offers.

use chrono::{DateTime, Utc};

use crate::redaction::Redactor;

/// How the last conversation with a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeState {
    Ok,
    /// The server refused the credentials (HTTP 401 or 403).
    Unauthorized,
    /// No connection, or the server answered with a server error.
    Unreachable,
    /// No complete answer within the time allowed.
    Timeout,
    /// The server answered something that is not MCP, or too much of it.
    ProtocolError,
    /// The name resolves to (or redirects to) an address the policy refuses;
    /// nothing was sent there.
    RefusedAddress,
}

text_enum!(ProbeState {
    Ok => "ok",
    Unauthorized => "unauthorized",
    Unreachable => "unreachable",
    Timeout => "timeout",
    ProtocolError => "protocol_error",
    RefusedAddress => "refused_address",
});

/// How a server's conversations begin: the protocol's two eras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpEra {
    /// 2026-07-28 and later: `server/discover`, then requests that each
    /// carry their revision and capabilities; no sessions.
    Stateless,
    /// 2025-11-25 and earlier: `initialize` opens a session.
    Handshake,
}

text_enum!(McpEra {
    Stateless => "stateless",
    Handshake => "handshake",
});

/// The first revision without `initialize`.
const FIRST_STATELESS_REVISION: &str = "2026-07-28";

impl McpEra {
    /// The era of the revision a conversation agreed on. Revisions are
    /// dated `YYYY-MM-DD`, so their text orders them.
    pub fn of(protocol_version: &str) -> Self {
        if protocol_version < FIRST_STATELESS_REVISION {
            Self::Handshake
        } else {
            Self::Stateless
        }
    }
}

/// Revisions kept from a server's list, and the longest one kept: real lists
/// name a handful of dates.
const MAX_SUPPORTED_VERSIONS: usize = 16;
const MAX_VERSION_CHARS: usize = 32;

/// The revisions a server says it supports, as far as they look like
/// revisions: a few short names of letters, digits, `.`, `_` and `-`.
pub fn supported_versions<'a>(said: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    said.into_iter()
        .filter(|version| {
            !version.is_empty()
                && version.len() <= MAX_VERSION_CHARS
                && version
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .take(MAX_SUPPORTED_VERSIONS)
        .map(str::to_owned)
        .collect()
}

/// One probe: its outcome and, when it succeeded, the discovery.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub state: ProbeState,
    pub checked_at: DateTime<Utc>,
    pub latency_ms: u64,
    /// A sentence safe to show anyone: never a credential, never the server's
    /// own error text (which may echo what it was sent).
    pub error: Option<String>,
    pub discovery: Option<Discovery>,
}

/// What a server said about itself and offers.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub server_info: ServerInfo,
    pub protocol_version: String,
    /// The revisions the server supports: its `server/discover` list, or
    /// the one revision it agreed to in `initialize`.
    pub supported_versions: Vec<String>,
    /// The server's capabilities, as the protocol writes them.
    pub capabilities: serde_json::Value,
    pub catalog: Catalog,
}

impl Discovery {
    /// The discovery with every secret `redactor` knows replaced, wherever
    /// the server put it: this is what is stored and shown.
    pub fn redacted(self, redactor: &Redactor) -> Self {
        if redactor.is_empty() {
            return self;
        }
        let text = |text: String| redactor.redact_str(&text).into_owned();
        let entries = |entries: Vec<CatalogEntry>| {
            entries
                .into_iter()
                .map(|entry| CatalogEntry {
                    name: text(entry.name),
                    description: entry.description.map(text),
                    body: redact_value(redactor, entry.body),
                })
                .collect()
        };
        Self {
            server_info: ServerInfo {
                name: text(self.server_info.name),
                title: self.server_info.title.map(text),
                version: text(self.server_info.version),
            },
            protocol_version: text(self.protocol_version),
            supported_versions: self.supported_versions.into_iter().map(text).collect(),
            capabilities: redact_value(redactor, self.capabilities),
            catalog: Catalog {
                tools: entries(self.catalog.tools),
                resources: entries(self.catalog.resources),
                resource_templates: entries(self.catalog.resource_templates),
                prompts: entries(self.catalog.prompts),
            },
        }
    }
}

/// A JSON value with the secrets replaced (still a JSON value: only the
/// text of strings and keys changes).
fn redact_value(redactor: &Redactor, value: serde_json::Value) -> serde_json::Value {
    redactor
        .redact_json(value)
        .unwrap_or_else(|| serde_json::Value::String("[redacted]".to_owned()))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerInfo {
    pub name: String,
    pub title: Option<String>,
    pub version: String,
}

/// The kinds of things a server lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatalogKind {
    Tool,
    Resource,
    ResourceTemplate,
    Prompt,
}

text_enum!(CatalogKind {
    Tool => "tool",
    Resource => "resource",
    ResourceTemplate => "resource_template",
    Prompt => "prompt",
});

/// One listed item: its name and description (searched), and the item as the
/// protocol wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub name: String,
    pub description: Option<String>,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tools: Vec<CatalogEntry>,
    pub resources: Vec<CatalogEntry>,
    pub resource_templates: Vec<CatalogEntry>,
    pub prompts: Vec<CatalogEntry>,
}

impl Catalog {
    pub fn entries(&self, kind: CatalogKind) -> &[CatalogEntry] {
        match kind {
            CatalogKind::Tool => &self.tools,
            CatalogKind::Resource => &self.resources,
            CatalogKind::ResourceTemplate => &self.resource_templates,
            CatalogKind::Prompt => &self.prompts,
        }
    }
}

/// The stored outcome of the last probe, with what the last good one found.
#[derive(Debug, Clone)]
pub struct ProbeSnapshot {
    pub state: ProbeState,
    pub checked_at: DateTime<Utc>,
    pub latency_ms: u64,
    pub error: Option<String>,
    pub server_info: Option<ServerInfo>,
    pub protocol_version: Option<String>,
    /// Unknown for probes from before the registry asked.
    pub supported_versions: Option<Vec<String>>,
    pub capabilities: Option<serde_json::Value>,
    pub tool_count: u32,
    pub resource_count: u32,
    pub resource_template_count: u32,
    pub prompt_count: u32,
    /// Bumped whenever the catalog is replaced.
    pub catalog_version: i64,
    pub health: Health,
}

/// The health shown on a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub state: ProbeState,
    pub checked_at: DateTime<Utc>,
    pub error: Option<String>,
    pub tool_count: u32,
    /// Failed probes since the last good one.
    pub consecutive_failures: u32,
}

impl Health {
    /// The health after `report`. Network failures (`unreachable`, `timeout`)
    /// show only once `threshold` of them come in a row, so one blip does not
    /// mark a working server down; failures that repeat by nature (refused
    /// credentials or address, a broken protocol) show at once, as does any
    /// failure of a server never seen working.
    pub fn after(
        previous: Option<&Health>,
        report: &ProbeReport,
        tool_count: u32,
        threshold: u32,
    ) -> Health {
        let consecutive_failures = match report.state {
            ProbeState::Ok => 0,
            _ => previous
                .map_or(0, |p| p.consecutive_failures)
                .saturating_add(1),
        };
        let transient = matches!(report.state, ProbeState::Unreachable | ProbeState::Timeout);
        let hold_previous = match previous {
            Some(previous) => {
                transient && previous.state == ProbeState::Ok && consecutive_failures < threshold
            }
            None => false,
        };
        match previous {
            Some(previous) if hold_previous => Health {
                consecutive_failures,
                ..previous.clone()
            },
            _ => Health {
                state: report.state,
                checked_at: report.checked_at,
                error: report.error.clone(),
                tool_count,
                consecutive_failures,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(state: ProbeState) -> ProbeReport {
        ProbeReport {
            state,
            checked_at: Utc::now(),
            latency_ms: 1,
            error: (state != ProbeState::Ok).then(|| "it failed".to_owned()),
            discovery: None,
        }
    }

    #[test]
    fn a_working_server_turns_unreachable_only_after_the_threshold() {
        let ok = Health::after(None, &report(ProbeState::Ok), 3, 3);
        let once = Health::after(Some(&ok), &report(ProbeState::Unreachable), 3, 3);
        assert_eq!((once.state, once.consecutive_failures), (ProbeState::Ok, 1));
        let twice = Health::after(Some(&once), &report(ProbeState::Timeout), 3, 3);
        assert_eq!(
            (twice.state, twice.consecutive_failures),
            (ProbeState::Ok, 2)
        );
        let thrice = Health::after(Some(&twice), &report(ProbeState::Unreachable), 3, 3);
        assert_eq!(thrice.state, ProbeState::Unreachable);
        assert_eq!(thrice.error.as_deref(), Some("it failed"));
        let back = Health::after(Some(&thrice), &report(ProbeState::Ok), 3, 3);
        assert_eq!((back.state, back.consecutive_failures), (ProbeState::Ok, 0));
    }

    #[test]
    fn refused_credentials_and_first_failures_show_at_once() {
        let ok = Health::after(None, &report(ProbeState::Ok), 3, 3);
        let refused = Health::after(Some(&ok), &report(ProbeState::Unauthorized), 3, 3);
        assert_eq!(refused.state, ProbeState::Unauthorized);
        let first = Health::after(None, &report(ProbeState::Unreachable), 0, 3);
        assert_eq!(first.state, ProbeState::Unreachable);
    }

    #[test]
    fn the_era_follows_the_revision_and_only_revision_like_names_are_kept() {
        assert_eq!(McpEra::of("2025-11-25"), McpEra::Handshake);
        assert_eq!(McpEra::of("2024-11-05"), McpEra::Handshake);
        assert_eq!(McpEra::of("2026-07-28"), McpEra::Stateless);
        assert_eq!(McpEra::of("2027-01-01"), McpEra::Stateless);
        let long = "9".repeat(33);
        let said = ["2026-07-28", "", "DRAFT-2026-v1", "<script>", long.as_str()];
        assert_eq!(supported_versions(said), ["2026-07-28", "DRAFT-2026-v1"]);
        let many: Vec<String> = (0..40).map(|i| format!("v{i}")).collect();
        assert_eq!(
            supported_versions(many.iter().map(String::as_str)).len(),
            16
        );
    }
}
