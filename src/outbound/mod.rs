//! Reaching a registered server. Registration does not resolve names (it must
//! work offline and stay fast), so whatever connects to a registered URL must
//! resolve it here: every resolved address is checked against the same policy,
//! and only checked addresses are handed back to connect to. A name that
//! resolves to any refused address is refused whole (DNS rebinding).

mod http;

pub use http::{
    OutboundClient, OutboundSettings, Refusals, SendFailure, TlsRoots, TlsRootsError,
    answer_encoding, send_failure,
};

use std::net::SocketAddr;

use ::http::header::AUTHORIZATION;
use ::http::{HeaderMap, HeaderName, HeaderValue};

use crate::domain::{McpServerRecord, NetworkPolicy, ServerUrl};

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        source: std::io::Error,
    },
    #[error("{host} resolves to a refused address: {why}")]
    Refused { host: String, why: String },
    #[error("{0} resolves to no address")]
    NoAddress(String),
}

/// The addresses `url` may be connected to, each checked against `policy`.
pub async fn resolve_checked(
    url: &ServerUrl,
    policy: &NetworkPolicy,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let (host, port) = url.host_and_port();
    resolve_host_checked(host, port, policy).await
}

/// The addresses `host` may be connected to on `port`, each checked against
/// `policy`.
pub async fn resolve_host_checked(
    host: &str,
    port: u16,
    policy: &NetworkPolicy,
) -> Result<Vec<SocketAddr>, OutboundError> {
    // A literal IPv6 host keeps its brackets in the URL, not in the lookup.
    let lookup_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((lookup_host.as_str(), port))
        .await
        .map_err(|source| OutboundError::Resolve {
            host: host.to_owned(),
            source,
        })?
        .collect();
    if let Some(why) = addresses.iter().find_map(|a| policy.refuse_address(a.ip())) {
        return Err(OutboundError::Refused {
            host: host.to_owned(),
            why,
        });
    }
    if addresses.is_empty() {
        return Err(OutboundError::NoAddress(host.to_owned()));
    }
    Ok(addresses)
}

/// The stored credentials as request headers: every stored header, and
/// `api_key` as a bearer token unless the stored headers carry their own
/// `Authorization`. Every value is marked sensitive, so no log shows it.
pub fn credential_headers(server: &McpServerRecord) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    for (name, value) in server.headers.expose() {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|_| format!("the stored header name {name:?} cannot be sent"))?;
        let mut value = HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("the stored value of header {name} cannot be sent"))?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    if let Some(key) = &server.api_key
        && !headers.contains_key(AUTHORIZATION)
    {
        let mut value = HeaderValue::try_from(format!("Bearer {}", key.expose()))
            .map_err(|_| "the stored api_key cannot be sent as a header".to_owned())?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_refused() {
        // Registration would refuse "localhost" by name; a name that is not on
        // the list but resolves to loopback must still be caught here.
        let url = ServerUrl::from_stored("http://localhost:8080/").unwrap();
        let err = resolve_checked(&url, &NetworkPolicy::default())
            .await
            .unwrap_err();
        assert!(matches!(err, OutboundError::Refused { .. }), "{err}");
    }

    #[tokio::test]
    async fn allowed_addresses_are_handed_back_with_the_port() {
        let policy = NetworkPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let url = ServerUrl::from_stored("http://127.0.0.1:9/").unwrap();
        let addresses = resolve_checked(&url, &policy).await.unwrap();
        assert_eq!(addresses, vec!["127.0.0.1:9".parse().unwrap()]);
        let public = ServerUrl::from_stored("https://93.184.216.34/").unwrap();
        let addresses = resolve_checked(&public, &NetworkPolicy::default())
            .await
            .unwrap();
        assert_eq!(addresses, vec!["93.184.216.34:443".parse().unwrap()]);
    }

    #[test]
    fn only_encoded_answers_name_an_encoding() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                ::http::header::CONTENT_ENCODING,
                HeaderValue::from_static(value),
            );
            answer_encoding(&headers)
        };
        assert_eq!(answer_encoding(&HeaderMap::new()), None);
        assert_eq!(with("Identity"), None);
        assert_eq!(with("GZIP").as_deref(), Some("gzip"));
        // The upstream's own words are not repeated to the agent.
        assert_eq!(with("<script>").as_deref(), Some("an unknown encoding"));
    }
}
