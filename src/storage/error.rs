//! What storage can fail with, in the domain's words; the HTTP layer decides
//! what a client reads.

use sea_orm::{DbErr, RuntimeErr};

use crate::domain::{McpServerId, ServerName, ValidationError};
use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("an MCP server named {:?} already exists", .0.as_str())]
    DuplicateName(ServerName),
    #[error("no MCP server with id {0}")]
    NotFound(McpServerId),
    #[error("the MCP server is no longer at the expected version")]
    VersionMismatch,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("the stored row {id} is unreadable: {reason}")]
    CorruptRow { id: String, reason: String },
    #[error("gave up updating {id} after {attempts} concurrent changes")]
    Contended { id: McpServerId, attempts: usize },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("secret error: {0}")]
    Secret(#[from] SecretError),
}

/// Why an insert under an idempotency key did not happen.
#[derive(Debug, thiserror::Error)]
pub enum IdempotentInsertError {
    #[error("the idempotency key is already taken")]
    KeyTaken,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<SecretError> for IdempotentInsertError {
    fn from(err: SecretError) -> Self {
        Self::Storage(err.into())
    }
}

/// Whether the database rolled the statement back to break a deadlock or a
/// serialization conflict (SQLSTATE 40001 on PostgreSQL and MariaDB, 40P01 on
/// PostgreSQL): the statement can be run again.
pub(super) fn is_lock_conflict(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error))) =
        err
    else {
        return false;
    };
    error
        .as_database_error()
        .and_then(|database| database.code())
        .is_some_and(|code| matches!(code.as_ref(), "40001" | "40P01"))
}
