//! Idempotent creates: a retry with the same `Idempotency-Key` and the same
//! request gets the first answer instead of making a second record.
//!
//! The handler asks `try_processing` and either answers what was saved or goes
//! ahead and creates through `save`, which stores the record and its answer in
//! one transaction.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{IdempotencyKey, McpServerRecord};
use crate::storage::{
    IdempotentInsertError, McpServerRepository, Recalled, Remember, StorageError,
};

/// How often keys older than their time to live are swept away.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the key was used with a different request")]
    KeyReused,
    #[error("an answer could not be written or read as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the key was taken by a request whose answer cannot be found")]
    AnswerMissing,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<IdempotentInsertError> for IdempotencyError {
    fn from(err: IdempotentInsertError) -> Self {
        match err {
            // Only a create under a key can lose its key to another.
            IdempotentInsertError::KeyTaken => Self::AnswerMissing,
            IdempotentInsertError::Storage(err) => Self::Storage(err),
        }
    }
}

/// Leave to create, and what to remember the answer by.
pub struct Claim {
    key: IdempotencyKey,
    /// The request as JSON: equal requests (whatever their key order and
    /// spacing) serialize equally once parsed.
    request: Vec<u8>,
    not_before: DateTime<Utc>,
}

/// What to do with a create.
pub enum Processing<T> {
    /// Go ahead; with a key, `save` remembers the answer under this claim.
    Start(Option<Claim>),
    /// The same request was answered before: answer the same again.
    ReturnSaved(T),
}

/// How a create ended.
pub enum Saved<T> {
    Created(T),
    /// Another request with the same key got there first: its answer.
    ReturnSaved(T),
}

pub struct Idempotency {
    repository: Arc<McpServerRepository>,
    /// How long a key is remembered.
    ttl: Duration,
}

impl Idempotency {
    pub fn new(repository: Arc<McpServerRepository>, ttl: Duration) -> Self {
        Self { repository, ttl }
    }

    pub async fn try_processing<T: DeserializeOwned>(
        &self,
        key: Option<IdempotencyKey>,
        request: &impl Serialize,
    ) -> Result<Processing<T>, IdempotencyError> {
        let Some(key) = key else {
            return Ok(Processing::Start(None));
        };
        let claim = Claim {
            request: serde_json::to_vec(request)?,
            not_before: Utc::now() - self.ttl,
            key,
        };
        Ok(match self.saved_answer(&claim).await? {
            Some(answer) => Processing::ReturnSaved(answer),
            None => Processing::Start(Some(claim)),
        })
    }

    /// Stores `record` and, under a claim, `answer` with it: both or neither.
    pub async fn save<T: Serialize + DeserializeOwned>(
        &self,
        claim: Option<Claim>,
        record: &McpServerRecord,
        answer: T,
    ) -> Result<Saved<T>, IdempotencyError> {
        let Some(claim) = claim else {
            self.repository.insert(record, None).await?;
            return Ok(Saved::Created(answer));
        };
        let response = serde_json::to_vec(&answer)?;
        let remember = Remember {
            key: &claim.key,
            request: &claim.request,
            response: &response,
        };
        match self.repository.insert(record, Some(remember)).await {
            Ok(()) => Ok(Saved::Created(answer)),
            // The same key won a race with us: answer as it was answered.
            Err(IdempotentInsertError::KeyTaken) => self
                .saved_answer(&claim)
                .await?
                .map(Saved::ReturnSaved)
                .ok_or(IdempotencyError::AnswerMissing),
            Err(err) => Err(err.into()),
        }
    }

    async fn saved_answer<T: DeserializeOwned>(
        &self,
        claim: &Claim,
    ) -> Result<Option<T>, IdempotencyError> {
        let recalled = self
            .repository
            .recall(&claim.key, &claim.request, claim.not_before)
            .await?;
        match recalled {
            None => Ok(None),
            Some(Recalled::OtherRequest) => Err(IdempotencyError::KeyReused),
            Some(Recalled::Answer(json)) => Ok(Some(serde_json::from_slice(&json)?)),
        }
    }
}

/// Lookups ignore expired keys already; this keeps the table from growing.
pub async fn forget_expired_keys(repository: Arc<McpServerRepository>, ttl: Duration) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    loop {
        ticks.tick().await;
        let not_before = Utc::now() - ttl;
        match repository.forget_idempotency_keys(not_before).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, "forgot expired idempotency keys"),
            Err(err) => tracing::warn!(error = %err, "could not forget expired idempotency keys"),
        }
    }
}
