use chrono::{SubsecRound, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, SqlErr};

use super::entity;
use crate::domain::{McpServerId, McpServerRecord, NewMcpServer, ServerName, ServerStatus};
use crate::secrets::{SecretBoxer, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("an MCP server named {:?} already exists", .0.as_str())]
    DuplicateName(ServerName),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("secret error: {0}")]
    Secret(#[from] SecretError),
}

/// Where a sealed secret lives; bound into its ciphertext so it cannot be moved.
fn secret_context(id: &McpServerId, field: &str) -> String {
    format!("mcp_servers/{id}/{field}")
}

/// Reads and writes MCP server records, sealing their secrets on the way in.
pub struct McpServerRepository {
    db: DatabaseConnection,
    boxer: SecretBoxer,
}

impl McpServerRepository {
    pub fn new(db: DatabaseConnection, boxer: SecretBoxer) -> Self {
        Self { db, boxer }
    }

    /// Inserts a new record in one statement; the unique index on the lowercased
    /// name decides a duplicate, so concurrent creates of one name cannot both win.
    pub async fn create(&self, new: NewMcpServer) -> Result<McpServerRecord, StorageError> {
        let id = McpServerId::generate();
        // Microseconds: the precision every supported database keeps, so the
        // timestamps answered now equal those read back later.
        let now = Utc::now().trunc_subsecs(6);
        let api_key_sealed = new
            .api_key
            .as_ref()
            .map(|key| {
                self.boxer
                    .seal(key.expose().as_bytes(), &secret_context(&id, "api_key"))
            })
            .transpose()?;
        let headers_sealed = if new.headers.is_empty() {
            None
        } else {
            let plaintext =
                serde_json::to_vec(new.headers.expose()).map_err(|_| SecretError::Seal)?;
            Some(
                self.boxer
                    .seal(&plaintext, &secret_context(&id, "headers"))?,
            )
        };
        let status = ServerStatus::Active;
        let row = entity::ActiveModel {
            id: Set(id.to_string()),
            name: Set(new.name.as_str().to_owned()),
            name_key: Set(new.name.uniqueness_key()),
            description: Set(new.description.as_ref().map(|d| d.as_str().to_owned())),
            url: Set(new.url.as_str().to_owned()),
            transport_type: Set(new.transport_type.as_str().to_owned()),
            status: Set(status.as_str().to_owned()),
            api_key_sealed: Set(api_key_sealed),
            headers_sealed: Set(headers_sealed),
            created_at: Set(now),
            updated_at: Set(now),
        };
        entity::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    StorageError::DuplicateName(new.name.clone())
                }
                _ => StorageError::Database(err),
            })?;
        Ok(McpServerRecord {
            id,
            name: new.name,
            url: new.url,
            description: new.description,
            transport_type: new.transport_type,
            status,
            api_key: new.api_key,
            headers: new.headers,
            created_at: now,
            updated_at: now,
        })
    }
}
