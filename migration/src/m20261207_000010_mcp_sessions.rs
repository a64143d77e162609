use sea_orm_migration::prelude::*;

use crate::columns::{exact_string, long_text, timestamp};

/// `/mcp` sessions of the handshake revisions, by rmcp's session id: the
/// agent's `initialize`, so that any replica (or this one after a restart)
/// can take the session up again. Ended by the agent's DELETE, or forgotten
/// a day after they were opened.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McpSessions::Table)
                    .if_not_exists()
                    .col(exact_string(manager, McpSessions::Id, 128).primary_key())
                    .col(long_text(manager, McpSessions::State).not_null())
                    .col(timestamp(manager, McpSessions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mcp_sessions_created_at")
                    .table(McpSessions::Table)
                    .col(McpSessions::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(McpSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum McpSessions {
    Table,
    Id,
    State,
    CreatedAt,
}
