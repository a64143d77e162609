use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};

use super::api_key::ApiKey;
use super::description::Description;
use super::error::ValidationError;
use super::headers::{HttpHeaders, is_credential_header};
use super::id::McpServerId;
use super::name::ServerName;
use super::release::Release;
use super::url::ServerUrl;
use crate::redaction::Redactor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportType {
    #[default]
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerStatus {
    #[default]
    Active,
    Disabled,
}

text_enum!(TransportType { Http => "http" });
text_enum!(ServerStatus { Active => "active", Disabled => "disabled" });

/// A valid request to register an MCP server.
#[derive(Debug, Clone)]
pub struct NewMcpServer {
    pub name: ServerName,
    pub url: ServerUrl,
    pub description: Option<Description>,
    /// The server's version; `Release::DEFAULT` when not given.
    pub release: Option<Release>,
    pub transport_type: TransportType,
    pub api_key: Option<ApiKey>,
    pub headers: HttpHeaders,
}

impl NewMcpServer {
    /// The fields the request set (for audit logs: names only, never values).
    pub fn field_names(&self) -> Vec<&'static str> {
        let optional = [
            ("description", self.description.is_some()),
            ("version", self.release.is_some()),
            ("api_key", self.api_key.is_some()),
            ("headers", !self.headers.is_empty()),
            ("secret_headers", !self.headers.marked().is_empty()),
        ];
        let mut names = vec!["name", "url", "transport_type"];
        names.extend(
            optional
                .iter()
                .filter(|(_, set)| *set)
                .map(|(name, _)| *name),
        );
        names
    }
}

/// A registered MCP server, as the registry knows it.
#[derive(Debug, Clone)]
pub struct McpServerRecord {
    pub id: McpServerId,
    pub name: ServerName,
    pub url: ServerUrl,
    pub description: Option<Description>,
    /// The server's own version (the API's `version`).
    pub release: Release,
    pub transport_type: TransportType,
    pub status: ServerStatus,
    pub api_key: Option<ApiKey>,
    pub headers: HttpHeaders,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every update; the ETag and the guard of concurrent writes.
    pub version: i64,
}

/// Now, to the microsecond: the precision every supported database keeps, so
/// the timestamps answered equal those read back later.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl McpServerRecord {
    /// Every stored secret in plaintext: the api_key and the values of
    /// credential headers (what must never reach a caller), and of a value
    /// such as `Bearer abc…` the credential after its scheme too.
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        let headers = self.headers.secret_values().flat_map(|value| {
            let credential = value
                .split_once(' ')
                .map(|(_, credential)| credential.trim())
                .filter(|credential| !credential.is_empty());
            std::iter::once(value).chain(credential)
        });
        self.api_key.iter().map(|key| key.expose()).chain(headers)
    }

    /// What replaces this server's secrets in whatever it sends.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.secret_values())
    }

    /// The record a create makes: a new id, active, version 1.
    pub fn create(new: NewMcpServer) -> Self {
        let now = now();
        Self {
            id: McpServerId::generate(),
            name: new.name,
            url: new.url,
            description: new.description,
            release: new.release.unwrap_or_default(),
            transport_type: new.transport_type,
            status: ServerStatus::Active,
            api_key: new.api_key,
            headers: new.headers,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The record as `patch` leaves it: a new version and `updated_at`, the same
    /// id and `created_at`.
    pub fn patched(&self, patch: &McpServerPatch) -> Result<Self, ValidationError> {
        let headers = self.patched_headers(patch)?;
        // Secret values the request did not give anew: the stored ones.
        let given = |name: &str| {
            patch.headers.as_ref().is_some_and(|update| {
                update.iter().any(|(given, value)| {
                    given.eq_ignore_ascii_case(name) && matches!(value, HeaderUpdate::Set(_))
                })
            })
        };
        let url = patch.url.clone().unwrap_or_else(|| self.url.clone());
        if !url.same_origin(&self.url) {
            // Stored credentials must not follow the URL to a server of the
            // caller's choosing: they have to be given again, or cleared.
            let mut carried: Vec<String> = headers
                .secret_names()
                .filter(|name| !given(name))
                .map(|name| format!("headers[{name:?}]"))
                .collect();
            if patch.api_key.is_none() && self.api_key.is_some() {
                carried.insert(0, "api_key".to_owned());
            }
            if !carried.is_empty() {
                return Err(ValidationError::new(
                    "url",
                    format!(
                        "moving to another origin would send the stored {} there; \
                         supply or clear them in the same request",
                        carried.join(", ")
                    ),
                ));
            }
        }
        // A stored value that loses its mark would be shown: only one the
        // caller gives again may.
        if let Some(unmarked) =
            self.headers.marked().iter().find(|name| {
                headers.get(name).is_some() && !headers.is_secret(name) && !given(name)
            })
        {
            return Err(ValidationError::new(
                "secret_headers",
                format!(
                    "leaving out {unmarked:?} would show its stored value: give its value again \
                     in headers in the same request"
                ),
            ));
        }
        Ok(Self {
            id: self.id,
            name: patch.name.clone().unwrap_or_else(|| self.name.clone()),
            url,
            description: patch
                .description
                .clone()
                .unwrap_or_else(|| self.description.clone()),
            release: patch
                .release
                .clone()
                .unwrap_or_else(|| self.release.clone()),
            transport_type: patch.transport_type.unwrap_or(self.transport_type),
            status: patch.status.unwrap_or(self.status),
            api_key: patch
                .api_key
                .clone()
                .unwrap_or_else(|| self.api_key.clone()),
            headers,
            created_at: self.created_at,
            updated_at: now().max(self.updated_at),
            version: self.version + 1,
        })
    }

    /// The headers and marks as `patch` leaves them. A masked value sent
    /// back for a secret header keeps the stored one; marks not given stay
    /// on the headers that remain.
    fn patched_headers(&self, patch: &McpServerPatch) -> Result<HttpHeaders, ValidationError> {
        let marked_now = |name: &str| {
            patch.secret_headers.as_ref().map_or_else(
                || self.headers.is_marked(name),
                |marks| marks.iter().any(|mark| mark.eq_ignore_ascii_case(name)),
            )
        };
        let values = match &patch.headers {
            None => {
                return match &patch.secret_headers {
                    None => Ok(self.headers.clone()),
                    Some(marks) => self.headers.clone().marked_as(marks.clone()),
                };
            }
            Some(update) => {
                let mut resolved = BTreeMap::new();
                for (name, value) in update {
                    let secret = is_credential_header(name) || marked_now(name);
                    let value = match (value, self.headers.get(name)) {
                        (HeaderUpdate::Set(value), _) => value.clone(),
                        (HeaderUpdate::Masked(_), Some(stored)) if secret => stored.to_owned(),
                        (HeaderUpdate::Masked(_), None) if secret => {
                            return Err(ValidationError::new(
                                format!("headers[{name:?}]"),
                                "the masked value stands for a stored value, but none is stored",
                            ));
                        }
                        // The mask as a value of its own, of a header that is not secret.
                        (HeaderUpdate::Masked(mask), _) => mask.clone(),
                    };
                    resolved.insert(name.clone(), value);
                }
                resolved
            }
        };
        let marks = match &patch.secret_headers {
            Some(marks) => marks.clone(),
            None => self
                .headers
                .marked()
                .iter()
                .filter(|name| {
                    values
                        .keys()
                        .any(|header| header.eq_ignore_ascii_case(name))
                })
                .cloned()
                .collect(),
        };
        HttpHeaders::parse(values, marks)
    }
}

/// A header's value in an update.
#[derive(Clone)]
pub enum HeaderUpdate {
    Set(String),
    /// The mask answered for a secret value, sent back: keep what is stored
    /// (for a header that is not secret, it is a value like any other).
    Masked(String),
}

impl HeaderUpdate {
    /// What `value` means, given the mask responses show.
    pub fn from_request(value: String, mask: &str) -> Self {
        if value == mask {
            Self::Masked(value)
        } else {
            Self::Set(value)
        }
    }
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Default)]
pub struct McpServerPatch {
    pub name: Option<ServerName>,
    pub url: Option<ServerUrl>,
    pub description: Option<Option<Description>>,
    pub release: Option<Release>,
    pub transport_type: Option<TransportType>,
    pub status: Option<ServerStatus>,
    pub api_key: Option<Option<ApiKey>>,
    pub headers: Option<BTreeMap<String, HeaderUpdate>>,
    /// Names of headers whose values are secret (replacing the marks).
    pub secret_headers: Option<Vec<String>>,
}

impl McpServerPatch {
    /// The fields the update touches (for audit logs: names only, never values).
    pub fn field_names(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("url", self.url.is_some()),
            ("description", self.description.is_some()),
            ("version", self.release.is_some()),
            ("transport_type", self.transport_type.is_some()),
            ("status", self.status.is_some()),
            ("api_key", self.api_key.is_some()),
            ("headers", self.headers.is_some()),
            ("secret_headers", self.secret_headers.is_some()),
        ]
        .iter()
        .filter(|(_, touched)| *touched)
        .map(|(name, _)| *name)
        .collect()
    }

    /// Whether the update changes where or how the registry connects (or
    /// turns the server back on): then what the server offers may change too.
    pub fn changes_connection(&self) -> bool {
        self.url.is_some()
            || self.api_key.is_some()
            || self.headers.is_some()
            || self.status == Some(ServerStatus::Active)
    }
}

/// An `If-Match` condition on a record's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionCondition {
    /// `*`: any current version.
    Any,
    OneOf(Vec<i64>),
}

impl VersionCondition {
    pub fn holds_for(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(url: &str, api_key: Option<&str>, headers: &[(&str, &str)]) -> McpServerRecord {
        marked_record(url, api_key, headers, &[])
    }

    fn marked_record(
        url: &str,
        api_key: Option<&str>,
        headers: &[(&str, &str)],
        marked: &[&str],
    ) -> McpServerRecord {
        McpServerRecord::create(NewMcpServer {
            name: ServerName::parse("r".into()).unwrap(),
            url: ServerUrl::parse(url, &Default::default()).unwrap(),
            description: None,
            release: None,
            transport_type: TransportType::Http,
            api_key: api_key.map(|k| ApiKey::parse(k.into()).unwrap()),
            headers: HttpHeaders::parse(
                headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                marked.iter().map(|name| name.to_string()).collect(),
            )
            .unwrap(),
        })
    }

    fn url(u: &str) -> Option<ServerUrl> {
        Some(ServerUrl::parse(u, &Default::default()).unwrap())
    }

    #[test]
    fn moving_origin_with_a_stored_api_key_is_refused_unless_it_is_given_or_cleared() {
        let r = record("https://a.example/mcp", Some("k"), &[]);
        let err = r
            .patched(&McpServerPatch {
                url: url("https://evil.example/"),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("api_key"), "{err}");
        assert!(
            r.patched(&McpServerPatch {
                url: url("https://evil.example/"),
                api_key: Some(None),
                ..Default::default()
            })
            .is_ok()
        );
        // Same origin, other path: credentials may stay.
        assert!(
            r.patched(&McpServerPatch {
                url: url("https://a.example:443/other"),
                ..Default::default()
            })
            .is_ok()
        );
    }

    #[test]
    fn a_masked_credential_keeps_the_stored_value_but_not_across_origins() {
        let r = record("https://a.example/", None, &[("Authorization", "Bearer s")]);
        let keep = BTreeMap::from([(
            "authorization".to_owned(),
            HeaderUpdate::from_request("****".into(), "****"),
        )]);
        let same = r
            .patched(&McpServerPatch {
                headers: Some(keep.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(same.headers.get("Authorization"), Some("Bearer s"));
        let moved = r.patched(&McpServerPatch {
            url: url("http://a.example/"),
            headers: Some(keep),
            ..Default::default()
        });
        assert!(moved.is_err(), "scheme change is another origin");
    }

    #[test]
    fn a_marked_header_is_a_credential_and_keeps_its_mark_until_given_anew() {
        let r = marked_record(
            "https://a.example/",
            None,
            &[("X-Tenant", "acme-9f3b"), ("X-Region", "eu")],
            &["X-Tenant"],
        );
        assert_eq!(r.secret_values().collect::<Vec<_>>(), ["acme-9f3b"]);
        let masked = |value: &str| HeaderUpdate::from_request(value.into(), "****");
        // The mask sent back keeps it; the marks stay.
        let kept = r
            .patched(&McpServerPatch {
                headers: Some(BTreeMap::from([
                    ("X-Tenant".to_owned(), masked("****")),
                    ("X-Region".to_owned(), masked("us")),
                ])),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(kept.headers.get("X-Tenant"), Some("acme-9f3b"));
        assert_eq!(kept.headers.marked(), ["X-Tenant"]);
        // Dropping the mark would show the stored value: only with it anew.
        let unmark = McpServerPatch {
            secret_headers: Some(Vec::new()),
            ..Default::default()
        };
        let refused = r.patched(&unmark).unwrap_err().to_string();
        assert!(refused.starts_with("secret_headers"), "{refused}");
        let anew = r
            .patched(&McpServerPatch {
                headers: Some(BTreeMap::from([(
                    "X-Tenant".to_owned(),
                    masked("public-now"),
                )])),
                ..unmark
            })
            .unwrap();
        assert!(!anew.headers.is_secret("X-Tenant"));
        // It does not follow the URL to another origin.
        let moved = r.patched(&McpServerPatch {
            url: url("https://b.example/"),
            ..Default::default()
        });
        assert!(moved.unwrap_err().to_string().contains("X-Tenant"));
    }

    #[test]
    fn version_and_timestamps_move_as_they_should() {
        let r = record("https://a.example/", None, &[]);
        let p = r.patched(&McpServerPatch::default()).unwrap();
        assert_eq!(p.version, r.version + 1);
        assert_eq!(p.created_at, r.created_at);
        assert!(p.updated_at >= r.updated_at);
    }
}
