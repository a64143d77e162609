use sea_orm_migration::prelude::*;

use crate::columns::{exact_string, timestamp};

/// One row per change of what `/mcp` serves (a catalog, a health, a record
/// changed or deleted), with the process that made it: every replica reads
/// the others' and tells its listening agents. Kept for an hour.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogChanges::Table)
                    .if_not_exists()
                    .col(exact_string(manager, CatalogChanges::Id, 36).primary_key())
                    .col(exact_string(manager, CatalogChanges::Origin, 64))
                    .col(timestamp(manager, CatalogChanges::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_catalog_changes_changed_at")
                    .table(CatalogChanges::Table)
                    .col(CatalogChanges::ChangedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogChanges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CatalogChanges {
    Table,
    Id,
    Origin,
    ChangedAt,
}
