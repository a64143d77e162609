//! Names in the MCP Registry API's form: `namespace/name`, where the schema
//! allows only `[a-zA-Z0-9.-]` in the namespace and `[a-zA-Z0-9._-]` after
//! the slash, at most 200 characters in all. Our names may hold any printable
//! character, so they are mapped reversibly:
//!
//! - `[a-zA-Z0-9.-]` stays as it is; every other byte of the UTF-8 name,
//!   `_` included, becomes `_` and two lowercase hex digits (`my tools` is
//!   `my_20tools`). An escaped name therefore never holds `__`.
//! - A name whose escaped form would not fit ends in `__` and the server's id
//!   instead, after as much of the escaped form as fits
//!   (`weather_20service_20for..__mcp_0190…`).

use std::fmt::Write as _;
use std::str::FromStr;

use super::id::McpServerId;
use super::name::ServerName;

/// The schema's limit on the whole `namespace/name`.
const MAX_CHARS: usize = 200;
const MAX_NAMESPACE_CHARS: usize = 100;
/// Separates a truncated name from the id that stands for it.
const ID_MARK: &str = "__";
/// `__` and an id (`mcp_` and 32 hex digits).
const ID_SUFFIX_CHARS: usize = ID_MARK.len() + 36;

/// The reverse-DNS namespace every server of this registry is listed under
/// (`--registry-namespace`), e.g. `com.example.mcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryNamespace(String);

impl FromStr for RegistryNamespace {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if value.is_empty() || value.len() > MAX_NAMESPACE_CHARS || !value.chars().all(allowed) {
            return Err(format!(
                "must be 1 to {MAX_NAMESPACE_CHARS} of a-z, A-Z, 0-9, '.' and '-', \
                 in reverse-DNS order (e.g. com.example.mcp)"
            ));
        }
        Ok(Self(value.to_owned()))
    }
}

impl RegistryNamespace {
    /// A placeholder that names no real domain.
    pub const DEFAULT: &str = "local.mcp-registry";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registry name of the server `id` called `name`.
    pub fn registry_name(&self, id: &McpServerId, name: &ServerName) -> String {
        let escaped = escape(name.as_str());
        let room = MAX_CHARS - self.0.len() - 1;
        if escaped.len() <= room {
            return format!("{}/{escaped}", self.0);
        }
        let mut keep = room - ID_SUFFIX_CHARS;
        // Never cut an escape (`_` and two hex digits) in two.
        if let Some(last) = escaped[..keep].rfind('_')
            && last + 3 > keep
        {
            keep = last;
        }
        format!("{}/{}{ID_MARK}{id}", self.0, &escaped[..keep])
    }

    /// What a registry name stands for: a server name or an id, or `None` when
    /// it is not in this namespace or not a form `registry_name` gives. The
    /// caller checks that the server it finds maps back to the same name.
    pub fn resolve(&self, registry_name: &str) -> Option<NameLookup> {
        let (namespace, local) = registry_name.split_once('/')?;
        if namespace != self.0 {
            return None;
        }
        if let Some((_, id)) = local.rsplit_once(ID_MARK) {
            return id.parse().ok().map(NameLookup::Id);
        }
        unescape(local).map(NameLookup::Name)
    }
}

impl Default for RegistryNamespace {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

/// A registry name resolved to what the registry stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameLookup {
    Name(String),
    Id(McpServerId),
}

fn keeps(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-'
}

fn escape(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for byte in name.bytes() {
        if keeps(byte) {
            escaped.push(char::from(byte));
        } else {
            let _ = write!(escaped, "_{byte:02x}");
        }
    }
    escaped
}

/// The name `escape` made `escaped` from; `None` for anything it cannot have
/// made (a stray character, upper-case hex, bytes that are not UTF-8).
fn unescape(escaped: &str) -> Option<String> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut bytes = Vec::with_capacity(escaped.len());
    let mut rest = escaped.bytes();
    while let Some(byte) = rest.next() {
        if byte == b'_' {
            let value = hex(rest.next()?)? << 4 | hex(rest.next()?)?;
            if keeps(value) {
                return None;
            }
            bytes.push(value);
        } else if keeps(byte) {
            bytes.push(byte);
        } else {
            return None;
        }
    }
    String::from_utf8(bytes)
        .ok()
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace() -> RegistryNamespace {
        "com.example.mcp".parse().unwrap()
    }

    fn name(value: &str) -> ServerName {
        ServerName::parse(value.to_owned()).unwrap()
    }

    fn schema_valid(registry_name: &str) -> bool {
        let Some((ns, local)) = registry_name.split_once('/') else {
            return false;
        };
        registry_name.chars().count() <= MAX_CHARS
            && !ns.is_empty()
            && !local.is_empty()
            && ns.bytes().all(keeps)
            && local.bytes().all(|b| keeps(b) || b == b'_')
    }

    #[test]
    fn names_map_to_the_schema_pattern_and_back() {
        let id = McpServerId::generate();
        for plain in [
            "weather",
            "GitHub.Tools-2",
            "my tools",
            "a_b",
            "météo/été",
            "🦀",
            "x%2Fy",
        ] {
            let mapped = namespace().registry_name(&id, &name(plain));
            assert!(schema_valid(&mapped), "{mapped}");
            assert_eq!(
                namespace().resolve(&mapped),
                Some(NameLookup::Name(plain.to_owned())),
                "{mapped}"
            );
        }
        assert_eq!(
            namespace().registry_name(&id, &name("my tools_1")),
            "com.example.mcp/my_20tools_5f1"
        );
    }

    #[test]
    fn long_names_keep_a_readable_prefix_and_resolve_by_id() {
        let id = McpServerId::generate();
        for long in [
            "w".repeat(255),
            "é".repeat(255),
            format!("a{}b", " ".repeat(253)),
        ] {
            let mapped = namespace().registry_name(&id, &name(&long));
            assert!(schema_valid(&mapped), "{mapped}");
            assert!(mapped.ends_with(&format!("__{id}")), "{mapped}");
            assert_eq!(namespace().resolve(&mapped), Some(NameLookup::Id(id)));
        }
        // The longest name that still fits is not given an id.
        let fits = "w".repeat(MAX_CHARS - "com.example.mcp/".len());
        let mapped = namespace().registry_name(&id, &name(&fits));
        assert_eq!(mapped.len(), MAX_CHARS);
        assert_eq!(namespace().resolve(&mapped), Some(NameLookup::Name(fits)));
    }

    #[test]
    fn foreign_or_non_canonical_names_resolve_to_nothing() {
        for other in [
            "org.other/weather",
            "weather",
            "com.example.mcp/",
            "com.example.mcp/my_2Gtools",
            "com.example.mcp/my_2",
            "com.example.mcp/my_20tools_",
            "com.example.mcp/my_2Atools",
            "com.example.mcp/a_61",
            "com.example.mcp/a b",
            "com.example.mcp/_ff",
            "com.example.mcp/x__mcp_nothex",
        ] {
            assert_eq!(namespace().resolve(other), None, "{other}");
        }
    }

    #[test]
    fn namespaces_follow_the_schema_pattern() {
        assert!("io.github.acme".parse::<RegistryNamespace>().is_ok());
        for bad in ["", "a/b", "a_b", "a b", &"a".repeat(101)] {
            assert!(bad.parse::<RegistryNamespace>().is_err(), "{bad}");
        }
    }
}
