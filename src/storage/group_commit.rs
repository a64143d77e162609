//! Group commit for the embedded database.
//!
//! SQLite commits one transaction at a time and, with `synchronous=FULL`, each
//! commit waits for the disk. Creates that arrive while a commit is under way
//! queue here and are written together in the next transaction: one flush for
//! many records. Nobody is answered before the transaction holding their
//! record has committed, so a 201 still means the record is on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::GroupCommitTotals;

use super::create::{PendingCreate, write_create};
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
    /// Starts the writer on `db` (whose pool is the single SQLite connection).
    pub fn start(db: DatabaseConnection) -> Self {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        let totals = Arc::new(Totals::default());
        tokio::spawn(write_batches(db, queue, Arc::clone(&totals)));
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
    mut queue: mpsc::Receiver<Job>,
    totals: Arc<Totals>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
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

/// One transaction for all `jobs`. A duplicate name or a taken idempotency key
/// fails only that create (SQLite aborts the statement, not the transaction;
/// a create with a key runs in a savepoint so its key goes with it). Any other
/// error, or a failed commit, fails every create in the transaction.
async fn write_together(
    db: &DatabaseConnection,
    jobs: &[Job],
) -> Vec<Result<(), IdempotentInsertError>> {
    // Each create gets its own error; the cause is told once, as the database told it.
    let everyone = |cause: &dyn std::fmt::Display| {
        let reason = cause.to_string();
        jobs.iter()
            .map(|_| Err(StorageError::Database(DbErr::Custom(reason.clone())).into()))
            .collect()
    };
    let txn = match db.begin().await {
        Ok(txn) => txn,
        Err(err) => return everyone(&err),
    };
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = write_create(&txn, &job.create).await;
        if let Err(IdempotentInsertError::Storage(StorageError::Database(err))) = &outcome {
            // The transaction may be gone with the statement; trust none of it.
            let failed = everyone(err);
            txn.rollback().await.ok();
            return failed;
        }
        outcomes.push(outcome);
    }
    match txn.commit().await {
        Ok(()) => outcomes,
        Err(err) => everyone(&err),
    }
}
