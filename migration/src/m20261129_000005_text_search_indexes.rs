use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseBackend, Statement};

/// The trigram indexes that let PostgreSQL answer `LIKE '%…%'` on the name key
/// and the lowercased description (the list's `q`, the MCP Registry API's
/// `search`) without reading every row. pg_trgm ships with PostgreSQL and is
/// a trusted extension (13 and later): any user who may create objects in the
/// database may create it. Where this user may not, the migration leaves the
/// indexes out and the server says at every start what to run; the statements
/// are these, in order.
///
/// A GIN index gathers new entries in a pending list, which the insert that
/// fills it merges into the index. At the default 4 MB that insert stalls for
/// milliseconds (a create's p99 went from 1.4 to 8 ms at concurrency 1, and to
/// 26 ms at 32); a 128 kB list is merged in small steps (p99 1.7 and 6.9 ms),
/// at the same rate, and searches have less of it to read.
pub const TRIGRAM_INDEX_SQL: [&str; 3] = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS mcp_servers_name_key_trgm ON mcp_servers \
     USING gin (name_key gin_trgm_ops) WITH (gin_pending_list_limit = 128)",
    "CREATE INDEX IF NOT EXISTS mcp_servers_description_trgm ON mcp_servers \
     USING gin (lower(description) gin_trgm_ops) WITH (gin_pending_list_limit = 128)",
];

/// The index names, as `pg_indexes` lists them.
pub const TRIGRAM_INDEXES: [&str; 2] =
    ["mcp_servers_name_key_trgm", "mcp_servers_description_trgm"];

/// Whether this user may create pg_trgm here (or it is there already).
const MAY_CREATE_TRIGRAM: &str = "\
SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
    OR (EXISTS (SELECT 1 FROM pg_available_extension_versions
                WHERE name = 'pg_trgm'
                  AND (trusted OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)))
        AND has_database_privilege(current_database(), 'CREATE')) AS allowed";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let allowed = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                MAY_CREATE_TRIGRAM,
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "allowed"))
            .transpose()?
            .unwrap_or(false);
        if allowed {
            for sql in TRIGRAM_INDEX_SQL {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for index in TRIGRAM_INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        Ok(())
    }
}
