//! Settings, from command-line flags or the environment (flags win).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use ipnet::IpNet;

use crate::api::ApiSettings;
use crate::domain::NetworkPolicy;
use crate::telemetry::LogFormat;

/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://mcp-registry.db";
/// Read from the environment only: a secret has no business in `ps` output.
pub const SECRET_KEY_ENV: &str = "MCP_REGISTRY_SECRET_KEY";

#[derive(Debug, Parser)]
#[command(
    name = "mcp-registry",
    version,
    about = "A registry of remote MCP servers: their URL, credentials and headers.",
    args_conflicts_with_subcommands = true,
    after_help = "Environment only:\n  MCP_REGISTRY_SECRET_KEY  base64 of 32 random bytes that encrypt secrets at rest \
                  (e.g. `openssl rand -base64 32`). Without it, a SQLite database keeps a key file \
                  beside it (FILE.key, mode 0600); other databases require it.\n  \
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
    /// Print the OpenAPI document and exit, without starting the server.
    Openapi {
        #[arg(long, value_enum, default_value_t = DocumentFormat::Json)]
        format: DocumentFormat,
    },
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
    /// sqlite://FILE (created if missing) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    pub database_url: String,
    /// How long an Idempotency-Key is remembered, in seconds.
    #[arg(long, env = "MCP_REGISTRY_IDEMPOTENCY_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub idempotency_ttl_secs: u64,
    /// Networks (CIDRs, comma-separated) that registered URLs may point at even
    /// though they are private, loopback or link-local, e.g. 10.20.0.0/16.
    #[arg(long, env = "MCP_REGISTRY_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub allowed_networks: Vec<IpNet>,
    /// Log line format.
    #[arg(long, env = "MCP_REGISTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl ServeSettings {
    pub fn api(&self) -> ApiSettings {
        ApiSettings {
            idempotency_ttl: Duration::from_secs(self.idempotency_ttl_secs),
            network_policy: NetworkPolicy::new(self.allowed_networks.clone()),
        }
    }

    pub fn secret_key_from_env() -> Option<String> {
        std::env::var(SECRET_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
    }
}
