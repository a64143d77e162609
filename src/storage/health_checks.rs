//! The health checker's schedule, kept in the database so that replicas share
//! it: each active server has a row saying when its next check is due. A
//! replica claims a due check by moving `due_at` on in an update guarded by
//! the row's `generation`: of replicas racing for one row, exactly one update
//! matches. No lock is held while the probe runs; a replica that dies with a
//! claim leaves that server to the next interval.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::{health_check, mcp_server};
use super::error::{StorageError, retry_lock_conflicts};
use super::repository::McpServerRepository;
use crate::domain::{McpServerId, ServerStatus};

/// Sets when `id` is next due for a check (after any probe of it), in the
/// probe's own transaction.
pub(super) async fn schedule(
    db: &impl ConnectionTrait,
    id: McpServerId,
    due_at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let row = health_check::ActiveModel {
        server_id: Set(id.to_string()),
        due_at: Set(due_at),
        generation: Set(0),
    };
    health_check::Entity::insert(row)
        .on_conflict(
            OnConflict::column(health_check::Column::ServerId)
                .update_column(health_check::Column::DueAt)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Schedules written per INSERT: within every backend's parameter limit.
const ENROLL_ROWS_PER_INSERT: usize = 500;

impl McpServerRepository {
    /// Claims up to `limit` checks due at `now` for this replica, moving each
    /// to `next_due`; active servers never scheduled are due at once.
    pub async fn claim_due_checks(
        &self,
        now: DateTime<Utc>,
        next_due: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<McpServerId>, StorageError> {
        use health_check::Column;
        self.enroll_unscheduled(now, limit).await?;
        let active = Query::select()
            .column(mcp_server::Column::Id)
            .from(mcp_server::Entity)
            .and_where(mcp_server::Column::Status.eq(ServerStatus::Active.as_str()))
            .to_owned();
        let due = health_check::Entity::find()
            .filter(Column::DueAt.lte(now))
            .filter(Column::ServerId.in_subquery(active))
            .order_by_asc(Column::DueAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for check in due {
            let won = health_check::Entity::update_many()
                .col_expr(Column::DueAt, Expr::val(next_due))
                .col_expr(Column::Generation, Expr::val(check.generation + 1))
                .filter(Column::ServerId.eq(check.server_id.as_str()))
                .filter(Column::Generation.eq(check.generation))
                .exec(&self.db)
                .await?
                .rows_affected
                == 1;
            if won && let Ok(id) = check.server_id.parse() {
                claimed.push(id);
            }
        }
        Ok(claimed)
    }

    /// Adds up to `limit` active servers that have no schedule yet, due at
    /// `now`. The ids are read first and inserted by value, in order: an
    /// `INSERT … SELECT` would lock every row it reads on MariaDB, and two
    /// replicas enrolling at once deadlocked there. A deadlock all the same
    /// (InnoDB can pick a victim) is retried: the insert is idempotent.
    async fn enroll_unscheduled(&self, now: DateTime<Utc>, limit: u64) -> Result<(), StorageError> {
        use health_check::Column;
        let mut ids: Vec<String> = mcp_server::Entity::find()
            .select_only()
            .column(mcp_server::Column::Id)
            .filter(mcp_server::Column::Status.eq(ServerStatus::Active.as_str()))
            .filter(
                mcp_server::Column::Id.not_in_subquery(
                    Query::select()
                        .column(Column::ServerId)
                        .from(health_check::Entity)
                        .to_owned(),
                ),
            )
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.sort_unstable();
        for chunk in ids.chunks(ENROLL_ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert
                .into_table(health_check::Entity)
                .columns([Column::ServerId, Column::DueAt, Column::Generation])
                .on_conflict(
                    OnConflict::column(Column::ServerId)
                        .do_nothing_on([Column::ServerId])
                        .to_owned(),
                );
            for id in chunk {
                insert
                    .values([id.as_str().into(), now.into(), 0_i64.into()])
                    .map_err(|e| StorageError::from(sea_orm::DbErr::Custom(e.to_string())))?;
            }
            retry_lock_conflicts(|| async { Ok(self.db.execute(&insert).await?) }).await?;
        }
        Ok(())
    }
}
