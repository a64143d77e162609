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
use crate::access::{AccessPolicy, Caller, Scope};

/// What the gate enforces.
#[derive(Debug, Clone)]
pub struct GuardSettings {
    pub max_header_bytes: usize,
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    /// Requests per second per caller; `None` turns rate limiting off.
    pub rate_per_second: Option<NonZeroU32>,
    pub rate_burst: NonZeroU32,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            max_header_bytes: 16 * 1024,
            max_concurrent_requests: 512,
            request_timeout: Duration::from_secs(30),
            rate_per_second: NonZeroU32::new(200),
            rate_burst: NonZeroU32::new(400).unwrap_or(NonZeroU32::MIN),
        }
    }
}

pub struct Guard {
    access: Arc<AccessPolicy>,
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
            access,
            in_flight: Semaphore::new(settings.max_concurrent_requests),
            settings,
            rate,
        }
    }

    pub async fn call<E: Endpoint>(
        &self,
        next: Arc<E>,
        mut req: Request,
    ) -> poem::Result<Response> {
        let header_bytes: usize = req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if header_bytes > self.settings.max_header_bytes {
            return Err(ApiError::HeadersTooLarge(self.settings.max_header_bytes).into());
        }
        // Shed load rather than queue without bound.
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return Err(ApiError::Overloaded.into());
        };
        if is_management_api(req.uri().path()) {
            let caller = self.authorize(&req)?;
            self.limit_rate(&caller, &req)?;
            req.extensions_mut().insert(caller);
        }
        match tokio::time::timeout(self.settings.request_timeout, next.call(req)).await {
            Ok(result) => result.map(IntoResponse::into_response),
            Err(_) => Err(ApiError::TimedOut(self.settings.request_timeout).into()),
        }
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
        let needed = match *req.method() {
            Method::GET | Method::HEAD | Method::OPTIONS => Scope::Read,
            _ => Scope::Write,
        };
        if caller.scope < needed {
            return Err(ApiError::Forbidden(format!(
                "token {:?} has {} scope; {} {} needs {needed}",
                caller.name,
                caller.scope,
                req.method(),
                req.uri().path()
            )));
        }
        Ok(caller)
    }

    fn limit_rate(&self, caller: &Caller, req: &Request) -> Result<(), ApiError> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        // Anonymous callers share no token: tell them apart by address.
        let key = if self.access.is_open() {
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

fn is_management_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}
