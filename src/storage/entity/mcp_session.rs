use sea_orm::entity::prelude::*;

/// A `/mcp` session of the handshake revisions, kept so that any replica can
/// take it up again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_sessions")]
pub struct Model {
    /// rmcp's session id (never shown to the agent, which gets it sealed).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The agent's `initialize` parameters, as JSON.
    pub state: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
