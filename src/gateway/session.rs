//! The gateway's session ids. An agent never sees the upstream's session id:
//! it gets that id sealed with the registry's key and bound to the server and
//! the caller, so it works on every replica (nothing is kept in memory), it
//! cannot be moved to another server or used by another token, and it tells
//! the agent nothing about the upstream.

use std::sync::Arc;

use http::HeaderValue;

use crate::domain::McpServerId;
use crate::secrets::SecretBoxer;

pub struct SessionIds {
    boxer: Arc<SecretBoxer>,
}

impl SessionIds {
    pub fn new(boxer: Arc<SecretBoxer>) -> Self {
        Self { boxer }
    }

    /// The session id the agent gets for `upstream`'s.
    pub fn seal(&self, server: &McpServerId, caller: &str, upstream: &[u8]) -> Option<HeaderValue> {
        let sealed = self.boxer.seal(upstream, &context(server, caller)).ok()?;
        HeaderValue::try_from(sealed).ok()
    }

    /// The upstream's session id behind `presented`, if the registry made it
    /// for this server and caller.
    pub fn open(
        &self,
        server: &McpServerId,
        caller: &str,
        presented: &HeaderValue,
    ) -> Option<HeaderValue> {
        let presented = presented.to_str().ok()?;
        let upstream = self.boxer.open(presented, &context(server, caller)).ok()?;
        let mut value = HeaderValue::from_bytes(&upstream).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

fn context(server: &McpServerId, caller: &str) -> String {
    format!("gateway-sessions/{server}/{caller}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretKey;

    #[test]
    fn a_session_opens_only_for_its_server_and_caller() {
        let ids = SessionIds::new(Arc::new(SecretBoxer::new(&SecretKey::generate())));
        let (server, other) = (McpServerId::generate(), McpServerId::generate());
        let sealed = ids.seal(&server, "agent", b"upstream-42").unwrap();
        assert!(!sealed.to_str().unwrap().contains("upstream-42"));
        let opened = ids.open(&server, "agent", &sealed).unwrap();
        assert_eq!(opened.as_bytes(), b"upstream-42");
        assert!(ids.open(&other, "agent", &sealed).is_none());
        assert!(ids.open(&server, "someone-else", &sealed).is_none());
        assert!(
            ids.open(&server, "agent", &HeaderValue::from_static("v1:x:AAAA"))
                .is_none()
        );
    }
}
