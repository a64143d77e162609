//! Domain types: every value here was parsed and validated once, so the layers
//! around them never re-check. No I/O.

/// Each value's text, the same in storage and in the API.
macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value's text, in the order the contract lists them.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn from_stored(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

mod api_key;
mod description;
mod error;
mod headers;
mod host;
mod id;
mod idempotency_key;
mod name;
mod network;
mod probe;
mod registry_name;
mod release;
mod server;
mod uri_template;
mod url;

pub use api_key::ApiKey;
pub use description::Description;
pub use error::ValidationError;
pub use headers::{HttpHeaders, is_credential_header};
pub use host::{AllowedHost, RequestHost};
pub use id::McpServerId;
pub use idempotency_key::IdempotencyKey;
pub use name::ServerName;
pub use network::NetworkPolicy;
pub use probe::{
    Catalog, CatalogEntry, CatalogKind, Discovery, Health, McpEra, ProbeReport, ProbeSnapshot,
    ProbeState, ServerInfo, supported_versions,
};
pub use registry_name::{NameLookup, RegistryNamespace};
pub use release::Release;
pub use server::{
    HeaderUpdate, McpServerPatch, McpServerRecord, NewMcpServer, ServerStatus, TransportType,
    VersionCondition, now,
};
pub use uri_template::UriTemplate;
pub use url::ServerUrl;
