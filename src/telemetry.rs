//! Logging: one subscriber for the process, and the request id that ties a
//! request's log lines and its error answers together.

use std::fmt;
use std::future::Future;
use std::io::IsTerminal;

use poem::http::HeaderValue;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Libraries whose log lines may quote what a registered server answered (and
/// a server may echo the credentials it was sent): silent unless `RUST_LOG`
/// names them.
const QUOTING_TARGETS: [&str; 1] = ["rmcp"];

/// Installs the global subscriber; `RUST_LOG` sets the level (default `info`).
pub fn init(format: LogFormat) {
    let directives = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| "info".to_owned());
    let mut filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    for target in QUOTING_TARGETS {
        if !directives.contains(target)
            && let Ok(directive) = format!("{target}=off").parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    // A second init (tests calling in-process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

tokio::task_local! {
    static CURRENT_REQUEST: RequestId;
}

/// Identifies one request in logs, in the `X-Request-Id` header and in 500 bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub const HEADER: &'static str = "x-request-id";

    /// Keeps a caller's id when it is short and plain (safe to log), else makes one.
    pub fn from_header_or_new(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
            .map(|v| Self(v.to_owned()))
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Runs `request` with this id as the current one, so whatever it reports
    /// (an error body, say) can name it without the id being passed along.
    pub fn scope<F: Future>(self, request: F) -> impl Future<Output = F::Output> {
        CURRENT_REQUEST.scope(self, request)
    }

    /// The id of the request being served; a fresh one outside any request.
    pub fn current() -> Self {
        CURRENT_REQUEST.try_with(Clone::clone).unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
