use sea_orm_migration::prelude::*;

/// The revisions a server said it supports at its last good probe (a JSON
/// list): its `server/discover` answer, or the one revision it agreed to in
/// `initialize`. Probes from before have none until the next one.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(McpServerHealth::Table)
                    .add_column(
                        ColumnDef::new(McpServerHealth::SupportedVersions)
                            .text()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(McpServerHealth::Table)
                    .drop_column(McpServerHealth::SupportedVersions)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum McpServerHealth {
    Table,
    SupportedVersions,
}
