//! sea-orm entities: the tables as the migrations in `migration/` create them.

pub mod idempotency_key;
pub mod mcp_server;
