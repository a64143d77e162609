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
/// Words in a header's name that make it a credential. `pass` covers
/// password, passwd, passphrase and passcode.
const CREDENTIAL_WORDS: [&str; 14] = [
    "key",
    "token",
    "secret",
    "auth",
    "pass",
    "pwd",
    "session",
    "credential",
    "jwt",
    "bearer",
    "signature",
    "private",
    "csrf",
    "xsrf",
];

/// Whether a header's name says its value is a credential, and so write-only
/// like `api_key` (a record may mark any other header so too).
pub fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&name.as_str()) || CREDENTIAL_WORDS.iter().any(|w| name.contains(w))
}

/// Extra HTTP headers sent to the MCP server, names as the caller wrote them,
/// and the names the caller marked secret (beyond those whose names say so).
/// `Debug` masks every value: some are credentials, and logs need none of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpHeaders {
    values: BTreeMap<String, String>,
    /// Marked secret, as the caller wrote them; each names a header of `values`.
    marked: Vec<String>,
}

impl HttpHeaders {
    /// `headers`, of which those named in `marked` are secret.
    pub fn parse(
        headers: BTreeMap<String, String>,
        marked: Vec<String>,
    ) -> Result<Self, ValidationError> {
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
        Self::from_stored(headers, Vec::new()).marked_as(marked)
    }

    /// These headers with `marked` as the names marked secret (the headers
    /// themselves are not checked again: a record stored under older rules
    /// keeps its headers while its marks change).
    pub fn marked_as(self, marked: Vec<String>) -> Result<Self, ValidationError> {
        let headers = self.values;
        let mut unique = HashSet::with_capacity(marked.len());
        for (index, name) in marked.iter().enumerate() {
            let field = || format!("secret_headers[{index}]");
            if !headers
                .keys()
                .any(|header| header.eq_ignore_ascii_case(name))
            {
                return Err(ValidationError::new(
                    field(),
                    format!("{name:?} names no header of headers"),
                ));
            }
            if !unique.insert(name.to_ascii_lowercase()) {
                return Err(ValidationError::new(
                    field(),
                    "names must be unique regardless of case",
                ));
            }
        }
        Ok(Self {
            values: headers,
            marked,
        })
    }

    /// Headers as stored, unchecked: a record stored under older rules (over
    /// today's total, say) stays readable, and can be patched down.
    pub fn from_stored(headers: BTreeMap<String, String>, marked: Vec<String>) -> Self {
        Self {
            values: headers,
            marked,
        }
    }

    /// The stored value of a header, its name matched regardless of case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(stored, _)| stored.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the header's value is secret: by its name, or marked so.
    pub fn is_secret(&self, name: &str) -> bool {
        is_credential_header(name) || self.is_marked(name)
    }

    /// Whether the caller marked the header secret.
    pub fn is_marked(&self, name: &str) -> bool {
        self.marked
            .iter()
            .any(|marked| marked.eq_ignore_ascii_case(name))
    }

    /// The names of the headers whose values are secret.
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.values
            .keys()
            .map(String::as_str)
            .filter(|name| self.is_secret(name))
    }

    /// The values that are secret.
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(|(name, _)| self.is_secret(name))
            .map(|(_, value)| value.as_str())
    }

    /// The names the caller marked secret, as written.
    pub fn marked(&self) -> &[String] {
        &self.marked
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The names and plaintext values, for sealing at rest or sending upstream.
    pub fn expose(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The map a caller may see: secret values replaced by `mask`.
    pub fn masked(&self, mask: &str) -> BTreeMap<String, String> {
        self.values
            .iter()
            .map(|(name, value)| {
                let shown = if self.is_secret(name) { mask } else { value };
                (name.clone(), shown.to_owned())
            })
            .collect()
    }
}

impl fmt::Debug for HttpHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.values.keys().map(|name| (name, "********")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(pairs: &[(&str, &str)]) -> Result<HttpHeaders, ValidationError> {
        HttpHeaders::parse(headers(pairs), Vec::new())
    }

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
            "X-Passwd",
            "X-Pwd",
            "X-Jwt",
            "X-Bearer",
            "X-Hub-Signature-256",
            "X-Private-Token",
            "X-Passphrase",
            "X-CSRF",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["X-Tenant", "X-Region", "Accept-Language"] {
            assert!(!is_credential_header(name), "{name}");
        }
    }

    #[test]
    fn masked_hides_only_credentials() {
        let h = parsed(&[("Authorization", "Bearer s3"), ("X-Tenant", "acme")]).unwrap();
        let shown = h.masked("********");
        assert_eq!(shown["Authorization"], "********");
        assert_eq!(shown["X-Tenant"], "acme");
        assert!(!format!("{h:?}").contains("s3"));
    }

    #[test]
    fn any_header_may_be_marked_secret_but_only_one_it_has() {
        let pairs = headers(&[("X-Tenant", "acme"), ("X-Region", "eu")]);
        let h = HttpHeaders::parse(pairs.clone(), vec!["x-tenant".into()]).unwrap();
        assert_eq!(h.masked("*")["X-Tenant"], "*");
        assert_eq!(h.masked("*")["X-Region"], "eu");
        assert_eq!(h.secret_values().collect::<Vec<_>>(), ["acme"]);
        let unknown = HttpHeaders::parse(pairs.clone(), vec!["X-Other".into()]);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .starts_with("secret_headers[0]")
        );
        let twice = HttpHeaders::parse(pairs, vec!["X-Tenant".into(), "x-tenant".into()]);
        assert!(twice.is_err());
    }

    #[test]
    fn rejects_case_duplicates_framing_headers_and_bad_values() {
        assert!(parsed(&[("X-A", "1"), ("x-a", "2")]).is_err());
        assert!(parsed(&[("Transfer-Encoding", "chunked")]).is_err());
        assert!(parsed(&[("X-A", "a\r\nb")]).is_err());
        assert!(parsed(&[("bad name", "1")]).is_err());
    }

    #[test]
    fn names_and_values_together_are_capped() {
        let value = "v".repeat(8000);
        let two = headers(&[("X-A", &value), ("X-B", &value)]);
        assert!(HttpHeaders::parse(two, Vec::new()).is_ok()); // 16,006 bytes
        let three = headers(&[("X-A", &value), ("X-B", &value), ("X-C", &value)]);
        let err = HttpHeaders::parse(three, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("headers") && err.contains("at most 16384 bytes (got 24009)"),
            "{err}"
        );
    }
}
