//! The `mcp_server_health` table: each server's last probe and health.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_server_health")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub server_id: String,
    pub probe_state: String,
    pub checked_at: DateTimeUtc,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub health_state: String,
    pub health_error: Option<String>,
    pub consecutive_failures: i32,
    pub server_info: Option<String>,
    pub protocol_version: Option<String>,
    /// A JSON list of revisions; null for probes from before it was kept.
    pub supported_versions: Option<String>,
    pub capabilities: Option<String>,
    pub tool_count: i32,
    pub resource_count: i32,
    pub resource_template_count: i32,
    pub prompt_count: i32,
    pub catalog_version: i64,
    pub catalog_hash: Option<String>,
    /// The version of the redaction rules what is stored went through (0:
    /// stored before there were any).
    pub redaction: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
