//! The gateway's session ids. An agent never sees the id of a session held
//! for it (an upstream's, or rmcp's for `/mcp`): it gets that id sealed with
//! the registry's key and bound to what opened it, so it opens for nothing
//! else (another token, another server, another origin), and tells the agent
//! nothing. An upstream's id works on every replica (nothing is kept in
//! memory).

use std::sync::Arc;

use http::HeaderValue;

use crate::domain::McpServerId;
use crate::secrets::SecretBoxer;

pub struct SessionIds {
    boxer: Arc<SecretBoxer>,
}

/// What a session id is bound to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// A registered server's session, through its own endpoint: the server,
    /// the token, and the origin it was opened with (after the URL moves
    /// elsewhere, the old session must not follow it).
    Upstream {
        server: &'a McpServerId,
        caller: &'a str,
        origin: &'a str,
    },
    /// A session of `/mcp`: the token that opened it.
    Aggregate { caller: &'a str },
}

impl Binding<'_> {
    fn context(&self) -> String {
        match self {
            Self::Upstream {
                server,
                caller,
                origin,
            } => format!("gateway-sessions/{server}/{origin}/{caller}"),
            Self::Aggregate { caller } => format!("aggregate-sessions/{caller}"),
        }
    }
}

impl SessionIds {
    pub fn new(boxer: Arc<SecretBoxer>) -> Self {
        Self { boxer }
    }

    /// The session id the agent gets for `id`.
    pub fn seal(&self, binding: Binding<'_>, id: &[u8]) -> Option<HeaderValue> {
        let sealed = self.boxer.seal(id, &binding.context()).ok()?;
        HeaderValue::try_from(sealed).ok()
    }

    /// The session id behind `presented`, if the registry made it for the
    /// same binding.
    pub fn open(&self, binding: Binding<'_>, presented: &HeaderValue) -> Option<HeaderValue> {
        let presented = presented.to_str().ok()?;
        let id = self.boxer.open(presented, &binding.context()).ok()?;
        let mut value = HeaderValue::from_bytes(&id).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::SecretKey;

    #[test]
    fn a_session_opens_only_for_what_it_is_bound_to() {
        let ids = SessionIds::new(Arc::new(SecretBoxer::new(&SecretKey::generate())));
        let (server, other) = (McpServerId::generate(), McpServerId::generate());
        let bound = |server, caller, origin| Binding::Upstream {
            server,
            caller,
            origin,
        };
        let here = bound(&server, "agent", "https://a.example");
        let sealed = ids.seal(here, b"upstream-42").unwrap();
        assert!(!sealed.to_str().unwrap().contains("upstream-42"));
        assert_eq!(ids.open(here, &sealed).unwrap().as_bytes(), b"upstream-42");
        for elsewhere in [
            bound(&other, "agent", "https://a.example"),
            bound(&server, "someone-else", "https://a.example"),
            bound(&server, "agent", "https://b.example"),
            Binding::Aggregate { caller: "agent" },
        ] {
            assert!(ids.open(elsewhere, &sealed).is_none(), "{elsewhere:?}");
        }
        assert!(
            ids.open(here, &HeaderValue::from_static("v1:x:AAAA"))
                .is_none()
        );
        let aggregate = ids
            .seal(Binding::Aggregate { caller: "agent" }, b"s-1")
            .unwrap();
        assert!(
            ids.open(Binding::Aggregate { caller: "other" }, &aggregate)
                .is_none()
        );
    }
}
