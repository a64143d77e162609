//! The HTTP client that talks to registered servers. Every connection it opens
//! goes to an address checked against the network policy at connect time (a
//! name is resolved and checked here, not trusted from registration), it
//! follows no redirect to another origin, and it trusts the webpki roots plus
//! the operator's own CAs.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::domain::NetworkPolicy;

use super::{OutboundError, resolve_host_checked};

#[derive(Debug, Clone)]
pub struct OutboundSettings {
    pub connect_timeout: Duration,
    pub policy: NetworkPolicy,
    pub roots: TlsRoots,
}

/// The certificate authorities outbound TLS trusts: built once, shared by
/// every client.
#[derive(Clone)]
pub struct TlsRoots(Arc<RootCertStore>);

impl std::fmt::Debug for TlsRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TlsRoots({} authorities)", self.0.len())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsRootsError {
    #[error("cannot read CA file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("CA file {path} holds no certificate")]
    Empty { path: String },
    #[error("CA file {path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl Default for TlsRoots {
    /// The webpki roots alone.
    fn default() -> Self {
        Self(Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }))
    }
}

impl Default for OutboundSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            policy: NetworkPolicy::default(),
            roots: TlsRoots::default(),
        }
    }
}

impl TlsRoots {
    /// The webpki roots, plus every certificate of `ca_file` (PEM) if given.
    pub fn load(ca_file: Option<&Path>) -> Result<Self, TlsRootsError> {
        let Some(path) = ca_file else {
            return Ok(Self::default());
        };
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        {
            let shown = path.display().to_string();
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| TlsRootsError::Read {
                    path: shown.clone(),
                    reason: e.to_string(),
                })?;
            if certificates.is_empty() {
                return Err(TlsRootsError::Empty { path: shown });
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|e| TlsRootsError::Invalid {
                    path: shown.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        Ok(Self(Arc::new(roots)))
    }
}

/// Why the client refused to go somewhere, noted as it happens so that the
/// caller can tell a refusal from any other failure whatever error the layers
/// above make of it.
#[derive(Debug, Clone, Default)]
pub struct Refusals(Arc<Mutex<Option<String>>>);

impl Refusals {
    fn note(&self, why: String) {
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert(why);
        }
    }

    /// The first refusal since the last `take`, if any.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut first| first.take())
    }
}

/// One client for one conversation with one server, and what it refused.
pub struct OutboundClient {
    pub http: reqwest::Client,
    pub refusals: Refusals,
}

impl OutboundClient {
    pub fn new(settings: &OutboundSettings) -> Result<Self, reqwest::Error> {
        let refusals = Refusals::default();
        let resolver = CheckedResolver {
            policy: settings.policy.clone(),
            refusals: refusals.clone(),
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(&settings.roots))
            .dns_resolver(resolver)
            .redirect(same_origin_redirects(
                settings.policy.clone(),
                refusals.clone(),
            ))
            .connect_timeout(settings.connect_timeout)
            // Answers are read (and redacted) as they come: nothing encoded.
            .default_headers(identity_encoding())
            // Names are resolved and checked by us, so no proxy may do it.
            .no_proxy()
            .build()?;
        Ok(Self { http, refusals })
    }
}

fn identity_encoding() -> ::http::HeaderMap {
    let mut headers = ::http::HeaderMap::new();
    headers.insert(
        ::http::header::ACCEPT_ENCODING,
        ::http::HeaderValue::from_static("identity"),
    );
    headers
}

/// The encoding an answer says it is in, unless it is none (`identity`):
/// the registry asks for none, and cannot redact what it cannot read. Only
/// a registered encoding's name is repeated: the header is the upstream's.
pub fn answer_encoding(headers: &::http::HeaderMap) -> Option<String> {
    const KNOWN: [&str; 6] = ["gzip", "x-gzip", "deflate", "br", "zstd", "compress"];
    let encoding = headers.get(::http::header::CONTENT_ENCODING)?;
    let encoding = String::from_utf8_lossy(encoding.as_bytes()).to_ascii_lowercase();
    let encoding = encoding.trim();
    if encoding == "identity" {
        return None;
    }
    Some(match KNOWN.iter().find(|known| **known == encoding) {
        Some(known) => (*known).to_owned(),
        None => "an unknown encoding".to_owned(),
    })
}

fn tls_config(roots: &TlsRoots) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(Arc::clone(&roots.0))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// Resolves names and hands back only addresses the policy allows; a name
/// with any refused address is refused whole (DNS rebinding).
struct CheckedResolver {
    policy: NetworkPolicy,
    refusals: Refusals,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let policy = self.policy.clone();
        let refusals = self.refusals.clone();
        Box::pin(async move {
            // reqwest puts the URL's port back on the addresses.
            match resolve_host_checked(&host, 0, &policy).await {
                Ok(addresses) => Ok(Box::new(addresses.into_iter()) as Addrs),
                Err(error) => {
                    if let OutboundError::Refused { .. } = &error {
                        refusals.note(error.to_string());
                    }
                    Err(error.into())
                }
            }
        })
    }
}

/// Why a request got no (whole) answer, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The address policy refused where the client would have connected.
    Refused(String),
    /// The TLS handshake failed: the reason as rustls words it (it names
    /// certificate problems, never data).
    Tls(String),
    TimedOut,
    NoConnection,
    /// The answer broke off or could not be read.
    Broken,
}

/// What `error` means for the caller: a refusal or a TLS failure first (they
/// hide under connect errors), then the rest.
pub fn send_failure(error: &reqwest::Error) -> SendFailure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return SendFailure::Tls(tls_reason(tls));
        }
        if let Some(OutboundError::Refused { host, why }) = current.downcast_ref::<OutboundError>()
        {
            return SendFailure::Refused(format!("{host} resolves to a refused address: {why}"));
        }
        // tokio-rustls wraps its error in io::Errors, whose source() skips
        // what they wrap: walk into them instead.
        source = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    if error.is_timeout() {
        SendFailure::TimedOut
    } else if error.is_connect() {
        SendFailure::NoConnection
    } else {
        SendFailure::Broken
    }
}

/// What went wrong in a TLS handshake, in words of ours: the names and
/// dates of a certificate are the server's to choose, so none is repeated.
fn tls_reason(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    let certificate = match error {
        Error::InvalidCertificate(certificate) => certificate,
        Error::General(_) | Error::Other(_) => return "the handshake failed".to_owned(),
        // The rest are the protocol's own fixed words.
        other => return other.to_string(),
    };
    match certificate {
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "invalid peer certificate: not valid for this host name"
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "invalid peer certificate: expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "invalid peer certificate: not valid yet"
        }
        CertificateError::UnknownIssuer => {
            "invalid peer certificate: not signed by a trusted authority (see --outbound-ca-file)"
        }
        CertificateError::Revoked => "invalid peer certificate: revoked",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "invalid peer certificate: not one for a server"
        }
        _ => "invalid peer certificate",
    }
    .to_owned()
}

const MAX_REDIRECTS: usize = 5;

/// Follows 307 and 308 (they keep the method and body) within the origin
/// only: another origin would receive the credentials. Same-origin hops reach
/// the same host, whose addresses the resolver checks again.
fn same_origin_redirects(policy: NetworkPolicy, refusals: Refusals) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            if let Some(why) = attempt
                .url()
                .host()
                .and_then(|host| policy.refuse_host(&host))
            {
                refusals.note(format!("redirected to a refused address: {why}"));
            }
            return attempt.stop();
        }
        let keeps_body = matches!(
            attempt.status(),
            reqwest::StatusCode::TEMPORARY_REDIRECT | reqwest::StatusCode::PERMANENT_REDIRECT
        );
        if !keeps_body {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}
