//! The `mcp_servers` table, as the migrations in `migration/` create it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_servers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub description: Option<String>,
    /// The MCP server's own version (the API's `version`).
    pub server_version: String,
    pub url: String,
    pub transport_type: String,
    pub status: String,
    pub api_key_sealed: Option<String>,
    pub headers_sealed: Option<String>,
    /// Names of headers marked secret, a JSON list (none: null).
    pub secret_headers: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
