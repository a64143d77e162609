//! Domain types: every value here was parsed and validated once, so the layers
//! around them never re-check. No I/O.

mod api_key;
mod description;
mod error;
mod headers;
mod id;
mod idempotency_key;
mod name;
mod network;
mod server;
mod url;

pub use api_key::ApiKey;
pub use description::Description;
pub use error::ValidationError;
pub use headers::{HttpHeaders, is_credential_header};
pub use id::McpServerId;
pub use idempotency_key::IdempotencyKey;
pub use name::ServerName;
pub use network::NetworkPolicy;
pub use server::{
    HeaderUpdate, McpServerPatch, McpServerRecord, NewMcpServer, ServerStatus, TransportType,
    VersionCondition, now,
};
pub use url::ServerUrl;
