use url::Url;

use super::error::ValidationError;
use super::network::NetworkPolicy;

const MAX_CHARS: usize = 2048;

/// An absolute http(s) URL with a host, kept in its normalised (WHATWG) form so
/// that what is stored is exactly what a client will later connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

impl ServerUrl {
    /// Parses a URL a caller wants registered; `policy` decides which hosts it
    /// may point at.
    pub fn parse(value: &str, policy: &NetworkPolicy) -> Result<Self, ValidationError> {
        let error = |rule: &str| Err(ValidationError::new("url", rule));
        if value.chars().count() > MAX_CHARS {
            return error(&format!("must be at most {MAX_CHARS} characters"));
        }
        let Ok(url) = Url::parse(value) else {
            return error("must be an absolute http or https URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return error("scheme must be http or https");
        }
        let Some(host) = url.host().filter(|h| !matches!(h, url::Host::Domain(""))) else {
            return error("must have a host");
        };
        if let Some(why) = policy.refuse_host(&host) {
            return error(&format!(
                "{why}; registered servers must be public \
                 (operators can allow internal networks with MCP_REGISTRY_ALLOWED_NETWORKS)"
            ));
        }
        // Credentials in the URL would be stored and returned in plaintext.
        if !url.username().is_empty() || url.password().is_some() {
            return error("must not contain a user name or password; use api_key or headers");
        }
        if url.as_str().chars().count() > MAX_CHARS {
            return error(&format!("must be at most {MAX_CHARS} characters"));
        }
        Ok(Self(url))
    }

    /// A URL read back from storage. Only re-parsed, not re-validated: rules may
    /// tighten later, and records stored before must still be readable.
    pub fn from_stored(value: &str) -> Result<Self, url::ParseError> {
        Url::parse(value).map(Self)
    }

    /// Why `policy` refuses this URL's host now, if it does: a literal
    /// address is checked here, a name again for every address it resolves to.
    pub fn refused_by(&self, policy: &NetworkPolicy) -> Option<String> {
        self.0.host().and_then(|host| policy.refuse_host(&host))
    }

    /// Same scheme, host and port: where credentials may follow without leaking.
    pub fn same_origin(&self, other: &Self) -> bool {
        self.0.origin() == other.0.origin()
    }

    /// `scheme://host:port`: where the credentials go.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// The host as written in the URL, and the port (the scheme's default if none).
    pub fn host_and_port(&self) -> (&str, u16) {
        let host = self.0.host_str().unwrap_or_default();
        (host, self.0.port_or_known_default().unwrap_or(80))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_canonical_url_unchanged() {
        let url = ServerUrl::parse(
            "https://mcp.atlassian.com/v1/mcp",
            &NetworkPolicy::default(),
        )
        .unwrap();
        assert_eq!(url.as_str(), "https://mcp.atlassian.com/v1/mcp");
    }

    #[test]
    fn rejects_other_schemes_relative_urls_and_userinfo() {
        for bad in [
            "ftp://x.example/",
            "/v1/mcp",
            "https://user:pw@x.example/",
            "http://",
        ] {
            assert!(
                ServerUrl::parse(bad, &NetworkPolicy::default()).is_err(),
                "{bad}"
            );
        }
    }
}
