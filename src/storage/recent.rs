//! Records read recently, for the gateway: every call through it needs the
//! record (its URL, status and secrets), and reading and opening it each time
//! costs more than the call itself on a fast upstream. An entry serves for at
//! most `RECENT_FOR`; this process's own updates and deletes drop it at once,
//! so only another replica's change can go unseen, and for no longer than that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::{McpServerId, McpServerRecord};

pub const RECENT_FOR: Duration = Duration::from_secs(1);
/// At most this many records are kept (a record is up to about 45 KB, so
/// about 45 MB however many servers are called): when full, expired ones are
/// swept out, and if none has expired the new one is not kept.
const MAX_ENTRIES: usize = 1024;

#[derive(Default)]
pub struct RecentRecords {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<McpServerId, (Instant, Arc<McpServerRecord>)>,
    /// Bumped by every `forget`: a read that began before one may have seen
    /// the record as it was before the change, and is not kept.
    forgets: u64,
}

/// Where the forgets stood when a read began (see `RecentRecords::keep`).
#[derive(Clone, Copy)]
pub struct ReadStarted(u64);

impl RecentRecords {
    pub fn get(&self, id: &McpServerId) -> Option<Arc<McpServerRecord>> {
        let inner = self.inner.lock().ok()?;
        let (read_at, record) = inner.entries.get(id)?;
        (read_at.elapsed() < RECENT_FOR).then(|| Arc::clone(record))
    }

    /// Call before reading a record that is then given to `keep`.
    pub fn read_started(&self) -> ReadStarted {
        ReadStarted(self.inner.lock().map_or(u64::MAX, |inner| inner.forgets))
    }

    /// Keeps `record`, read since `started`, unless a record was forgotten
    /// meanwhile (the read may have missed that change).
    pub fn keep(&self, record: Arc<McpServerRecord>, started: ReadStarted) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.forgets != started.0 {
                return;
            }
            if inner.entries.len() >= MAX_ENTRIES {
                inner
                    .entries
                    .retain(|_, (read_at, _)| read_at.elapsed() < RECENT_FOR);
                if inner.entries.len() >= MAX_ENTRIES {
                    return;
                }
            }
            inner.entries.insert(record.id, (Instant::now(), record));
        }
    }

    pub fn forget(&self, id: &McpServerId) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.forgets = inner.forgets.wrapping_add(1);
            inner.entries.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        HttpHeaders, McpServerId, McpServerRecord, NewMcpServer, ServerName, ServerUrl,
        TransportType,
    };

    #[test]
    fn a_kept_record_serves_until_forgotten() {
        let recent = RecentRecords::default();
        let record = Arc::new(McpServerRecord::create(NewMcpServer {
            name: ServerName::parse("recent".into()).unwrap(),
            url: ServerUrl::parse("https://a.example/mcp", &Default::default()).unwrap(),
            description: None,
            release: None,
            transport_type: TransportType::Http,
            api_key: None,
            headers: HttpHeaders::default(),
        }));
        assert!(recent.get(&record.id).is_none());
        recent.keep(Arc::clone(&record), recent.read_started());
        assert_eq!(recent.get(&record.id).map(|r| r.id), Some(record.id));
        recent.forget(&record.id);
        assert!(recent.get(&record.id).is_none());

        // A full cache keeps nothing more until its entries expire.
        for _ in 0..MAX_ENTRIES {
            let other = Arc::new(McpServerRecord {
                id: McpServerId::generate(),
                ..(*record).clone()
            });
            recent.keep(other, recent.read_started());
        }
        recent.keep(Arc::clone(&record), recent.read_started());
        assert!(recent.get(&record.id).is_none());
        recent.inner.lock().unwrap().entries.clear();

        // A read that an update overtook is not kept: it may be the old record.
        let started = recent.read_started();
        recent.forget(&record.id);
        recent.keep(Arc::clone(&record), started);
        assert!(recent.get(&record.id).is_none());
    }
}
