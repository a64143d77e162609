use std::collections::{BTreeMap, HashSet};
use std::fmt;

use http::HeaderName;

use super::error::ValidationError;

const MAX_ENTRIES: usize = 100;
const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Names and values together. Real authentication headers are a few hundred
/// bytes; the per-header limits alone would allow 800 KB a record, which a
/// page of records multiplies.
pub const MAX_TOTAL_BYTES: usize = 16 * 1024;

/// Headers that describe the connection or the message framing: the client that
/// later talks to the MCP server owns those, and letting a caller set them would
/// allow request smuggling.
const FORBIDDEN: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

const CREDENTIAL_NAMES: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];
const CREDENTIAL_WORDS: [&str; 7] = [
    "key",
    "token",
    "secret",
    "auth",
    "password",
    "session",
    "credential",
];

/// Whether a header's value is a credential, and so write-only like `api_key`.
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&name.as_str()) || CREDENTIAL_WORDS.iter().any(|w| name.contains(w))
}

/// Extra HTTP headers sent to the MCP server, names as the caller wrote them.
/// `Debug` masks every value: some are credentials, and logs need none of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpHeaders(BTreeMap<String, String>);

impl HttpHeaders {
    pub fn parse(headers: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        if headers.len() > MAX_ENTRIES {
            return Err(ValidationError::new(
                "headers",
                format!(
                    "must have at most {MAX_ENTRIES} entries (got {})",
                    headers.len()
                ),
            ));
        }
        let mut seen = HashSet::with_capacity(headers.len());
        for (name, value) in &headers {
            let field = || format!("headers[{name:?}]");
            let Ok(parsed) = HeaderName::from_bytes(name.as_bytes()) else {
                return Err(ValidationError::new(
                    field(),
                    "header name must be a non-empty RFC 7230 token",
                ));
            };
            if FORBIDDEN.contains(&parsed.as_str()) {
                return Err(ValidationError::new(
                    field(),
                    "hop-by-hop and framing headers cannot be set",
                ));
            }
            if !seen.insert(parsed) {
                return Err(ValidationError::new(
                    field(),
                    "header names must be unique regardless of case",
                ));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(ValidationError::new(
                    field(),
                    format!("value must be at most {MAX_VALUE_BYTES} bytes"),
                ));
            }
            if value.contains(['\r', '\n', '\0']) {
                return Err(ValidationError::new(
                    field(),
                    "value must not contain CR, LF or NUL",
                ));
            }
        }
        let total: usize = headers
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .sum();
        if total > MAX_TOTAL_BYTES {
            return Err(ValidationError::new(
                "headers",
                format!(
                    "names and values together must be at most {MAX_TOTAL_BYTES} bytes (got {total})"
                ),
            ));
        }
        Ok(Self(headers))
    }

    /// Headers as stored, unchecked: a record stored under older rules (over
    /// today's total, say) stays readable, and can be patched down.
    pub fn from_stored(headers: BTreeMap<String, String>) -> Self {
        Self(headers)
    }

    /// The stored value of a header, its name matched regardless of case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(stored, _)| stored.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn credential_names(&self) -> impl Iterator<Item = &str> {
        self.0
            .keys()
            .map(String::as_str)
            .filter(|name| is_credential_header(name))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names and plaintext values, for sealing at rest or sending upstream.
    pub fn expose(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The map a caller may see: credential values replaced by `mask`.
    pub fn masked(&self, mask: &str) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(name, value)| {
                let shown = if is_credential_header(name) {
                    mask
                } else {
                    value
                };
                (name.clone(), shown.to_owned())
            })
            .collect()
    }
}

impl fmt::Debug for HttpHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name, "********")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn credential_headers_are_recognised_by_name_or_word() {
        for name in [
            "Authorization",
            "cookie",
            "X-API-Key",
            "X-Session-Id",
            "x-auth",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        assert!(!is_credential_header("X-Tenant"));
    }

    #[test]
    fn masked_hides_only_credentials() {
        let h = HttpHeaders::parse(headers(&[
            ("Authorization", "Bearer s3"),
            ("X-Tenant", "acme"),
        ]))
        .unwrap();
        let shown = h.masked("********");
        assert_eq!(shown["Authorization"], "********");
        assert_eq!(shown["X-Tenant"], "acme");
        assert!(!format!("{h:?}").contains("s3"));
    }

    #[test]
    fn rejects_case_duplicates_framing_headers_and_bad_values() {
        assert!(HttpHeaders::parse(headers(&[("X-A", "1"), ("x-a", "2")])).is_err());
        assert!(HttpHeaders::parse(headers(&[("Transfer-Encoding", "chunked")])).is_err());
        assert!(HttpHeaders::parse(headers(&[("X-A", "a\r\nb")])).is_err());
        assert!(HttpHeaders::parse(headers(&[("bad name", "1")])).is_err());
    }

    #[test]
    fn names_and_values_together_are_capped() {
        let value = "v".repeat(8000);
        let two = headers(&[("X-A", &value), ("X-B", &value)]);
        assert!(HttpHeaders::parse(two).is_ok()); // 16,006 bytes
        let three = headers(&[("X-A", &value), ("X-B", &value), ("X-C", &value)]);
        let err = HttpHeaders::parse(three).unwrap_err().to_string();
        assert!(
            err.contains("headers") && err.contains("at most 16384 bytes (got 24009)"),
            "{err}"
        );
    }
}
