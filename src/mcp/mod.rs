//! Talking MCP to the registered servers.

pub mod budget;
mod connect;
mod metered;
mod observed;
mod probe;
mod service;
pub mod sse;
mod tool_fields;

pub use connect::{Connection, Failure, Opening, Reads, client_config, connect};
pub use probe::{MAX_ITEMS, MAX_LISTING_BYTES, ProbeSettings, Prober};
pub use service::{HealthSettings, ProbeService};
