//! The MCP Registry API: the read operations of modelcontextprotocol/registry's
//! generic API under `/v0.1` (and `/v0`, an alias), served from the same
//! records, so MCP clients (VS Code's gallery, Copilot's allow-list, ToolHive)
//! can use this registry as their catalog. `--registry-api` decides who may
//! read it; the guard enforces that before these handlers run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem::http::Uri;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi, Tags};

use super::caller::MaybeAuthenticated;
use super::error::ApiError;
use super::payload::JsonPayload;
use super::registry_schemas::{Remote, ServerList, ServerListMetadata, ServerResponse};
use super::schemas::ErrorResponse;
use super::settings::ApiSettings;
use crate::config::{PublicUrl, RegistryApiRemotes};
use crate::cursor;
use crate::domain::{
    McpServerRecord, NameLookup, RegistryNamespace, ServerName, ServerStatus, ValidationError,
};
use crate::storage::{ListQuery, McpServerRepository};

const DEFAULT_PAGE: u32 = 30;
/// The largest page, however large a `limit` a client asks for.
const MAX_PAGE: u32 = 100;
/// The version that always names a server's current one.
const LATEST: &str = "latest";

#[derive(Tags)]
enum RegistryTags {
    /// The MCP Registry API (modelcontextprotocol/registry), read-only, for MCP
    /// clients that read a registry. Off unless the server runs with
    /// --registry-api public (anyone may read) or token (a read or write
    /// token). /v0 answers the same as /v0.1.
    #[oai(rename = "MCP Registry API")]
    Registry,
}

#[derive(ApiResponse)]
pub enum ListServersResponse {
    /// A page of servers, newest first
    #[oai(status = 200)]
    Ok(JsonPayload<ServerList>),
    /// Invalid limit, cursor or filter
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// A token is required (--registry-api token) and is missing or invalid
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow reading records, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// The MCP Registry API is off (--registry-api off)
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// Too many requests; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(ListServersResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    NOT_FOUND => NotFound,
    TOO_MANY_REQUESTS => TooManyRequests,
});

#[derive(ApiResponse)]
pub enum GetServerResponse {
    /// The server at that version
    #[oai(status = 200)]
    Ok(JsonPayload<ServerResponse>),
    /// Invalid include_deleted
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// A token is required (--registry-api token) and is missing or invalid
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow reading records, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No such server or version, or the MCP Registry API is off
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// Too many requests; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(GetServerResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    NOT_FOUND => NotFound,
    TOO_MANY_REQUESTS => TooManyRequests,
});

#[derive(ApiResponse)]
pub enum ListVersionsResponse {
    /// Every version of the server: the registry keeps one
    #[oai(status = 200)]
    Ok(JsonPayload<ServerList>),
    /// Invalid include_deleted
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// A token is required (--registry-api token) and is missing or invalid
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token's scope does not allow reading records, or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No such server, or the MCP Registry API is off
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// Too many requests; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
    /// The database is unavailable for now, or the server is at its limit; retry after Retry-After seconds
    #[oai(status = 503)]
    ServiceUnavailable(
        JsonPayload<ErrorResponse>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

error_responses!(ListVersionsResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    NOT_FOUND => NotFound,
    TOO_MANY_REQUESTS => TooManyRequests,
});

pub struct RegistryApi {
    repository: Arc<McpServerRepository>,
    namespace: RegistryNamespace,
    remotes: RegistryApiRemotes,
    public_url: Option<PublicUrl>,
    /// Tokens are configured: the registry's endpoints need one.
    token_required: bool,
}

impl RegistryApi {
    pub fn new(repository: Arc<McpServerRepository>, settings: &ApiSettings) -> Self {
        Self {
            repository,
            namespace: settings.registry_namespace.clone(),
            remotes: settings.registry_remotes,
            public_url: settings.public_url.clone(),
            token_required: !settings.access.is_open(),
        }
    }
}

#[OpenApi(tag = "RegistryTags::Registry")]
impl RegistryApi {
    /// List MCP servers
    ///
    /// Active servers, newest first. Disabled servers are left out, unless
    /// include_deleted or updated_since is given: then they are listed with the
    /// status deleted, so that a client syncing changes drops them. Deleted
    /// records leave no trace.
    #[oai(
        path = "/v0.1/servers",
        method = "get",
        operation_id = "list_registry_servers"
    )]
    // One argument per query parameter: that is how poem-openapi reads them.
    #[allow(clippy::too_many_arguments)]
    async fn list_servers(
        &self,
        req: &Request,
        _reader: MaybeAuthenticated,
        /// The metadata.nextCursor of the previous page.
        cursor: Query<Option<String>>,
        /// Page size (default 30); at most 100: larger values are taken as 100, and values under 1 as 1.
        limit: Query<Option<i64>>,
        /// Only servers whose name contains this text, regardless of case (a full registry name is looked up by its server's name).
        #[oai(validator(max_length = 255))]
        search: Query<Option<String>>,
        /// Only servers updated at or after this time (RFC 3339); disabled ones are then included.
        updated_since: Query<Option<DateTime<Utc>>>,
        /// latest (every server: each has one version), or an exact version.
        #[oai(validator(max_length = 255))]
        version: Query<Option<String>>,
        /// Include disabled servers, with the status deleted.
        #[oai(default)]
        include_deleted: Query<bool>,
    ) -> ListServersResponse {
        let filters = Filters {
            cursor: cursor.0,
            limit: limit.0,
            search: search.0,
            updated_since: updated_since.0,
            version: version.0,
            include_deleted: include_deleted.0,
        };
        self.list(filters, &self.remote(req))
            .await
            .unwrap_or_else(Into::into)
    }

    /// List all versions of an MCP server
    ///
    /// The registry keeps one version of each server: the list holds it.
    #[oai(
        path = "/v0.1/servers/:serverName/versions",
        method = "get",
        operation_id = "list_registry_server_versions"
    )]
    async fn list_versions(
        &self,
        req: &Request,
        _reader: MaybeAuthenticated,
        /// The server's name, URL-encoded (e.g. local.mcp-registry%2Fweather).
        #[oai(name = "serverName")]
        server_name: Path<String>,
        /// Include a disabled server, with the status deleted.
        #[oai(default)]
        include_deleted: Query<bool>,
    ) -> ListVersionsResponse {
        let include_deleted = include_deleted.0;
        match self.entry(&server_name, include_deleted).await {
            Ok(record) => ListVersionsResponse::Ok(JsonPayload(self.page(
                vec![record],
                None,
                &self.remote(req),
            ))),
            Err(err) => err.into(),
        }
    }

    /// Get a specific MCP server version
    ///
    /// The version is the server's own, or latest.
    #[oai(
        path = "/v0.1/servers/:serverName/versions/:version",
        method = "get",
        operation_id = "get_registry_server_version"
    )]
    async fn get_version(
        &self,
        req: &Request,
        _reader: MaybeAuthenticated,
        /// The server's name, URL-encoded (e.g. local.mcp-registry%2Fweather).
        #[oai(name = "serverName")]
        server_name: Path<String>,
        /// The version, URL-encoded, or latest.
        version: Path<String>,
        /// Include a disabled server, with the status deleted.
        #[oai(default)]
        include_deleted: Query<bool>,
    ) -> GetServerResponse {
        let include_deleted = include_deleted.0;
        let record = match self.entry(&server_name, include_deleted).await {
            Ok(record) => record,
            Err(err) => return err.into(),
        };
        if version.0 != LATEST && version.0 != record.release.as_str() {
            return ApiError::NotFound(format!(
                "the server {} has no version {:?} (its version is {})",
                server_name.0,
                version.0,
                record.release.as_str()
            ))
            .into();
        }
        GetServerResponse::Ok(JsonPayload(ServerResponse::new(
            &self.namespace,
            &record,
            &self.remote(req),
        )))
    }
}

/// The list's query parameters.
struct Filters {
    cursor: Option<String>,
    limit: Option<i64>,
    search: Option<String>,
    updated_since: Option<DateTime<Utc>>,
    version: Option<String>,
    include_deleted: bool,
}

impl RegistryApi {
    async fn list(
        &self,
        filters: Filters,
        remote: &Remote,
    ) -> Result<ListServersResponse, ApiError> {
        // The generic API sets no bound: a page is at most MAX_PAGE, at least one.
        let limit = filters.limit.map_or(DEFAULT_PAGE, |limit| {
            u32::try_from(limit.clamp(1, i64::from(MAX_PAGE))).unwrap_or(MAX_PAGE)
        });
        // A client syncing changes must learn of servers it should drop.
        let include_deleted = filters.include_deleted || filters.updated_since.is_some();
        let query = ListQuery {
            before: filters.cursor.as_deref().map(cursor::decode).transpose()?,
            limit: cursor::read_ahead(limit),
            status: (!include_deleted).then_some(ServerStatus::Active),
            text: filters.search.map(|text| self.searched_text(text)),
            // The generic API searches names.
            names_only: true,
            updated_since: filters.updated_since,
            release: filters.version.filter(|v| v != LATEST),
        };
        let mut page = self.repository.list(&query).await?;
        let next_cursor = cursor::cut_page(&mut page, limit);
        Ok(ListServersResponse::Ok(JsonPayload(self.page(
            page.items,
            next_cursor,
            remote,
        ))))
    }

    fn page(
        &self,
        records: Vec<McpServerRecord>,
        next_cursor: Option<String>,
        remote: &Remote,
    ) -> ServerList {
        let servers: Vec<ServerResponse> = records
            .iter()
            .map(|record| ServerResponse::new(&self.namespace, record, remote))
            .collect();
        ServerList {
            metadata: ServerListMetadata {
                count: u32::try_from(servers.len()).unwrap_or(u32::MAX),
                next_cursor,
            },
            servers,
        }
    }

    /// Where this request's entries send clients.
    fn remote(&self, req: &Request) -> Remote {
        match self.remotes {
            RegistryApiRemotes::Upstream => Remote::Upstream,
            RegistryApiRemotes::Gateway => Remote::Gateway {
                base: self
                    .public_url
                    .as_ref()
                    .map_or_else(|| base_of(req), |url| url.as_str().to_owned()),
                token_required: self.token_required,
            },
        }
    }

    /// A search for a full registry name (as clients show them) looks for the
    /// server's own name.
    fn searched_text(&self, text: String) -> String {
        let prefix = format!("{}/", self.namespace.as_str());
        match text.strip_prefix(&prefix) {
            Some(local) => self
                .namespace
                .resolve(&text)
                .and_then(|lookup| match lookup {
                    NameLookup::Name(name) => Some(name),
                    NameLookup::Id(_) => None,
                })
                .unwrap_or_else(|| local.to_owned()),
            None => text,
        }
    }

    /// The server a registry name stands for, if it is listed.
    async fn entry(
        &self,
        registry_name: &str,
        include_deleted: bool,
    ) -> Result<McpServerRecord, ApiError> {
        let not_found = || ApiError::NotFound(format!("no server named {registry_name:?}"));
        let record = match self.namespace.resolve(registry_name) {
            None => None,
            Some(NameLookup::Id(id)) => self.repository.find(id).await?,
            Some(NameLookup::Name(name)) => {
                let name = ServerName::parse(name).map_err(|_: ValidationError| not_found())?;
                self.repository.find_by_name(&name).await?
            }
        };
        record
            .filter(|record| {
                // The name must be the one this server is listed under, not
                // another spelling of it (case, or an id form of a short name).
                self.namespace.registry_name(&record.id, &record.name) == registry_name
                    && (include_deleted || record.status == ServerStatus::Active)
            })
            .ok_or_else(not_found)
    }
}

/// The registry's address as this request reached it, when none is
/// configured: its Host (the rebinding check has let it through), or the
/// address it came in on when the Host is missing or is not a bare host.
fn base_of(req: &Request) -> String {
    let bare_host = |host: &&str| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
    };
    match (
        req.header(poem::http::header::HOST).filter(bare_host),
        req.local_addr().as_socket_addr(),
    ) {
        (Some(host), _) => format!("http://{host}"),
        (None, Some(address)) => format!("http://{address}"),
        (None, None) => "http://localhost".to_owned(),
    }
}

/// `/v0/…` is an alias of `/v0.1/…` (clients fall back to it), and a name sent
/// with its `/` unencoded (`/v0.1/servers/ns/name/versions`) means the encoded
/// one: the request is rewritten to the path the operations are routed at.
pub fn canonical_path(req: &mut Request) {
    let uri = req.uri();
    let path = uri.path();
    let rest = if let Some(rest) = path.strip_prefix("/v0/") {
        rest
    } else if let Some(rest) = path.strip_prefix("/v0.1/") {
        rest
    } else {
        return;
    };
    let mut segments: Vec<&str> = rest.split('/').collect();
    // servers / namespace / name / versions [/ version]
    let unencoded_name = segments.len() >= 4
        && segments[0] == "servers"
        && segments[2] != "versions"
        && segments[3] == "versions";
    if !path.starts_with("/v0/") && !unencoded_name {
        return;
    }
    let joined;
    if unencoded_name {
        joined = format!("{}%2F{}", segments[1], segments[2]);
        segments.splice(1..3, [joined.as_str()]);
    }
    let mut rewritten = format!("/v0.1/{}", segments.join("/"));
    if let Some(query) = uri.query() {
        rewritten.push('?');
        rewritten.push_str(query);
    }
    if let Ok(uri) = rewritten.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(path: &str) -> String {
        let mut req = Request::builder().uri(path.parse().unwrap()).finish();
        canonical_path(&mut req);
        req.uri().to_string()
    }

    #[test]
    fn v0_and_unencoded_names_are_rewritten_to_the_routed_path() {
        assert_eq!(rewrite("/v0/servers?limit=1"), "/v0.1/servers?limit=1");
        assert_eq!(rewrite("/v0.1/servers?limit=1"), "/v0.1/servers?limit=1");
        assert_eq!(
            rewrite("/v0/servers/a.b/c/versions/latest"),
            "/v0.1/servers/a.b%2Fc/versions/latest"
        );
        assert_eq!(
            rewrite("/v0.1/servers/a.b/c/versions"),
            "/v0.1/servers/a.b%2Fc/versions"
        );
        assert_eq!(
            rewrite("/v0.1/servers/a.b%2Fc/versions/1.0.0"),
            "/v0.1/servers/a.b%2Fc/versions/1.0.0"
        );
        assert_eq!(rewrite("/v1/mcp-servers"), "/v1/mcp-servers");
        assert_eq!(rewrite("/v0.10/servers"), "/v0.10/servers");
    }
}
