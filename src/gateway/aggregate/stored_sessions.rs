//! `/mcp` sessions beyond one process: rmcp's session store over the
//! database. rmcp keeps a session's agent `initialize` here when it opens;
//! a request for a session this process does not hold (it restarted, or
//! another replica opened it) has rmcp replay that `initialize` and carry
//! on, so the agent never notices. A DELETE ends the session everywhere.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};

use crate::storage::McpServerRepository;

/// How long after it opened a session can be taken up again; an agent
/// whose session is older is told it is unknown, and opens another.
const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

pub struct StoredSessions {
    repository: Arc<McpServerRepository>,
}

impl StoredSessions {
    pub fn new(repository: Arc<McpServerRepository>) -> Self {
        Self { repository }
    }
}

#[async_trait::async_trait]
impl SessionStore for StoredSessions {
    async fn load(&self, id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let not_before = Utc::now() - KEPT_FOR;
        let Some(state) = self.repository.session(id, not_before).await? else {
            return Ok(None);
        };
        // A state this version cannot read is a session it cannot take up.
        Ok(serde_json::from_str(&state).ok())
    }

    async fn store(&self, id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let state = serde_json::to_string(state)?;
        Ok(self.repository.save_session(id, state).await?)
    }

    async fn delete(&self, id: &str) -> Result<(), SessionStoreError> {
        Ok(self.repository.forget_session(id).await?)
    }
}

/// Lookups ignore old sessions already; this keeps the table from growing.
pub async fn forget_old_sessions(repository: Arc<McpServerRepository>) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    loop {
        ticks.tick().await;
        match repository.forget_sessions(Utc::now() - KEPT_FOR).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, "forgot old /mcp sessions"),
            Err(err) => tracing::warn!(error = %err, "could not forget old /mcp sessions"),
        }
    }
}
