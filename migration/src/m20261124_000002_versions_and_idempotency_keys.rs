use sea_orm_migration::prelude::*;

use crate::columns::{exact_string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Bumped by every update: the ETag, and the guard of optimistic writes.
        manager
            .alter_table(
                Table::alter()
                    .table(McpServers::Table)
                    .add_column(
                        ColumnDef::new(McpServers::Version)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists are newest first (by id); a status filter walks this index instead.
        manager
            .create_index(
                Index::create()
                    .name("ix_mcp_servers_status_id")
                    .table(McpServers::Table)
                    .col(McpServers::Status)
                    .col(McpServers::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mcp_servers_updated_at")
                    .table(McpServers::Table)
                    .col(McpServers::UpdatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(exact_string(manager, IdempotencyKeys::Key, 255).primary_key())
                    // A keyed hash of the request body: equal bodies, equal hashes,
                    // and no way back to the secrets in the body.
                    .col(
                        ColumnDef::new(IdempotencyKeys::RequestHash)
                            .string_len(64)
                            .not_null(),
                    )
                    // The first answer, sealed: it may hold header values.
                    .col(
                        ColumnDef::new(IdempotencyKeys::ResponseSealed)
                            .text()
                            .not_null(),
                    )
                    .col(timestamp(manager, IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_created_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_mcp_servers_updated_at")
                    .table(McpServers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_mcp_servers_status_id")
                    .table(McpServers::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(McpServers::Table)
                    .drop_column(McpServers::Version)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum McpServers {
    Table,
    Id,
    Status,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Key,
    RequestHash,
    ResponseSealed,
    CreatedAt,
}
