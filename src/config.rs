//! Settings, from command-line flags or the environment (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use ipnet::IpNet;

use crate::domain::{AllowedHost, RegistryNamespace};
use crate::telemetry::LogFormat;

/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://mcp-registry.db";
/// Secrets are read from the environment only: they have no business in `ps`.
pub const SECRET_KEY_ENV: &str = "MCP_REGISTRY_SECRET_KEY";
pub const API_TOKEN_ENV: &str = "MCP_REGISTRY_API_TOKEN";
pub const PREVIOUS_SECRET_KEYS_ENV: &str = "MCP_REGISTRY_SECRET_KEY_PREVIOUS";

#[derive(Debug, Parser)]
#[command(
    name = "mcp-registry",
    version,
    about = "A registry of remote MCP servers: their URL, credentials and headers.",
    args_conflicts_with_subcommands = true,
    after_help = "Environment only:\n  MCP_REGISTRY_SECRET_KEY  base64 of 32 random bytes that encrypt secrets at rest \
                  (e.g. `openssl rand -base64 32`). Without it, a SQLite database keeps a key file \
                  beside it (FILE.key, mode 0600); other databases require it.\n  \
                  MCP_REGISTRY_SECRET_KEY_PREVIOUS  earlier keys (comma-separated) still able to \
                  open what they sealed; see `rotate-secrets`.\n  \
                  MCP_REGISTRY_API_TOKEN   an admin (write) token for /v1. With no token configured \
                  the server only listens on loopback.\n  \
                  RUST_LOG                 log level and filters (default: info)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeSettings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default when no command is given).
    Serve(ServeSettings),
    /// Re-seal every stored secret with MCP_REGISTRY_SECRET_KEY, opening old ones
    /// with MCP_REGISTRY_SECRET_KEY_PREVIOUS; then the previous keys can go.
    RotateSecrets(ServeSettings),
    /// Apply or list the database migrations, for deployments that run them
    /// apart from the server.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the SHA-256 of a token read from standard input, for the tokens file.
    HashToken,
    /// Print the OpenAPI document and exit, without starting the server.
    Openapi {
        #[arg(long, value_enum, default_value_t = DocumentFormat::Json)]
        format: DocumentFormat,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// sqlite://FILE (created if missing), postgres://USER:PASSWORD@HOST/DB or
    /// mysql://USER:PASSWORD@HOST/DB (MySQL or MariaDB).
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    pub url: String,
    /// Connections the server keeps to PostgreSQL or MySQL [default: 16].
    /// SQLite always uses one: it has a single writer.
    #[arg(long, env = "MCP_REGISTRY_DATABASE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub database_max_connections: Option<u32>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// List the migrations, applied or pending.
    Status,
}

/// Who may read the MCP Registry API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RegistryApi {
    /// Not served: 404.
    #[default]
    Off,
    /// Anyone may read it (MCP clients do not authenticate to registries).
    Public,
    /// A read or write token is needed, as for /v1's reads.
    Token,
}

/// Where the MCP Registry API's entries send clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RegistryApiRemotes {
    /// The registry's endpoint for the server, with a `use` token.
    #[default]
    Gateway,
    /// The server's own URL and headers.
    Upstream,
}

/// The registry's address as its clients see it: an http or https URL with
/// a host and nothing after the path, which ends without `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(text.trim()).map_err(|error| format!("{text:?}: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!(
                "{text:?}: an http or https URL with a host is needed"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(format!(
                "{text:?}: a base URL has no user, query or fragment"
            ));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DocumentFormat {
    Json,
    Yaml,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "MCP_REGISTRY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Do not apply migrations at start (run `mcp-registry migrate up` instead);
    /// the server then refuses to start on a schema that is behind.
    #[arg(long, env = "MCP_REGISTRY_SKIP_MIGRATIONS")]
    pub skip_migrations: bool,
    /// How long an Idempotency-Key is remembered, in seconds.
    #[arg(long, env = "MCP_REGISTRY_IDEMPOTENCY_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub idempotency_ttl_secs: u64,
    /// Networks (CIDRs, comma-separated) that registered URLs may point at even
    /// though they are private, loopback or link-local, e.g. 10.20.0.0/16.
    #[arg(long, env = "MCP_REGISTRY_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub allowed_networks: Vec<IpNet>,
    /// A JSON file of API tokens, each {"name", "scope": "read"|"use"|"write",
    /// "sha256"} (make the hash with `mcp-registry hash-token`): read looks at
    /// records and catalogs, use calls tools through /mcp and
    /// /v1/mcp-servers/{id}/mcp (and reads catalogs, never records), write does
    /// everything.
    #[arg(long, env = "MCP_REGISTRY_API_TOKENS_FILE")]
    pub api_tokens_file: Option<PathBuf>,
    /// Serve without any API token on a non-loopback address. Anyone who can
    /// reach it can then read and change the registry.
    #[arg(long, env = "MCP_REGISTRY_ALLOW_UNAUTHENTICATED")]
    pub allow_unauthenticated: bool,
    /// Host names (or host:port, or addresses) the registry answers to beside
    /// loopback, comma-separated; `*` for any. Without a token only loopback
    /// names are answered; with one any name is, unless this lists them. A
    /// browser page's Origin must be one of them, loopback or the registry's
    /// own (against DNS rebinding).
    #[arg(long, env = "MCP_REGISTRY_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<AllowedHost>,
    /// Longest time a request may take, in seconds (then 503).
    #[arg(long, env = "MCP_REGISTRY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send a request's head (then the connection
    /// is closed), and then its body (then 408): slow clients are cut off.
    #[arg(long, env = "MCP_REGISTRY_CLIENT_TIMEOUT_SECS", default_value_t = 20)]
    pub client_timeout_secs: u64,
    /// Requests handled at once; more are refused with 503.
    #[arg(
        long,
        env = "MCP_REGISTRY_MAX_CONCURRENT_REQUESTS",
        default_value_t = 512
    )]
    pub max_concurrent_requests: usize,
    /// Connections open at once. At the limit a new one takes the place of
    /// the oldest with no request in flight; when all are busy, 64 more are
    /// kept for /healthz, /readyz and /metrics, and past those a connection
    /// gets 503 and is closed. Lowered to what the limit on open files allows.
    #[arg(long, env = "MCP_REGISTRY_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Largest total size of a request's headers, in bytes (then 431).
    #[arg(long, env = "MCP_REGISTRY_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
    /// Requests per second allowed to each token (0: no limit); then 429.
    #[arg(long, env = "MCP_REGISTRY_RATE_LIMIT", default_value_t = 200)]
    pub rate_limit: u32,
    /// Requests a token may send at once above its rate.
    #[arg(long, env = "MCP_REGISTRY_RATE_LIMIT_BURST", default_value_t = 400)]
    pub rate_limit_burst: u32,
    /// Seconds to wait for a registered server to accept a connection.
    #[arg(
        long,
        env = "MCP_REGISTRY_OUTBOUND_CONNECT_TIMEOUT_SECS",
        default_value_t = 5
    )]
    pub outbound_connect_timeout_secs: u64,
    /// Seconds a whole probe (initialize and every page of every list) may take.
    #[arg(long, env = "MCP_REGISTRY_PROBE_TIMEOUT_SECS", default_value_t = 20)]
    pub probe_timeout_secs: u64,
    /// A PEM file of certificate authorities to trust, beside the webpki roots,
    /// when connecting to registered servers (for internal CAs).
    #[arg(long, env = "MCP_REGISTRY_OUTBOUND_CA_FILE")]
    pub outbound_ca_file: Option<PathBuf>,
    /// Seconds between health checks of each active server (0: no checks).
    #[arg(long, env = "MCP_REGISTRY_HEALTH_INTERVAL_SECS", default_value_t = 300)]
    pub health_interval_secs: u64,
    /// Probes in flight at once, of every kind (asked for through the API,
    /// scheduled after a change, health checks): each may hold a listing of
    /// up to 1 MiB while it is parsed, so this bounds their memory together.
    #[arg(long, env = "MCP_REGISTRY_HEALTH_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub health_concurrency: u64,
    /// Network failures (unreachable, timeout) in a row before a working
    /// server's health shows them.
    #[arg(long, env = "MCP_REGISTRY_HEALTH_FAILURE_THRESHOLD", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub health_failure_threshold: u32,
    /// How long one call through the gateway may take, answer streamed included, in seconds.
    #[arg(
        long,
        env = "MCP_REGISTRY_GATEWAY_CALL_TIMEOUT_SECS",
        default_value_t = 120
    )]
    pub gateway_call_timeout_secs: u64,
    /// Calls through the gateway to one registered server at once.
    #[arg(long, env = "MCP_REGISTRY_GATEWAY_MAX_CONCURRENT_CALLS", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub gateway_max_concurrent_calls: u32,
    /// MiB of upstream answers the gateway holds at once, across every call:
    /// a JSON answer is held whole (up to 16 MiB) to redact and audit it, an
    /// event of a stream likewise. A call finding no room waits up to 5 s,
    /// then gets `busy`.
    #[arg(long, env = "MCP_REGISTRY_GATEWAY_MAX_BUFFERED_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(16..))]
    pub gateway_max_buffered_mib: u32,
    /// Streams (GET) agents hold open to one registered server through its
    /// endpoint, across every agent; more are refused with 503.
    #[arg(long, env = "MCP_REGISTRY_GATEWAY_MAX_STREAMS_PER_SERVER", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub gateway_max_streams_per_server: u32,
    /// Streams (GET) one token holds open at once, across every server;
    /// more are refused with 429.
    #[arg(long, env = "MCP_REGISTRY_GATEWAY_MAX_STREAMS_PER_TOKEN", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub gateway_max_streams_per_token: u32,
    /// Sessions of /mcp open at once, across every token (each is held in
    /// memory until it ends or idles 5 minutes); more are refused with 503.
    #[arg(long, env = "MCP_REGISTRY_MCP_MAX_SESSIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub mcp_max_sessions: u32,
    /// Sessions of /mcp one token may hold at once; more are refused with 429.
    #[arg(long, env = "MCP_REGISTRY_MCP_MAX_SESSIONS_PER_TOKEN", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub mcp_max_sessions_per_token: u32,
    /// Serve the MCP Registry API (GET /v0.1/servers and /v0/servers, the
    /// catalog MCP clients such as VS Code read): off; public, for anyone,
    /// even when tokens protect /v1; or token, for read and write tokens.
    #[arg(long, env = "MCP_REGISTRY_REGISTRY_API", value_enum, default_value_t = RegistryApi::Off)]
    pub registry_api: RegistryApi,
    /// The reverse-DNS namespace of server names in the MCP Registry API,
    /// which lists each server as {namespace}/{name}: use a domain you own,
    /// reversed (e.g. com.example.mcp).
    #[arg(
        long,
        env = "MCP_REGISTRY_REGISTRY_NAMESPACE",
        default_value = RegistryNamespace::DEFAULT
    )]
    pub registry_namespace: RegistryNamespace,
    /// Where the MCP Registry API sends clients: gateway (the default), the
    /// registry's own endpoint for each server, used with a `use` token, so
    /// the server's credentials stay here; or upstream, the server's own URL
    /// and its headers by name, for servers clients may reach themselves.
    #[arg(long, env = "MCP_REGISTRY_REGISTRY_API_REMOTES", value_enum, default_value_t = RegistryApiRemotes::Gateway)]
    pub registry_api_remotes: RegistryApiRemotes,
    /// The URL clients reach the registry at (e.g. https://mcp.example.com),
    /// for the links it gives out; behind a proxy, set it. Without it, the
    /// request's Host over http.
    #[arg(long, env = "MCP_REGISTRY_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,
    /// Serve /metrics to anyone. Without it, once tokens are configured,
    /// /metrics needs a read (or write) token: it reveals the traffic.
    #[arg(long, env = "MCP_REGISTRY_METRICS_PUBLIC")]
    pub metrics_public: bool,
    /// Log line format.
    #[arg(long, env = "MCP_REGISTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl ServeSettings {
    /// Keys rotated out but still needed to open what they sealed (comma-separated).
    pub fn previous_secret_keys_from_env() -> Vec<String> {
        std::env::var(PREVIOUS_SECRET_KEYS_ENV)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn api_token_from_env() -> Option<String> {
        std::env::var(API_TOKEN_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
    }

    pub fn secret_key_from_env() -> Option<String> {
        std::env::var(SECRET_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    #[test]
    fn a_public_url_is_a_bare_http_base() {
        let parsed = |text: &str| text.parse::<PublicUrl>().map(|url| url.0);
        assert_eq!(
            parsed("https://mcp.example.com/").as_deref(),
            Ok("https://mcp.example.com")
        );
        assert_eq!(
            parsed("http://10.0.0.5:8080/registry/").as_deref(),
            Ok("http://10.0.0.5:8080/registry")
        );
        for bad in [
            "mcp.example.com",
            "ftp://mcp.example.com",
            "https://mcp.example.com/?a=b",
            "https://mcp.example.com/#top",
            "https://user@mcp.example.com",
        ] {
            assert!(parsed(bad).is_err(), "{bad}");
        }
    }
}
