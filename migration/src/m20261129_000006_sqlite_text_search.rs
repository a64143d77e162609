use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Indexed text search on SQLite: an FTS5 table with the trigram tokenizer
/// over the name key and the description, which answers a substring of 3
/// characters or more without reading every row. Triggers keep it in step
/// with `mcp_servers`. Its rows are numbered by `mcp_servers_search_rows` (an
/// INTEGER PRIMARY KEY, which VACUUM keeps), not by `mcp_servers`' own rowid,
/// which VACUUM may renumber.
#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "
CREATE TABLE mcp_servers_search_rows (
    search_rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE mcp_servers_search
    USING fts5(id UNINDEXED, name_key, description, tokenize = 'trigram');
INSERT INTO mcp_servers_search_rows (id) SELECT id FROM mcp_servers ORDER BY id;
INSERT INTO mcp_servers_search (rowid, id, name_key, description)
    SELECT r.search_rowid, s.id, s.name_key, s.description
    FROM mcp_servers AS s JOIN mcp_servers_search_rows AS r ON r.id = s.id;
CREATE TRIGGER mcp_servers_search_insert AFTER INSERT ON mcp_servers BEGIN
    INSERT INTO mcp_servers_search_rows (id) VALUES (new.id);
    INSERT INTO mcp_servers_search (rowid, id, name_key, description)
        VALUES (last_insert_rowid(), new.id, new.name_key, new.description);
END;
CREATE TRIGGER mcp_servers_search_delete AFTER DELETE ON mcp_servers BEGIN
    DELETE FROM mcp_servers_search WHERE rowid =
        (SELECT search_rowid FROM mcp_servers_search_rows WHERE id = old.id);
    DELETE FROM mcp_servers_search_rows WHERE id = old.id;
END;
CREATE TRIGGER mcp_servers_search_update AFTER UPDATE OF name_key, description ON mcp_servers BEGIN
    UPDATE mcp_servers_search SET name_key = new.name_key, description = new.description
        WHERE rowid = (SELECT search_rowid FROM mcp_servers_search_rows WHERE id = new.id);
END;
";

const DOWN: &str = "
DROP TRIGGER IF EXISTS mcp_servers_search_update;
DROP TRIGGER IF EXISTS mcp_servers_search_delete;
DROP TRIGGER IF EXISTS mcp_servers_search_insert;
DROP TABLE IF EXISTS mcp_servers_search;
DROP TABLE IF EXISTS mcp_servers_search_rows;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
