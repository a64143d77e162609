//! Who may call the management API: bearer tokens, each with a name and a scope.
//! Tokens are kept only as SHA-256 hashes and compared in constant time.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a token may do. Read looks at the records and catalogs; use calls the
/// registered servers' tools through the gateway and reads the catalogs, but
/// never sees a record; write may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Use,
    Write,
}

/// What a request asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Look at registry records.
    ReadRecords,
    /// Look at what the registered servers offer (their catalogs).
    ReadCatalogs,
    /// Talk MCP to registered servers through the registry.
    UseTools,
    /// Create, change or delete records, or probe.
    Change,
}

impl Scope {
    pub fn allows(self, access: Access) -> bool {
        match self {
            Self::Write => true,
            Self::Read => matches!(access, Access::ReadRecords | Access::ReadCatalogs),
            Self::Use => matches!(access, Access::UseTools | Access::ReadCatalogs),
        }
    }

    /// The scopes that allow `access`, for error messages.
    pub fn needed_for(access: Access) -> &'static str {
        match access {
            Access::ReadRecords => "read or write",
            Access::ReadCatalogs => "read, use or write",
            Access::UseTools => "use or write",
            Access::Change => "write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Use => "use",
            Self::Write => "write",
        })
    }
}

/// An authenticated caller: the token's name (never the token) and its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub scope: Scope,
    /// No token named this caller: none is configured, or the route is public.
    anonymous: bool,
}

impl Caller {
    /// Who calls when no token is configured (loopback only, or explicitly allowed).
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".to_owned(),
            scope: Scope::Write,
            anonymous: true,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("cannot read the tokens file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the tokens file {path} is not a JSON list of {{\"name\", \"scope\", \"sha256\"}}: {reason}"
    )]
    Malformed { path: String, reason: String },
}

struct TokenEntry {
    name: String,
    scope: Scope,
    sha256: [u8; 32],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFileEntry {
    name: String,
    scope: Scope,
    sha256: String,
}

/// The configured tokens; none means the API is open (see `is_open`).
#[derive(Default)]
pub struct AccessPolicy {
    tokens: Vec<TokenEntry>,
}

impl fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.tokens.iter().map(|t| (&t.name, t.scope)))
            .finish()
    }
}

pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub fn sha256_hex(token: &str) -> String {
    sha256(token).iter().map(|b| format!("{b:02x}")).collect()
}

impl AccessPolicy {
    /// `admin_token` (from `MCP_REGISTRY_API_TOKEN`) gets write scope under the
    /// name "admin"; `tokens_file` adds named tokens with their scopes.
    pub fn load(
        admin_token: Option<&str>,
        tokens_file: Option<&Path>,
    ) -> Result<Self, AccessError> {
        let mut tokens = Vec::new();
        if let Some(token) = admin_token {
            tokens.push(TokenEntry {
                name: "admin".to_owned(),
                scope: Scope::Write,
                sha256: sha256(token),
            });
        }
        if let Some(path) = tokens_file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| AccessError::Read {
                path: shown.clone(),
                source,
            })?;
            let malformed = |reason: String| AccessError::Malformed {
                path: shown.clone(),
                reason,
            };
            let entries: Vec<TokenFileEntry> =
                serde_json::from_str(&text).map_err(|err| malformed(err.to_string()))?;
            for entry in entries {
                let sha256 = parse_sha256(&entry.sha256).ok_or_else(|| {
                    malformed(format!("{:?}: sha256 must be 64 hex digits", entry.name))
                })?;
                tokens.push(TokenEntry {
                    name: entry.name,
                    scope: entry.scope,
                    sha256,
                });
            }
        }
        Ok(Self { tokens })
    }

    /// No token is configured: every caller is anonymous.
    pub fn is_open(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The caller a presented token belongs to. Every entry is compared, in
    /// constant time, so timing tells nothing about which or how much matched.
    pub fn authenticate(&self, presented: &str) -> Option<Caller> {
        let presented = sha256(presented);
        let mut found = None;
        for entry in &self.tokens {
            if bool::from(entry.sha256.ct_eq(&presented)) {
                found = Some(Caller {
                    name: entry.name.clone(),
                    scope: entry.scope,
                    anonymous: false,
                });
            }
        }
        found
    }
}

fn parse_sha256(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_authenticate_by_hash_with_their_scope() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        std::fs::write(
            &file,
            format!(
                r#"[{{"name": "reader", "scope": "read", "sha256": "{}"}}]"#,
                sha256_hex("r-token")
            ),
        )
        .unwrap();
        let policy = AccessPolicy::load(Some("a-token"), Some(&file)).unwrap();
        assert_eq!(policy.authenticate("a-token").unwrap().scope, Scope::Write);
        let reader = policy.authenticate("r-token").unwrap();
        assert_eq!(
            (reader.name.as_str(), reader.scope),
            ("reader", Scope::Read)
        );
        assert!(policy.authenticate("nope").is_none());
        assert!(!format!("{policy:?}").contains("token"));
    }

    #[test]
    fn use_scope_calls_tools_and_reads_catalogs_but_no_records() {
        assert!(Scope::Use.allows(Access::UseTools));
        assert!(Scope::Use.allows(Access::ReadCatalogs));
        assert!(!Scope::Use.allows(Access::ReadRecords));
        assert!(!Scope::Use.allows(Access::Change));
        assert!(!Scope::Read.allows(Access::UseTools));
        assert!(Scope::Read.allows(Access::ReadCatalogs));
        for access in [
            Access::ReadRecords,
            Access::ReadCatalogs,
            Access::UseTools,
            Access::Change,
        ] {
            assert!(Scope::Write.allows(access));
        }
    }

    #[test]
    fn a_malformed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.json");
        std::fs::write(
            &file,
            r#"[{"name": "x", "scope": "admin", "sha256": "00"}]"#,
        )
        .unwrap();
        assert!(AccessPolicy::load(None, Some(&file)).is_err());
        std::fs::write(&file, r#"[{"name": "x", "scope": "read", "sha256": "zz"}]"#).unwrap();
        assert!(AccessPolicy::load(None, Some(&file)).is_err());
    }
}
