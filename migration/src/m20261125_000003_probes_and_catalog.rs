//! What the registry learns by talking to each server: its health (the last
//! probe, and the checker's bookkeeping) and its catalog (tools, resources,
//! resource templates and prompts, one row each).

use sea_orm_migration::prelude::*;

use crate::columns::{exact_string, long_text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerHealth::Table)
                    .if_not_exists()
                    .col(exact_string(manager, ServerHealth::ServerId, 36).primary_key())
                    // The last probe, as it ended.
                    .col(
                        ColumnDef::new(ServerHealth::ProbeState)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(timestamp(manager, ServerHealth::CheckedAt))
                    .col(
                        ColumnDef::new(ServerHealth::LatencyMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServerHealth::Error).text().null())
                    // The health shown on the record: a failure counts only
                    // after enough of them in a row.
                    .col(
                        ColumnDef::new(ServerHealth::HealthState)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ServerHealth::HealthError).text().null())
                    .col(
                        ColumnDef::new(ServerHealth::ConsecutiveFailures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    // From the last good probe (JSON where the protocol has structure).
                    .col(long_text(manager, ServerHealth::ServerInfo).null())
                    .col(
                        ColumnDef::new(ServerHealth::ProtocolVersion)
                            .string_len(32)
                            .null(),
                    )
                    .col(long_text(manager, ServerHealth::Capabilities).null())
                    .col(
                        ColumnDef::new(ServerHealth::ToolCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ServerHealth::ResourceCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ServerHealth::ResourceTemplateCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ServerHealth::PromptCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    // SHA-256 of the stored catalog: an unchanged catalog is not
                    // rewritten, and its version (the ETag) stays.
                    .col(
                        ColumnDef::new(ServerHealth::CatalogHash)
                            .string_len(64)
                            .null(),
                    )
                    // Bumped whenever the catalog changes: the catalog's ETag.
                    .col(
                        ColumnDef::new(ServerHealth::CatalogVersion)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogEntries::Table)
                    .if_not_exists()
                    .col(exact_string(manager, CatalogEntries::ServerId, 36))
                    .col(exact_string(manager, CatalogEntries::Kind, 32))
                    .col(
                        ColumnDef::new(CatalogEntries::Position)
                            .integer()
                            .not_null(),
                    )
                    .col(long_text(manager, CatalogEntries::Name).not_null())
                    .col(long_text(manager, CatalogEntries::Description).null())
                    // The item as the protocol wrote it (JSON).
                    .col(long_text(manager, CatalogEntries::Body).not_null())
                    .primary_key(
                        Index::create()
                            .col(CatalogEntries::ServerId)
                            .col(CatalogEntries::Kind)
                            .col(CatalogEntries::Position),
                    )
                    .to_owned(),
            )
            .await?;
        // The health checker's schedule, shared by every replica: a replica
        // claims a due check by moving `due_at` on, guarded by `generation`.
        manager
            .create_table(
                Table::create()
                    .table(HealthChecks::Table)
                    .if_not_exists()
                    .col(exact_string(manager, HealthChecks::ServerId, 36).primary_key())
                    .col(timestamp(manager, HealthChecks::DueAt))
                    .col(
                        ColumnDef::new(HealthChecks::Generation)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mcp_health_checks_due_at")
                    .table(HealthChecks::Table)
                    .col(HealthChecks::DueAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HealthChecks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CatalogEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ServerHealth::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ServerHealth {
    #[sea_orm(iden = "mcp_server_health")]
    Table,
    ServerId,
    ProbeState,
    CheckedAt,
    LatencyMs,
    Error,
    HealthState,
    HealthError,
    ConsecutiveFailures,
    ServerInfo,
    ProtocolVersion,
    Capabilities,
    ToolCount,
    ResourceCount,
    ResourceTemplateCount,
    PromptCount,
    CatalogVersion,
    CatalogHash,
}

#[derive(DeriveIden)]
enum CatalogEntries {
    #[sea_orm(iden = "mcp_catalog_entries")]
    Table,
    ServerId,
    Kind,
    Position,
    Name,
    Description,
    Body,
}

#[derive(DeriveIden)]
enum HealthChecks {
    #[sea_orm(iden = "mcp_health_checks")]
    Table,
    ServerId,
    DueAt,
    Generation,
}
