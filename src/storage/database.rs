use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait, TRIGRAM_INDEX_SQL, TRIGRAM_INDEXES};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};

/// Pool size for PostgreSQL and MySQL unless configured: enough that creates
/// at the benchmark's concurrency wait on the database's commits, not for a
/// connection (see bench/RESULTS.md).
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("DATABASE_URL must start with sqlite://, postgres:// or mysql://")]
    UnsupportedUrl,
    #[error("DATABASE_URL is not a valid SQLite URL: {0}")]
    InvalidSqliteUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(DbErr),
    #[error(
        "the database schema is behind ({0} pending migrations): run `mcp-registry migrate up`"
    )]
    SchemaBehind(usize),
}

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (or `:memory:`), embedded: no server to run.
    Sqlite {
        url: String,
        file: Option<PathBuf>,
    },
    Postgres {
        url: String,
    },
    /// MySQL or MariaDB.
    MySql {
        url: String,
    },
}

impl Database {
    pub fn from_url(url: &str) -> Result<Self, DatabaseError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|err| DatabaseError::InvalidSqliteUrl(err.to_string()))?;
            let file = options.get_filename();
            let file = (file.as_os_str() != ":memory:").then(|| file.to_path_buf());
            Ok(Self::Sqlite {
                url: url.to_owned(),
                file,
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres {
                url: url.to_owned(),
            })
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            Ok(Self::MySql {
                url: url.replacen("mariadb://", "mysql://", 1),
            })
        } else {
            Err(DatabaseError::UnsupportedUrl)
        }
    }

    /// Where the embedded database keeps its key file when no key is configured.
    pub fn key_file(&self) -> Option<PathBuf> {
        match self {
            Self::Sqlite {
                file: Some(file), ..
            } => Some(file.with_extension("key")),
            _ => None,
        }
    }

    /// Connects; then brings the schema up to date, or with `migrate` false
    /// only checks that it is. `max_connections` sizes the pool of a database
    /// server (SQLite keeps one connection).
    pub async fn connect(
        &self,
        migrate: bool,
        max_connections: Option<u32>,
    ) -> Result<DatabaseConnection, DatabaseError> {
        let db = self.connect_only(max_connections).await?;
        if migrate {
            Migrator::up(&db, None)
                .await
                .map_err(DatabaseError::Migrate)?;
        } else {
            let pending = Migrator::get_pending_migrations(&db)
                .await
                .map_err(DatabaseError::Migrate)?;
            if !pending.is_empty() {
                return Err(DatabaseError::SchemaBehind(pending.len()));
            }
        }
        if matches!(self, Self::Postgres { .. }) {
            warn_if_search_unindexed(&db).await;
        }
        Ok(db)
    }

    /// Every migration, in order, and whether it is applied.
    pub async fn migration_status(&self) -> Result<Vec<(String, bool)>, DatabaseError> {
        let db = self.connect_only(Some(1)).await?;
        let pending: Vec<String> = Migrator::get_pending_migrations(&db)
            .await
            .map_err(DatabaseError::Migrate)?
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        Ok(Migrator::migrations()
            .iter()
            .map(|m| {
                let name = m.name().to_owned();
                let applied = !pending.contains(&name);
                (name, applied)
            })
            .collect())
    }

    async fn connect_only(
        &self,
        max_connections: Option<u32>,
    ) -> Result<DatabaseConnection, DatabaseError> {
        let options = match self {
            Self::Sqlite { url, .. } => {
                let mut options = ConnectOptions::new(url);
                options
                    // One connection: SQLite has a single writer anyway, and queueing
                    // in the pool is fairer than retrying on a busy database.
                    .max_connections(1)
                    .map_sqlx_sqlite_opts(|opts| {
                        opts.create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            // A 201 means the record is on disk, power loss included.
                            .synchronous(SqliteSynchronous::Full)
                            // What a write replaces or deletes is overwritten,
                            // not left in free space: a catalog redacted at
                            // start leaves no plaintext behind.
                            .pragma("secure_delete", "ON")
                            .busy_timeout(Duration::from_secs(10))
                            .row_buffer_size(SQLITE_ROWS_AHEAD)
                    });
                options
            }
            Self::Postgres { url } | Self::MySql { url } => {
                let mut options = ConnectOptions::new(url);
                options.max_connections(max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS));
                options
            }
        };
        open_pool(options).await
    }

    /// Connections for reads. SQLite in WAL mode lets readers run beside its one
    /// writer, so a SQLite file gets a few read-only connections of its own:
    /// reads then neither queue behind each other on the writer's connection nor
    /// wait for a commit's disk flush, and each sees every commit answered
    /// before it started. Other databases read through the shared pool.
    pub async fn connect_reader(
        &self,
        writer: &DatabaseConnection,
    ) -> Result<DatabaseConnection, DatabaseError> {
        let Self::Sqlite {
            url, file: Some(_), ..
        } = self
        else {
            // An in-memory database exists only on the writer's connection.
            return Ok(writer.clone());
        };
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(SQLITE_READERS)
            .map_sqlx_sqlite_opts(|opts| {
                opts.read_only(true)
                    .busy_timeout(Duration::from_secs(10))
                    .row_buffer_size(SQLITE_ROWS_AHEAD)
            });
        open_pool(options).await
    }
}

/// How long a request waits for a database connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Rows a SQLite connection's thread may read ahead of the one being used
/// (sqlx's default is 50): a page stops reading at its byte budget, and rows
/// read ahead of that would be held anyway, up to 1 MB each for records
/// stored before the headers' total limit.
const SQLITE_ROWS_AHEAD: usize = 4;

/// Read-only connections to a SQLite file, beside its writer.
const SQLITE_READERS: u32 = 4;

/// Whether a connection taken from the pool is fit to use: not left inside a
/// transaction. A COMMIT that fails (SQLite out of disk space, say) can leave
/// one there: SQLite may already have rolled the transaction back, the ROLLBACK
/// after it then fails, and sqlx still counts the transaction as open. Its next
/// BEGIN becomes a SAVEPOINT, whose ROLLBACK TO keeps a transaction open that
/// nothing ever commits, and every later write on that connection would be
/// answered as done and lost. Such a connection is closed and replaced.
fn fit_for_use<C: sea_orm::sqlx::Connection>(
    conn: &mut C,
    _: sea_orm::sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<bool, sea_orm::sqlx::Error>> {
    let fit = !conn.is_in_transaction();
    if !fit {
        tracing::warn!(
            "a database connection was left inside a transaction (after a failed COMMIT or \
             ROLLBACK); it is closed and replaced"
        );
    }
    Box::pin(std::future::ready(Ok(fit)))
}

async fn open_pool(mut options: ConnectOptions) -> Result<DatabaseConnection, DatabaseError> {
    options
        .map_sqlx_sqlite_pool_opts(|pool| pool.before_acquire(fit_for_use))
        .map_sqlx_postgres_pool_opts(|pool| pool.before_acquire(fit_for_use))
        .map_sqlx_mysql_pool_opts(|pool| pool.before_acquire(fit_for_use))
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        // A request waits this long for a connection: a database that
        // restarts in a moment is waited for, one that stays away (or a pool
        // exhausted this long) is a 503 well within the request timeout.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A ping on every checkout is a round trip per request (sqlx already
        // pings once on every release); only a connection idle long enough
        // for a proxy or a restart to have dropped it is tested first.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        // sqlx would log every statement; request logging already covers it.
        .sqlx_logging(false);
    sea_orm::Database::connect(options)
        .await
        .map_err(DatabaseError::Connect)
}

impl Database {
    /// What to call this database in logs, without the URL (it may hold a password).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
            Self::MySql { .. } => "mysql",
        }
    }
}

/// Text search on PostgreSQL uses pg_trgm's indexes. Where the migration could
/// not create them (this user may not create the extension), it reads every
/// row: say so at every start, and what to run.
async fn warn_if_search_unindexed(db: &DatabaseConnection) {
    let names = TRIGRAM_INDEXES.map(|name| format!("'{name}'")).join(", ");
    let sql = format!(
        "SELECT count(*) AS found FROM pg_indexes \
         WHERE tablename = 'mcp_servers' AND indexname IN ({names})"
    );
    let found = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "found").ok());
    if found.is_some_and(|found| found < TRIGRAM_INDEXES.len() as i64) {
        tracing::warn!(
            "text search (q, and the MCP Registry API's search) reads every row: this database \
             user may not create the pg_trgm extension. Run as a user who may: {}",
            TRIGRAM_INDEX_SQL.join("; ")
        );
    }
}

/// Begins a transaction that writes. On SQLite it takes the write lock at
/// BEGIN (IMMEDIATE), waiting for it under the busy timeout; a deferred one
/// takes it at its first write, and when another process (a second instance
/// on the same file) has committed since, SQLite fails that write at once
/// with "database is locked" instead of waiting. Elsewhere, and nested, a
/// plain BEGIN (or SAVEPOINT).
pub(super) async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
