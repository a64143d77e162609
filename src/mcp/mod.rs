//! Talking MCP to the registered servers.

mod observed;
mod probe;
mod service;

pub use probe::{MAX_ITEMS, MAX_LISTING_BYTES, ProbeSettings, Prober};
pub use service::{HealthSettings, ProbeService};
