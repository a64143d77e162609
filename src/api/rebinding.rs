//! Against DNS rebinding and cross-site requests, on every route: a web page
//! the operator visits can point a name of its own at the registry's address
//! and have the browser call it. Such a request names the page's host, in its
//! `Host` and in its `Origin`. Without tokens (when being reachable is all it
//! takes), the `Host` must be one the registry answers to (loopback, or
//! `--allowed-hosts`); always, an `Origin` must be the registry's own, a
//! loopback one or an allowed one, as the MCP transport requires of every
//! incoming connection.

use poem::Request;
use poem::http::header;

use super::error::ApiError;
use crate::domain::{AllowedHost, RequestHost};

/// Routes that say only whether the server lives: a load balancer may probe
/// them by any name (they hold nothing a page could steal).
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

#[derive(Debug, Clone)]
pub struct RebindingGuard {
    allowed: Vec<AllowedHost>,
    /// Whether the `Host` is checked: when no token is configured, or the
    /// operator listed the names the registry is known by.
    check_host: bool,
}

impl RebindingGuard {
    /// `open`: no token is configured.
    pub fn new(allowed: Vec<AllowedHost>, open: bool) -> Self {
        Self {
            check_host: open || !allowed.is_empty(),
            allowed,
        }
    }

    pub fn check(&self, req: &Request) -> Result<(), ApiError> {
        let host = request_host(req);
        if self.check_host && !PROBES.contains(&req.uri().path()) {
            match &host {
                Some(host) if host.is_allowed(&self.allowed) => {}
                Some(host) => {
                    return Err(ApiError::Forbidden(format!(
                        "the Host {host} is not one this registry answers to (a guard against \
                         DNS rebinding): call it by a loopback address, or start it with \
                         --allowed-hosts naming {host}"
                    )));
                }
                None => {
                    return Err(ApiError::Forbidden(
                        "the request names no valid Host (a guard against DNS rebinding)".into(),
                    ));
                }
            }
        }
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            return Ok(());
        };
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|origin| url::Url::parse(origin).ok())
            .and_then(|origin| {
                let authority = match origin.port() {
                    Some(port) => format!("{}:{port}", origin.host_str()?),
                    None => origin.host_str()?.to_owned(),
                };
                RequestHost::parse(&authority)
            });
        let allowed = origin_host.as_ref().is_some_and(|origin| {
            origin.is_allowed(&self.allowed)
                || host.as_ref().is_some_and(|host| host.host == origin.host)
        });
        if allowed {
            return Ok(());
        }
        let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        Err(ApiError::Forbidden(format!(
            "requests from pages of {shown:?} are refused (a guard against DNS rebinding and \
             cross-site requests): start the registry with --allowed-hosts naming that host to \
             allow them"
        )))
    }
}

/// The host the request names: its `Host` header, or (HTTP/2) `:authority`.
fn request_host(req: &Request) -> Option<RequestHost> {
    match req.headers().get(header::HOST) {
        Some(host) => RequestHost::parse(host.to_str().ok()?),
        None => RequestHost::parse(req.uri().authority()?.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: &str, origin: Option<&str>, path: &str) -> Request {
        let mut builder = Request::builder().uri_str(path).header(header::HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.finish()
    }

    #[test]
    fn without_tokens_only_loopback_and_listed_hosts_are_answered() {
        let open = RebindingGuard::new(vec!["registry.lan".parse().unwrap()], true);
        for (host, origin, ok) in [
            ("127.0.0.1:8080", None, true),
            ("localhost:8080", Some("http://localhost:8080"), true),
            ("registry.lan:8080", Some("http://registry.lan:8080"), true),
            ("attacker.example:8080", None, false),
            (
                "attacker.example:8080",
                Some("http://attacker.example:8080"),
                false,
            ),
            ("127.0.0.1:8080", Some("http://attacker.example"), false),
            ("127.0.0.1:8080", Some("null"), false),
        ] {
            let checked = open.check(&request(host, origin, "/v1/mcp-servers"));
            assert_eq!(checked.is_ok(), ok, "{host} {origin:?}");
        }
        // Whether the server lives may be asked by any name.
        assert!(
            open.check(&request("10.0.0.5:8080", None, "/healthz"))
                .is_ok()
        );
    }

    #[test]
    fn with_tokens_any_host_is_answered_but_not_a_foreign_page() {
        let guarded = RebindingGuard::new(Vec::new(), false);
        for (host, origin, ok) in [
            ("registry.example.com", None, true),
            (
                "registry.example.com",
                Some("https://registry.example.com"),
                true,
            ),
            ("registry.example.com", Some("http://localhost:6274"), true),
            ("registry.example.com", Some("https://evil.example"), false),
        ] {
            let checked = guarded.check(&request(host, origin, "/mcp"));
            assert_eq!(checked.is_ok(), ok, "{host} {origin:?}");
        }
    }
}
