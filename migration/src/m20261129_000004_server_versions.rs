use sea_orm_migration::prelude::*;

use crate::columns::exact_string;

/// Records carry the version of the MCP server they describe, as the MCP
/// Registry API publishes it; rows from before get the documented default.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(McpServers::Table)
                    .add_column(
                        exact_string(manager, McpServers::ServerVersion, 255)
                            .default("1.0.0")
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(McpServers::Table)
                    .drop_column(McpServers::ServerVersion)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum McpServers {
    Table,
    ServerVersion,
}
