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

/// Tries of one piece of work that the database chose as a deadlock victim.
const LOCK_CONFLICT_ATTEMPTS: u32 = 5;

/// `work`, run again (up to [`LOCK_CONFLICT_ATTEMPTS`] times in all) while
/// the database rolls it back to break a deadlock or a serialization
/// conflict; any other outcome is `work`'s.
pub(super) async fn retry_lock_conflicts<T, Fut>(
    mut work: impl FnMut() -> Fut,
) -> Result<T, StorageError>
where
    Fut: Future<Output = Result<T, StorageError>>,
{
    let mut attempt = 1;
    loop {
        match work().await {
            Err(StorageError::Database(err))
                if is_lock_conflict(&err) && attempt < LOCK_CONFLICT_ATTEMPTS =>
            {
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Whether the database rolled the statement back to break a deadlock or a
/// serialization conflict (SQLSTATE 40001 on PostgreSQL and MariaDB, 40P01 on
/// PostgreSQL): the statement can be run again.
fn is_lock_conflict(err: &DbErr) -> bool {
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

/// What a failed database call says about the database itself, where a caller
/// can act on it: wait and retry, or free space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseFault {
    /// It cannot be reached for now: down, restarting, the connection cut,
    /// the pool exhausted past its timeout. A write cut off this way may or
    /// may not have committed.
    Unavailable,
    /// It has no space left to write.
    OutOfSpace,
}

impl StorageError {
    pub fn database_fault(&self) -> Option<DatabaseFault> {
        match self {
            Self::Database(err) => database_fault(err),
            _ => None,
        }
    }
}

fn database_fault(err: &DbErr) -> Option<DatabaseFault> {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Some(DatabaseFault::Unavailable),
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            sqlx_fault(error)
        }
        _ => None,
    }
}

fn sqlx_fault(error: &sea_orm::SqlxError) -> Option<DatabaseFault> {
    use sea_orm::SqlxError as E;
    match error {
        E::Io(_)
        | E::Tls(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed
        | E::BeginFailed => Some(DatabaseFault::Unavailable),
        E::Database(database) => {
            // MariaDB's "disk full" and "table is full" have the catch-all HY000.
            if let Some(mysql) = database.try_downcast_ref::<sea_orm::SqlxMySqlError>()
                && matches!(mysql.number(), 1021 | 1114)
            {
                return Some(DatabaseFault::OutOfSpace);
            }
            let code = database.code()?;
            if database
                .try_downcast_ref::<sea_orm::SqlxSqliteError>()
                .is_some()
            {
                sqlite_fault(&code)
            } else {
                sqlstate_fault(&code)
            }
        }
        _ => None,
    }
}

/// SQLite's result codes (the extended code's low byte is the primary one).
fn sqlite_fault(code: &str) -> Option<DatabaseFault> {
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const IOERR: i32 = 10;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    match code.parse::<i32>().ok()? & 0xff {
        FULL => Some(DatabaseFault::OutOfSpace),
        BUSY | LOCKED | IOERR | CANTOPEN => Some(DatabaseFault::Unavailable),
        _ => None,
    }
}

/// SQLSTATEs of PostgreSQL and MariaDB: class 08 (connection exception);
/// 57P01–57P03 (the server shuts down, crashed, or is starting:
/// `pg_terminate_backend` and a restart end sessions with 57P01); 53300 (too
/// many connections); 70100 (MariaDB: the connection or query was killed);
/// 53100 (PostgreSQL's disk is full).
fn sqlstate_fault(code: &str) -> Option<DatabaseFault> {
    match code {
        "53100" => Some(DatabaseFault::OutOfSpace),
        "57P01" | "57P02" | "57P03" | "53300" | "70100" => Some(DatabaseFault::Unavailable),
        _ if code.starts_with("08") => Some(DatabaseFault::Unavailable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::ConnAcquireErr;

    use super::*;

    #[test]
    fn an_exhausted_pool_or_a_lost_connection_is_unavailable() {
        let timed_out = StorageError::Database(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(timed_out.database_fault(), Some(DatabaseFault::Unavailable));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let reset = DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sea_orm::SqlxError::Io(
            reset,
        ))));
        assert_eq!(database_fault(&reset), Some(DatabaseFault::Unavailable));
        // What the server says of itself is not a fault of the database.
        let ours = StorageError::Database(DbErr::Custom("the writer has stopped".into()));
        assert_eq!(ours.database_fault(), None);
        assert_eq!(StorageError::VersionMismatch.database_fault(), None);
    }

    #[test]
    fn sqlstates_and_sqlite_codes_are_sorted_by_what_they_say() {
        for unavailable in ["08006", "08S01", "57P01", "57P03", "53300", "70100"] {
            assert_eq!(
                sqlstate_fault(unavailable),
                Some(DatabaseFault::Unavailable)
            );
        }
        assert_eq!(sqlstate_fault("53100"), Some(DatabaseFault::OutOfSpace));
        // A constraint or a syntax error is the request's or ours.
        for other in ["23505", "42601", "40001", "HY000"] {
            assert_eq!(sqlstate_fault(other), None, "{other}");
        }
        // SQLITE_FULL; SQLITE_BUSY, and SQLITE_IOERR_WRITE (an extended code).
        assert_eq!(sqlite_fault("13"), Some(DatabaseFault::OutOfSpace));
        assert_eq!(sqlite_fault("5"), Some(DatabaseFault::Unavailable));
        assert_eq!(sqlite_fault("778"), Some(DatabaseFault::Unavailable));
        // SQLITE_CONSTRAINT_UNIQUE.
        assert_eq!(sqlite_fault("2067"), None);
    }
}
