//! Persistence: the sea-orm entities, the connection, and the queries, mapping
//! database errors (a unique violation) to what they mean in the domain.

mod database;
pub mod entity;
mod group_commit;
mod repository;

pub use database::{Database, DatabaseError};
pub use repository::{
    IdempotentInsertError, ListQuery, McpServerRepository, RememberedResponse, ResealReport,
    StorageError,
};
