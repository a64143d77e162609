//! `/mcp` sessions of the handshake revisions, kept by rmcp's session id so
//! that any replica can take a session up again (its agent's `initialize`
//! replayed): written when a session opens, removed when the agent ends it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entity::mcp_session;
use super::error::StorageError;
use super::repository::McpServerRepository;

impl McpServerRepository {
    /// Keeps session `id`'s `state` (the agent's `initialize`, as JSON).
    pub async fn save_session(&self, id: &str, state: String) -> Result<(), StorageError> {
        let row = mcp_session::ActiveModel {
            id: Set(id.to_owned()),
            state: Set(state),
            created_at: Set(Utc::now()),
        };
        mcp_session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(mcp_session::Column::Id)
                    .update_columns([mcp_session::Column::State, mcp_session::Column::CreatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Session `id`'s state, unless it ended or was opened before
    /// `not_before`.
    pub async fn session(
        &self,
        id: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<String>, StorageError> {
        let row = mcp_session::Entity::find_by_id(id.to_owned())
            .filter(mcp_session::Column::CreatedAt.gte(not_before))
            .one(&self.reads)
            .await?;
        Ok(row.map(|row| row.state))
    }

    /// Ends session `id` for every replica.
    pub async fn forget_session(&self, id: &str) -> Result<(), StorageError> {
        mcp_session::Entity::delete_by_id(id.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets sessions opened before `not_before`; answers how many.
    pub async fn forget_sessions(&self, not_before: DateTime<Utc>) -> Result<u64, StorageError> {
        let result = mcp_session::Entity::delete_many()
            .filter(mcp_session::Column::CreatedAt.lt(not_before))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
