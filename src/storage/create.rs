//! Writing one create: its row, and its idempotency key when it has one. Both
//! the direct path and the group-commit writer go through here.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, SqlErr, TransactionSession, TransactionTrait};

use super::database::begin_write;
use super::entity::{idempotency_key, mcp_server};
use super::error::{IdempotentInsertError, StorageError};
use crate::domain::ServerName;

/// A create, sealed and ready to write.
pub(super) struct PendingCreate {
    pub(super) key_row: Option<idempotency_key::ActiveModel>,
    pub(super) row: mcp_server::ActiveModel,
    pub(super) name: ServerName,
}

/// Writes one create on `db`, a connection or a transaction. The idempotency
/// key goes first: a concurrent request with the same key waits there for ours
/// to commit or roll back, then sees the key or takes it. With a key, both rows
/// are written in a (nested) transaction, so neither exists without the other.
pub(super) async fn write_create<C>(
    db: &C,
    create: &PendingCreate,
) -> Result<(), IdempotentInsertError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some(key_row) = &create.key_row else {
        return insert_server_row(db, create).await.map_err(Into::into);
    };
    let txn = begin_write(db).await.map_err(StorageError::from)?;
    if let Err(err) = idempotency_key::Entity::insert(key_row.clone())
        .exec_without_returning(&txn)
        .await
    {
        txn.rollback().await.ok();
        return Err(match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => IdempotentInsertError::KeyTaken,
            _ => StorageError::Database(err).into(),
        });
    }
    if let Err(err) = insert_server_row(&txn, create).await {
        txn.rollback().await.ok();
        return Err(err.into());
    }
    txn.commit().await.map_err(StorageError::from)?;
    Ok(())
}

async fn insert_server_row(
    db: &impl ConnectionTrait,
    create: &PendingCreate,
) -> Result<(), StorageError> {
    mcp_server::Entity::insert(create.row.clone())
        .exec_without_returning(db)
        .await
        .map(|_| ())
        .map_err(|err| unique_name_violation(err, &create.name))
}

pub(super) fn unique_name_violation(err: DbErr, name: &ServerName) -> StorageError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StorageError::DuplicateName(name.clone()),
        _ => StorageError::Database(err),
    }
}
