use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::web::RemoteAddr;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{OpenApi, Tags};

use super::caller::{Actor, Authenticated};
use super::conditional::{etag, if_match, none_match_names};
use super::error::ApiError;
use super::mcp_server_responses::{
    CreateMcpServerResponse, DeleteMcpServerResponse, GetMcpServerResponse, ListMcpServersResponse,
    UpdateMcpServerResponse,
};
use super::payload::JsonPayload;
use super::schemas::{CreateMcpServerRequest, McpServer, McpServerList, UpdateMcpServerRequest};
use super::settings::ApiSettings;
use crate::cursor;
use crate::domain::{IdempotencyKey, McpServerId, McpServerRecord, NetworkPolicy, ServerStatus};
use crate::idempotency::{Idempotency, Processing, Saved};
use crate::mcp::ProbeService;
use crate::storage::{ListQuery, McpServerRepository};

const DEFAULT_PAGE: u32 = 50;

#[derive(Tags)]
enum ApiTags {
    /// Remote MCP servers registered for agents to use.
    #[oai(rename = "MCP Servers")]
    McpServers,
}

pub struct McpServersApi {
    repository: Arc<McpServerRepository>,
    probes: Arc<ProbeService>,
    idempotency: Idempotency,
    network_policy: NetworkPolicy,
}

impl McpServersApi {
    pub fn new(
        repository: Arc<McpServerRepository>,
        probes: Arc<ProbeService>,
        settings: &ApiSettings,
    ) -> Self {
        Self {
            probes,
            idempotency: Idempotency::new(repository.clone(), settings.idempotency_ttl),
            repository,
            network_policy: settings.network_policy.clone(),
        }
    }
}

fn parse_id(id: &str) -> Result<McpServerId, ApiError> {
    Ok(id.parse()?)
}

fn created(server: McpServer) -> CreateMcpServerResponse {
    let location = format!("/v1/mcp-servers/{}", server.id.0);
    CreateMcpServerResponse::Created(JsonPayload(server), location, etag(1))
}

#[OpenApi(tag = "ApiTags::McpServers")]
impl McpServersApi {
    /// Create a new MCP server
    #[oai(
        path = "/v1/mcp-servers",
        method = "post",
        operation_id = "create_mcp_server"
    )]
    async fn create_mcp_server(
        &self,
        caller: Authenticated,
        source: &RemoteAddr,
        /// Makes retries safe: a repeat with the same key and body answers the first response instead of creating again. Keys are remembered for 24 hours.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: JsonPayload<CreateMcpServerRequest>,
    ) -> CreateMcpServerResponse {
        let actor = Actor::new(caller, source);
        self.create(&actor, idempotency_key.0, body.0)
            .await
            .unwrap_or_else(Into::into)
    }

    /// Get an MCP server
    #[oai(
        path = "/v1/mcp-servers/:id",
        method = "get",
        operation_id = "get_mcp_server"
    )]
    async fn get_mcp_server(
        &self,
        _caller: Authenticated,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// An ETag from an earlier answer: 304 if the MCP server is still at that version.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> GetMcpServerResponse {
        self.get(&id, if_none_match.0.as_deref())
            .await
            .unwrap_or_else(Into::into)
    }

    /// List MCP servers
    #[oai(
        path = "/v1/mcp-servers",
        method = "get",
        operation_id = "list_mcp_servers"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list_mcp_servers(
        &self,
        _caller: Authenticated,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The next_cursor of the previous page.
        cursor: Query<Option<String>>,
        /// Only MCP servers with this status.
        status: Query<Option<ServerStatus>>,
        /// Only MCP servers whose name or description contains this text, regardless of case.
        #[oai(validator(max_length = 255))]
        q: Query<Option<String>>,
        /// Only MCP servers updated at or after this time (RFC 3339).
        updated_since: Query<Option<DateTime<Utc>>>,
    ) -> ListMcpServersResponse {
        let filters = ListFilters {
            limit: limit.0,
            cursor: cursor.0,
            status: status.0,
            q: q.0,
            updated_since: updated_since.0,
        };
        self.list(filters).await.unwrap_or_else(Into::into)
    }

    /// Update an MCP server
    #[oai(
        path = "/v1/mcp-servers/:id",
        method = "patch",
        operation_id = "update_mcp_server"
    )]
    async fn update_mcp_server(
        &self,
        caller: Authenticated,
        source: &RemoteAddr,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// An ETag from an earlier answer: 412 unless the MCP server is still at that version.
        #[oai(name = "If-Match")]
        if_match_header: Header<Option<String>>,
        body: JsonPayload<UpdateMcpServerRequest>,
    ) -> UpdateMcpServerResponse {
        let actor = Actor::new(caller, source);
        self.update(&actor, &id, if_match_header.0.as_deref(), body.0)
            .await
            .unwrap_or_else(Into::into)
    }

    /// Delete an MCP server
    #[oai(
        path = "/v1/mcp-servers/:id",
        method = "delete",
        operation_id = "delete_mcp_server"
    )]
    async fn delete_mcp_server(
        &self,
        caller: Authenticated,
        source: &RemoteAddr,
        /// Unique identifier for the MCP server.
        #[oai(validator(pattern = r"^mcp_[0-9a-f]{32}$"))]
        id: Path<String>,
        /// An ETag from an earlier answer: 412 unless the MCP server is still at that version.
        #[oai(name = "If-Match")]
        if_match_header: Header<Option<String>>,
    ) -> DeleteMcpServerResponse {
        let actor = Actor::new(caller, source);
        self.delete(&actor, &id, if_match_header.0.as_deref())
            .await
            .unwrap_or_else(Into::into)
    }
}

/// The list operation's query parameters, as given.
struct ListFilters {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<ServerStatus>,
    q: Option<String>,
    updated_since: Option<DateTime<Utc>>,
}

impl McpServersApi {
    async fn create(
        &self,
        actor: &Actor,
        idempotency_key: Option<String>,
        request: CreateMcpServerRequest,
    ) -> Result<CreateMcpServerResponse, ApiError> {
        let key = idempotency_key
            .map(|key| IdempotencyKey::parse(key, actor.name()))
            .transpose()?;
        let claim = match self.idempotency.try_processing(key, &request).await? {
            Processing::Start(claim) => claim,
            Processing::ReturnSaved(first) => return Ok(created(first)),
        };
        let new = request.parse(&self.network_policy)?;
        let fields = new.field_names();
        let record = McpServerRecord::create(new);
        let answer = McpServer::from(record.clone());
        match self.idempotency.save(claim, &record, answer).await? {
            Saved::Created(server) => {
                actor.audit("create", &record.id, &fields);
                self.probes.schedule(record.id);
                Ok(created(server))
            }
            Saved::ReturnSaved(first) => Ok(created(first)),
        }
    }

    async fn get(
        &self,
        id: &str,
        if_none_match: Option<&str>,
    ) -> Result<GetMcpServerResponse, ApiError> {
        let id = parse_id(id)?;
        let record = self
            .repository
            .find(id)
            .await?
            .ok_or(ApiError::NoSuchServer(id))?;
        let tag = etag(record.version);
        if if_none_match.is_some_and(|h| none_match_names(h, record.version)) {
            return Ok(GetMcpServerResponse::NotModified(tag));
        }
        let health = self.repository.health(id).await?;
        let server = McpServer::from(record).with_health(health);
        Ok(GetMcpServerResponse::Ok(JsonPayload(server), tag))
    }

    async fn list(&self, filters: ListFilters) -> Result<ListMcpServersResponse, ApiError> {
        let limit = filters.limit.unwrap_or(DEFAULT_PAGE);
        // The range (1 to 200) is checked by the parameter's validator.
        let query = ListQuery {
            before: filters.cursor.as_deref().map(cursor::decode).transpose()?,
            limit: cursor::read_ahead(limit),
            status: filters.status,
            text: filters.q,
            names_only: false,
            updated_since: filters.updated_since,
            release: None,
        };
        let mut page = self.repository.list(&query).await?;
        let next_cursor = cursor::cut_page(&mut page, limit);
        let ids: Vec<McpServerId> = page.items.iter().map(|record| record.id).collect();
        let mut health = self.repository.health_of(&ids).await?;
        let data = page
            .items
            .into_iter()
            .map(|record| {
                let health = health.remove(&record.id);
                McpServer::from(record).with_health(health)
            })
            .collect();
        Ok(ListMcpServersResponse::Ok(JsonPayload(McpServerList {
            data,
            next_cursor,
        })))
    }

    async fn update(
        &self,
        actor: &Actor,
        id: &str,
        if_match_header: Option<&str>,
        request: UpdateMcpServerRequest,
    ) -> Result<UpdateMcpServerResponse, ApiError> {
        let id = parse_id(id)?;
        let patch = request.parse(&self.network_policy)?;
        let condition = if_match_header.map(if_match);
        let record = self
            .repository
            .update(id, &patch, condition.as_ref())
            .await?;
        actor.audit("update", &record.id, &patch.field_names());
        if patch.changes_connection() {
            self.probes.schedule(record.id);
        }
        let tag = etag(record.version);
        let health = self.repository.health(id).await?;
        let server = McpServer::from(record).with_health(health);
        Ok(UpdateMcpServerResponse::Ok(JsonPayload(server), tag))
    }

    async fn delete(
        &self,
        actor: &Actor,
        id: &str,
        if_match_header: Option<&str>,
    ) -> Result<DeleteMcpServerResponse, ApiError> {
        let id = parse_id(id)?;
        let condition = if_match_header.map(if_match);
        self.repository.delete(id, condition.as_ref()).await?;
        actor.audit("delete", &id, &[]);
        Ok(DeleteMcpServerResponse::NoContent)
    }
}
