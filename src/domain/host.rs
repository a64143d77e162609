//! The names the registry answers to. A web page can point a name of its own
//! at the registry's address (DNS rebinding); the operator's browser then
//! sends the page's requests there, naming the page's host. So a request must
//! name a host the registry is known by: a loopback one, or one the operator
//! listed (`--allowed-hosts`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An entry of `--allowed-hosts`: a host name or address, with a port that
/// must match when given; `*` allows any host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHost {
    Any,
    Named { host: String, port: Option<u16> },
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a host name, an address or host:port (or * for any host)")]
pub struct InvalidAllowedHost(String);

impl FromStr for AllowedHost {
    type Err = InvalidAllowedHost;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self::Any);
        }
        let (host, port) = authority(text).ok_or_else(|| InvalidAllowedHost(text.to_owned()))?;
        Ok(Self::Named { host, port })
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Named { host, port } => write_authority(f, host, *port),
        }
    }
}

impl AllowedHost {
    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        match self {
            Self::Any => true,
            Self::Named {
                host: allowed,
                port: allowed_port,
            } => allowed == host && allowed_port.is_none_or(|wanted| port == Some(wanted)),
        }
    }
}

/// The host a request names, as a `Host` header (or `:authority`) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHost {
    /// Lower case, without the brackets of an IPv6 address or a final dot.
    pub host: String,
    pub port: Option<u16>,
}

impl RequestHost {
    /// `host[:port]`, as an HTTP `Host` header carries it.
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = authority(text)?;
        Some(Self { host, port })
    }

    /// This machine: `localhost` (and its subdomains) or a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self.host.ends_with(".localhost")
            || self
                .host
                .parse::<IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    }

    /// Whether the registry answers to this host: loopback always, else one
    /// of `allowed`.
    pub fn is_allowed(&self, allowed: &[AllowedHost]) -> bool {
        self.is_loopback()
            || allowed
                .iter()
                .any(|entry| entry.allows(&self.host, self.port))
    }
}

impl fmt::Display for RequestHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_authority(f, &self.host, self.port)
    }
}

fn write_authority(f: &mut fmt::Formatter<'_>, host: &str, port: Option<u16>) -> fmt::Result {
    match (host.contains(':'), port) {
        (true, Some(port)) => write!(f, "[{host}]:{port}"),
        (true, None) => write!(f, "[{host}]"),
        (false, Some(port)) => write!(f, "{host}:{port}"),
        (false, None) => f.write_str(host),
    }
}

/// `host[:port]`, normalised: lower case, no brackets, no final dot.
fn authority(text: &str) -> Option<(String, Option<u16>)> {
    let authority = http::uri::Authority::from_str(text).ok()?;
    // `http` takes a user name, and a port that is not a number, which no
    // `Host` carries.
    let port_given = authority.as_str().len() > authority.host().len();
    if authority.as_str().contains('@') || (port_given && authority.port_u16().is_none()) {
        return None;
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (!host.is_empty()).then_some((host, authority.port_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(text: &str) -> RequestHost {
        RequestHost::parse(text).unwrap()
    }

    #[test]
    fn loopback_hosts_are_always_answered() {
        for text in [
            "localhost",
            "LOCALHOST:8080",
            "localhost.",
            "app.localhost:1",
            "127.0.0.1:8080",
            "127.1.2.3",
            "[::1]:8080",
        ] {
            assert!(host(text).is_allowed(&[]), "{text}");
        }
        for text in [
            "attacker.example",
            "attacker.example:8080",
            "localhost.attacker.example",
            "127.0.0.1.nip.io",
            "10.0.0.5:8080",
            "[::ffff:7f00:1]",
        ] {
            assert!(!host(text).is_allowed(&[]), "{text}");
        }
    }

    #[test]
    fn listed_hosts_are_answered_on_their_port_if_one_is_given() {
        let allowed: Vec<AllowedHost> = ["registry.internal", "10.0.0.5:8080"]
            .iter()
            .map(|entry| entry.parse().unwrap())
            .collect();
        assert!(host("Registry.Internal:9000").is_allowed(&allowed));
        assert!(host("10.0.0.5:8080").is_allowed(&allowed));
        assert!(!host("10.0.0.5:9090").is_allowed(&allowed));
        assert!(!host("registry.internal.attacker.example").is_allowed(&allowed));
        assert!(host("anything.example").is_allowed(&["*".parse().unwrap()]));
    }

    #[test]
    fn entries_that_are_not_hosts_are_refused() {
        for bad in ["", "http://x", "a b", "user@host", "host:port"] {
            assert!(bad.parse::<AllowedHost>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "[::1]:80".parse::<AllowedHost>().unwrap().to_string(),
            "[::1]:80"
        );
    }
}
