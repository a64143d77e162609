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
/// Past this many entries, expired ones are swept out on the next insert.
const SWEEP_ABOVE: usize = 4096;

#[derive(Default)]
pub struct RecentRecords {
    entries: Mutex<HashMap<McpServerId, (Instant, Arc<McpServerRecord>)>>,
}

impl RecentRecords {
    pub fn get(&self, id: &McpServerId) -> Option<Arc<McpServerRecord>> {
        let entries = self.entries.lock().ok()?;
        let (read_at, record) = entries.get(id)?;
        (read_at.elapsed() < RECENT_FOR).then(|| Arc::clone(record))
    }

    pub fn keep(&self, record: Arc<McpServerRecord>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > SWEEP_ABOVE {
                entries.retain(|_, (read_at, _)| read_at.elapsed() < RECENT_FOR);
            }
            entries.insert(record.id, (Instant::now(), record));
        }
    }

    pub fn forget(&self, id: &McpServerId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        HttpHeaders, McpServerRecord, NewMcpServer, ServerName, ServerUrl, TransportType,
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
        recent.keep(Arc::clone(&record));
        assert_eq!(recent.get(&record.id).map(|r| r.id), Some(record.id));
        recent.forget(&record.id);
        assert!(recent.get(&record.id).is_none());
    }
}
