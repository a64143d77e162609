//! Persistence: the sea-orm entities, the connection, and the queries, mapping
//! database errors (a unique violation) to what they mean in the domain.

mod catalog_changes;
mod catalog_search;
mod create;
mod database;
pub mod entity;
mod error;
mod group_commit;
mod health_checks;
mod listing;
mod page;
mod probes;
mod recent;
mod redacted_probes;
mod repository;
mod sessions;

pub use catalog_search::{ToolHit, ToolSearchCursor};
pub use database::{Database, DatabaseError};
pub use error::{DatabaseFault, IdempotentInsertError, StorageError};
pub use listing::ListQuery;
pub use page::{PAGE_BUDGET_BYTES, Page};
pub use probes::{SavedProbe, StoredEntry};
pub use repository::{McpServerRepository, Recalled, Remember, ResealReport, sealing_context};
