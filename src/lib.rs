//! mcp-registry: a registry of remote MCP servers. This is where the parts are
//! wired together: `main.rs` parses the command line and calls `Application`
//! (serve), `migrate` or `rotate_secrets`. The integration tests start the
//! binary itself, as an operator would, and talk HTTP to it.

pub mod access;
pub mod api;
pub mod config;
pub mod cursor;
pub mod domain;
pub mod gateway;
pub mod idempotency;
mod listener;
pub mod mcp;
pub mod memory;
pub mod metrics;
pub mod outbound;
pub mod redaction;
pub mod secrets;
pub mod storage;
pub mod telemetry;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use poem::EndpointExt;

use access::{AccessError, AccessPolicy};
use api::{ApiSettings, GuardSettings};
use config::{DatabaseSettings, MigrateAction, ServeSettings};
use domain::NetworkPolicy;
use secrets::{SecretBoxer, SecretKey, SecretKeyError};
use storage::{Database, DatabaseError, McpServerRepository, ResealReport, StorageError};

/// How long in-flight requests may run on after a shutdown signal.
const GRACEFUL_SHUTDOWN: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("{}: {source}", config::SECRET_KEY_ENV)]
    SecretKey {
        #[from]
        source: SecretKeyError,
    },
    #[error(
        "{} must be set (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) \
         when the database is not a SQLite file",
        config::SECRET_KEY_ENV
    )]
    MissingSecretKey,
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("--outbound-ca-file: {0}")]
    TlsRoots(#[from] outbound::TlsRootsError),
    #[error("the HTTP client for registered servers could not be built")]
    HttpClient,
    #[error("re-sealing the stored secrets failed: {0}")]
    Rotate(StorageError),
    #[error("redacting what probes stored failed: {0}")]
    Redact(StorageError),
    #[error(
        "refusing to serve {address} without an API token: set {} (or a tokens file), \
         bind a loopback address, or pass --allow-unauthenticated",
        config::API_TOKEN_ENV
    )]
    Unauthenticated { address: SocketAddr },
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    server: listener::HttpServer,
    app: poem::endpoint::BoxEndpoint<'static>,
}

impl Application {
    /// Connects to the database, applies migrations, loads the key and binds.
    pub async fn build(settings: &ServeSettings) -> Result<Self, StartupError> {
        // Configuration first: refuse a bad setup before touching the database.
        let access = AccessPolicy::load(
            ServeSettings::api_token_from_env().as_deref(),
            settings.api_tokens_file.as_deref(),
        )?;
        if access.is_open() {
            if !settings.bind.ip().is_loopback() && !settings.allow_unauthenticated {
                return Err(StartupError::Unauthenticated {
                    address: settings.bind,
                });
            }
            tracing::warn!(
                address = %settings.bind,
                "no API token configured: anyone who can reach this address can read and change \
                 the registry (set MCP_REGISTRY_API_TOKEN)"
            );
            if !settings.bind.ip().is_loopback() && settings.allowed_hosts.is_empty() {
                tracing::warn!(
                    "without a token only requests naming a loopback host are answered (a guard \
                     against DNS rebinding): list the names clients use with --allowed-hosts"
                );
            }
        }
        let outbound = outbound_settings(settings)?;
        let prober = mcp::Prober::new(mcp::ProbeSettings {
            outbound: outbound.clone(),
            timeout: Duration::from_secs(settings.probe_timeout_secs.max(1)),
        });
        let repository = Arc::new(open_storage(settings).await?);
        // Before anything is served: findings stored by older versions may
        // hold what a server echoed of its credentials.
        let redacted = repository
            .redact_stored_probes()
            .await
            .map_err(StartupError::Redact)?;
        if redacted > 0 {
            tracing::info!(
                servers = redacted,
                "redacted the secrets that stored catalogs held"
            );
        }
        let api_settings = api_settings(settings, Arc::new(access));
        let metrics = Arc::new(metrics::Metrics::default());
        let probes = mcp::ProbeService::new(
            repository.clone(),
            prober,
            health_settings(settings),
            metrics.clone(),
        );
        probes.start();
        let gateway = Arc::new(
            gateway::Gateway::new(
                repository.clone(),
                gateway::GatewaySettings {
                    outbound,
                    call_timeout: Duration::from_secs(settings.gateway_call_timeout_secs.max(1)),
                    max_concurrent_calls_per_server: usize::try_from(
                        settings.gateway_max_concurrent_calls,
                    )
                    .unwrap_or(usize::MAX),
                    max_buffered_bytes: settings.gateway_max_buffered_mib as usize * 1024 * 1024,
                    max_streams_per_server: settings.gateway_max_streams_per_server as usize,
                    max_streams_per_token: settings.gateway_max_streams_per_token as usize,
                },
            )
            .map_err(|_| StartupError::HttpClient)?,
        );
        let aggregate = Arc::new(gateway::aggregate::endpoint(
            gateway.clone(),
            gateway::aggregate::SessionLimits {
                per_token: settings.mcp_max_sessions_per_token as usize,
                total: settings.mcp_max_sessions as usize,
            },
        ));
        tokio::spawn(gateway::aggregate::forget_old_sessions(Arc::clone(
            &repository,
        )));
        let follower = Arc::clone(&repository);
        tokio::spawn(async move { follower.follow_other_replicas().await });
        tokio::spawn(idempotency::forget_expired_keys(
            repository.clone(),
            api_settings.idempotency_ttl,
        ));

        let bind_error = |source| StartupError::Bind {
            address: settings.bind,
            source,
        };
        let server = listener::HttpServer::bind(
            settings.bind,
            client_timeout(settings),
            settings.max_connections as usize,
        )
        .await
        .map_err(bind_error)?;
        Ok(Self {
            server,
            app: api::app(
                repository,
                probes,
                gateway,
                aggregate,
                metrics,
                api_settings,
            )
            .boxed(),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(address = %self.address(), "listening");
        self.server
            .serve(self.app, shutdown_signal(), GRACEFUL_SHUTDOWN)
            .await;
        Ok(())
    }
}

/// What the HTTP layer takes from the settings.
fn api_settings(settings: &ServeSettings, access: Arc<AccessPolicy>) -> ApiSettings {
    ApiSettings {
        idempotency_ttl: Duration::from_secs(settings.idempotency_ttl_secs),
        network_policy: NetworkPolicy::new(settings.allowed_networks.clone()),
        access,
        guard: GuardSettings {
            max_header_bytes: settings.max_header_bytes,
            max_concurrent_requests: settings.max_concurrent_requests.max(1),
            request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
            rate_per_second: NonZeroU32::new(settings.rate_limit),
            rate_burst: NonZeroU32::new(settings.rate_limit_burst).unwrap_or(NonZeroU32::MIN),
            registry_api: settings.registry_api,
            metrics_public: settings.metrics_public,
            client_timeout: client_timeout(settings),
            allowed_hosts: settings.allowed_hosts.clone(),
        },
        registry_namespace: settings.registry_namespace.clone(),
        registry_remotes: settings.registry_api_remotes,
        public_url: settings.public_url.clone(),
    }
}

/// How long a client may take to send a request's head, and then its body.
fn client_timeout(settings: &ServeSettings) -> Duration {
    Duration::from_secs(settings.client_timeout_secs.max(1))
}

/// How the registry reaches registered servers (probes and the gateway).
fn outbound_settings(settings: &ServeSettings) -> Result<outbound::OutboundSettings, StartupError> {
    Ok(outbound::OutboundSettings {
        connect_timeout: Duration::from_secs(settings.outbound_connect_timeout_secs.max(1)),
        policy: NetworkPolicy::new(settings.allowed_networks.clone()),
        roots: outbound::TlsRoots::load(settings.outbound_ca_file.as_deref())?,
    })
}

fn health_settings(settings: &ServeSettings) -> mcp::HealthSettings {
    mcp::HealthSettings {
        interval: Duration::from_secs(settings.health_interval_secs),
        concurrency: usize::try_from(settings.health_concurrency).unwrap_or(usize::MAX),
        failure_threshold: settings.health_failure_threshold,
    }
}

/// Connects to the database (migrating it) and loads the secret keys: what the
/// server and the maintenance commands share.
pub async fn open_storage(settings: &ServeSettings) -> Result<McpServerRepository, StartupError> {
    let database = Database::from_url(&settings.database.url)?;
    let key = match (ServeSettings::secret_key_from_env(), database.key_file()) {
        (Some(text), _) => SecretKey::from_base64(&text)?,
        (None, Some(path)) => SecretKey::load_or_create_file(&path)?,
        (None, None) => return Err(StartupError::MissingSecretKey),
    };
    let previous = ServeSettings::previous_secret_keys_from_env()
        .iter()
        .map(|text| SecretKey::from_base64(text))
        .collect::<Result<Vec<_>, _>>()?;
    let db = database
        .connect(
            !settings.skip_migrations,
            settings.database.database_max_connections,
        )
        .await?;
    let reads = database.connect_reader(&db).await?;
    tracing::info!(
        database = database.kind(),
        key_id = key.id(),
        previous_keys = previous.len(),
        "database ready"
    );
    Ok(McpServerRepository::new(
        db,
        reads,
        SecretBoxer::with_previous(&key, &previous),
    ))
}

/// `mcp-registry migrate up|status`: for deployments that migrate apart from
/// serving. Answers what to print.
pub async fn migrate(
    action: MigrateAction,
    settings: &DatabaseSettings,
) -> Result<String, StartupError> {
    let database = Database::from_url(&settings.url)?;
    if let MigrateAction::Up = action {
        database.connect(true, None).await?;
    }
    let lines: Vec<String> = database
        .migration_status()
        .await?
        .into_iter()
        .map(|(name, applied)| format!("{} {name}", if applied { "applied" } else { "pending" }))
        .collect();
    Ok(lines.join("\n"))
}

/// `mcp-registry rotate-secrets`: re-seals every stored secret with the current
/// key, so previous keys can be retired.
pub async fn rotate_secrets(settings: &ServeSettings) -> Result<ResealReport, StartupError> {
    let repository = open_storage(settings).await?;
    repository.reseal_all().await.map_err(StartupError::Rotate)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
