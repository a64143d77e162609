//! Probing a registered server, and reading the catalog its probes found.

use std::sync::Arc;

use poem::web::RemoteAddr;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{ApiResponse, OpenApi, Tags};

use super::caller::{Actor, Authenticated};
use super::conditional::{etag, none_match_names};
use super::error::ApiError;
use super::payload::JsonPayload;
use super::probe_schemas::{
    FoundTool, FoundToolList, ProbeResult, Prompt, PromptList, Resource, ResourceList,
    ResourceTemplate, ResourceTemplateList, Tool, ToolList,
};
use super::schemas::ErrorResponse;
use crate::cursor;
use crate::domain::{CatalogKind, McpServerId, ServerStatus};
use crate::mcp::ProbeService;
use crate::storage::{McpServerRepository, SavedProbe, StorageError};

const DEFAULT_PAGE: u32 = 50;
/// Probes of one request when the record keeps changing under them.
const PROBE_ATTEMPTS: usize = 3;

#[derive(Tags)]
enum ApiTags {
    /// What the registered MCP servers offer, learned by talking to them.
    #[oai(rename = "MCP Catalog")]
    McpCatalog,
}

#[derive(ApiResponse)]
pub enum ProbeMcpServerResponse {
    /// The probe's outcome, as now stored
    #[oai(status = 200)]
    Ok(JsonPayload<ProbeResult>),
    /// Malformed id
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The token may not probe (read scope), or the request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// No MCP server with this id
    #[oai(status = 404)]
    NotFound(JsonPayload<ErrorResponse>),
    /// The MCP server is disabled, and is not contacted
    #[oai(status = 409)]
    Conflict(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
    #[oai(status = 429)]
    TooManyRequests(JsonPayload<ErrorResponse>),
    /// The database has no space left to store the change; reads still work
    #[oai(status = 507)]
    InsufficientStorage(JsonPayload<ErrorResponse>),
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

error_responses!(ProbeMcpServerResponse {
    INSUFFICIENT_STORAGE => InsufficientStorage,
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    NOT_FOUND => NotFound,
    CONFLICT => Conflict,
    TOO_MANY_REQUESTS => TooManyRequests,
});

/// The response of one catalog listing: the page with the catalog's ETag, or
/// 304 when the catalog is unchanged.
macro_rules! catalog_response {
    ($name:ident of $list:ident<$item:ty>, $what:literal) => {
        #[derive(ApiResponse)]
        pub enum $name {
            #[doc = concat!("A page of the MCP server's ", $what, " (empty before the first successful probe)")]
            #[oai(status = 200)]
            Ok(
                JsonPayload<$list>,
                /// Version of the catalog, for If-None-Match.
                #[oai(header = "ETag")]
                String,
            ),
            /// Not modified since the version named in If-None-Match
            #[oai(status = 304)]
            NotModified(
                /// Version of the catalog, for If-None-Match.
                #[oai(header = "ETag")]
                String,
            ),
            /// Malformed id, limit or cursor
            #[oai(status = 400)]
            BadRequest(JsonPayload<ErrorResponse>),
            /// Missing or invalid bearer token
            #[oai(status = 401)]
            Unauthorized(JsonPayload<ErrorResponse>),
            /// The request's Host or Origin is refused (against DNS rebinding)
            #[oai(status = 403)]
            Forbidden(JsonPayload<ErrorResponse>),
            /// No MCP server with this id
            #[oai(status = 404)]
            NotFound(JsonPayload<ErrorResponse>),
            /// Too many requests for this token; retry after Retry-After seconds
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

        error_responses!($name {
            BAD_REQUEST => BadRequest,
            UNAUTHORIZED => Unauthorized,
            FORBIDDEN => Forbidden,
            NOT_FOUND => NotFound,
            TOO_MANY_REQUESTS => TooManyRequests,
        });

        impl From<Result<Page<$item>, ApiError>> for $name {
            fn from(page: Result<Page<$item>, ApiError>) -> Self {
                match page {
                    Ok(Page::Items { data, next_cursor, etag }) => {
                        Self::Ok(JsonPayload($list { data, next_cursor }), etag)
                    }
                    Ok(Page::NotModified(etag)) => Self::NotModified(etag),
                    Err(error) => error.into(),
                }
            }
        }
    };
}

catalog_response!(ListToolsResponse of ToolList<Tool>, "tools");

#[derive(ApiResponse)]
pub enum SearchToolsResponse {
    /// A page of matching tools, by MCP server and then in each server's own order
    #[oai(status = 200)]
    Ok(JsonPayload<FoundToolList>),
    /// Invalid limit, cursor or q
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    /// Missing or invalid bearer token
    #[oai(status = 401)]
    Unauthorized(JsonPayload<ErrorResponse>),
    /// The request's Host or Origin is refused (against DNS rebinding)
    #[oai(status = 403)]
    Forbidden(JsonPayload<ErrorResponse>),
    /// Too many requests for this token; retry after Retry-After seconds
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

error_responses!(SearchToolsResponse {
    BAD_REQUEST => BadRequest,
    UNAUTHORIZED => Unauthorized,
    FORBIDDEN => Forbidden,
    TOO_MANY_REQUESTS => TooManyRequests,
});
catalog_response!(ListResourcesResponse of ResourceList<Resource>, "resources");
catalog_response!(ListResourceTemplatesResponse of ResourceTemplateList<ResourceTemplate>, "resource templates");
catalog_response!(ListPromptsResponse of PromptList<Prompt>, "prompts");

pub struct ProbesApi {
    repository: Arc<McpServerRepository>,
    probes: Arc<ProbeService>,
}

impl ProbesApi {
    pub fn new(repository: Arc<McpServerRepository>, probes: Arc<ProbeService>) -> Self {
        Self { repository, probes }
    }
}

/// One catalog page as the handlers build it, before it becomes a response.
enum Page<T> {
    Items {
        data: Vec<T>,
        next_cursor: Option<String>,
        etag: String,
    },
    NotModified(String),
}

#[OpenApi(tag = "ApiTags::McpCatalog")]
impl ProbesApi {
    /// Probe an MCP server now
    ///
    /// Connects to the MCP server with its stored credentials, runs `initialize` and lists its tools, resources, resource templates and prompts (every page), stores what it found and answers the outcome. A failed probe keeps the catalog of the last successful one.
    #[oai(
        path = "/v1/mcp-servers/:id/probe",
        method = "post",
        operation_id = "probe_mcp_server"
    )]
    async fn probe_mcp_server(
        &self,
        caller: Authenticated,
        source: &RemoteAddr,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
    ) -> ProbeMcpServerResponse {
        let actor = Actor::new(caller, source);
        self.probe(&actor, &id)
            .await
            .map(|result| ProbeMcpServerResponse::Ok(JsonPayload(result)))
            .unwrap_or_else(Into::into)
    }

    /// List an MCP server's tools
    #[oai(
        path = "/v1/mcp-servers/:id/tools",
        method = "get",
        operation_id = "list_mcp_server_tools"
    )]
    async fn list_mcp_server_tools(
        &self,
        _caller: Authenticated,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
        /// An ETag from an earlier answer: 304 if the catalog is still at that version.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ListToolsResponse {
        self.page::<Tool>(&id, CatalogKind::Tool, limit.0, cursor.0, if_none_match.0)
            .await
            .into()
    }

    /// Search the tools of every active MCP server
    ///
    /// For agents choosing a tool: matches `q` against each tool's name and description, regardless of case, over the stored catalogs of active MCP servers.
    #[oai(path = "/v1/tools", method = "get", operation_id = "search_tools")]
    async fn search_tools(
        &self,
        _caller: Authenticated,
        /// Only tools whose name or description contains this text, regardless of case.
        #[oai(validator(max_length = 255))]
        q: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
    ) -> SearchToolsResponse {
        self.search(q.0, limit.0, cursor.0)
            .await
            .map(|page| SearchToolsResponse::Ok(JsonPayload(page)))
            .unwrap_or_else(Into::into)
    }

    /// List an MCP server's resources
    #[oai(
        path = "/v1/mcp-servers/:id/resources",
        method = "get",
        operation_id = "list_mcp_server_resources"
    )]
    async fn list_mcp_server_resources(
        &self,
        _caller: Authenticated,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
        /// An ETag from an earlier answer: 304 if the catalog is still at that version.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ListResourcesResponse {
        self.page::<Resource>(
            &id,
            CatalogKind::Resource,
            limit.0,
            cursor.0,
            if_none_match.0,
        )
        .await
        .into()
    }

    /// List an MCP server's resource templates
    #[oai(
        path = "/v1/mcp-servers/:id/resource-templates",
        method = "get",
        operation_id = "list_mcp_server_resource_templates"
    )]
    async fn list_mcp_server_resource_templates(
        &self,
        _caller: Authenticated,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
        /// An ETag from an earlier answer: 304 if the catalog is still at that version.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ListResourceTemplatesResponse {
        self.page::<ResourceTemplate>(
            &id,
            CatalogKind::ResourceTemplate,
            limit.0,
            cursor.0,
            if_none_match.0,
        )
        .await
        .into()
    }

    /// List an MCP server's prompts
    #[oai(
        path = "/v1/mcp-servers/:id/prompts",
        method = "get",
        operation_id = "list_mcp_server_prompts"
    )]
    async fn list_mcp_server_prompts(
        &self,
        _caller: Authenticated,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
        /// An ETag from an earlier answer: 304 if the catalog is still at that version.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> ListPromptsResponse {
        self.page::<Prompt>(&id, CatalogKind::Prompt, limit.0, cursor.0, if_none_match.0)
            .await
            .into()
    }
}

impl ProbesApi {
    async fn probe(&self, actor: &Actor, id: &str) -> Result<ProbeResult, ApiError> {
        let id: McpServerId = id.parse()?;
        // A record changed while it was probed is probed again as it now is.
        for attempt in 0..PROBE_ATTEMPTS {
            let server = self
                .repository
                .find(id)
                .await?
                .ok_or(ApiError::NoSuchServer(id))?;
            if server.status == ServerStatus::Disabled {
                return Err(ApiError::ServerDisabled(id));
            }
            if attempt == 0 {
                actor.audit("probe", &id, &[]);
            }
            match self.probes.probe_now(&server).await? {
                SavedProbe::Stored(snapshot) => return Ok((*snapshot).into()),
                SavedProbe::Deleted => return Err(ApiError::NoSuchServer(id)),
                SavedProbe::Superseded => {}
            }
        }
        Err(StorageError::Contended {
            id,
            attempts: PROBE_ATTEMPTS,
        }
        .into())
    }

    async fn search(
        &self,
        q: Option<String>,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<FoundToolList, ApiError> {
        let after = cursor.as_deref().map(cursor::decode_search).transpose()?;
        let limit = limit.unwrap_or(DEFAULT_PAGE) as usize;
        let mut hits = self
            .repository
            .search_tools(q.as_deref(), after, limit as u64 + 1)
            .await?;
        let next_cursor = hits
            .cut(limit)
            .map(|last| cursor::encode_search(&last.server_id, last.stored.position));
        let data = hits
            .items
            .into_iter()
            .map(|hit| FoundTool::new(hit.server_id.to_string(), hit.server_name, hit.stored.entry))
            .collect();
        Ok(FoundToolList { data, next_cursor })
    }

    async fn page<T: From<crate::domain::CatalogEntry>>(
        &self,
        id: &str,
        kind: CatalogKind,
        limit: Option<u32>,
        cursor: Option<String>,
        if_none_match: Option<String>,
    ) -> Result<Page<T>, ApiError> {
        let id: McpServerId = id.parse()?;
        let after = cursor.as_deref().map(cursor::decode_position).transpose()?;
        // A server is known by its record; its catalog may not exist yet.
        let version = self
            .repository
            .catalog_version(id)
            .await?
            .ok_or(ApiError::NoSuchServer(id))?;
        let tag = etag(version);
        if if_none_match.is_some_and(|header| none_match_names(&header, version)) {
            return Ok(Page::NotModified(tag));
        }
        let limit = limit.unwrap_or(DEFAULT_PAGE) as usize;
        let mut entries = self
            .repository
            .catalog_page(id, kind, after, limit as u64 + 1)
            .await?;
        let next_cursor = entries
            .cut(limit)
            .map(|last| cursor::encode_position(last.position));
        Ok(Page::Items {
            data: entries
                .items
                .into_iter()
                .map(|stored| T::from(stored.entry))
                .collect(),
            next_cursor,
            etag: tag,
        })
    }
}
