use sea_orm_migration::prelude::*;

use crate::columns::{exact_string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(McpServers::Table)
                    .if_not_exists()
                    // `mcp_` + 32 hex digits of a UUIDv7: sorts by creation time.
                    .col(exact_string(manager, McpServers::Id, 36).primary_key())
                    .col(ColumnDef::new(McpServers::Name).string_len(255).not_null())
                    // The lowercased name; lowercasing can lengthen a name up to threefold.
                    .col(exact_string(manager, McpServers::NameKey, 765))
                    .col(ColumnDef::new(McpServers::Description).text().null())
                    .col(ColumnDef::new(McpServers::Url).string_len(2048).not_null())
                    .col(
                        ColumnDef::new(McpServers::TransportType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(McpServers::Status).string_len(16).not_null())
                    // Sealed envelopes (see src/secrets.rs); never plaintext.
                    .col(ColumnDef::new(McpServers::ApiKeySealed).text().null())
                    .col(ColumnDef::new(McpServers::HeadersSealed).text().null())
                    .col(timestamp(manager, McpServers::CreatedAt))
                    .col(timestamp(manager, McpServers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Uniqueness lives in the index so concurrent creates cannot both win.
        manager
            .create_index(
                Index::create()
                    .name("ux_mcp_servers_name_key")
                    .table(McpServers::Table)
                    .col(McpServers::NameKey)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(McpServers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum McpServers {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    Url,
    TransportType,
    Status,
    ApiKeySealed,
    HeadersSealed,
    CreatedAt,
    UpdatedAt,
}
