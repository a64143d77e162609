use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, Tags};

use super::error::ApiError;
use super::payload::JsonPayload;
use super::schemas::{CreateMcpServerRequest, ErrorResponse, McpServer};
use crate::domain::NewMcpServer;
use crate::storage::McpServerRepository;
use crate::telemetry::RequestId;

#[derive(Tags)]
enum ApiTags {
    /// Remote MCP servers registered for agents to use.
    #[oai(rename = "MCP Servers")]
    McpServers,
}

#[derive(ApiResponse)]
pub enum CreateMcpServerResponse {
    /// MCP server created successfully
    #[oai(status = 201)]
    Created(
        JsonPayload<McpServer>,
        /// Path of the new MCP server, /v1/mcp-servers/{id}.
        #[oai(header = "Location")]
        String,
    ),
    /// Invalid input or duplicate name
    #[oai(status = 400)]
    BadRequest(JsonPayload<ErrorResponse>),
    // 413 and 415 are answered before the handler runs (body limit, payload
    // extractor); they are listed so the contract shows them.
    /// Request body larger than 1 MiB
    #[oai(status = 413)]
    PayloadTooLarge(JsonPayload<ErrorResponse>),
    /// Request body is not application/json
    #[oai(status = 415)]
    UnsupportedMediaType(JsonPayload<ErrorResponse>),
    /// Internal server error
    #[oai(status = 500)]
    InternalServerError(JsonPayload<ErrorResponse>),
}

impl From<ApiError> for CreateMcpServerResponse {
    fn from(err: ApiError) -> Self {
        let body = JsonPayload(err.body());
        match err {
            ApiError::PayloadTooLarge { .. } => Self::PayloadTooLarge(body),
            ApiError::UnsupportedMediaType(_) => Self::UnsupportedMediaType(body),
            ApiError::Internal(_) => Self::InternalServerError(body),
            _ => Self::BadRequest(body),
        }
    }
}

pub struct McpServersApi {
    repository: Arc<McpServerRepository>,
}

impl McpServersApi {
    pub fn new(repository: Arc<McpServerRepository>) -> Self {
        Self { repository }
    }
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
        request_id: Data<&RequestId>,
        body: JsonPayload<CreateMcpServerRequest>,
    ) -> CreateMcpServerResponse {
        let new = match NewMcpServer::try_from(body.0) {
            Ok(new) => new,
            Err(invalid) => return ApiError::from(invalid).into(),
        };
        match self.repository.create(new).await {
            Ok(record) => {
                let server = McpServer::from(record);
                let location = format!("/v1/mcp-servers/{}", server.id.0);
                CreateMcpServerResponse::Created(JsonPayload(server), location)
            }
            Err(err) => ApiError::from_storage(err, &request_id).into(),
        }
    }
}
