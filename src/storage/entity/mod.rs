//! sea-orm entities: the tables as the migrations in `migration/` create them.

pub mod catalog_change;
pub mod catalog_entry;
pub mod health_check;
pub mod idempotency_key;
pub mod mcp_server;
pub mod mcp_session;
pub mod server_health;
