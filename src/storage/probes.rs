//! Probe snapshots and catalogs: written after each probe, read by the record,
//! catalog and search endpoints.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::database::begin_write;
use super::entity::{catalog_entry, mcp_server, server_health};
use super::error::{StorageError, retry_lock_conflicts};
use super::page::{Budget, Page, text_bytes};
use super::redacted_probes::REDACTION_RULES;
use super::repository::McpServerRepository;
use crate::domain::{
    Catalog, CatalogEntry, CatalogKind, Health, McpServerId, ProbeReport, ProbeSnapshot,
    ProbeState, ServerInfo,
};
use crate::memory::parsed_json_bytes;

/// Rows per INSERT when a catalog is written: well inside every backend's
/// limit on bound parameters.
const ROWS_PER_INSERT: usize = 500;

/// One catalog item and where it stands in its list (the page cursor).
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub position: u32,
    pub entry: CatalogEntry,
}

const KINDS: [CatalogKind; 4] = [
    CatalogKind::Tool,
    CatalogKind::Resource,
    CatalogKind::ResourceTemplate,
    CatalogKind::Prompt,
];

/// What became of a probe's report.
#[derive(Debug)]
pub enum SavedProbe {
    /// Stored: the server's health and catalog as they now are.
    Stored(Box<ProbeSnapshot>),
    /// Not stored: the server was deleted meanwhile.
    Deleted,
    /// Not stored: the record changed while it was probed (its URL, say), so
    /// the report describes a server that no longer is.
    Superseded,
}

impl McpServerRepository {
    /// Stores `report`, a probe of the record at `probed_version`, as the
    /// server's last probe and, when it found a catalog that differs from the
    /// stored one, replaces it; with `next_check`, sets when the server is next
    /// due for a check. One transaction. Nothing is stored when the server was
    /// deleted or changed meanwhile: a slow probe of an old URL must not
    /// overwrite what a probe of the new one found.
    ///
    /// On MariaDB, replacing one server's catalog takes InnoDB gap locks next
    /// to its rows, so two servers probed at once can deadlock and one
    /// transaction is rolled back: it is run again, as a whole.
    pub async fn save_probe(
        &self,
        id: McpServerId,
        probed_version: i64,
        report: &ProbeReport,
        failure_threshold: u32,
        next_check: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SavedProbe, StorageError> {
        retry_lock_conflicts(|| {
            self.try_save_probe(id, probed_version, report, failure_threshold, next_check)
        })
        .await
    }

    async fn try_save_probe(
        &self,
        id: McpServerId,
        probed_version: i64,
        report: &ProbeReport,
        failure_threshold: u32,
        next_check: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SavedProbe, StorageError> {
        let txn = begin_write(&self.db).await?;
        let mut server = mcp_server::Entity::find_by_id(id.to_string())
            .select_only()
            .column(mcp_server::Column::Version);
        // Two probes of one server (a scheduled one and one a caller asked
        // for) take turns here: the health is read, then written. SQLite's
        // write transaction, taken at BEGIN, already makes them take turns.
        if self.db.get_database_backend() != DbBackend::Sqlite {
            server = server.lock_exclusive();
        }
        match server.into_tuple::<i64>().one(&txn).await? {
            None => return Ok(SavedProbe::Deleted),
            Some(version) if version != probed_version => return Ok(SavedProbe::Superseded),
            Some(_) => {}
        }
        let previous_row = server_health::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?;
        let previous_hash = previous_row
            .as_ref()
            .and_then(|row| row.catalog_hash.clone());
        let previous = previous_row.map(|row| snapshot_of(&id, row)).transpose()?;
        let mut row = match &previous {
            Some(_) => server_health::ActiveModel {
                server_id: Set(id.to_string()),
                ..Default::default()
            },
            None => server_health::ActiveModel {
                server_id: Set(id.to_string()),
                server_info: Set(None),
                protocol_version: Set(None),
                supported_versions: Set(None),
                capabilities: Set(None),
                tool_count: Set(0),
                resource_count: Set(0),
                resource_template_count: Set(0),
                prompt_count: Set(0),
                catalog_version: Set(0),
                catalog_hash: Set(None),
                // Nothing found yet: nothing to redact.
                redaction: Set(REDACTION_RULES),
                ..Default::default()
            },
        };
        let mut tool_count = previous.as_ref().map_or(0, |p| p.tool_count);
        let mut catalog_replaced = false;
        if let Some(discovery) = &report.discovery {
            // The prober redacts what it found before it is stored.
            row.redaction = Set(REDACTION_RULES);
            let catalog = &discovery.catalog;
            tool_count = count(catalog.tools.len());
            row.server_info = Set(serde_json::to_string(&discovery.server_info).ok());
            row.protocol_version = Set(Some(discovery.protocol_version.clone()));
            row.supported_versions = Set(serde_json::to_string(&discovery.supported_versions).ok());
            row.capabilities = Set(Some(discovery.capabilities.to_string()));
            row.tool_count = Set(to_i32(catalog.tools.len()));
            row.resource_count = Set(to_i32(catalog.resources.len()));
            row.resource_template_count = Set(to_i32(catalog.resource_templates.len()));
            row.prompt_count = Set(to_i32(catalog.prompts.len()));
            let hash = catalog_hash(catalog);
            if previous_hash.as_deref() != Some(hash.as_str()) {
                row.catalog_version = Set(previous
                    .as_ref()
                    .map_or(0, |p| p.catalog_version)
                    .saturating_add(1));
                row.catalog_hash = Set(Some(hash));
                replace_catalog(&txn, &id, |kind| catalog.entries(kind)).await?;
                catalog_replaced = true;
            }
        }
        let health = Health::after(
            previous.as_ref().map(|p| &p.health),
            report,
            tool_count,
            failure_threshold,
        );
        row.probe_state = Set(report.state.as_str().to_owned());
        row.checked_at = Set(report.checked_at);
        row.latency_ms = Set(i64::try_from(report.latency_ms).unwrap_or(i64::MAX));
        row.error = Set(report.error.clone());
        row.health_state = Set(health.state.as_str().to_owned());
        row.health_error = Set(health.error.clone());
        row.consecutive_failures =
            Set(i32::try_from(health.consecutive_failures).unwrap_or(i32::MAX));
        let saved = match previous {
            Some(_) => server_health::Entity::update(row).exec(&txn).await?,
            None => {
                server_health::Entity::insert(row)
                    .exec_with_returning(&txn)
                    .await?
            }
        };
        if let Some(due_at) = next_check {
            super::health_checks::schedule(&txn, id, due_at).await?;
        }
        txn.commit().await?;
        let was_ok = previous
            .as_ref()
            .is_some_and(|p| p.health.state == ProbeState::Ok);
        if catalog_replaced || was_ok != (health.state == ProbeState::Ok) {
            self.catalogs_changed().await;
        }
        snapshot_of(&id, saved).map(|snapshot| SavedProbe::Stored(Box::new(snapshot)))
    }

    /// The catalog's version (its ETag): 0 before the first successful
    /// probe, `None` when there is no such server.
    pub async fn catalog_version(&self, id: McpServerId) -> Result<Option<i64>, StorageError> {
        let server = mcp_server::Entity::find_by_id(id.to_string())
            .select_only()
            .column(mcp_server::Column::Id)
            .into_tuple::<String>()
            .one(&self.reads)
            .await?;
        if server.is_none() {
            return Ok(None);
        }
        let version = server_health::Entity::find_by_id(id.to_string())
            .select_only()
            .column(server_health::Column::CatalogVersion)
            .into_tuple::<i64>()
            .one(&self.reads)
            .await?;
        Ok(Some(version.unwrap_or(0)))
    }

    /// The health of one server, if it was ever probed.
    pub async fn health(&self, id: McpServerId) -> Result<Option<Health>, StorageError> {
        Ok(self.health_of(&[id]).await?.remove(&id))
    }

    /// The health of each of `ids` that was ever probed.
    pub async fn health_of(
        &self,
        ids: &[McpServerId],
    ) -> Result<HashMap<McpServerId, Health>, StorageError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = server_health::Entity::find()
            .filter(server_health::Column::ServerId.is_in(ids.iter().map(ToString::to_string)))
            .all(&self.reads)
            .await?;
        rows.into_iter()
            .map(|row| {
                let id: McpServerId = row
                    .server_id
                    .parse()
                    .map_err(|_| corrupt(&row.server_id, "server_id"))?;
                Ok((id, health_of_row(&id, &row)?))
            })
            .collect()
    }

    /// A page of one server's catalog of `kind`, in the server's order, after
    /// `after` (a position from the previous page), within the page budget.
    pub async fn catalog_page(
        &self,
        id: McpServerId,
        kind: CatalogKind,
        after: Option<u32>,
        limit: u64,
    ) -> Result<Page<StoredEntry>, StorageError> {
        use catalog_entry::Column;
        let mut select = catalog_entry::Entity::find()
            .filter(Column::ServerId.eq(id.to_string()))
            .filter(Column::Kind.eq(kind.as_str()))
            .order_by_asc(Column::Position)
            .limit(limit);
        if let Some(after) = after {
            select = select.filter(Column::Position.gt(to_i32(after as usize)));
        }
        let mut budget = Budget::new();
        let entries = budget
            .read(
                select.stream(&self.reads).await?,
                |row: &catalog_entry::Model| {
                    text_bytes([Some(&row.name), row.description.as_ref()])
                        + parsed_json_bytes(row.body.as_bytes())
                },
                |row| {
                    stored_entry(
                        &row.server_id,
                        row.position,
                        row.name,
                        row.description,
                        &row.body,
                    )
                },
            )
            .await?;
        Ok(budget.page(entries))
    }

    /// Forgets what probes learned about a deleted server.
    pub(super) async fn forget_probes(
        &self,
        txn: &DatabaseTransaction,
        id: &McpServerId,
    ) -> Result<(), StorageError> {
        catalog_entry::Entity::delete_many()
            .filter(catalog_entry::Column::ServerId.eq(id.to_string()))
            .exec(txn)
            .await?;
        server_health::Entity::delete_by_id(id.to_string())
            .exec(txn)
            .await?;
        super::entity::health_check::Entity::delete_by_id(id.to_string())
            .exec(txn)
            .await?;
        Ok(())
    }
}

/// SHA-256 of a catalog, every kind in order, each item as the server wrote it.
fn catalog_hash(catalog: &Catalog) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for kind in KINDS {
        hasher.update(kind.as_str().as_bytes());
        for entry in catalog.entries(kind) {
            hasher.update(b"\n");
            hasher.update(entry.body.to_string().as_bytes());
        }
        hasher.update(b"\0");
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

async fn replace_catalog<'a>(
    txn: &DatabaseTransaction,
    id: &McpServerId,
    entries_of: impl Fn(CatalogKind) -> &'a [CatalogEntry],
) -> Result<(), StorageError> {
    catalog_entry::Entity::delete_many()
        .filter(catalog_entry::Column::ServerId.eq(id.to_string()))
        .exec(txn)
        .await?;
    for kind in KINDS {
        let entries = entries_of(kind);
        for (chunk_index, chunk) in entries.chunks(ROWS_PER_INSERT).enumerate() {
            let rows = chunk
                .iter()
                .enumerate()
                .map(|(offset, entry)| catalog_entry::ActiveModel {
                    server_id: Set(id.to_string()),
                    kind: Set(kind.as_str().to_owned()),
                    position: Set(to_i32(chunk_index * ROWS_PER_INSERT + offset)),
                    name: Set(entry.name.clone()),
                    description: Set(entry.description.clone()),
                    body: Set(entry.body.to_string()),
                });
            catalog_entry::Entity::insert_many(rows).exec(txn).await?;
        }
    }
    Ok(())
}

/// The health shown on a record, from its row; the JSON columns (server
/// info, capabilities) are not read: record reads need none of them.
fn health_of_row(id: &McpServerId, row: &server_health::Model) -> Result<Health, StorageError> {
    Ok(Health {
        state: ProbeState::from_stored(&row.health_state)
            .ok_or_else(|| corrupt(&id.to_string(), "health_state"))?,
        checked_at: row.checked_at,
        error: row.health_error.clone(),
        tool_count: count(usize::try_from(row.tool_count).unwrap_or_default()),
        consecutive_failures: u32::try_from(row.consecutive_failures).unwrap_or_default(),
    })
}

fn snapshot_of(id: &McpServerId, row: server_health::Model) -> Result<ProbeSnapshot, StorageError> {
    let key = id.to_string();
    let state =
        |text: &str, field: &str| ProbeState::from_stored(text).ok_or_else(|| corrupt(&key, field));
    let server_info = row
        .server_info
        .as_deref()
        .map(serde_json::from_str::<ServerInfo>)
        .transpose()
        .map_err(|_| corrupt(&key, "server_info"))?;
    let capabilities = row
        .capabilities
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
        .transpose()
        .map_err(|_| corrupt(&key, "capabilities"))?;
    let supported_versions = row
        .supported_versions
        .as_deref()
        .map(serde_json::from_str::<Vec<String>>)
        .transpose()
        .map_err(|_| corrupt(&key, "supported_versions"))?;
    let health = health_of_row(id, &row)?;
    Ok(ProbeSnapshot {
        state: state(&row.probe_state, "probe_state")?,
        checked_at: row.checked_at,
        latency_ms: u64::try_from(row.latency_ms).unwrap_or_default(),
        error: row.error,
        server_info,
        protocol_version: row.protocol_version,
        supported_versions,
        capabilities,
        tool_count: count(usize::try_from(row.tool_count).unwrap_or_default()),
        resource_count: count(usize::try_from(row.resource_count).unwrap_or_default()),
        resource_template_count: count(
            usize::try_from(row.resource_template_count).unwrap_or_default(),
        ),
        prompt_count: count(usize::try_from(row.prompt_count).unwrap_or_default()),
        catalog_version: row.catalog_version,
        health,
    })
}

/// A catalog row as the domain knows it; its body is the JSON the server sent.
pub(super) fn stored_entry(
    server_id: &str,
    position: i32,
    name: String,
    description: Option<String>,
    body: &str,
) -> Result<StoredEntry, StorageError> {
    Ok(StoredEntry {
        position: u32::try_from(position).unwrap_or_default(),
        entry: CatalogEntry {
            name,
            description,
            body: serde_json::from_str(body).map_err(|_| corrupt(server_id, "catalog body"))?,
        },
    })
}

pub(super) fn corrupt(id: &str, field: &str) -> StorageError {
    StorageError::CorruptRow {
        id: id.to_owned(),
        reason: field.to_owned(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
