//! The gate in front of the API: header size, a cap on requests in flight, a
//! time limit, and for `/v1` bearer-token access with per-caller rate limits.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::rebinding::RebindingGuard;
use crate::access::{Access, AccessPolicy, Caller, Scope};
use crate::config::RegistryApi;
use crate::domain::AllowedHost;

/// What the gate enforces.
#[derive(Debug, Clone)]
pub struct GuardSettings {
    pub max_header_bytes: usize,
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    /// Requests per second per caller; `None` turns rate limiting off.
    pub rate_per_second: Option<NonZeroU32>,
    pub rate_burst: NonZeroU32,
    /// Who may read the MCP Registry API (`/v0.1`, `/v0`).
    pub registry_api: RegistryApi,
    /// Whether `/metrics` is open to anyone even when tokens are configured.
    pub metrics_public: bool,
    /// How long a client may take to send a request's body.
    pub client_timeout: Duration,
    /// Hosts the registry answers to beside loopback (`--allowed-hosts`).
    pub allowed_hosts: Vec<AllowedHost>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            max_header_bytes: 16 * 1024,
            max_concurrent_requests: 512,
            request_timeout: Duration::from_secs(30),
            rate_per_second: NonZeroU32::new(200),
            rate_burst: NonZeroU32::new(400).unwrap_or(NonZeroU32::MIN),
            registry_api: RegistryApi::Off,
            metrics_public: false,
            client_timeout: Duration::from_secs(20),
            allowed_hosts: Vec::new(),
        }
    }
}

pub struct Guard {
    access: Arc<AccessPolicy>,
    rebinding: RebindingGuard,
    settings: GuardSettings,
    in_flight: Semaphore,
    rate: Option<DefaultKeyedRateLimiter<String>>,
}

impl Guard {
    pub fn new(access: Arc<AccessPolicy>, settings: GuardSettings) -> Self {
        let rate = settings.rate_per_second.map(|rate| {
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(settings.rate_burst))
        });
        Self {
            rebinding: RebindingGuard::new(settings.allowed_hosts.clone(), access.is_open()),
            access,
            in_flight: Semaphore::new(settings.max_concurrent_requests),
            settings,
            rate,
        }
    }

    /// Before the body is read: the host and origin, the headers' size, the
    /// caller's token and rate. A refused request costs no body read and no
    /// slot in flight.
    pub async fn admit<E: Endpoint>(
        &self,
        next: Arc<E>,
        mut req: Request,
    ) -> poem::Result<Response> {
        self.rebinding.check(&req)?;
        let header_bytes: usize = req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if header_bytes > self.settings.max_header_bytes {
            return Err(ApiError::HeadersTooLarge(self.settings.max_header_bytes).into());
        }
        let path = req.uri().path();
        if is_registry(path) {
            let caller = match self.settings.registry_api {
                RegistryApi::Off => return Err(ApiError::RegistryApiOff.into()),
                RegistryApi::Public => Caller::anonymous(),
                RegistryApi::Token => self.authorize(&req)?,
            };
            self.limit_rate(&caller, &req)?;
        } else if needs_token(path) {
            let caller = self.authorize(&req)?;
            self.limit_rate(&caller, &req)?;
            req.extensions_mut().insert(caller);
        } else if path == METRICS_PATH && !self.settings.metrics_public {
            // It reveals traffic: a reader's business (open when no token is set).
            self.authorize(&req)?;
        }
        next.call(req).await.map(IntoResponse::into_response)
    }

    /// Once the body is in: a slot among the requests in flight, and the
    /// request's time limit. A slow client never holds a slot: its body is
    /// read (against `client_timeout`) before this runs.
    pub async fn run<E: Endpoint>(&self, next: Arc<E>, req: Request) -> poem::Result<Response> {
        // Shed load rather than queue without bound.
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return Err(ApiError::Overloaded.into());
        };
        if is_gateway(req.uri().path()) {
            // MCP calls may run long and stream; the gateway times each one
            // itself (--gateway-call-timeout-secs).
            return next.call(req).await.map(IntoResponse::into_response);
        }
        match tokio::time::timeout(self.settings.request_timeout, next.call(req)).await {
            Ok(result) => result.map(IntoResponse::into_response),
            Err(_) => Err(ApiError::TimedOut(self.settings.request_timeout).into()),
        }
    }

    pub fn client_timeout(&self) -> Duration {
        self.settings.client_timeout
    }

    fn authorize(&self, req: &Request) -> Result<Caller, ApiError> {
        if self.access.is_open() {
            return Ok(Caller::anonymous());
        }
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let Some(presented) = presented else {
            return Err(ApiError::Unauthorized(
                "a bearer token is required: Authorization: Bearer <token>".into(),
            ));
        };
        let caller = self
            .access
            .authenticate(presented)
            .ok_or_else(|| ApiError::Unauthorized("the bearer token is not valid".into()))?;
        let needed = access_needed(req.method(), req.uri().path());
        if !caller.scope.allows(needed) {
            return Err(ApiError::Forbidden(format!(
                "token {:?} has {} scope; {} {} needs {}",
                caller.name,
                caller.scope,
                req.method(),
                req.uri().path(),
                Scope::needed_for(needed)
            )));
        }
        Ok(caller)
    }

    fn limit_rate(&self, caller: &Caller, req: &Request) -> Result<(), ApiError> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        // Anonymous callers share no token: tell them apart by address.
        let key = if caller.is_anonymous() {
            req.remote_addr()
                .as_socket_addr()
                .map(|a| a.ip())
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
                .to_string()
        } else {
            caller.name.clone()
        };
        rate.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

const METRICS_PATH: &str = "/metrics";

/// The management API and the MCP endpoints; the documents, Swagger UI and
/// the health routes are open (and `/metrics` unless tokens are configured).
fn needs_token(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/") || is_gateway(path)
}

/// The MCP endpoints: `/mcp` and `/v1/mcp-servers/{id}/mcp`.
fn is_gateway(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == "/mcp"
        || path
            .strip_prefix("/v1/mcp-servers/")
            .and_then(|rest| rest.strip_suffix("/mcp"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// The MCP Registry API: `/v0.1/…` (and `/v0/…`, rewritten to it before the
/// guard runs).
fn is_registry(path: &str) -> bool {
    path == "/v0.1" || path.starts_with("/v0.1/")
}

/// What a request to `path` asks to do.
fn access_needed(method: &Method, path: &str) -> Access {
    if is_gateway(path) {
        return Access::UseTools;
    }
    if is_registry(path) {
        // Read-only whatever the method: the router answers others with 405.
        return Access::ReadRecords;
    }
    if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Access::Change;
    }
    let path = path.trim_end_matches('/');
    let is_catalog = path == "/v1/tools"
        || path
            .strip_prefix("/v1/mcp-servers/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_, listing)| {
                matches!(
                    listing,
                    "tools" | "resources" | "resource-templates" | "prompts"
                )
            });
    if is_catalog {
        Access::ReadCatalogs
    } else {
        Access::ReadRecords
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_sorted_by_what_they_ask() {
        let id = "/v1/mcp-servers/0190f3a0-0000-7000-8000-000000000000";
        let cases = [
            (
                Method::GET,
                "/v1/mcp-servers".to_owned(),
                Access::ReadRecords,
            ),
            (Method::GET, id.to_owned(), Access::ReadRecords),
            (Method::GET, format!("{id}/tools"), Access::ReadCatalogs),
            (
                Method::GET,
                format!("{id}/resource-templates"),
                Access::ReadCatalogs,
            ),
            (Method::GET, "/v1/tools".to_owned(), Access::ReadCatalogs),
            (Method::POST, format!("{id}/probe"), Access::Change),
            (Method::PATCH, id.to_owned(), Access::Change),
            (Method::POST, format!("{id}/mcp"), Access::UseTools),
            (Method::GET, format!("{id}/mcp"), Access::UseTools),
            (Method::DELETE, "/mcp".to_owned(), Access::UseTools),
            (Method::GET, "/v0.1/servers".to_owned(), Access::ReadRecords),
            (
                Method::POST,
                "/v0.1/publish".to_owned(),
                Access::ReadRecords,
            ),
        ];
        for (method, path, access) in cases {
            assert_eq!(access_needed(&method, &path), access, "{method} {path}");
        }
        assert!(needs_token("/mcp") && needs_token("/v1/tools"));
        assert!(!needs_token("/metrics") && !is_gateway("/v1/mcp-servers//mcp"));
        assert!(is_registry("/v0.1/servers") && !is_registry("/v0.10/servers"));
        assert!(!needs_token("/v0.1/servers"));
    }
}
