//! The database schema, owned by sea-orm-migration: one file per migration.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261124_000001_create_mcp_servers;
mod m20261124_000002_versions_and_idempotency_keys;
mod m20261125_000003_probes_and_catalog;
mod m20261129_000004_server_versions;
mod m20261129_000005_text_search_indexes;
mod m20261129_000006_sqlite_text_search;
mod m20261207_000007_redacted_probes;
mod m20261207_000008_secret_headers;
mod m20261207_000009_supported_versions;
mod m20261207_000010_mcp_sessions;
mod m20261207_000011_catalog_changes;

pub use m20261129_000005_text_search_indexes::{TRIGRAM_INDEX_SQL, TRIGRAM_INDEXES};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_mcp_servers::Migration),
            Box::new(m20261124_000002_versions_and_idempotency_keys::Migration),
            Box::new(m20261125_000003_probes_and_catalog::Migration),
            Box::new(m20261129_000004_server_versions::Migration),
            Box::new(m20261129_000005_text_search_indexes::Migration),
            Box::new(m20261129_000006_sqlite_text_search::Migration),
            Box::new(m20261207_000007_redacted_probes::Migration),
            Box::new(m20261207_000008_secret_headers::Migration),
            Box::new(m20261207_000009_supported_versions::Migration),
            Box::new(m20261207_000010_mcp_sessions::Migration),
            Box::new(m20261207_000011_catalog_changes::Migration),
        ]
    }
}
