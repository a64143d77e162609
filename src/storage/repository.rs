use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::create::{PendingCreate, unique_name_violation, write_create};
use super::database::begin_write;
use super::entity::{idempotency_key, mcp_server};
use super::error::{IdempotentInsertError, StorageError};
use super::group_commit::GroupCommit;
use super::recent::RecentRecords;
use crate::domain::{
    ApiKey, Description, HttpHeaders, IdempotencyKey, McpServerId, McpServerPatch, McpServerRecord,
    Release, ServerName, ServerStatus, ServerUrl, TransportType, VersionCondition,
};
use crate::metrics::PoolFigures;
use crate::secrets::{SecretBoxer, SecretError, SecretKey};

/// How often an update without `If-Match` re-reads and retries when another
/// writer got there first, before giving up.
const MAX_UPDATE_ATTEMPTS: usize = 100;

/// Group-commit writers on PostgreSQL and MariaDB: while one batch commits,
/// the next is gathered and written by another (see bench/RESULTS.md).
const SERVER_DATABASE_WRITERS: usize = 4;

/// How many rows a key rotation re-sealed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    pub servers: u64,
    pub idempotency_keys: u64,
}

/// A create's answer to remember under its idempotency key, with the request
/// that it answers (kept only as a keyed fingerprint).
pub struct Remember<'a> {
    pub key: &'a IdempotencyKey,
    pub request: &'a [u8],
    pub response: &'a [u8],
}

/// What an idempotency key was used for before.
pub enum Recalled {
    /// The same request: here is the answer it got.
    Answer(Vec<u8>),
    /// A different request under the same key.
    OtherRequest,
}

/// Where a sealed secret lives; bound into its ciphertext so it cannot be moved.
pub fn sealing_context(id: &McpServerId, field: &str) -> String {
    format!("mcp_servers/{id}/{field}")
}

fn idempotency_context(key: &str) -> String {
    format!("idempotency_keys/{key}")
}

/// Reads and writes MCP server records, sealing their secrets on the way in and
/// opening them on the way out.
pub struct McpServerRepository {
    pub(super) db: DatabaseConnection,
    /// For reads outside a write: SQLite's readers, elsewhere the same pool.
    pub(super) reads: DatabaseConnection,
    boxer: Arc<SecretBoxer>,
    /// SQLite's creates go through one writer that commits them in groups.
    group_commit: Option<GroupCommit>,
    recent: RecentRecords,
    /// Bumped whenever what the aggregate MCP endpoint serves may have
    /// changed: a catalog, a health, a record updated or deleted (here, or
    /// on another replica: catalog_changes.rs).
    catalog_changes: tokio::sync::watch::Sender<u64>,
    /// This process, in the changes it writes down for other replicas.
    pub(super) origin: String,
}

impl McpServerRepository {
    /// A repository with no database, for describing the API (the OpenAPI
    /// document) without serving it; any query on it fails.
    pub fn disconnected() -> Self {
        Self {
            db: DatabaseConnection::default(),
            reads: DatabaseConnection::default(),
            boxer: Arc::new(SecretBoxer::new(&SecretKey::generate())),
            group_commit: None,
            recent: RecentRecords::default(),
            catalog_changes: tokio::sync::watch::Sender::new(0),
            origin: uuid::Uuid::now_v7().to_string(),
        }
    }

    /// `db` takes every write; `reads` (the same pool, or SQLite's readers)
    /// serves lookups and lists.
    pub fn new(db: DatabaseConnection, reads: DatabaseConnection, boxer: SecretBoxer) -> Self {
        let writers = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => SERVER_DATABASE_WRITERS,
        };
        let group_commit = Some(GroupCommit::start(db.clone(), writers));
        Self {
            db,
            reads,
            boxer: Arc::new(boxer),
            group_commit,
            recent: RecentRecords::default(),
            catalog_changes: tokio::sync::watch::Sender::new(0),
            origin: uuid::Uuid::now_v7().to_string(),
        }
    }

    /// The keys the secrets are sealed with, for whatever else must be sealed
    /// so that every replica can open it (the gateway's session ids).
    pub fn secret_boxer(&self) -> Arc<SecretBoxer> {
        Arc::clone(&self.boxer)
    }

    /// Changes when what the aggregate MCP endpoint serves may have changed,
    /// here or (about a second later) on another replica.
    pub fn watch_catalogs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.catalog_changes.subscribe()
    }

    /// The version of what the aggregate MCP endpoint serves: changes when
    /// `watch_catalogs` does.
    pub fn catalogs_version(&self) -> u64 {
        *self.catalog_changes.borrow()
    }

    /// Tells this process's listeners that what `/mcp` serves may have
    /// changed.
    pub(super) fn tell_listeners(&self) {
        self.catalog_changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The connection pool's figures, for /metrics.
    pub fn pool_figures(&self) -> PoolFigures {
        fn figures<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolFigures {
            PoolFigures {
                connections: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
                group_commit: None,
            }
        }
        let pool = match self.db.get_database_backend() {
            DbBackend::Sqlite => figures(self.db.get_sqlite_connection_pool()),
            DbBackend::Postgres => figures(self.db.get_postgres_connection_pool()),
            DbBackend::MySql => figures(self.db.get_mysql_connection_pool()),
            _ => PoolFigures::default(),
        };
        PoolFigures {
            group_commit: self.group_commit.as_ref().map(|group| group.totals()),
            ..pool
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        self.db.ping().await.map_err(Into::into)
    }

    /// Inserts a new record in one statement; the unique index on the lowercased
    /// name decides a duplicate, so concurrent creates of one name cannot both win.
    /// With `remember`, the answer is stored under its idempotency key in the same
    /// transaction, so a record and its key exist together or not at all.
    pub async fn insert(
        &self,
        record: &McpServerRecord,
        remember: Option<Remember<'_>>,
    ) -> Result<(), IdempotentInsertError> {
        let key_row = match remember {
            None => None,
            // Equal requests have equal fingerprints; the keyed hash reveals
            // nothing of the api_key.
            Some(remember) => Some(idempotency_key::ActiveModel {
                key: Set(remember.key.as_str().to_owned()),
                request_hash: Set(self.boxer.fingerprint(remember.request)?),
                response_sealed: Set(self.boxer.seal(
                    remember.response,
                    &idempotency_context(remember.key.as_str()),
                )?),
                created_at: Set(record.created_at),
            }),
        };
        let create = PendingCreate {
            key_row,
            row: self.seal_row(record)?,
            name: record.name.clone(),
        };
        match &self.group_commit {
            Some(group) => group.insert(create).await,
            None => write_create(&self.db, &create).await,
        }
    }

    /// What `key` was used for, unless that is older than `not_before` (then it
    /// is forgotten, so the key can be used again). `request` is compared with
    /// the remembered request's fingerprint, which may have been made with a key
    /// rotated out since.
    pub async fn recall(
        &self,
        key: &IdempotencyKey,
        request: &[u8],
        not_before: DateTime<Utc>,
    ) -> Result<Option<Recalled>, StorageError> {
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::Key.eq(key.as_str()))
            .filter(idempotency_key::Column::CreatedAt.lt(not_before))
            .exec(&self.db)
            .await?;
        let Some(row) = idempotency_key::Entity::find_by_id(key.as_str().to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if !self.boxer.fingerprint_matches(request, &row.request_hash)? {
            return Ok(Some(Recalled::OtherRequest));
        }
        let answer = self
            .boxer
            .open(&row.response_sealed, &idempotency_context(key.as_str()))?;
        Ok(Some(Recalled::Answer(answer)))
    }

    /// Forgets idempotency keys older than `not_before`; answers how many.
    pub async fn forget_idempotency_keys(
        &self,
        not_before: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let result = idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAt.lt(not_before))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Re-seals every secret sealed with an older key under the current one.
    /// Each row is swapped only if it still holds what was read, so concurrent
    /// updates are never overwritten; rows that changed meanwhile were sealed
    /// with the current key by that update.
    pub async fn reseal_all(&self) -> Result<ResealReport, StorageError> {
        let mut report = ResealReport::default();
        let rows = mcp_server::Entity::find()
            .order_by_asc(mcp_server::Column::Id)
            .all(&self.db)
            .await?;
        for row in rows {
            let stale =
                |sealed: &Option<String>| sealed.as_deref().is_some_and(|s| self.boxer.is_stale(s));
            if !stale(&row.api_key_sealed) && !stale(&row.headers_sealed) {
                continue;
            }
            let current = self.open_row(row.clone())?;
            let resealed = self.seal_row(&current)?;
            // Only the sealed columns: the record's content and version stay.
            let sealed_only = mcp_server::ActiveModel {
                api_key_sealed: resealed.api_key_sealed,
                headers_sealed: resealed.headers_sealed,
                ..Default::default()
            };
            let swapped = mcp_server::Entity::update_many()
                .set(sealed_only)
                .filter(mcp_server::Column::Id.eq(row.id.clone()))
                .filter(mcp_server::Column::Version.eq(row.version))
                .exec(&self.db)
                .await?;
            report.servers += swapped.rows_affected;
        }
        let keys = idempotency_key::Entity::find().all(&self.db).await?;
        for row in keys {
            if !self.boxer.is_stale(&row.response_sealed) {
                continue;
            }
            let context = idempotency_context(&row.key);
            let plaintext = self.boxer.open(&row.response_sealed, &context)?;
            let swapped = idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::ResponseSealed,
                    Expr::value(self.boxer.seal(&plaintext, &context)?),
                )
                .filter(idempotency_key::Column::Key.eq(row.key.clone()))
                .filter(idempotency_key::Column::ResponseSealed.eq(row.response_sealed.clone()))
                .exec(&self.db)
                .await?;
            report.idempotency_keys += swapped.rows_affected;
        }
        Ok(report)
    }

    pub async fn find(&self, id: McpServerId) -> Result<Option<McpServerRecord>, StorageError> {
        let row = mcp_server::Entity::find_by_id(id.to_string())
            .one(&self.reads)
            .await?;
        row.map(|row| self.open_row(row)).transpose()
    }

    /// The record named `name`, compared as the unique index compares names
    /// (regardless of case).
    pub async fn find_by_name(
        &self,
        name: &ServerName,
    ) -> Result<Option<McpServerRecord>, StorageError> {
        let row = mcp_server::Entity::find()
            .filter(mcp_server::Column::NameKey.eq(name.uniqueness_key()))
            .one(&self.reads)
            .await?;
        row.map(|row| self.open_row(row)).transpose()
    }

    /// The record as read at most `recent::RECENT_FOR` ago (or now), for
    /// callers that read the same record many times a second.
    pub async fn find_recent(
        &self,
        id: McpServerId,
    ) -> Result<Option<Arc<McpServerRecord>>, StorageError> {
        if let Some(record) = self.recent.get(&id) {
            return Ok(Some(record));
        }
        let started = self.recent.read_started();
        let Some(record) = self.find(id).await?.map(Arc::new) else {
            return Ok(None);
        };
        self.recent.keep(Arc::clone(&record), started);
        Ok(Some(record))
    }

    /// Applies `patch` to the current record and stores the result, guarded by the
    /// version read: a concurrent change makes the guarded write miss. Then, with
    /// `If-Match`, the answer is a mismatch; without it, read again and re-apply.
    pub async fn update(
        &self,
        id: McpServerId,
        patch: &McpServerPatch,
        condition: Option<&VersionCondition>,
    ) -> Result<McpServerRecord, StorageError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let current = self.find(id).await?.ok_or(StorageError::NotFound(id))?;
            if condition.is_some_and(|c| !c.holds_for(current.version)) {
                return Err(StorageError::VersionMismatch);
            }
            let next = current.patched(patch)?;
            let result = mcp_server::Entity::update_many()
                .set(self.seal_row(&next)?)
                .filter(mcp_server::Column::Id.eq(id.to_string()))
                .filter(mcp_server::Column::Version.eq(current.version))
                .exec(&self.db)
                .await
                .map_err(|err| unique_name_violation(err, &next.name))?;
            if result.rows_affected == 1 {
                self.recent.forget(&id);
                self.catalogs_changed().await;
                return Ok(next);
            }
            if condition.is_some() {
                return Err(StorageError::VersionMismatch);
            }
        }
        Err(StorageError::Contended {
            id,
            attempts: MAX_UPDATE_ATTEMPTS,
        })
    }

    /// Deletes a record, if it still matches `condition`.
    pub async fn delete(
        &self,
        id: McpServerId,
        condition: Option<&VersionCondition>,
    ) -> Result<(), StorageError> {
        let mut delete =
            mcp_server::Entity::delete_many().filter(mcp_server::Column::Id.eq(id.to_string()));
        if let Some(VersionCondition::OneOf(versions)) = condition {
            delete = delete.filter(mcp_server::Column::Version.is_in(versions.iter().copied()));
        }
        let txn = begin_write(&self.db).await?;
        if delete.exec(&txn).await?.rows_affected == 1 {
            self.forget_probes(&txn, &id).await?;
            txn.commit().await?;
            self.recent.forget(&id);
            self.catalogs_changed().await;
            return Ok(());
        }
        drop(txn);
        // Nothing deleted: gone already, or changed since the version given.
        match self.find(id).await? {
            None => Err(StorageError::NotFound(id)),
            Some(_) => Err(StorageError::VersionMismatch),
        }
    }

    fn seal_row(&self, record: &McpServerRecord) -> Result<mcp_server::ActiveModel, StorageError> {
        let api_key_sealed = record
            .api_key
            .as_ref()
            .map(|key| {
                self.boxer.seal(
                    key.expose().as_bytes(),
                    &sealing_context(&record.id, "api_key"),
                )
            })
            .transpose()?;
        let headers_sealed = if record.headers.is_empty() {
            None
        } else {
            let plaintext =
                serde_json::to_vec(record.headers.expose()).map_err(|_| SecretError::Seal)?;
            Some(
                self.boxer
                    .seal(&plaintext, &sealing_context(&record.id, "headers"))?,
            )
        };
        Ok(mcp_server::ActiveModel {
            id: Set(record.id.to_string()),
            name: Set(record.name.as_str().to_owned()),
            name_key: Set(record.name.uniqueness_key()),
            description: Set(record.description.as_ref().map(|d| d.as_str().to_owned())),
            server_version: Set(record.release.as_str().to_owned()),
            url: Set(record.url.as_str().to_owned()),
            transport_type: Set(record.transport_type.as_str().to_owned()),
            status: Set(record.status.as_str().to_owned()),
            api_key_sealed: Set(api_key_sealed),
            headers_sealed: Set(headers_sealed),
            secret_headers: Set((!record.headers.marked().is_empty())
                .then(|| serde_json::to_string(record.headers.marked()))
                .transpose()
                .map_err(|_| SecretError::Seal)?),
            created_at: Set(record.created_at),
            updated_at: Set(record.updated_at),
            version: Set(record.version),
        })
    }

    pub(super) fn open_row(&self, row: mcp_server::Model) -> Result<McpServerRecord, StorageError> {
        let corrupt = |reason: &str| StorageError::CorruptRow {
            id: row.id.clone(),
            reason: reason.to_owned(),
        };
        let id: McpServerId = row.id.parse().map_err(|_| corrupt("id"))?;
        let api_key = row
            .api_key_sealed
            .as_deref()
            .map(|sealed| {
                let bytes = self.boxer.open(sealed, &sealing_context(&id, "api_key"))?;
                String::from_utf8(bytes).map_err(|_| corrupt("api_key"))
            })
            .transpose()?
            .map(ApiKey::from_stored);
        let headers = match row.headers_sealed.as_deref() {
            None => HttpHeaders::default(),
            Some(sealed) => {
                let bytes = self.boxer.open(sealed, &sealing_context(&id, "headers"))?;
                let map: BTreeMap<String, String> =
                    serde_json::from_slice(&bytes).map_err(|_| corrupt("headers"))?;
                let marked = row
                    .secret_headers
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|_| corrupt("secret_headers"))?
                    .unwrap_or_default();
                HttpHeaders::from_stored(map, marked)
            }
        };
        Ok(McpServerRecord {
            id,
            url: ServerUrl::from_stored(&row.url).map_err(|_| corrupt("url"))?,
            transport_type: TransportType::from_stored(&row.transport_type)
                .ok_or_else(|| corrupt("transport_type"))?,
            status: ServerStatus::from_stored(&row.status).ok_or_else(|| corrupt("status"))?,
            name: ServerName::from_stored(row.name),
            description: row.description.map(Description::from_stored),
            release: Release::from_stored(row.server_version),
            api_key,
            headers,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}
