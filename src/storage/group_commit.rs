//! Group commit of creates, for SQLite, PostgreSQL and MariaDB.
//!
//! Each commit waits for the disk (SQLite with `synchronous=FULL`, PostgreSQL's
//! WAL flush, InnoDB's redo log flush). Creates that arrive while a commit is
//! under way queue here and are written together in the next transaction: one
//! flush, and on PostgreSQL and MariaDB one multi-row statement, for many
//! records. Nobody is answered before the transaction holding their record has
//! committed, so a 201 still means the record is on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::HashSet;

use sea_orm::sea_query::{InsertStatement, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryResult, QueryTrait,
};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::metrics::GroupCommitTotals;

use super::create::{PendingCreate, write_create};
use super::database::begin_write;
use super::entity::{idempotency_key, mcp_server};
use super::error::{IdempotentInsertError, StorageError};

/// Most creates written by one transaction.
const MAX_BATCH: usize = 256;

/// Creates committed so far, and in how many transactions.
#[derive(Debug, Default)]
struct Totals {
    commits: AtomicU64,
    creates: AtomicU64,
}

struct Job {
    create: PendingCreate,
    answer: oneshot::Sender<Result<(), IdempotentInsertError>>,
}

/// The handle of the one task that writes creates.
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    totals: Arc<Totals>,
}

impl GroupCommit {
    /// Starts `writers` writers on `db`, taking turns at the queue: SQLite's
    /// one connection takes one; a pool takes several, so that a batch is
    /// gathered and written while the one before it commits.
    pub fn start(db: DatabaseConnection, writers: usize) -> Self {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        let queue = Arc::new(Mutex::new(queue));
        let totals = Arc::new(Totals::default());
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(
                db.clone(),
                Arc::clone(&queue),
                Arc::clone(&totals),
            ));
        }
        Self { jobs, totals }
    }

    /// For /metrics.
    pub fn totals(&self) -> GroupCommitTotals {
        GroupCommitTotals {
            commits: self.totals.commits.load(Ordering::Relaxed),
            creates: self.totals.creates.load(Ordering::Relaxed),
        }
    }

    /// Writes `create` with whatever else is queued; answers once committed.
    pub async fn insert(&self, create: PendingCreate) -> Result<(), IdempotentInsertError> {
        let (answer, answered) = oneshot::channel();
        let stopped = || StorageError::Database(DbErr::Custom("the writer has stopped".into()));
        self.jobs
            .send(Job { create, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn write_batches(
    db: DatabaseConnection,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    totals: Arc<Totals>,
) {
    loop {
        // The queue is held only while a batch is taken, not while it is written.
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        if queue.lock().await.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            return;
        }
        let outcomes = match jobs.as_slice() {
            // Alone: no transaction to share, so none to pay for.
            [job] => vec![write_create(&db, &job.create).await],
            _ => write_together(&db, &jobs).await,
        };
        let created = outcomes.iter().filter(|outcome| outcome.is_ok()).count() as u64;
        if created > 0 {
            totals.commits.fetch_add(1, Ordering::Relaxed);
            totals.creates.fetch_add(created, Ordering::Relaxed);
        }
        for (job, outcome) in jobs.into_iter().zip(outcomes) {
            // The request may have timed out and gone; its outcome stands.
            let _ = job.answer.send(outcome);
        }
    }
}

/// Each create of a batch gets the database's error as its own, so that each
/// caller learns what the database said (unavailable, out of space, ...).
fn everyone_fails(jobs: &[Job], cause: &DbErr) -> Vec<Outcome> {
    jobs.iter()
        .map(|_| Err(StorageError::Database(cause.clone()).into()))
        .collect()
}

type Outcome = Result<(), IdempotentInsertError>;

/// One transaction for all `jobs` (on PostgreSQL and MariaDB, without keys,
/// one statement). A duplicate name or a taken idempotency key fails only that
/// create. Any other error, or a failed commit, fails every create in the
/// transaction.
async fn write_together(db: &DatabaseConnection, jobs: &[Job]) -> Vec<Outcome> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Sqlite && jobs.iter().all(|job| job.create.key_row.is_none()) {
        // Without idempotency keys the batch is one INSERT, atomic on its
        // own: run without BEGIN and COMMIT, it is one round trip, not three.
        return write_rows_together(db, jobs)
            .await
            .unwrap_or_else(|err| everyone_fails(jobs, &err));
    }
    let txn = match begin_write(db).await {
        Ok(txn) => txn,
        Err(err) => return everyone_fails(jobs, &err),
    };
    let written = match backend {
        DbBackend::Sqlite => write_one_by_one(&txn, jobs).await,
        _ => write_rows_together(&txn, jobs).await,
    };
    let outcomes = match written {
        Ok(outcomes) => outcomes,
        Err(err) => {
            // The transaction may be gone with the statement; trust none of it.
            txn.rollback().await.ok();
            return everyone_fails(jobs, &err);
        }
    };
    match txn.commit().await {
        Ok(()) => outcomes,
        Err(err) => everyone_fails(jobs, &err),
    }
}

/// SQLite: one create after another. A failed statement aborts itself, not
/// the transaction; a create with a key runs in a savepoint, so its key goes
/// with it.
async fn write_one_by_one(txn: &DatabaseTransaction, jobs: &[Job]) -> Result<Vec<Outcome>, DbErr> {
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = write_create(txn, &job.create).await;
        if let Err(IdempotentInsertError::Storage(StorageError::Database(err))) = outcome {
            return Err(err);
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// PostgreSQL and MariaDB, where a failed statement aborts the whole
/// transaction (PostgreSQL) or leaves it hard to tell apart (MariaDB):
/// conflicts are told apart without failing. The idempotency keys go first, in
/// one statement that skips the taken ones (waiting, as one by one would, for a
/// concurrent request with the same key to commit or roll back); then the
/// records whose key is theirs, in one statement that skips names already
/// taken (by an earlier record, one committing meanwhile, or an earlier one
/// of this batch); then the keys of the records so skipped go again, so that
/// no key stays without its record.
async fn write_rows_together(
    txn: &impl ConnectionTrait,
    jobs: &[Job],
) -> Result<Vec<Outcome>, DbErr> {
    use idempotency_key::Column as KeyColumn;
    use mcp_server::Column as ServerColumn;
    let key_rows: Vec<_> = jobs
        .iter()
        .filter_map(|job| job.create.key_row.clone())
        .collect();
    // A key row is ours when its sealed answer is: each is sealed with a
    // nonce of its own. (MariaDB returns the row already there on a conflict.)
    let keys_taken_here: HashSet<String> = if key_rows.is_empty() {
        HashSet::new()
    } else {
        let mut insert = idempotency_key::Entity::insert_many(key_rows);
        insert.query().on_conflict(
            OnConflict::column(KeyColumn::Key)
                .do_nothing_on([KeyColumn::Key])
                .to_owned(),
        );
        let returned = insert_returning(txn, insert.query(), &["key", "response_sealed"]).await?;
        let sealed_here: HashSet<&String> = jobs
            .iter()
            .filter_map(|job| job.create.key_row.as_ref()?.response_sealed.try_as_ref())
            .collect();
        let mut keys = HashSet::new();
        for row in returned {
            let sealed: String = row.try_get("", "response_sealed")?;
            if sealed_here.contains(&sealed) {
                keys.insert(row.try_get("", "key")?);
            }
        }
        keys
    };
    let key_of = |job: &Job| {
        let row = job.create.key_row.as_ref()?;
        row.key.try_as_ref().cloned()
    };
    // A key inserted here belongs to the first create of the batch that holds
    // it; a later one with the same key finds it taken, as it would one by one.
    let mut claimed = HashSet::new();
    let ours: Vec<bool> = jobs
        .iter()
        .map(|job| match key_of(job) {
            None => true,
            Some(key) => keys_taken_here.contains(&key) && claimed.insert(key),
        })
        .collect();
    let rows: Vec<_> = jobs
        .iter()
        .zip(&ours)
        .filter(|(_, ours)| **ours)
        .map(|(job, _)| job.create.row.clone())
        .collect();
    // The ids returned are those inserted (and on MariaDB, those of the rows
    // already holding a name): a record was written when its own id is back.
    let inserted: HashSet<String> = if rows.is_empty() {
        HashSet::new()
    } else {
        let mut insert = mcp_server::Entity::insert_many(rows);
        insert.query().on_conflict(
            OnConflict::column(ServerColumn::NameKey)
                .do_nothing_on([ServerColumn::NameKey])
                .to_owned(),
        );
        insert_returning(txn, insert.query(), &["id"])
            .await?
            .iter()
            .map(|row| row.try_get("", "id"))
            .collect::<Result<_, _>>()?
    };
    let written = |job: &Job| {
        job.create
            .row
            .id
            .try_as_ref()
            .is_some_and(|id| inserted.contains(id))
    };
    let orphaned_keys: Vec<String> = jobs
        .iter()
        .zip(&ours)
        .filter(|(job, ours)| **ours && !written(job))
        .filter_map(|(job, _)| key_of(job))
        .collect();
    if !orphaned_keys.is_empty() {
        idempotency_key::Entity::delete_many()
            .filter(KeyColumn::Key.is_in(orphaned_keys))
            .exec(txn)
            .await?;
    }
    Ok(jobs
        .iter()
        .zip(&ours)
        .map(|(job, ours)| {
            if !ours {
                Err(IdempotentInsertError::KeyTaken)
            } else if !written(job) {
                Err(StorageError::DuplicateName(job.create.name.clone()).into())
            } else {
                Ok(())
            }
        })
        .collect())
}

/// Runs `insert` and answers the rows it returns with `columns`. sea-query
/// writes no RETURNING for MySQL, which MariaDB (since 10.5) understands, so
/// the clause is added to the built statement, with the backend's quotes.
async fn insert_returning(
    txn: &impl ConnectionTrait,
    insert: &InsertStatement,
    columns: &[&str],
) -> Result<Vec<QueryResult>, DbErr> {
    let backend = txn.get_database_backend();
    let quote = if backend == DbBackend::MySql {
        '`'
    } else {
        '"'
    };
    let columns: Vec<String> = columns
        .iter()
        .map(|column| format!("{quote}{column}{quote}"))
        .collect();
    let mut statement = backend.build(insert);
    statement.sql = format!("{} RETURNING {}", statement.sql, columns.join(", "));
    txn.query_all_raw(statement).await
}
