//! The HTTP layer: poem-openapi types and thin handlers, the emitted OpenAPI
//! document and Swagger UI, and the middleware around them.

/// Builds an operation's response from an `ApiError`, picking the variant that
/// documents the error's status. A status the operation does not document is
/// a bug of ours: it is logged and answered as a 500. Every operation has a
/// `ServiceUnavailable` variant (the database away, the server at its limit),
/// which carries `Retry-After`.
macro_rules! error_responses {
    ($ty:ty { $($status:ident => $variant:ident),+ $(,)? }) => {
        impl From<crate::api::error::ApiError> for $ty {
            fn from(err: crate::api::error::ApiError) -> Self {
                match poem::error::ResponseError::status(&err) {
                    $(poem::http::StatusCode::$status => Self::$variant(crate::api::payload::JsonPayload(err.body())),)+
                    poem::http::StatusCode::SERVICE_UNAVAILABLE => Self::ServiceUnavailable(
                        crate::api::payload::JsonPayload(err.body()),
                        err.retry_after_secs().unwrap_or(1),
                    ),
                    poem::http::StatusCode::INTERNAL_SERVER_ERROR => {
                        Self::InternalServerError(crate::api::payload::JsonPayload(err.body()))
                    }
                    status => {
                        tracing::error!(
                            status = status.as_u16(),
                            error = %err,
                            operation = stringify!($ty),
                            "an error with a status the operation does not document"
                        );
                        Self::InternalServerError(crate::api::payload::JsonPayload(crate::api::error::ApiError::internal().body()))
                    }
                }
            }
        }
    };
}

mod caller;
mod conditional;
mod contract_types;
mod error;
mod gateway;
mod guard;
mod health;
mod mcp_server_responses;
mod mcp_servers;
mod middleware;
mod payload;
mod probe_schemas;
mod probes;
mod rebinding;
mod registry;
mod registry_schemas;
mod routes;
pub mod schemas;
mod settings;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::{LicenseObject, OpenApiService};

pub use error::ApiError;
pub use guard::GuardSettings;
pub use mcp_servers::McpServersApi;
pub use middleware::MAX_BODY_BYTES;
pub use probes::ProbesApi;
pub use registry::RegistryApi;
pub use settings::ApiSettings;

use crate::gateway::Gateway;
use crate::gateway::aggregate::AggregateEndpoint;
use crate::mcp::{HealthSettings, ProbeService, ProbeSettings, Prober};
use crate::metrics::Metrics;
use crate::storage::McpServerRepository;

const TITLE: &str = "mcp-registry";
const DESCRIPTION: &str = "A registry of remote MCP (Model Context Protocol) servers, their URL, credentials and headers, so that agents can later use their tools. Secrets (api_key and credential header values) are write-only and encrypted at rest. Agents use the registered servers' tools through the registry over MCP (Streamable HTTP, outside this document's operations; see the README): /v1/mcp-servers/{id}/mcp passes one server through with its stored credentials, and /mcp serves every active server whose health is ok as one, its tools named {server}__{tool}. Both take a use or write token. With --registry-api public or token, /v0.1/servers (and /v0) serves the records as the MCP Registry API of modelcontextprotocol/registry, the catalog MCP clients such as VS Code read. Limits beyond those of each field: headers take at most 100 entries, each value at most 8 KiB, and names and values together at most 16 KiB (400 beyond).";

type Apis = (McpServersApi, ProbesApi, RegistryApi);

fn openapi_service(api: Apis) -> OpenApiService<Apis, ()> {
    OpenApiService::new(api, TITLE, env!("CARGO_PKG_VERSION"))
        .description(DESCRIPTION)
        .license(
            LicenseObject::new("Apache-2.0").url("https://www.apache.org/licenses/LICENSE-2.0"),
        )
        // Relative: Swagger UI and SDKs address whichever host serves the document.
        .server("/")
}

/// Routes outside the OpenAPI document, and the methods they answer.
const PLAIN_ROUTES: [(&str, &str); 8] = [
    ("/docs", "GET"),
    ("/openapi.json", "GET"),
    ("/openapi.yaml", "GET"),
    ("/healthz", "GET"),
    ("/readyz", "GET"),
    ("/metrics", "GET"),
    ("/v1/mcp-servers/{id}/mcp", "DELETE, GET, POST"),
    ("/mcp", "DELETE, GET, POST"),
];

/// The whole HTTP application: the API, `/openapi.json`, `/openapi.yaml` and
/// Swagger UI at `/docs` (its assets are compiled in: it works offline).
pub fn app(
    repository: Arc<McpServerRepository>,
    probes: Arc<ProbeService>,
    gateway: Arc<Gateway>,
    aggregate: Arc<AggregateEndpoint>,
    metrics: Arc<Metrics>,
    settings: ApiSettings,
) -> impl Endpoint<Output = Response> {
    let service = openapi_service((
        McpServersApi::new(repository.clone(), probes.clone(), &settings),
        ProbesApi::new(repository.clone(), probes),
        RegistryApi::new(repository.clone(), &settings),
    ));
    let guard = Arc::new(guard::Guard::new(settings.access, settings.guard));
    let routes = Arc::new(routes::RouteTable::new(&service.spec(), &PLAIN_ROUTES));
    let (telemetry_routes, metrics_for_requests) = (routes.clone(), metrics.clone());
    let docs = service.swagger_ui();
    let spec_json = service.spec_endpoint();
    let spec_yaml = service.spec_endpoint_yaml();
    Route::new()
        .nest("/", service)
        .nest("/docs", docs)
        .at("/openapi.json", spec_json)
        .at("/openapi.yaml", spec_yaml)
        .at(
            "/v1/mcp-servers/:id/mcp",
            poem::post(gateway::server_mcp)
                .get(gateway::server_mcp)
                .delete(gateway::server_mcp)
                .data(gateway),
        )
        .at(
            "/mcp",
            poem::post(gateway::aggregate_mcp)
                .get(gateway::aggregate_mcp)
                .delete(gateway::aggregate_mcp)
                .data(aggregate),
        )
        .at("/healthz", poem::get(health::healthz))
        .at(
            "/readyz",
            poem::get(health::readyz).data(repository.clone()),
        )
        .at(
            "/metrics",
            poem::get(health::metrics)
                .data(repository)
                .data(metrics.clone()),
        )
        .around({
            let guard = guard.clone();
            move |next, req| {
                let guard = guard.clone();
                async move { guard.run(next, req).await }
            }
        })
        .around({
            let body_timeout = guard.client_timeout();
            move |next, req| middleware::limit_body(next, req, body_timeout)
        })
        .around(move |next, req| {
            let guard = guard.clone();
            async move { guard.admit(next, req).await }
        })
        .around(move |next, req| {
            let routes = routes.clone();
            async move { middleware::json_errors(next, req, &routes).await }
        })
        .around(move |next, req| {
            let (routes, metrics) = (telemetry_routes.clone(), metrics_for_requests.clone());
            async move { middleware::request_telemetry(next, req, &routes, &metrics).await }
        })
        .around(|next, mut req| async move {
            registry::canonical_path(&mut req);
            next.call(req).await
        })
}

/// The OpenAPI document without starting the server, for SDK generators.
/// Describing the API needs its types, not a database: the repository here is
/// never called, so it is left disconnected.
pub fn openapi_document() -> OpenApiService<Apis, ()> {
    let repository = Arc::new(McpServerRepository::disconnected());
    let probes = ProbeService::new(
        repository.clone(),
        Prober::new(ProbeSettings::default()),
        HealthSettings::default(),
        Arc::new(Metrics::default()),
    );
    let settings = ApiSettings::default();
    openapi_service((
        McpServersApi::new(repository.clone(), probes.clone(), &settings),
        ProbesApi::new(repository.clone(), probes),
        RegistryApi::new(repository, &settings),
    ))
}
