use sea_orm_migration::prelude::*;

/// What probes store is redacted of the server's secrets (an upstream may
/// echo them in its catalog). Rows stored before are marked 0: the server
/// redacts them at start, with the keys that open the secrets (which a
/// migration does not have), and marks them with the rules' version.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ServerHealth::Table)
                    .add_column(
                        ColumnDef::new(ServerHealth::Redaction)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ServerHealth::Table)
                    .drop_column(ServerHealth::Redaction)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ServerHealth {
    #[sea_orm(iden = "mcp_server_health")]
    Table,
    Redaction,
}
